"""campaigns.yml is validated on load, with messages that say what to fix, before any run starts."""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest

from orchestration.campaigns.config import CampaignConfigError, load_config
from orchestration.settings import Settings

MARTS = {
    "customers": {"customer_id", "value_tier", "loyalty_class", "total_lifetime_value"},
    "replacement_due": {"customer_id", "product_name", "due_date", "days_until_due"},
}

GOOD = """
settings:
  frequency_cap_days: 7
campaigns:
  - name: rewards
    goal: Reward.
    audience: loyalty_class = 'true'
    priority: 1
    channel: email
    offer_en: A gift.
    offer_zh: 礼品。
"""


def _load(tmp_path: Path, text: str):
    path = tmp_path / "campaigns.yml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, mart_columns=MARTS)


def test_a_good_file_loads_with_defaults(tmp_path):
    config = _load(tmp_path, GOOD)
    (campaign,) = config.campaigns
    assert (campaign.name, campaign.holdout_share, campaign.max_customers) == (
        "rewards",
        0.10,
        None,
    )
    assert config.settings.frequency_cap_days == 7


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("loyalty_class = 'true'", "loyalty_klass = 'true'"), "unknown column `loyalty_klass`"),
        (("loyalty_class = 'true'", "loyalty_class = = 'true'"), "is not a valid SQL condition"),
        (("loyalty_class = 'true'", "select 1"), "must be a condition"),
        (
            ("loyalty_class = 'true'", "exists (select 1 from marts.nope as n)"),
            "`marts.nope AS n`, which is not a mart",
        ),
        (("channel: email", "channel: email\n    holdout_share: 1.5"), "holdout_share must be"),
        (("channel: email", "channel: email\n    max_customers: 0"), "max_customers must be"),
        (
            ("channel: email", "channel: email\n    holdout_share: -0.1"),
            "campaign #1 (rewards): holdout_share must be a number from 0 to below 1, not -0.1",
        ),
        (
            ("frequency_cap_days: 7", "frequency_cap_days: 7\n  global_control_share: -0.05"),
            "settings: global_control_share must be a number from 0 to below 1",
        ),
        (
            ("frequency_cap_days: 7", "frequency_cap_days: 7\n  holdout_period_days: 0"),
            "settings.holdout_period_days must be a whole number >= 1",
        ),
        (
            ("frequency_cap_days: 7", "frequency_cap_days: 7\n  phone_country_code: +86"),
            "phone_country_code must be + and 1 to 3 digits",
        ),
        (("channel: email", "channel: email\n    colour: red"), "unknown key(s) ['colour']"),
        (("frequency_cap_days: 7", "frequency_cap_days: -1"), "frequency_cap_days must be"),
        (("name: rewards", "name: Rewards!"), "must be lower_snake_case"),
    ],
)
def test_mistakes_are_named(tmp_path, change, message):
    with pytest.raises(CampaignConfigError) as error:
        _load(tmp_path, GOOD.replace(*change))
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("audience", "reason"),
    [
        ("drop table marts.customers", "not a statement (`DROP TABLE marts.customers`)"),
        ("true; drop table marts.customers", "must be one condition, not 2 statements"),
        ("value_tier = 'gold' or (select 1 from marts.customers) = 1; select 1", "2 statements"),
        (
            "exists (select 1 from restricted.customers as c where c.email is not null)",
            "reads `restricted.customers AS c`, which is not a mart",
        ),
        (
            "customer_id in (select customer_id from staging.customers)",
            "reads `staging.customers`, which is not a mart",
        ),
        ("customer_id in (select customer_id from customers)", "reads `customers`"),
        ("restricted.customers.email is not null", "is not a column of a mart"),
        ("read_text('/etc/passwd') is not null", "calls `read_text`, which an audience may not"),
        ("getenv('HOME') = 'x'", "calls `getenv`"),
        (
            "customer_id in (select customer_id from read_csv('/tmp/list.csv'))",
            "calls `read_csv`",
        ),
        (
            "customer_id in (select customer_id from marts.replacement_due union select 1)",
            "(union), which an audience may not",
        ),
        ("exists (with t as (select 1) select * from t)", "(with), which an audience may not"),
        ("value_tier = $1", "(placeholder)"),
        ("total_lifetime_value + 1", "must be a condition (true or false per customer)"),
        ("select customer_id from marts.customers", "not a query"),
        ("value_tier = 'gold", "is not a valid SQL condition: Error tokenizing"),
        ("value_tier = 'gold' and", "is not a valid SQL condition"),
        ("", "is empty"),
    ],
)
def test_audiences_are_one_condition_on_mart_columns_and_nothing_else(tmp_path, audience, reason):
    path = tmp_path / "campaigns.yml"
    quoted = audience.replace("'", "''")
    with pytest.raises(CampaignConfigError) as error:
        _load(tmp_path, GOOD.replace("loyalty_class = 'true'", f"'{quoted}'"))
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"{path}, campaign rewards: audience `")
    assert reason in message


@pytest.mark.parametrize(
    "audience",
    [
        "value_tier in ('platinum', 'gold') and not (loyalty_class = 'true' or value_tier is null)",
        "coalesce(total_lifetime_value, 0) between 100 and 1000",
        "date_diff('day', current_date - interval 30 day, current_date) > 7",
        "case when value_tier = 'gold' then true else false end",
        "customer_id in (select customer_id from marts.replacement_due where days_until_due < 7)",
        "marts.customers.value_tier = 'gold'",
    ],
)
def test_conditions_with_allowed_functions_and_subqueries_load(tmp_path, audience):
    quoted = audience.replace("'", "''")
    config = _load(tmp_path, GOOD.replace("loyalty_class = 'true'", f"'{quoted}'"))
    assert config.campaigns[0].audience == audience


def test_duplicate_names_and_priorities_are_refused(tmp_path):
    entry = GOOD.split("campaigns:\n")[1]
    with pytest.raises(CampaignConfigError, match="duplicate campaign name"):
        _load(tmp_path, GOOD + entry)
    other = entry.replace("name: rewards", "name: other")
    with pytest.raises(CampaignConfigError, match="priority \\[1\\] is given to more than one"):
        _load(tmp_path, GOOD + other)


def test_subqueries_on_other_marts_are_checked(tmp_path):
    audience = (
        "exists (select 1 from marts.replacement_due as due "
        "where due.customer_id = customers.customer_id and due.days_until_due < 7)"
    )
    config = _load(tmp_path, GOOD.replace("loyalty_class = 'true'", f'"{audience}"'))
    assert config.campaigns[0].audience == audience


def test_the_shipped_campaigns_validate_against_the_dbt_manifest():
    config = load_config()
    assert len(config.campaigns) >= 6
    assert [c.priority for c in config.campaigns] == sorted(c.priority for c in config.campaigns)


def _code_location_stops(campaigns_file: Path) -> str:
    """The traceback Python prints when the code location (orchestration/definitions.py, which
    Dagster imports) stops on this campaigns file; raises if it does not stop.

    In this process: the module builds its definitions from the environment's settings
    (LOYALTY_CAMPAIGNS_FILE), as build_definitions does here with that one setting.
    """
    from orchestration.definitions import build_definitions

    settings = Settings.from_environment({"LOYALTY_CAMPAIGNS_FILE": str(campaigns_file)})
    with pytest.raises(CampaignConfigError) as stopped:
        build_definitions(settings=settings)
    return "".join(traceback.format_exception(stopped.value))


def test_a_bad_file_stops_the_code_location_from_loading(tmp_path):
    bad = tmp_path / "campaigns.yml"
    bad.write_text(GOOD.replace("loyalty_class = 'true'", "loyalty_klass = 'true'"), "utf-8")
    printed = _code_location_stops(bad)
    assert "CampaignConfigError" in printed
    assert "unknown column `loyalty_klass`" in printed


COLUMNS = """
    columns:
      from: replacement_due
      first_by: due_date
      select:
        - {name: product, sql: product_name, zh: 产品}
        - {name: days_overdue, sql: -days_until_due, zh: 逾期天数}
"""


def test_a_campaign_declares_its_own_columns(tmp_path):
    config = _load(tmp_path, GOOD.replace("offer_zh: 礼品。", "offer_zh: 礼品。" + COLUMNS))
    columns = config.campaigns[0].columns
    assert (columns.source, columns.first_by) == ("replacement_due", "due_date")
    assert [(c.name, c.sql) for c in columns.select] == [
        ("product", "product_name"),
        ("days_overdue", "-days_until_due"),
    ]
    assert columns.labels_zh == {"product": "产品", "days_overdue": "逾期天数"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("sql: product_name", "sql: product_nam"),
            "campaign rewards: columns `product`: `product_nam` names unknown column "
            "`product_nam`; unqualified names are columns of marts.replacement_due",
        ),
        (("first_by: due_date", "first_by: due_dat"), "columns.first_by: `due_dat` names unknown"),
        (
            ("from: replacement_due", "from: replacements"),
            "columns.from `replacements` is not a mart",
        ),
        (("first_by: due_date", "sort_by: due_date"), "columns: unknown key(s) ['sort_by']"),
        (("name: product,", "name: Product,"), "name 'Product' must be lower_snake_case"),
        (("name: product,", "name: phone,"), "name 'phone' is already a column of every list"),
        (("zh: 产品}", "label: 产品}"), "expected exactly the keys name, sql and zh"),
    ],
)
def test_column_mistakes_are_named_with_the_file_and_campaign(tmp_path, change, message):
    text = GOOD.replace("offer_zh: 礼品。", "offer_zh: 礼品。" + COLUMNS.replace(*change))
    with pytest.raises(CampaignConfigError) as error:
        _load(tmp_path, text)
    assert str(tmp_path / "campaigns.yml") in str(error.value)
    assert message in str(error.value)


def test_an_audience_the_tokenizer_cannot_read_is_one_line_without_a_sqlglot_traceback(tmp_path):
    bad = tmp_path / "campaigns.yml"
    bad.write_text(GOOD.replace("loyalty_class = 'true'", '"loyalty_class = \'true"'), "utf-8")
    printed = _code_location_stops(bad)
    (error,) = [
        line
        for line in printed.splitlines()
        if line.startswith("orchestration.campaigns.config.CampaignConfigError: ")
    ]
    assert f"{bad}, campaign rewards: audience `loyalty_class = 'true` is not a valid" in error
    assert "site-packages/sqlglot" not in printed
