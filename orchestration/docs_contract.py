"""Write docs/raw-data-contract.md from the sources YAML, the one list of raw tables and columns.

    python -m orchestration.docs_contract            # (re)write the page
    python -m orchestration.docs_contract --check    # exit 1 when the page is out of date

`make docs` runs it; tests/test_docs.py checks the page is up to date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT

SOURCES_YAML = DBT_PROJECT_DIR / "models" / "staging" / "crm" / "_crm__sources.yml"
CONTRACT_PAGE = REPO_ROOT / "docs" / "raw-data-contract.md"


def _one_line(text: str | None) -> str:
    """A YAML description as one Markdown table cell."""
    return " ".join((text or "").split()).replace("|", "\\|")


def _table_section(table: dict) -> list[str]:
    name = table["name"]
    lines = [
        f"## {name}",
        "",
        f"Files `{name}*.csv` or `{name}*.parquet`. {' '.join(table['description'].split())}",
        "",
        "| column | type | required | meaning |",
        "|---|---|---|---|",
    ]
    for column in table["columns"]:
        required = "required" if (column.get("meta") or {}).get("required") else "optional"
        lines.append(
            f"| `{column['name']}` | {column['data_type']} | {required} "
            f"| {_one_line(column.get('description'))} |"
        )
    return [*lines, ""]


def render_raw_contract(sources_yaml: Path = SOURCES_YAML, repo_root: Path = REPO_ROOT) -> str:
    """The Markdown page for every table and column of the sources YAML."""
    document = yaml.safe_load(sources_yaml.read_text(encoding="utf-8"))
    relative_yaml = sources_yaml.relative_to(repo_root).as_posix()
    lines = [
        f"<!-- Generated from {relative_yaml} by `make docs`"
        " (python -m orchestration.docs_contract). Edit the YAML, not this page. -->",
        "",
        "# Raw data contract",
        "",
    ]
    for source in document["sources"]:
        lines += [source["description"].strip(), ""]
        lines += ["| table | required columns |", "|---|---|"]
        for table in source["tables"]:
            required = [
                f"`{column['name']}`"
                for column in table["columns"]
                if (column.get("meta") or {}).get("required")
            ]
            lines.append(f"| [{table['name']}](#{table['name']}) | {', '.join(required)} |")
        lines.append("")
        for table in source["tables"]:
            lines += _table_section(table)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.docs_contract")
    parser.add_argument("--check", action="store_true", help="only check the page is up to date")
    arguments = parser.parse_args(argv)
    page = render_raw_contract()
    current = CONTRACT_PAGE.read_text(encoding="utf-8") if CONTRACT_PAGE.exists() else None
    if arguments.check:
        if page != current:
            print(
                f"{CONTRACT_PAGE} is out of date with {SOURCES_YAML}: run `make docs`.",
                file=sys.stderr,
            )
            return 1
        return 0
    if page != current:
        CONTRACT_PAGE.parent.mkdir(parents=True, exist_ok=True)
        CONTRACT_PAGE.write_text(page, encoding="utf-8")
        print(f"Wrote {CONTRACT_PAGE.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
