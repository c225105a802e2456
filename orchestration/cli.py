"""Command line: `python -m orchestration.cli run|build|publish`.

`run` builds the dbt project on the raw folder and publishes the marts to the
warehouse file BI tools read; `build` only runs dbt; `publish` only publishes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from orchestration.publish import PublishError, publish
from orchestration.settings import DBT_PROJECT_DIR, Settings


def dbt_build(settings: Settings, extra_args: list[str]) -> int:
    """Run `dbt build` on the configured raw folder; return dbt's exit code."""
    settings.build_path.parent.mkdir(parents=True, exist_ok=True)
    settings.temp_dir.mkdir(parents=True, exist_ok=True)
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), "build", *extra_args]
    completed = subprocess.run(
        command, cwd=DBT_PROJECT_DIR, env={**os.environ, **settings.dbt_environment()}, check=False
    )
    return completed.returncode


def publish_marts(settings: Settings) -> int:
    try:
        tables = publish(settings.build_path, settings.warehouse_path)
    except PublishError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"\nPublished {len(tables)} tables to {settings.warehouse_path}:")
    for table in tables:
        print(f"  {table.schema}.{table.name:<32} {table.row_count:>10,} rows")
    print(
        "\nBI tools: open that file read-only (DuckDB driver), schema `marts`."
        f"\nThe full build warehouse (staging, quarantine, restricted) is {settings.build_path}."
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.cli", description=__doc__)
    parser.add_argument("command", choices=["run", "build", "publish"])
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER, help="extra arguments for dbt build")
    arguments = parser.parse_args(argv)
    settings = Settings.from_environment()
    print(f"Raw data: {settings.raw_dir}")
    if arguments.command in ("run", "build"):
        returncode = dbt_build(settings, arguments.dbt_args)
        if returncode != 0:
            print(
                f"\ndbt build failed (exit {returncode}); nothing was published. "
                "The messages above name the failing model or test.",
                file=sys.stderr,
            )
            return returncode
    if arguments.command in ("run", "publish"):
        return publish_marts(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
