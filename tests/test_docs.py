"""Docs a user relies on: described marts, a generated raw contract, a short README, working links.

The repository must stand alone: no file may point at material outside it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from orchestration.docs_contract import CONTRACT_PAGE, SOURCES_YAML, render_raw_contract
from tests.dbt_runner import DBT_PROJECT_DIR, REPO_ROOT

MODEL_DIR = DBT_PROJECT_DIR / "models"
README = REPO_ROOT / "README.md"
DOC_PAGES = sorted((REPO_ROOT / "docs").glob("*.md"))
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~)")


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


# ---- The raw data contract page is generated from the sources YAML --------------------


def test_raw_contract_page_is_up_to_date_with_the_sources_yaml():
    assert CONTRACT_PAGE.read_text(encoding="utf-8") == render_raw_contract(), (
        "docs/raw-data-contract.md is stale: run `make docs`."
    )


def test_raw_contract_page_has_one_row_per_raw_column(tmp_path):
    """The generator itself: every column of a small YAML becomes one row, typed and flagged."""
    sources = tmp_path / "_crm__sources.yml"
    sources.write_text(
        yaml.safe_dump(
            {
                "sources": [
                    {
                        "name": "crm",
                        "description": "Two tables.",
                        "tables": [
                            {
                                "name": "orders",
                                "description": "One row per order.",
                                "columns": [
                                    {
                                        "name": "order_id",
                                        "data_type": "varchar",
                                        "description": "Key | unique.",
                                        "meta": {"required": True},
                                    },
                                    {"name": "channel", "data_type": "varchar"},
                                ],
                            },
                            {
                                "name": "products",
                                "description": "One row per\nproduct.",
                                "columns": [{"name": "launched_date", "data_type": "date"}],
                            },
                        ],
                    }
                ]
            }
        )
    )
    page = render_raw_contract(sources, repo_root=tmp_path)
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    assert rows == [
        "| `order_id` | varchar | required | Key \\| unique. |",
        "| `channel` | varchar | optional |  |",
        "| `launched_date` | date | optional |  |",
    ]
    assert "## orders" in page and "## products" in page
    assert "| [orders](#orders) | `order_id` |" in page
    assert "| [products](#products) |  |" in page
    assert "Files `products*.csv` or `products*.parquet`. One row per product." in page


def test_raw_contract_page_covers_the_real_sources_yaml():
    sources = yaml.safe_load(SOURCES_YAML.read_text(encoding="utf-8"))
    page = CONTRACT_PAGE.read_text(encoding="utf-8")
    missing = []
    for table in sources["sources"][0]["tables"]:
        assert f"## {table['name']}\n" in page
        for column in table["columns"]:
            required = "required" if (column.get("meta") or {}).get("required") else "optional"
            if f"| `{column['name']}` | {column['data_type']} | {required} |" not in page:
                missing.append(f"{table['name']}.{column['name']}")
    assert missing == []


# ---- The README fits a screen and leads into docs/ ------------------------------------


def test_readme_fits_a_screen_and_gives_the_two_commands_first():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < 150
    first_screen = lines[:40]
    assert any(line.startswith("make run") for line in first_screen)
    assert any(line.startswith("make test") for line in first_screen)
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def _github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation dropped, dashes."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    anchors, in_code = set(), False
    for line in page.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_code = not in_code
        elif not in_code and line.startswith("#"):
            anchors.add(_github_anchor(line.lstrip("#")))
    return anchors


def _relative_links(page: Path) -> list[str]:
    links, in_code = [], False
    for line in page.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_code = not in_code
        elif not in_code:
            links += [
                target
                for target in LINK.findall(line)
                if not re.match(r"[a-z]+:", target) and not target.startswith("#!")
            ]
    return links


def _broken_links(page: Path) -> list[str]:
    broken = []
    for link in _relative_links(page):
        path_part, _, anchor = link.partition("#")
        target = (page.parent / path_part).resolve() if path_part else page
        if not target.is_file() or (
            target.suffix == ".md" and anchor and anchor not in _anchors(target)
        ):
            broken.append(link)
    return broken


def test_readme_links_into_docs():
    links = _relative_links(README)
    linked_pages = {link.partition("#")[0] for link in links}
    assert {f"docs/{page.name}" for page in DOC_PAGES} <= linked_pages
    assert _broken_links(README) == []


@pytest.mark.parametrize("page", DOC_PAGES, ids=lambda page: page.name)
def test_links_between_doc_pages_resolve(page):
    assert _broken_links(page) == []


def test_dbt_docs_open_on_an_overview_that_points_at_existing_pages():
    overview = (MODEL_DIR / "overview.md").read_text(encoding="utf-8")
    assert overview.startswith("{% docs __overview__ %}")
    mentioned = set(re.findall(r"docs/[\w-]+\.md", overview))
    for path in [
        DBT_PROJECT_DIR / "dbt_project.yml",
        *(DBT_PROJECT_DIR / "seeds").rglob("*.yml"),
        *MODEL_DIR.rglob("*.yml"),
    ]:
        mentioned |= set(re.findall(r"docs/[\w-]+\.md", path.read_text(encoding="utf-8")))
    assert mentioned
    assert sorted(name for name in mentioned if not (REPO_ROOT / name).is_file()) == []


def test_every_mart_is_in_the_dbt_docs_overview_and_the_marts_guide():
    """A newcomer finds a mart from the page dbt docs open on, and from docs/marts.md's table."""
    marts = {model["name"] for model in _models("marts")}
    overview = (MODEL_DIR / "overview.md").read_text(encoding="utf-8")
    in_overview = set(re.findall(r"\(#!/model/model\.loyalty_marts\.(\w+)\)", overview))
    guide = (REPO_ROOT / "docs" / "marts.md").read_text(encoding="utf-8")
    in_guide = set(re.findall(r"^\| \[`(\w+)`\]", guide, re.MULTILINE))
    assert sorted(marts - in_overview) == []
    assert sorted(marts - in_guide) == []


def test_dbt_docs_overview_lists_every_doc_page():
    overview = (MODEL_DIR / "overview.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^- `(docs/[\w-]+\.md)`", overview, re.MULTILINE))
    assert sorted({f"docs/{page.name}" for page in DOC_PAGES} - listed) == []


def _refs(exposure: dict) -> set[str]:
    return {re.fullmatch(r"ref\('(\w+)'\)", ref).group(1) for ref in exposure["depends_on"]}


def test_exposures_name_every_mart_and_what_the_campaign_step_reads():
    from orchestration.assets.campaigns import UPSTREAM
    from orchestration.campaigns import load_campaigns
    from orchestration.campaigns.columns import marts_read

    exposures = {
        exposure["name"]: exposure
        for exposure in yaml.safe_load((MODEL_DIR / "exposures.yml").read_text())["exposures"]
    }
    marts = {model["name"] for model in _models("marts")}
    assert _refs(exposures["published_warehouse"]) == marts
    read = {key.path[-1] for key in UPSTREAM}
    read |= {mart for campaign in load_campaigns() for mart in marts_read(campaign)}
    assert _refs(exposures["campaign_lists"]) == read


# ---- The repository stands alone ------------------------------------------------------

# Pointers at material outside the repository: the team's shared folder, the
# domain brief it distils, and the source articles by number.
OUTSIDE_REFERENCE = re.compile(
    r"\.\./shared|shared/domain|\bbrief\b|\barticles? 0\d\d\b", re.IGNORECASE
)


def _repository_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [REPO_ROOT / name for name in listed if (REPO_ROOT / name).is_file()]


def test_no_file_refers_outside_the_repository():
    this_file = Path(__file__).resolve()
    offending = []
    for path in _repository_files():
        if path.resolve() == this_file:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if OUTSIDE_REFERENCE.search(line):
                offending.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()[:80]}")
    assert offending == []
