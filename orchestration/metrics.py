"""MetricFlow's CLI on this project, offline: `python -m orchestration.metrics <mf arguments>`.

    .venv/bin/python -m orchestration.metrics list metrics
    .venv/bin/python -m orchestration.metrics query --metrics total_clv \\
        --group-by customer__value_tier,metric_time__month

The same as `mf` (dbt-metricflow), with two differences:

- `mf` asks PyPI for a newer release before every command (update_checker,
  one-second timeout, no setting to switch it off); nothing this project runs
  may reach the network, so the check is replaced by "no update" here;
- it runs in the dbt project folder with the environment runs give dbt
  (Settings), so it reads the build warehouse of `make run`. Run `make run`
  (or `dbt build`) first, and not while a build is writing the warehouse.
"""

from __future__ import annotations

import os
import sys

import update_checker

from orchestration.settings import DBT_PROJECT_DIR, Settings


def _no_update(self: update_checker.UpdateChecker, package_name: str, version: str) -> None:
    return None


def main(arguments: list[str] | None = None) -> int:
    update_checker.UpdateChecker.check = _no_update
    from dbt_metricflow.cli.main import cli

    settings = Settings.from_environment()
    settings.temp_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update(settings.dbt_environment())
    os.chdir(DBT_PROJECT_DIR)
    try:
        cli.main(args=arguments if arguments is not None else sys.argv[1:], prog_name="mf")
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
