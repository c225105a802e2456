"""Property: no list ever holds an opted-out, suppressed or held-back customer, whatever the data.

How the test is organised, so that hundreds of examples run in about two minutes:

- `test_no_wave_lists_anyone_it_must_not` (dbt and the wave, few builds). The
  tiny fixture plus GENERATED_CUSTOMERS customers (g000, ...) is built once.
  Each Hypothesis example then draws an independent consent history for
  every generated customer (events and suppressions; known spellings in
  random case, spacing and hyphenation, unknown spellings; times without an
  offset in the example's source time zone, in UTC or with another offset,
  unreadable, missing or in the future; a few rows within the allowed clock
  skew; conflicting versions, exact copies, rows of customers that do not
  exist), writes them as second raw files, rebuilds only the consent
  models with that time zone (var consent_source_time_zone), runs the
  campaign wave (the Dagster asset) and reads every file it exported. An
  oracle written here from the rules in docs/campaigns.md says who must not
  be contacted; none of them is in any export, and everyone else is. With
  EXAMPLES examples that is (EXAMPLES - 1) x GENERATED_CUSTOMERS independent
  customer histories (400) through dbt and the wave (the first example is
  the simplest Hypothesis can draw, without rows). A failing example is
  reported as drawn, not shrunk: each shrinking step would be a dbt build.
- `test_the_engine_never_lists_anyone_it_must_not` (the wave's selection
  alone, pure pandas): 300 examples of random contacts, consent states,
  held-back reasons, suppressions, audiences, priorities, caps, holdout
  shares and contact histories; no member of any list, treated or held
  out, is opted out, held back or suppressed on the wave date.
"""

from __future__ import annotations

import csv
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from dagster import materialize
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from orchestration.assets.campaigns import build_campaign_wave
from orchestration.campaigns.config import Campaign, CampaignConfig, CampaignSettings
from orchestration.campaigns.engine import build_wave
from orchestration.resources import WarehouseResource
from tests.dbt_runner import DBT_PROJECT_DIR, Warehouse
from tests.fixtures.tiny import write_tiny_raw

GENERATED_CUSTOMERS = 80
EXAMPLES = 6  # the first is the simplest Hypothesis can draw: no rows
WAVE_DATE = date(2026, 7, 1)  # the day after the tiny fixture's as-of date
NOW = datetime.now(UTC).replace(microsecond=0, tzinfo=None)  # naive UTC, as the warehouse
CLOCK_SKEW = timedelta(minutes=10)  # var consent_clock_skew_minutes
# Time zones without daylight saving time: a local time names one instant.
SOURCE_ZONES = ["Asia/Shanghai", "UTC", "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Honolulu"]
OFFSETS = [timedelta(hours=8), timedelta(hours=5, minutes=30), timedelta(hours=-3), timedelta(0)]
# The spellings of issue #17, which must be among those read as opt-out or do-not-contact.
ISSUE_SPELLINGS = {
    "opt_out": ["opt-out", "unsubscribe", "Opt Out"],
    "do_not_contact": ["unsubscribed"],
}
UNKNOWN_SPELLINGS = ["maybe", "yes", "", "opt", "0", "opt_outt", "later"]
BROKEN_TIMES = ["not a time", "2026-13-45 10:00:00", "tomorrow"]
CONSENT_OF_FILE = ["opt_in", "opt_in", "opt_out", ""]  # customers file, by index % 4
# When the customers file recorded its answer (UTC). Written with its offset: the file's
# offset-free consent times are local in the zone the customers were built with, which
# stays that of the first build while each example rebuilds the consent models in another.
CONSENT_OF_FILE_AT = datetime(2024, 6, 1)


def _key(spelling: str) -> str:
    """How a spelling is matched: any case, no spaces, hyphens or underscores."""
    return re.sub(r"[\s\u3000_-]", "", spelling.strip().lower())


def _seed_spellings() -> dict[str, dict[str, str]]:
    """field -> {key: canonical value}, from the seed consent_spellings."""
    spellings: dict[str, dict[str, str]] = {"consent": {}, "suppression_reason": {}}
    path = DBT_PROJECT_DIR / "seeds" / "consent_spellings.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            spellings[row["field"]][_key(row["spelling"])] = row["canonical_value"]
    return spellings


SPELLINGS = _seed_spellings()
SPELLINGS_OF = {
    field: {
        value: sorted(
            {spelling for spelling, canonical in known.items() if canonical == value}
            | {spelling for spelling in ISSUE_SPELLINGS.get(value, [])}
        )
        for value in set(known.values())
    }
    for field, known in SPELLINGS.items()
}


def test_the_issue_spellings_are_known():
    for value, spellings in ISSUE_SPELLINGS.items():
        field = "consent" if value == "opt_out" else "suppression_reason"
        assert {SPELLINGS[field].get(_key(spelling)) for spelling in spellings} == {value}


# ---- Drawing raw text ------------------------------------------------------------------------


@st.composite
def spelled(draw, field: str, value: str) -> tuple[str, str | None]:
    """(raw text, the canonical value it stands for or None) for a value of `field`."""
    if draw(st.integers(0, 7)) == 0:
        text = draw(st.sampled_from(UNKNOWN_SPELLINGS))
    else:
        text = draw(st.sampled_from(SPELLINGS_OF[field][value]))
        text = draw(st.sampled_from([str.lower, str.upper, str.title, str]))(text)
        text = text.replace("_", draw(st.sampled_from(["_", " ", "-", ""])))
        text = draw(st.sampled_from(["", " "])) + text + draw(st.sampled_from(["", "  "]))
    return text, SPELLINGS[field].get(_key(text))


@st.composite
def written_time(draw, moment: datetime, zone: str) -> tuple[str, datetime | None]:
    """(raw text, the UTC instant it names or None when unreadable) for a naive UTC moment."""
    form = draw(st.sampled_from(["local"] * 4 + ["utc_z"] * 2 + ["offset"] * 2 + ["broken"]))
    aware = moment.replace(tzinfo=UTC)
    if form == "local":
        return aware.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S"), moment
    if form == "utc_z":
        return aware.strftime("%Y-%m-%dT%H:%M:%SZ"), moment
    if form == "offset":
        offset = draw(st.sampled_from(OFFSETS))
        return aware.astimezone(timezone(offset)).isoformat(sep=" "), moment
    return draw(st.sampled_from(BROKEN_TIMES)), None


def moments(start: datetime, end: datetime) -> st.SearchStrategy[datetime]:
    return st.integers(0, int((end - start).total_seconds())).map(
        lambda seconds: start + timedelta(seconds=seconds)
    )


@dataclass
class Row:
    """One raw row as written, and what it means (None: it cannot be trusted)."""

    row_id: str
    customer_id: str
    texts: tuple[str, ...]
    value: str | None  # consent or reason, canonical
    at: datetime | None  # recorded_at / suppressed_at, UTC
    lifted_at: datetime | None = None
    lifted_ok: bool = True


@st.composite
def consent_event(draw, customer_id: str, number: int, zone: str) -> list[Row]:
    value = draw(st.sampled_from(["opt_in", "opt_out"]))
    text, canonical = draw(spelled("consent", value))
    when = draw(
        st.sampled_from(
            [moments(datetime(2024, 1, 1), NOW - timedelta(hours=1))] * 8
            + [
                moments(NOW, NOW + timedelta(minutes=5)),  # clock skew: fine
                moments(NOW + timedelta(hours=1), NOW + timedelta(days=30)),  # the future
            ]
        ).flatmap(lambda strategy: strategy)
    )
    time_text, at = draw(written_time(when, zone))
    if draw(st.integers(0, 19)) == 0:
        time_text, at = "", None  # missing
    row = Row(f"{customer_id}-e{number}", customer_id, (text, time_text), canonical, at)
    rows = [row]
    extra = draw(st.sampled_from(["none"] * 17 + ["exact_copy"] * 2 + ["conflicting_version"]))
    if extra == "exact_copy":
        rows.append(row)
    elif extra == "conflicting_version":
        other = "opt_in" if canonical == "opt_out" else "opt_out"
        rows.append(Row(row.row_id, customer_id, (other, time_text), other, at))
    return rows


@st.composite
def suppression(draw, customer_id: str, number: int, zone: str) -> list[Row]:
    value = draw(st.sampled_from(["do_not_contact", "bounced", "complaint_handling"]))
    text, canonical = draw(spelled("suppression_reason", value))
    when = draw(moments(datetime(2026, 5, 1), datetime(2026, 8, 31)))
    time_text, at = draw(written_time(when, zone))
    lifted = draw(st.sampled_from(["never"] * 4 + ["after"] * 4 + ["before", "broken"]))
    if lifted == "never":
        lifted_text, lifted_at, lifted_ok = "", None, True
    elif lifted == "broken":
        lifted_text, lifted_at, lifted_ok = draw(st.sampled_from(BROKEN_TIMES)), None, False
    else:
        days = draw(st.integers(1, 60)) * (1 if lifted == "after" else -1)
        lifted_text, lifted_at = draw(written_time(when + timedelta(days=days), zone))
        lifted_ok = lifted_at is not None
    return [
        Row(
            f"{customer_id}-s{number}",
            customer_id,
            (text, time_text, lifted_text),
            canonical,
            at,
            lifted_at,
            lifted_ok,
        )
    ]


@st.composite
def histories(draw) -> tuple[str, list[Row], list[Row]]:
    """A source time zone and every generated customer's events and suppressions."""
    zone = draw(st.sampled_from(SOURCE_ZONES))
    events: list[Row] = []
    suppressions: list[Row] = []
    for index in range(GENERATED_CUSTOMERS):
        customer_id = f"g{index:03d}"
        for number in range(draw(st.integers(0, 3))):
            events += draw(consent_event(customer_id, number, zone))
        for number in range(draw(st.integers(0, 1))):
            suppressions += draw(suppression(customer_id, number, zone))
    # Rows of customers nobody knows: they hold nobody back.
    events += draw(consent_event("ghost", 0, zone))
    return zone, events, suppressions


# ---- The oracle -------------------------------------------------------------------------------


def _groups(rows: list[Row]) -> dict[str, list[Row]]:
    """Rows by id, exact copies dropped (they are duplicates, not versions)."""
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        versions = grouped.setdefault(row.row_id, [])
        if all(row.texts != seen.texts for seen in versions):
            versions.append(row)
    return grouped


def _event_is_trusted(row: Row) -> bool:
    return row.value is not None and row.at is not None and row.at <= NOW + CLOCK_SKEW


def _suppression_is_trusted(row: Row) -> bool:
    return (
        row.value is not None
        and row.at is not None
        and row.lifted_ok
        and (row.lifted_at is None or row.lifted_at >= row.at)
    )


def must_not_contact(events: list[Row], suppressions: list[Row]) -> dict[str, str]:
    """Generated customers no list may hold, each with why (from docs/campaigns.md)."""
    why: dict[str, str] = {}
    trusted_events: dict[str, list[Row]] = {}
    for group in _groups(events).values():
        customer_id = group[0].customer_id
        if len(group) > 1 or not _event_is_trusted(group[0]):
            why[customer_id] = "held back (event)"
        else:
            trusted_events.setdefault(customer_id, []).append(group[0])
    wave_start = datetime.combine(WAVE_DATE, datetime.min.time())
    for group in _groups(suppressions).values():
        row = group[0]
        if len(group) > 1 or not _suppression_is_trusted(row):
            why[row.customer_id] = "held back (suppression)"
        elif row.at < wave_start + timedelta(days=1) and (
            row.lifted_at is None or row.lifted_at > wave_start
        ):
            why.setdefault(row.customer_id, "suppressed")
    for index in range(GENERATED_CUSTOMERS):
        customer_id = f"g{index:03d}"
        if customer_id in why:
            continue
        answers = [(row.at, row.value) for row in trusted_events.get(customer_id, [])]
        if CONSENT_OF_FILE[index % 4]:
            answers.append((CONSENT_OF_FILE_AT, CONSENT_OF_FILE[index % 4]))
        # The latest answer wins; at the same moment opt_out wins.
        latest = max(answers, key=lambda answer: (answer[0], answer[1] == "opt_out"), default=None)
        if latest is None or latest[1] != "opt_in":
            why[customer_id] = "not opted in"
    return why


# ---- dbt and the wave -------------------------------------------------------------------------


def _generated_customers(folder: Path) -> None:
    columns = ["customer_id", "created_at", "customer_type", "marketing_consent"]
    with (folder / "customers_generated.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*columns, "marketing_consent_at"])
        for index in range(GENERATED_CUSTOMERS):
            consent = CONSENT_OF_FILE[index % 4]
            writer.writerow(
                [
                    f"g{index:03d}",
                    "2024-01-01 00:00:00",
                    "consumer",
                    consent,
                    f"{CONSENT_OF_FILE_AT.isoformat(sep=' ')}+00:00" if consent else "",
                ]
            )


def _write(path: Path, columns: list[str], rows: list[Row]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows([row.row_id, row.customer_id, *row.texts] for row in rows)


CONSENT_MODELS = [
    "base_crm__consent_events",
    "base_crm__suppressions",
    "stg_crm__consent_events",
    "stg_crm__suppressions",
    "int_consent_rows_held_back",
    "int_customers_consent_resolved",
    "customer_contacts",
    "marketing_suppressions",
]


# The models the wave reads (orchestration/campaigns/selection.py); the campaigns below
# declare no columns of other marts.
WAVE_INPUTS = ["customers", "customer_contacts", "marketing_suppressions", "contact_history"]


@pytest.fixture(scope="module")
def generated_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The tiny fixture plus the generated customers, built once (no consent rows yet): what
    the campaign wave reads (WAVE_INPUTS) and every model and test upstream of it."""
    root = tmp_path_factory.mktemp("consent_property")
    raw = write_tiny_raw(root / "raw")
    _generated_customers(raw)
    return Warehouse(raw_dir=raw, work_dir=root).built(
        "--select", *(f"+{model}" for model in WAVE_INPUTS)
    )


def _run_wave(warehouse: Warehouse, exports: Path) -> None:
    everyone = Campaign(
        name="everyone",
        goal="",
        audience="1 = 1",
        priority=2,
        channel="sms",
        offer_en="",
        offer_zh="",
        holdout_share=0.3,
    )
    valuable = Campaign(
        name="valuable",
        goal="",
        audience="value_tier in ('platinum', 'gold')",
        priority=1,
        channel="email",
        offer_en="",
        offer_zh="",
        holdout_share=0.5,
        max_customers=5,
    )
    rules = CampaignConfig(
        CampaignSettings(frequency_cap_days=0, holdout_seed=3, global_control_share=0.1),
        [everyone, valuable],
    )
    result = materialize(
        [build_campaign_wave(rules, ZoneInfo("Asia/Shanghai"))],
        resources={
            "warehouse": WarehouseResource(
                raw_dir=str(warehouse.raw_dir),
                build_path=str(warehouse.database_path),
                exports_dir=str(exports),
            )
        },
        run_config={"ops": {"campaign_wave": {"config": {"wave_date": WAVE_DATE.isoformat()}}}},
        raise_on_error=True,
    )
    assert result.success


def _exported(folder: Path) -> set[str]:
    """Customer ids in every file the wave exported (send lists and the holdout file)."""
    exported: set[str] = set()
    for path in folder.glob("*.csv"):
        if path.name in ("summary.csv", "held_back.csv"):
            continue
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
        exported |= set(frame["customer_id"])
    return exported


@settings(
    max_examples=EXAMPLES,
    phases=[Phase.generate],
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(drawn=histories())
def test_no_wave_lists_anyone_it_must_not(generated_warehouse, drawn):
    zone, events, suppressions = drawn
    raw = generated_warehouse.raw_dir
    _write(
        raw / "consent_events_generated.csv",
        ["consent_event_id", "customer_id", "consent", "recorded_at"],
        events,
    )
    _write(
        raw / "suppressions_generated.csv",
        ["suppression_id", "customer_id", "reason", "suppressed_at", "lifted_at"],
        suppressions,
    )
    result = generated_warehouse.build(
        "--select",
        *CONSENT_MODELS,
        "--vars",
        f"{{consent_source_time_zone: '{zone}', max_quarantined_share: 1}}",
    )
    # The build runs the raw tables' reconciliation tests: every raw row accounted for.
    assert result.ok, result.output[-4000:]
    with tempfile.TemporaryDirectory() as exports:
        _run_wave(generated_warehouse, Path(exports))
        exported = _exported(Path(exports) / WAVE_DATE.isoformat())
        summary = pd.read_csv(Path(exports) / WAVE_DATE.isoformat() / "summary.csv")
    forbidden = must_not_contact(events, suppressions)
    generated = {f"g{index:03d}" for index in range(GENERATED_CUSTOMERS)}
    leaked = {customer: forbidden[customer] for customer in exported if customer in forbidden}
    assert leaked == {}
    # Fail closed, but not shut: everyone else is listed (treated or held out).
    assert exported & generated == generated - set(forbidden)
    # Every held-back customer is in the audience of `everyone` and counted there.
    held_back = {
        customer
        for customer, reason in forbidden.items()
        if reason.startswith("held") and customer in generated
    }
    assert summary.set_index("campaign").loc["everyone", "removed_held_back"] == len(held_back)


# ---- The engine alone, hundreds of examples ----------------------------------------------------

CUSTOMER_IDS = [f"x{number:02d}" for number in range(30)]


@st.composite
def engine_inputs(draw):
    customers = draw(st.lists(st.sampled_from(CUSTOMER_IDS), min_size=1, max_size=30, unique=True))
    states = draw(
        st.lists(
            st.sampled_from(["opt_in", "opt_out", "none", "held_back"]),
            min_size=len(customers),
            max_size=len(customers),
        )
    )
    reasons = [
        draw(st.sampled_from(["consent_events.invalid_consent", "suppressions.unknown_reason"]))
        if state == "held_back"
        else None
        for state in states
    ]
    contacts = pd.DataFrame(
        {"customer_id": customers, "marketing_consent": states, "held_back_reasons": reasons}
    )
    suppressed = draw(st.lists(st.sampled_from(customers), max_size=10))
    starts = [draw(st.integers(-20, 20)) for _ in suppressed]
    ends = [draw(st.one_of(st.none(), st.integers(-20, 40))) for _ in suppressed]
    wave_start = pd.Timestamp(WAVE_DATE)
    suppressions = pd.DataFrame(
        {
            "customer_id": suppressed,
            "reason": "do_not_contact",
            "suppressed_at": [wave_start + pd.Timedelta(hours=hours) for hours in starts],
            "lifted_at": [
                None if hours is None else wave_start + pd.Timedelta(hours=hours) for hours in ends
            ],
        }
    )
    count = draw(st.integers(1, 3))
    campaigns = [
        Campaign(
            name=f"c{number}",
            goal="",
            audience="true",
            priority=draw(st.integers(1, 5)),
            channel="sms",
            offer_en="",
            offer_zh="",
            holdout_share=draw(st.sampled_from([0.0, 0.2, 0.5])),
            max_customers=draw(st.one_of(st.none(), st.integers(1, 10))),
        )
        for number in range(count)
    ]
    audiences = {}
    for campaign in campaigns:
        members = draw(st.lists(st.sampled_from(customers), unique=True))
        values = [draw(st.integers(0, 1000)) for _ in members]
        audiences[campaign.name] = pd.DataFrame(
            {"customer_id": members, "total_lifetime_value": values}
        )
    contacted = draw(st.lists(st.sampled_from(customers), max_size=5, unique=True))
    history = pd.DataFrame(
        {
            "campaign": "c0",
            "wave_date": [WAVE_DATE - timedelta(days=draw(st.integers(1, 10))) for _ in contacted],
            "customer_id": contacted,
            "assignment": "treatment",
            "priority": 1,
        },
        columns=["campaign", "wave_date", "customer_id", "assignment", "priority"],
    )
    wave_settings = CampaignSettings(
        frequency_cap_days=draw(st.sampled_from([0, 7])),
        holdout_seed=draw(st.integers(0, 100)),
        global_control_share=draw(st.sampled_from([0.0, 0.1])),
    )
    return campaigns, audiences, contacts, suppressions, history, wave_settings


@settings(max_examples=300, deadline=None, database=None)
@given(inputs=engine_inputs())
def test_the_engine_never_lists_anyone_it_must_not(inputs):
    campaigns, audiences, contacts, suppressions, history, wave_settings = inputs
    lists = build_wave(
        campaigns, audiences, contacts, suppressions, history, WAVE_DATE, wave_settings
    )
    consent = dict(zip(contacts["customer_id"], contacts["marketing_consent"], strict=True))
    wave_start = pd.Timestamp(WAVE_DATE)
    active = {
        row.customer_id
        for row in suppressions.itertuples()
        if row.suppressed_at < wave_start + pd.Timedelta(days=1)
        and (pd.isna(row.lifted_at) or row.lifted_at > wave_start)
    }
    for wave in lists:
        for customer_id in wave.members["customer_id"]:
            assert consent[customer_id] == "opt_in", (wave.campaign.name, customer_id)
            assert customer_id not in active, (wave.campaign.name, customer_id)
        held_back_in_audience = sum(
            consent[customer] == "held_back"
            for customer in audiences[wave.campaign.name]["customer_id"]
        )
        assert wave.removed["held_back"] == held_back_in_audience
        assert sum(wave.held_back_by_reason.values()) == held_back_in_audience
