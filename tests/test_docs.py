"""Docs a user relies on: every mart and column described, every raw column in the README."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.dbt_runner import DBT_PROJECT_DIR, REPO_ROOT

MODEL_DIR = DBT_PROJECT_DIR / "models"


def _model_yamls(folder: str) -> list[Path]:
    return sorted((MODEL_DIR / folder).rglob("*.yml"))


def _models(folder: str) -> list[dict]:
    return [
        model
        for path in _model_yamls(folder)
        for model in yaml.safe_load(path.read_text()).get("models", [])
    ]


@pytest.mark.parametrize("folder", ["marts", "intermediate", "staging", "quarantine", "restricted"])
def test_every_model_has_a_yaml_beside_it(folder):
    documented = {model["name"] for model in _models(folder)}
    sql_models = {
        path.stem for pattern in ("*.sql", "*.py") for path in (MODEL_DIR / folder).rglob(pattern)
    }
    assert sql_models - documented == set()


@pytest.mark.parametrize("model", _models("marts"), ids=lambda model: model["name"])
def test_every_mart_and_column_is_described(model):
    assert model["description"].startswith("One row per") or model["description"].startswith(
        "One row:"
    )
    assert model["columns"], model["name"]
    undescribed = [
        column["name"] for column in model["columns"] if not column.get("description", "").strip()
    ]
    assert undescribed == []
    untyped = [column["name"] for column in model["columns"] if not column.get("data_type")]
    assert untyped == []


def test_readme_documents_every_raw_column():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    sources = yaml.safe_load((MODEL_DIR / "staging" / "crm" / "_crm__sources.yml").read_text())
    missing = []
    for table in sources["sources"][0]["tables"]:
        assert f"**{table['name']}**" in readme
        for column in table["columns"]:
            required = "required" if (column.get("meta") or {}).get("required") else "optional"
            if f"| `{column['name']}` | {column['data_type']} | {required} |" not in readme:
                missing.append(f"{table['name']}.{column['name']}")
    assert missing == []


def test_readme_first_screen_gives_the_two_commands():
    first_screen = (REPO_ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:40]
    assert any(line.startswith("make run") for line in first_screen)
    assert any(line.startswith("make test") for line in first_screen)
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
