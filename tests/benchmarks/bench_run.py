"""Benchmark (not a test): where the wall time of `make run` goes, phase by phase.

    .venv/bin/python tests/benchmarks/bench_run.py [--runs 2] [--work-dir DIR] [--dbt-alone]

Runs `python -m orchestration.cli run` (what `make run` runs) on the bundled
sample in a fresh process, with its warehouse, exports, DAGSTER_HOME and dbt
target folder in a temporary folder, so the first run starts from an empty
warehouse like a fresh clone; further runs (--runs) reuse it, like a daily run
on the same data (the predictive CLV fit is kept: same inputs). As `make venv`
does, dbt first parses the project once with the runs' environment, and the
code location's manifest is brought up to date (not measured). Each run
prints one table:

- start-up: process start until Python runs the first line of the command;
- code location load: importing orchestration.definitions (Dagster, dagster-dbt,
  the dbt manifest, the campaign rules);
- run set-up: from there to the start of the first step (instance, run record,
  execution plan);
- dbt: every dbt step, split into what happens before the dbt process starts
  (the raw files' state, the UTF-8 copies), dbt's start-up and parse, dbt's nodes (first
  node started to last node finished, from run_results.json) and the tail
  (artifacts written, the last events turned into Dagster events);
- campaigns: the campaign wave step;
- publish: the published warehouse step;
- tear-down: last step finished until the process exits;
- CPU seconds of the Python process and of the dbt processes it started
  (less sensitive to other load on the machine than the wall times).

Then dbt's own share: the summed node times per resource type (with 2
threads they add up to more than the wall time of the nodes). With
--dbt-alone, also `dbt build` with the same arguments without Dagster, on an
empty warehouse, for comparison. The machine's load average is printed
before and after: figures taken on a busy machine are not comparable.

Figures (2026-12-03 21:40 UTC, after 6596633, an otherwise idle machine
whose 2 cores ran `make test` in 175 s where the machine of the figures
before took 320-357 s; load average 1.7-2.3 from the run before it;
83 models, 11 seeds, 244 data tests):

                                 run 1     run 2
    code location load             2.5       2.5
    run set-up                     0.9       0.7
    observe raw files              0.3       0.3
    dbt: before the dbt process    0.0       0.1
         start-up and parse        2.6       2.6
         nodes                    11.4      10.4
         after the last node       2.3       2.1
    campaigns, publish         1.2+0.8   1.1+0.8
    total wall                    23.9      21.7
    CPU Python / dbt           7.3/18.3  7.2/15.6
    dbt node seconds, models / tests
                             11.1/7.5  10.5/7.4

The 20 s target is not met: dbt alone takes 16 to 18 CPU seconds a run.
Where the time goes (py-spy of a whole run, this machine): dbt's nodes,
mostly dbt's own Python per node rather than the SQL on the sample (a
model's materialization, contract and comment statements; a test compiled
and run as a query of its own; dbt's events, about 3.6 CPU seconds of
the run, a fifth of dbt's); dbt's start-up (importing dbt 1.5 s, the
partial-parsing state 0.7 s, the manifest written 0.3 s, the on-run-start
raw contract check 0.6 s); the code location load (imports, 3 CPU
seconds: Dagster, dagster-dbt, which imports dbt, pandas, matplotlib);
after dbt's last node, dbt writing its artifacts (the manifest again) and
exiting (about 1 s), then row counts, column schemas and headline charts
(0.5 s) and Dagster storing the outputs and events (about 1 s); the campaign
wave (its Excel workbooks 0.7 s) and publish (0.9 s). The runs' dbt partial
parse is hit (no "Unable to do partial parsing" line in the runs' dbt.log).
dbt is bound by Python's one lock: four dbt threads are no faster than two
(25.3 and 24.1 s), and dbt's log file at warn instead of info saves about
0.5 CPU seconds (not changed: the per-run dbt.log is what operators read).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
TARGET_SECONDS = 20

# Runs in the measured process: the same entry point as `make run`, with two timestamps.
CHILD = """
import json, resource, sys, time
started = time.time()
import orchestration.definitions
loaded = time.time()
from orchestration.cli import main
code = main(["run"])
own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print("BENCH " + json.dumps({
    "started": started, "loaded": loaded, "ended": time.time(),
    "cpu_python": own.ru_utime + own.ru_stime, "cpu_dbt": children.ru_utime + children.ru_stime,
}))
sys.exit(code)
"""

PHASE_OF_STEP = {"campaign_wave": "campaigns", "published_warehouse": "publish"}


def _environment(work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LOYALTY_RAW_DIR": str(REPO_ROOT / "seeds" / "sample"),
        "LOYALTY_DUCKDB_PATH": str(work / "loyalty.duckdb"),
        "LOYALTY_DUCKDB_BUILD_PATH": str(work / "build" / "loyalty_build.duckdb"),
        "LOYALTY_DUCKDB_TEMP_DIR": str(work / "build" / "tmp"),
        "LOYALTY_EXPORTS_DIR": str(work / "exports"),
        "DAGSTER_HOME": str(work / "dagster_home"),
        # dbt's artifacts and partial-parsing state, apart from the project's own.
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DAGSTER_DISABLE_TELEMETRY": "1",
    }


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _timestamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _dbt_results(target: Path, run_id: str, step: str) -> dict:
    """run_results.json of a dbt step (dagster-dbt's target folder `<step>-<run id>-<hash>`)."""
    (path,) = target.glob(f"{step}-{run_id[:7]}-*/run_results.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _node_span(results: dict) -> tuple[float, float]:
    """First node started, last node finished (epoch seconds)."""
    timings = [timing for result in results["results"] for timing in result["timing"]]
    return (
        min(_timestamp(timing["started_at"]) for timing in timings),
        max(_timestamp(timing["completed_at"]) for timing in timings),
    )


def _phases(work: Path, launched: float, child: dict) -> tuple[list[tuple[str, float]], dict]:
    os.environ["DAGSTER_HOME"] = str(work / "dagster_home")
    from dagster import DagsterEventType, DagsterInstance

    with DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        logs = instance.all_logs(run.run_id)
    starts, ends, dbt_commands = {}, {}, defaultdict(dict)
    for entry in logs:
        event = entry.dagster_event
        if event and event.event_type == DagsterEventType.STEP_START:
            starts[entry.step_key] = entry.timestamp
        elif event and event.event_type in (
            DagsterEventType.STEP_SUCCESS,
            DagsterEventType.STEP_FAILURE,
        ):
            ends[entry.step_key] = entry.timestamp
        elif entry.user_message.startswith("Running dbt command"):
            dbt_commands[entry.step_key]["running"] = entry.timestamp
        elif entry.user_message.startswith("Finished dbt command"):
            dbt_commands[entry.step_key]["finished"] = entry.timestamp
    results = [_dbt_results(work / "target", run.run_id, step) for step in dbt_commands]

    rows = [
        ("start-up", child["started"] - launched),
        ("code location load", child["loaded"] - child["started"]),
        ("run set-up", min(starts.values()) - child["loaded"]),
    ]
    for step in sorted(starts, key=starts.get):
        seconds = ends.get(step, starts[step]) - starts[step]
        if step in dbt_commands:
            first_node, last_node = _node_span(_dbt_results(work / "target", run.run_id, step))
            command = dbt_commands[step]
            rows += [
                (f"dbt: {step}", seconds),
                ("  before the dbt process", command["running"] - starts[step]),
                ("  dbt start-up and parse", first_node - command["running"]),
                ("  dbt nodes", last_node - first_node),
                ("  after the last node", ends[step] - last_node),
            ]
        else:
            rows.append((f"{PHASE_OF_STEP.get(step, step)}: {step}", seconds))
    rows += [
        ("tear-down", child["ended"] - max(ends.values())),
        ("total (process wall time)", time.time() - launched),
        ("CPU of the Python process (Dagster, dagster-dbt)", child["cpu_python"]),
        ("CPU of its dbt processes", child["cpu_dbt"]),
    ]
    by_type: dict[str, list[float]] = defaultdict(list)
    for result in results:
        for node in result["results"]:
            by_type[node["unique_id"].split(".")[0]].append(node["execution_time"])
    return rows, {kind: (len(times), sum(times)) for kind, times in sorted(by_type.items())}


def measure(work: Path, log: Path) -> tuple[list[tuple[str, float]], dict, float]:
    launched = time.time()
    with log.open("w", encoding="utf-8") as output:
        completed = subprocess.run(
            [sys.executable, "-c", CHILD],
            cwd=REPO_ROOT,
            env=_environment(work),
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    wall = time.time() - launched
    if completed.returncode != 0:
        raise SystemExit(f"the run failed (exit {completed.returncode}); see {log}")
    line = next(
        line for line in log.read_text(encoding="utf-8").splitlines() if line.startswith("BENCH ")
    )
    rows, by_type = _phases(work, launched, json.loads(line.removeprefix("BENCH ")))
    return rows, by_type, wall


def dbt_alone(work: Path) -> tuple[float, float]:
    """`dbt build` as the run's dbt step calls it, without Dagster, on an empty warehouse.

    Returns wall and CPU seconds (of the dbt process).
    """
    sys.path.insert(0, str(REPO_ROOT))
    from orchestration.assets.dbt import dbt_build_args
    from orchestration.settings import Settings

    env = _environment(work)
    settings = Settings.from_environment(env)
    settings.build_path.parent.mkdir(parents=True, exist_ok=True)
    settings.temp_dir.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "build", *dbt_build_args(settings)],
        cwd=DBT_PROJECT_DIR,
        env={**env, **settings.dbt_environment(), "DBT_TARGET_PATH": str(work / "target")},
        check=False,
        capture_output=True,
        text=True,
    )
    wall = time.time() - started
    if completed.returncode != 0:
        raise SystemExit(f"dbt build failed:\n{completed.stdout[-3000:]}{completed.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


def _print(rows: list[tuple[str, float]], by_type: dict) -> None:
    for name, seconds in rows:
        print(f"  {name:<44} {seconds:>7.1f} s")
    print("  dbt's own node time, summed per resource type:")
    for kind, (count, seconds) in by_type.items():
        print(f"    {kind:<20} {count:>4} nodes {seconds:>7.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs on the same warehouse")
    parser.add_argument("--work-dir", help="where the run writes (default: a temp folder)")
    parser.add_argument("--dbt-alone", action="store_true", help="also time plain dbt build")
    arguments = parser.parse_args()
    work = Path(arguments.work_dir or tempfile.mkdtemp(prefix="loyalty_bench_run_"))
    work.mkdir(parents=True, exist_ok=True)
    # As `make venv` does: dbt parses once with the environment runs give it, so
    # the runs start from a partial-parsing state made with the same profile.
    subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "dbt", "parse", "--quiet"],
        cwd=REPO_ROOT,
        env=_environment(work),
        check=True,
        capture_output=True,
    )
    # ... and the code location's own manifest is current (after an edit of the dbt
    # project the first measured run would otherwise parse it during the load).
    subprocess.run(
        [sys.executable, "-c", "from orchestration.project import load_manifest; load_manifest()"],
        cwd=REPO_ROOT,
        env={**_environment(work), "DBT_TARGET_PATH": str(DBT_PROJECT_DIR / "target")},
        check=True,
        capture_output=True,
    )
    print(f"machine: {os.cpu_count()} cores; load average (1, 5, 15 min) {_load()}")
    for number in range(1, arguments.runs + 1):
        kind = "empty warehouse" if number == 1 else "same data again"
        rows, by_type, wall = measure(work, work / f"run_{number}.log")
        verdict = "met" if wall < TARGET_SECONDS else f"missed by {wall - TARGET_SECONDS:.1f} s"
        print(
            f"run {number} ({kind}): {wall:.1f} s (target under {TARGET_SECONDS} s: {verdict}); "
            f"load average now {_load()}"
        )
        _print(rows, by_type)
    if arguments.dbt_alone:
        wall, cpu = dbt_alone(work / "dbt_alone")
        print(
            f"dbt build alone (no Dagster, empty warehouse): {wall:.1f} s wall, {cpu:.1f} s CPU; "
            f"load average now {_load()}"
        )
    print(f"logs and files: {work}")


if __name__ == "__main__":
    main()
