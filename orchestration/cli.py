"""Command line: `python -m orchestration.cli run|build|publish|dev`.

`run`      the whole pipeline through Dagster, without the UI: dbt build (every
           model and data test), the campaign lists, then the published
           warehouse. The run is recorded in DAGSTER_HOME, so the UI shows it later.
`build`    only `dbt build` on the raw folder (extra arguments go to dbt); where
           the CLV fit step makes the predictive tables (Spark, or
           LOYALTY_CLV_FIT_STEP=1), dbt, the step, then dbt again.
`dbt`      any dbt command on the configured files, e.g. `dbt docs generate`.
`publish`  only copy the marts of the last build to the BI file.
`dev`      the Dagster UI and daemon on the code location; extra arguments
           go to the webserver (e.g. --port 3001).

Settings come from the environment (see orchestration/settings.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from orchestration import clv_fit_step
from orchestration.dagster_home import ensure_dagster_home

# Dagster (and dagster-dbt, with dbt's adapter code) load only for the commands that use
# them (run, publish, dev): `dbt` and `build` start about 2.5 CPU seconds sooner.
from orchestration.locks import RunLockError, run_lock
from orchestration.raw_encodings import RawEncodingError, utf8_copies
from orchestration.settings import BUNDLED_SAMPLE_DIR, DBT_PROJECT_DIR, REPO_ROOT, Settings


def run_dbt(
    settings: Settings, arguments: list[str], extra_environment: dict[str, str] | None = None
) -> int:
    """Run dbt with these arguments on the configured files; return dbt's exit code.

    First the raw files that are not UTF-8 get their UTF-8 copies, which dbt reads
    (RawEncodingError when the folder's encoding settings cannot be used).
    """
    settings.build_path.parent.mkdir(parents=True, exist_ok=True)
    settings.temp_dir.mkdir(parents=True, exist_ok=True)
    if arguments[:1] != ["parse"]:
        utf8_copies(settings)
    dbt = Path(sys.executable).with_name("dbt")
    completed = subprocess.run(
        [str(dbt), *arguments],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, **settings.dbt_environment(), **(extra_environment or {})},
        check=False,
    )
    return completed.returncode


# dbt arguments that choose nodes: a build with them is the user's own selection.
_SELECTING = ("--select", "-s", "--exclude", "--selector", "--models", "-m", "--resource-type")


def build_with_fit_step(settings: Settings, arguments: list[str]) -> int:
    """`dbt build`, where the CLV fit step makes the predictive tables: dbt builds everything
    but the models reading the step's tables, the step runs (in a process of its own, after
    dbt's has ended), then dbt builds those models and everything after them.

    With a selection of their own among `arguments`, one `dbt build` as asked (the models
    reading the step's tables then say that it did not run: macros/clv_fit_step.sql).
    """
    if any(argument.split("=")[0] in _SELECTING for argument in arguments):
        print(
            "A dbt selection was given: one `dbt build` as asked, without the CLV fit step "
            "(the predictive tables are those of the last step)."
        )
        return run_dbt(settings, ["build", *arguments])
    returncode = run_dbt(settings, ["build", *arguments, *clv_fit_step.BEFORE_STEP])
    if returncode != 0:
        return returncode
    print("\nCLV fit step (orchestration/clv_fit_step.py):", flush=True)
    step = clv_fit_step.run_in_process(settings)
    print(step.stdout, end="")
    if step.returncode != 0:
        print(step.stderr[-6000:], file=sys.stderr)
        print(f"\nThe CLV fit step failed (exit {step.returncode}).", file=sys.stderr)
        return step.returncode
    print(flush=True)
    return run_dbt(
        settings,
        ["build", *arguments, *clv_fit_step.AFTER_STEP],
        {clv_fit_step.RAN_VARIABLE: "1"},
    )


def publish_marts(settings: Settings) -> int:
    from orchestration.publish import SPARK_BI_NOTE, PublishError, publish, spark_marts

    if settings.dbt_target == "spark":
        tables = spark_marts(settings)
        print(f"\n{SPARK_BI_NOTE}")
        for table in tables:
            print(f"  {table.schema}.{table.name:<32} {table.rows_text:>15}")
        return 0
    try:
        tables = publish(
            settings.build_path, settings.warehouse_path, storage_version=settings.storage_version
        )
    except PublishError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"\nPublished {len(tables)} tables to {settings.warehouse_path}:")
    for table in tables:
        print(f"  {table.schema}.{table.name:<32} {table.rows_text:>15}")
    return 0


def run_pipeline(settings: Settings) -> int:
    """Execute loyalty_refresh_job in this process and print where the outputs are."""
    home = ensure_dagster_home(settings)
    from dagster import DagsterInstance

    # The code location as Dagster loads it: built from the same environment.
    from orchestration.definitions import defs
    from orchestration.publish import SPARK_BI_NOTE
    from orchestration.retention import prune

    job = defs.resolve_job_def("loyalty_refresh_job")
    run_config: dict = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    if settings.dbt_target == "spark":
        print(
            f"LOYALTY_DBT_TARGET=spark: this run builds on Spark (tables under "
            f"{settings.spark_dir}); the campaign wave reads the Spark marts and writes its "
            "lists there; no DuckDB file is published (docs/spark.md)."
        )
    if settings.raw_dir.resolve() == BUNDLED_SAMPLE_DIR.resolve():
        # The bundled sample ends on a fixed day, weeks before today: its lists
        # would be stopped as stale data, so this run says to make them anyway.
        print(
            "The raw folder is the bundled sample (data up to its fixed as-of date): the "
            "campaign wave runs with allow_stale_data, which a run on your own data does not."
        )
        run_config["ops"] = {"campaign_wave": {"config": {"allow_stale_data": True}}}
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config=run_config
        )
        pruned = prune(instance, DBT_PROJECT_DIR / "target", settings.keep_runs, settings.keep_days)
    print(
        f"Disk: {pruned.describe()} (keeping {settings.keep_runs} runs, "
        f"{settings.keep_days:g} days; LOYALTY_KEEP_RUNS, LOYALTY_KEEP_DAYS)."
    )
    if not result.success:
        lock_error = _run_lock_error(result)
        if lock_error:
            print(
                f"\nerror: {lock_error} Nothing was run (run id {result.run_id}).", file=sys.stderr
            )
            return 1
        print(
            f"\nThe run failed (run id {result.run_id}); nothing was published and no campaign "
            "list was written. The messages above name the failing model or test; "
            f"the run is also in the Dagster UI (DAGSTER_HOME={home}).",
            file=sys.stderr,
        )
        return 1
    print(f"\nRun {result.run_id} succeeded (DAGSTER_HOME={home}).")
    for event in result.get_asset_materialization_events():
        key = event.asset_key
        metadata = event.materialization.metadata
        if key.path[0] == "campaigns" and "export" in metadata:
            print(
                f"  campaign list {key.path[-1]:<28} {metadata['row_count'].value:>6,} customers"
                f"  -> {metadata['export'].value}"
            )
        elif key.path == ["published_warehouse"]:
            if settings.dbt_target == "spark":
                print(f"\n{SPARK_BI_NOTE}")
            else:
                print(
                    "\nMarts for BI tools (open read-only, schema `marts`): "
                    f"{settings.warehouse_path}"
                )
            print(metadata["tables"].value)
    if settings.dbt_target == "spark":
        print(f"\nSpark tables (every schema) and metastore: {settings.spark_dir}")
    else:
        print(
            f"\nBuild warehouse (staging, quarantine, restricted, campaigns): {settings.build_path}"
        )
    return 0


def _run_lock_error(result) -> str | None:
    """The message of a run that stopped because another run held the build warehouse."""
    for event in result.all_events:
        if event.is_failure and event.event_specific_data is not None:
            error = getattr(event.event_specific_data, "error", None)
            while error is not None:
                if error.cls_name == "RunLockError":
                    return error.message.split(": ", 1)[-1].strip()
                error = error.cause
    return None


def dagster_dev(settings: Settings, extra_args: list[str]) -> int:
    """The Dagster UI and daemon on the code location of workspace.yaml, until stopped.

    The two processes `dagster dev` starts, started directly: `dagster dev`
    is superseded (by `dg dev`, which needs the dg tooling and its project
    layout), and the webserver and daemon are Dagster's current entry points.
    extra_args go to the webserver (e.g. --host 127.0.0.1 --port 3001).

    They run in a process group of their own, with the code servers and runs
    they start. SIGTERM or SIGINT (Ctrl-C) to this process, or either of
    the two ending, stops the whole group: SIGTERM, then SIGKILL to what is
    left after DEV_STOP_GRACE_SECONDS.
    """
    ensure_dagster_home(settings)
    # Create the instance's storage once, here: on a new DAGSTER_HOME the
    # daemon and the webserver would both create it at start, and can collide
    # ("Version table 'alembic_version' has more than one head present").
    from dagster import DagsterInstance

    with DagsterInstance.get():
        pass
    stop_signals = []

    def on_stop_signal(signum: int, _frame: object) -> None:
        stop_signals.append(signum)

    previous = {
        signum: signal.signal(signum, on_stop_signal) for signum in (signal.SIGTERM, signal.SIGINT)
    }
    executables = Path(sys.executable).parent
    workspace = ["--workspace", str(REPO_ROOT / "workspace.yaml")]
    daemon = subprocess.Popen(
        [str(executables / "dagster-daemon"), "run", *workspace], cwd=REPO_ROOT, process_group=0
    )
    processes = [daemon]
    try:
        processes.append(
            subprocess.Popen(
                [str(executables / "dagster-webserver"), *workspace, *extra_args],
                cwd=REPO_ROOT,
                process_group=daemon.pid,
            )
        )
        while not stop_signals and all(process.poll() is None for process in processes):
            time.sleep(0.2)
    finally:
        _stop_process_group(daemon.pid, processes)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if stop_signals:
        return 0
    return next(process.returncode for process in processes if process.returncode is not None)


# How long the webserver, the daemon and their code servers get to stop on SIGTERM.
DEV_STOP_GRACE_SECONDS = 3.0


def _group_running(group: int) -> bool:
    """Whether a process of the group still runs (ended ones not yet collected do not)."""
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == group and process.status() != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, psutil.Error):  # it ended while we looked
            continue
    return False


def _stop_process_group(group: int, processes: list[subprocess.Popen]) -> None:
    """SIGTERM to the process group, SIGKILL to what is left after the grace time."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + DEV_STOP_GRACE_SECONDS
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(deadline - time.monotonic(), 0.01))
    while time.monotonic() < deadline:
        if not _group_running(group):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    for process in processes:
        process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.cli",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="environment variables (unset or empty: the default):\n"
        + "\n".join(
            f"  {variable:<32} {description} Default: {default or 'empty'}"
            for variable, default, description in Settings.documented()
        ),
    )
    parser.add_argument("command", choices=["run", "build", "publish", "dev", "dbt"])
    parser.add_argument(
        "extra_args", nargs=argparse.REMAINDER, help="arguments for dbt or the webserver"
    )
    arguments = parser.parse_args(argv)
    settings = Settings.from_environment()
    if arguments.command == "dev":
        return dagster_dev(settings, arguments.extra_args)
    if arguments.command == "dbt" and arguments.extra_args[:1] == ["parse"]:
        return run_dbt(settings, arguments.extra_args)
    if arguments.command == "run":
        if arguments.extra_args:
            parser.error("`run` takes no dbt arguments; use `build` (then `publish`) for that.")
        print(f"Raw data: {settings.raw_dir}")
        # The run takes the run lock itself (WarehouseResource), as a scheduled run does.
        return run_pipeline(settings)
    # Every other command reads or writes the build warehouse: one at a time
    # with the runs, so none meets DuckDB's file lock.
    command = " ".join(["orchestration.cli", arguments.command, *arguments.extra_args])
    try:
        with run_lock(settings, f"`{command}`"):
            return _locked_command(settings, arguments.command, arguments.extra_args)
    except (RunLockError, RawEncodingError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def _locked_command(settings: Settings, command: str, extra_args: list[str]) -> int:
    if command == "dbt":
        return run_dbt(settings, extra_args)
    print(f"Raw data: {settings.raw_dir}")
    if command == "build":
        if clv_fit_step.fits_outside_dbt(settings):
            returncode = build_with_fit_step(settings, extra_args)
        else:
            returncode = run_dbt(settings, ["build", *extra_args])
        if returncode != 0:
            print(
                f"\ndbt build failed (exit {returncode}); nothing was published. "
                "The messages above name the failing model or test.",
                file=sys.stderr,
            )
        return returncode
    return publish_marts(settings)


if __name__ == "__main__":
    sys.exit(main())
