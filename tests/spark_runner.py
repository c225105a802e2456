"""Build the project on Spark (LOYALTY_DBT_TARGET=spark) and read what it built, for tests.

dbt runs in its own process through the project's command line (as `make build`
does), because a process holds one Spark session, with one metastore, for
good; the tables are then read by a second short process
(`python -m tests.spark_runner <spark dir> <queries file> <results file>`).
Each process starts a JVM (about 20 s).
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

from orchestration.settings import Settings
from tests.dbt_runner import REPO_ROOT


def spark_lane_missing() -> str | None:
    """Why Spark cannot run here (None when it can): the Spark lane is installed apart."""
    if (
        importlib.util.find_spec("pyspark") is None
        or importlib.util.find_spec("dbt.adapters.spark") is None
    ):
        return "the Spark lane is not installed (make spark-venv: dbt-spark and pyspark)"
    if shutil.which("java") is None:
        return "Spark needs Java 17 (Debian: apt-get install -y openjdk-17-jre-headless)"
    return None


def spark_settings(raw_dir: Path, work_dir: Path) -> Settings:
    return Settings(
        raw_dir=raw_dir,
        build_path=work_dir / "build" / "warehouse.duckdb",
        temp_dir=work_dir / "build" / "tmp",
        dbt_target="spark",
        spark_dir=work_dir / "spark",
    )


def _environment(settings: Settings, work_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        **settings.dbt_environment(),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "DBT_TARGET_PATH": str(work_dir / "target"),
        "DBT_LOG_PATH": str(work_dir / "logs"),
        "PYTHONWARNINGS": "ignore",
    }


def spark_cli(
    raw_dir: Path, work_dir: Path, command: str, *args: str
) -> subprocess.CompletedProcess:
    """`python -m orchestration.cli <command> <args>` on Spark of the raw folder.

    `build` (as `make build` runs it): dbt, the CLV fit step, dbt again, so every
    model is built; `dbt build ...`: one dbt call as given.
    """
    settings = spark_settings(raw_dir, work_dir)
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", command, *args],
        cwd=REPO_ROOT,
        env=_environment(settings, work_dir),
        capture_output=True,
        text=True,
        check=False,
    )


def spark_query(work_dir: Path, queries: dict[str, str]) -> dict[str, tuple[list[str], list]]:
    """{name: (column names, rows as tuples)} of each query on the Spark tables in work_dir."""
    queries_file = work_dir / "queries.pickle"
    results_file = work_dir / "results.pickle"
    queries_file.write_bytes(pickle.dumps(queries))
    completed = subprocess.run(
        [sys.executable, "-m", "tests.spark_runner", str(work_dir / "spark"), str(queries_file)]
        + [str(results_file)],
        cwd=REPO_ROOT,
        env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYTHONWARNINGS": "ignore"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return pickle.loads(results_file.read_bytes())


def _read(spark_dir: str, queries_file: str, results_file: str) -> None:
    from pyspark.sql import SparkSession

    # The settings of the spark output of dbt_project/profiles.yml.
    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.warehouse.dir", f"{spark_dir}/warehouse")
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={spark_dir}/metastore_db;create=true",
        )
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={spark_dir}")
        .enableHiveSupport()
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    results = {}
    for name, sql in pickle.loads(Path(queries_file).read_bytes()).items():
        frame = session.sql(sql)
        results[name] = (frame.columns, [tuple(row) for row in frame.collect()])
    Path(results_file).write_bytes(pickle.dumps(results))
    session.stop()


if __name__ == "__main__":
    _read(*sys.argv[1:4])
