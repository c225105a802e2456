"""The raw data contract the generator writes: the columns of each table of dbt source `crm`.

Read from the dbt project's sources YAML (the one list of raw tables and
columns), so a column added to the contract is a column the generator must
fill: generator.py builds every table with exactly these columns, in this order.
"""

from __future__ import annotations

from pathlib import Path

import yaml

SOURCES_YAML = (
    Path(__file__).resolve().parents[2]
    / "dbt_project"
    / "models"
    / "staging"
    / "crm"
    / "_crm__sources.yml"
)
SOURCE_NAME = "crm"


def raw_columns(path: Path = SOURCES_YAML) -> dict[str, list[str]]:
    """{table: [column, ...]} of source `crm`, in the order of the YAML."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    (source,) = (source for source in document["sources"] if source["name"] == SOURCE_NAME)
    return {
        table["name"]: [column["name"] for column in table["columns"]] for table in source["tables"]
    }
