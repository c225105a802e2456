"""The Dagster code location: definitions, a full run on the tiny fixture, schedules and sensor.

The full run (fixture `refreshed`) is checked for several things at once: the
campaign lists, exports, metadata and checks it made, and that no personal
data reached any log, in a Dagster instance configured as make run's.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    ExecuteInProcessResult,
    RunRequest,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
)
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

from orchestration.assets.dbt import internal_test_result
from orchestration.campaigns import load_campaigns
from orchestration.campaigns.columns import marts_read
from orchestration.dagster_home import update_dagster_yaml
from orchestration.definitions import build_definitions, defs
from orchestration.project import load_manifest
from orchestration.resources import WarehouseResource
from orchestration.sensors import raw_files_sensor
from orchestration.settings import Settings
from tests.dbt_runner import DBT_PROJECT_DIR
from tests.fixtures.tiny import write_tiny_raw

daily_loyalty_refresh_schedule = defs.resolve_schedule_def("daily_loyalty_refresh_schedule")
weekly_campaigns_schedule = defs.resolve_schedule_def("weekly_campaigns_schedule")

WAVE_DATE = "2026-07-01"
CAMPAIGNS = [campaign.name for campaign in load_campaigns()]


def _append_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


# c14 buys 30 books (50 each, cost 30) every 60 days, last on 2026-02-15.
C14_ORDER_DAYS = ["2025-08-19", "2025-10-18", "2025-12-17", "2026-02-15"]


def _write_raw_for_campaigns(folder: Path) -> Path:
    """The tiny fixture plus two customers.

    c13: latent loyalty exactly like c03, but opted out.
    c14: the most valuable customer, drifting away. Realised profit
    4 x 30 x (50 - 30) - 4 x 5 = 2,380: more than anyone else's lifetime value
    (c01 comes next: 260 realised plus at most 13 monthly margins of 60), so
    c14 ranks first of 14 and is gold (rank <= 20% of 14 = 2.8; platinum
    would need rank <= 0.7). Purchases 60 days apart: at risk after 2 x 60 =
    120 days without one, churned after 4 x 60 = 240; the as-of date
    2026-06-30 is 135 days after the last. Opted in.
    """
    raw = write_tiny_raw(folder)
    customer = {
        "customer_id": "c13",
        "created_at": "2024-01-01 00:00:00",
        "customer_type": "consumer",
        "marketing_consent": "opt_out",
        "marketing_consent_at": "2025-01-01 00:00:00",
        "full_name": "李c13",
        "email": "c13@example.com",
        "phone": "13900000000",
    }
    _append_rows(
        raw / "customers_extra.csv",
        [customer, {**customer, "customer_id": "c14", "marketing_consent": "opt_in"}],
    )
    order = {"channel": "online", "status": "completed"}
    line = {"product_id": "p3", "quantity": "30", "unit_price": "50.00", "unit_cost": "30.00"}
    _append_rows(
        raw / "orders_extra.csv",
        [
            {
                **order,
                "order_id": "o131",
                "customer_id": "c13",
                "ordered_at": "2025-12-01 10:00:00",
                "updated_at": "2025-12-01 10:00:00",
            },
            *(
                {
                    **order,
                    "order_id": f"o14{number}",
                    "customer_id": "c14",
                    "ordered_at": f"{day} 10:00:00",
                    "updated_at": f"{day} 10:00:00",
                }
                for number, day in enumerate(C14_ORDER_DAYS)
            ),
        ],
    )
    _append_rows(
        raw / "order_lines_extra.csv",
        [
            {
                "order_line_id": "o131-1",
                "order_id": "o131",
                "product_id": "p1",
                "quantity": "2",
                "unit_price": "100.00",
                "unit_cost": "40.00",
                "discount_amount": "10.00",
            },
            *(
                {**line, "order_line_id": f"o14{number}-1", "order_id": f"o14{number}"}
                for number in range(len(C14_ORDER_DAYS))
            ),
        ],
    )
    _append_rows(
        raw / "survey_responses_extra.csv",
        [
            {
                "response_id": "r13",
                "customer_id": "c13",
                "responded_at": "2026-04-01 12:00:00",
                "csat_score": "5",
                "nps_score": "9",
                "trust_score": "5",
                "preference_score": "4",
                "repurchase_intent_score": "4",
                "comment": "很满意",
            }
        ],
    )
    return raw


def _warehouse(root: Path, raw: Path) -> WarehouseResource:
    return WarehouseResource(
        raw_dir=str(raw),
        # The file name dbt parsed the manifest with (the catalog name in its relations).
        build_path=str(root / "build" / "loyalty_build.duckdb"),
        warehouse_path=str(root / "published" / "loyalty.duckdb"),
        exports_dir=str(root / "exports"),
    )


def _wave_config() -> dict:
    return {"ops": {"campaign_wave": {"config": {"wave_date": WAVE_DATE}}}}


def test_definitions_load_with_groups_jobs_schedules_and_sensor():
    started = time.perf_counter()
    repository = build_definitions().get_repository_def()
    print(f"\ncode location loaded in {time.perf_counter() - started:.2f} s")
    graph = repository.asset_graph
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert {"raw", "staging", "intermediate", "marts", "campaigns", "publish"} <= groups
    assert graph.get(AssetKey("customers")).group_name == "marts"
    assert graph.get(AssetKey(["raw", "orders"])).group_name == "raw"
    assert {AssetKey(["campaigns", name]) for name in CAMPAIGNS} <= set(graph.get_all_asset_keys())
    assert graph.get(AssetKey("campaign_effect")).parent_keys >= {
        AssetKey(["campaigns", "contact_history"])
    }
    # dbt tests are asset checks, e.g. unique customer_id on the customers mart.
    checks = {(key.asset_key, key.name) for key in graph.asset_check_keys}
    assert (AssetKey("customers"), "unique_customers_customer_id") in checks
    # A mart's never-null columns: one check (not_null_columns), not one per column.
    assert (AssetKey("customers"), "not_null_columns_customers") in checks
    # Every singular test is an asset check; one reading two nodes needs its
    # meta to name one (or Dagster logs a warning and an observation instead).
    assert (
        AssetKey("int_customers_lifecycle_assessed"),
        "assert_lifecycle_agrees_with_churn_risk",
    ) in checks
    singular_tests = {
        path.stem
        for path in (DBT_PROJECT_DIR / "data-tests").rglob("*.sql")
        if "generic" not in path.parts
    }
    assert sorted(singular_tests - {name for _, name in checks}) == []
    assert {job.name for job in repository.get_all_jobs()} >= {
        "loyalty_refresh_job",
        "campaigns_job",
    }
    assert {schedule.name for schedule in repository.schedule_defs} == {
        "daily_loyalty_refresh_schedule",
        "weekly_campaigns_schedule",
        "hourly_raw_files_schedule",
    }
    assert [sensor.name for sensor in repository.sensor_defs] == [
        "raw_files_sensor",
        "retention_sensor",
    ]
    assert defs is not None


def test_generic_tests_of_internal_layers_are_no_checks():
    graph = build_definitions().get_repository_def().asset_graph
    checks = {(key.asset_key, key.name) for key in graph.asset_check_keys}
    # Staging, intermediate and quarantine models: their generic tests run in
    # every dbt build, as no asset check.
    for model, test in (
        ("stg_crm__orders", "unique_stg_crm__orders_order_id"),
        ("stg_crm__orders", "not_null_columns_stg_crm__orders"),
        ("quarantine_orders", "not_null_quarantine_orders_quarantine_reason"),
    ):
        assert (AssetKey(model), test) not in checks
    # Marts, restricted lists and singular tests on any layer stay checks.
    assert (AssetKey("customers"), "unique_customers_customer_id") in checks
    # A mart's never-null columns: one check (not_null_columns), not one per column.
    assert (AssetKey("customers"), "not_null_columns_customers") in checks
    assert (
        AssetKey("int_customers_lifecycle_assessed"),
        "assert_lifecycle_agrees_with_churn_risk",
    ) in checks
    assert any(key.asset_key == AssetKey("customer_contacts") for key in graph.asset_check_keys)


def _test_result(unique_id: str, status: str, failures: int) -> DbtCoreCliEventMessage:
    return DbtCoreCliEventMessage(
        raw_event={
            "info": {"name": "LogTestResult"},
            "data": {
                "node_info": {"unique_id": unique_id},
                "status": status,
                "num_failures": failures,
            },
        },
        event_history_metadata={},
    )


def test_an_internal_layers_test_is_a_message_only_when_it_does_not_pass():
    manifest = load_manifest()
    (unique_id,) = (
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["name"] == "not_null_columns_stg_crm__orders"
    )
    assert internal_test_result(_test_result(unique_id, "pass", 0), manifest)[0] == "pass"
    status, message = internal_test_result(_test_result(unique_id, "fail", 3), manifest)
    assert status == "fail"
    assert message.startswith(
        "dbt test not_null_columns_stg_crm__orders on stg_crm__orders: fail, 3 failing rows"
    )
    # A mart's test is a check: not handled here.
    (mart_test,) = (
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["name"] == "unique_customers_customer_id"
    )
    assert internal_test_result(_test_result(mart_test, "fail", 1), manifest) is None


def test_campaigns_depend_on_the_customers_mart_and_contacts():
    graph = build_definitions().get_repository_def().asset_graph
    for campaign in load_campaigns():
        parents = graph.get(AssetKey(["campaigns", campaign.name])).parent_keys
        assert parents == {
            AssetKey("customers"),
            AssetKey("customer_contacts"),
            AssetKey("marketing_suppressions"),
            # The earlier waves, for the frequency cap (the dbt model contact_history).
            AssetKey(["campaigns", "contact_history"]),
            # The marts of the campaign's own columns (campaigns.yml `columns:`).
            *(AssetKey(mart) for mart in marts_read(campaign)),
        }
    parents = graph.get(AssetKey(["campaigns", "replacement_reminder"])).parent_keys
    assert AssetKey("replacement_due") in parents


# Customers' lines the CSV reader cannot parse, each with an e-mail address and a phone
# number found nowhere else: they must reach no log (test_no_personal_data_in_any_log).
EMAILS = ["leak.one@pii-check.example", "leak.two@pii-check.example", "leak.3@pii-check.example"]
PHONES = ["13911112222", "13933334444", "13955556666"]
BROKEN_CUSTOMERS = (
    "customer_id,created_at,customer_type,full_name,email,phone\n"
    # An unquoted comma in the name: one field too many.
    f"cz1,2024-01-01,consumer,Li, Na,{EMAILS[0]},{PHONES[0]}\n"
    # A quote opened and never closed.
    f'cz2,2024-01-01,consumer,"Wang Fang,{EMAILS[1]},{PHONES[1]}\n'
).encode() + (
    # Bytes that are not UTF-8, in a line cut off without its last field.
    b"cz3,2024-01-01,consumer," + "赵敏".encode("gbk") + f",{EMAILS[2]},{PHONES[2]}".encode()
)


@contextlib.contextmanager
def _printed_into(path: Path) -> Iterator[None]:
    """Everything written to file descriptors 1 and 2, or to sys.stdout and sys.stderr,
    meanwhile (by this process and the processes it starts) goes into `path`."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    streams = sys.stdout, sys.stderr
    with path.open("w", encoding="utf-8", errors="backslashreplace") as printed:
        os.dup2(printed.fileno(), 1)
        os.dup2(printed.fileno(), 2)
        sys.stdout = sys.stderr = printed
        try:
            yield
        finally:
            printed.flush()
            sys.stdout, sys.stderr = streams
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for descriptor in saved:
                os.close(descriptor)


@dataclass
class Refreshed:
    result: ExecuteInProcessResult
    settings: Settings
    root: Path
    raw: Path
    dagster_home: Path
    printed: str
    event_log: str


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory, prepared_parse) -> Refreshed:
    """loyalty_refresh_job with the campaign wave on the tiny fixture plus c13, c14 and three
    broken customers' lines, recorded in a DAGSTER_HOME with the project's dagster.yaml."""
    root = tmp_path_factory.mktemp("dagster_tiny")
    raw = _write_raw_for_campaigns(root / "raw")
    (raw / "customers_broken.csv").write_bytes(BROKEN_CUSTOMERS)
    warehouse = _warehouse(root, raw)
    # Three broken lines of 17 customers: over the default 5%, let them through.
    settings = Settings(dbt_vars="{max_quarantined_share: 1}")
    job = build_definitions(warehouse, settings).resolve_job_def("loyalty_refresh_job")
    dagster_home = root / "dagster_home"
    dagster_home.mkdir()
    update_dagster_yaml(dagster_home / "dagster.yaml")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
        # dbt's target and log folders of this run (dagster-dbt makes one per dbt command
        # under DBT_TARGET_PATH), here rather than in the project's target folder, which
        # tests running beside this one share and prune.
        monkeypatch.setenv("DBT_TARGET_PATH", str(root / "dbt_target"))
        # dbt reuses a parse there rather than parsing the whole project.
        prepared_parse(root / "dbt_target", warehouse.settings(), settings.dbt_vars)
        with _printed_into(root / "printed.txt"), DagsterInstance.get() as instance:
            result = job.execute_in_process(run_config=_wave_config(), instance=instance)
            event_log = "\n".join(
                str(entry.user_message) + str(entry.dagster_event or "")
                for entry in instance.all_logs(result.run_id)
            )
    printed = (root / "printed.txt").read_text(encoding="utf-8")
    (root / "printed.txt").unlink()
    return Refreshed(result, warehouse.settings(), root, raw, dagster_home, printed, event_log)


def _campaign_members(settings, name: str) -> list[str]:
    with duckdb.connect(str(settings.build_path), read_only=True) as connection:
        rows = connection.execute(
            f"select customer_id from campaigns.{name} order by customer_id"
        ).fetchall()
    return [customer_id for (customer_id,) in rows]


def test_full_run_succeeds_and_publishes(refreshed):
    result, settings = refreshed.result, refreshed.settings
    assert result.success
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        schemas = {
            row[0]
            for row in connection.execute("select schema_name from duckdb_tables()").fetchall()
        }
    assert schemas == {"marts"}


def test_campaign_members_follow_the_rules(refreshed):
    settings = refreshed.settings
    # Worked out from tests/fixtures/tiny.py: c01 is the only true-loyal advocate,
    # c02 the only spurious one, c03 latent; c13 is latent too but opted out.
    assert _campaign_members(settings, "true_loyalty_rewards") == ["c01"]
    # Service recovery (priority 1): detractors or an open complaint. c02's
    # latest survey gives NPS 5 and c10's 0 (detractors; c10 also has the open
    # complaint t1); c04 is a detractor too but opted out. So c02, spurious
    # loyalty, is called by the service team, not by spurious_loyalty_care.
    assert _campaign_members(settings, "service_recovery") == ["c02", "c10"]
    assert _campaign_members(settings, "spurious_loyalty_care") == []
    assert _campaign_members(settings, "latent_loyalty_convenience") == ["c03"]
    # c01 bought coffee (30-day cycle) on 06-30 and c11 on 06-25: due 07-30 and
    # 07-25, within 30 days of the as-of date 06-30. But c01 is already in
    # true_loyalty_rewards (priority 4 before 6): the frequency cap keeps one
    # campaign per customer. Nobody's regular cycle falls within 7 days of the
    # as-of date (c01: 07-30, c02: 07-16, c08: 2024).
    assert _campaign_members(settings, "replacement_reminder") == ["c11"]
    assert _campaign_members(settings, "proactive_replenishment") == []
    # Win-back (platinum or gold, at risk or high churn risk, opted in): c14
    # (see _write_raw_for_campaigns). c01, gold too, bought on the as-of date.
    assert _campaign_members(settings, "win_back_high_value") == ["c14"]
    # Reactivation: churned with at least two purchases: c08 (three in 2024).
    assert _campaign_members(settings, "reactivation_churned") == ["c08"]


def _list_rows(settings, name: str, columns: str) -> list[tuple]:
    with duckdb.connect(str(settings.build_path), read_only=True) as connection:
        return connection.execute(
            f"select customer_id, {columns} from campaigns.{name} order by customer_id"
        ).fetchall()


def test_each_list_says_what_the_contact_is_about(refreshed):
    settings = refreshed.settings
    # c11 bought coffee beans (精品咖啡豆, 30-day usage cycle) on 2026-06-25:
    # due 2026-07-25, 25 days after the as-of date 2026-06-30.
    assert _list_rows(
        settings, "replacement_reminder", "product, category, cast(due_date as date), days_overdue"
    ) == [("c11", "精品咖啡豆", "coffee", date(2026, 7, 25), -25)]
    # c14 bought only books (图书), c08 only coffee.
    assert _list_rows(
        settings, "win_back_high_value", "favourite_category, favourite_category_last_product"
    ) == [("c14", "books", "图书")]
    assert _list_rows(settings, "reactivation_churned", "favourite_category") == [("c08", "coffee")]
    # c10's open complaint t1, opened 2026-05-10 09:00 (51 days before the
    # as-of date), first answered at 11:00; c02 has no ticket.
    assert _list_rows(
        settings,
        "service_recovery",
        "ticket_id, ticket_category, ticket_status, ticket_age_days, first_response_hours",
    ) == [("c02", None, None, None, None, None), ("c10", "t1", "complaint", "open", 51, 2.0)]


def test_no_customer_without_consent_in_any_list(refreshed):
    settings = refreshed.settings
    not_opted_in = {"c04", "c07", "c13"}  # opt_out, no answer, opt_out
    for name in CAMPAIGNS:
        assert not_opted_in.isdisjoint(_campaign_members(settings, name)), name


def test_campaign_exports_and_metadata(refreshed):
    result, settings = refreshed.result, refreshed.settings
    export = settings.exports_dir / WAVE_DATE / "true_loyalty_rewards.csv"
    assert export.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    with export.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["customer_id"], row["full_name"]) for row in rows] == [("c01", "张c01")]
    materialization = next(
        event
        for event in result.asset_materializations_for_node("campaign_wave")
        if event.asset_key == AssetKey(["campaigns", "true_loyalty_rewards"])
    )
    assert materialization.metadata["row_count"].value == 1
    assert materialization.metadata["by_value_tier"].value == {rows[0]["value_tier"]: 1}
    assert "c01" in materialization.metadata["preview"].value
    assert "张c01" not in materialization.metadata["preview"].value


def test_a_failing_dbt_test_blocks_the_campaigns(tmp_path, monkeypatch, prepared_parse):
    raw = write_tiny_raw(tmp_path / "raw")
    # Two bad products of five: over the 5% quarantine limit, the raw products' test fails.
    _append_rows(
        raw / "products_broken.csv",
        [
            {"product_id": "pb1", "category": "coffee", "usage_cycle_days": "0"},
            {"product_id": "pb2", "category": "", "usage_cycle_days": ""},
        ],
    )
    warehouse = _warehouse(tmp_path, raw)
    # dbt's target folders here (not in the project's), from a parse it reuses.
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dbt_target"))
    prepared_parse(tmp_path / "dbt_target", warehouse.settings())
    job = build_definitions(warehouse).resolve_job_def("loyalty_refresh_job")
    result = job.execute_in_process(
        run_config=_wave_config(), instance=DagsterInstance.ephemeral(), raise_on_error=False
    )
    assert not result.success
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert AssetKey("base_crm__products") in materialized  # the products were judged ...
    assert AssetKey("customers") not in materialized  # ... nothing was built on them ...
    assert not materialized & {AssetKey(["campaigns", name]) for name in CAMPAIGNS}  # ... no list
    assert AssetKey("published_warehouse") not in materialized
    assert not (tmp_path / "exports").exists()
    assert not (tmp_path / "published" / "loyalty.duckdb").exists()


def test_sensor_requests_one_run_per_change(tmp_path):
    raw = write_tiny_raw(tmp_path / "raw")
    resources = {"warehouse": WarehouseResource(raw_dir=str(raw))}

    def evaluate(cursor):
        # A context manager, as the daemon opens it: WarehouseResource has a
        # set-up and tear-down (the run lock, taken only inside a run).
        with build_sensor_context(cursor=cursor, resources=resources) as context:
            return raw_files_sensor(context), context.cursor

    first, cursor = evaluate(None)
    assert isinstance(first, SkipReason)  # starting the sensor rebuilds nothing
    unchanged, cursor = evaluate(cursor)
    assert isinstance(unchanged, SkipReason)

    (raw / "orders_2026-07-01.csv").write_text(
        "order_id,customer_id,ordered_at,status\no900,c01,2026-07-01 09:00:00,completed\n",
        encoding="utf-8",
    )
    triggered, cursor = evaluate(cursor)
    assert isinstance(triggered, RunRequest)
    assert "orders_2026-07-01.csv" in triggered.tags["raw_files_changed"]
    again, cursor = evaluate(cursor)
    assert isinstance(again, SkipReason)


def test_schedules_run_their_jobs_in_the_configured_time_zone():
    assert daily_loyalty_refresh_schedule.execution_timezone == "Asia/Shanghai"
    assert weekly_campaigns_schedule.execution_timezone == "Asia/Shanghai"
    assert daily_loyalty_refresh_schedule.job_name == "loyalty_refresh_job"
    assert weekly_campaigns_schedule.job_name == "campaigns_job"
    assert weekly_campaigns_schedule.cron_schedule == "0 9 * * 1"
    with build_schedule_context() as context:
        request = daily_loyalty_refresh_schedule.evaluate_tick(context).run_requests[0]
    assert isinstance(request, RunRequest)


def _dbt_materialization(result, name: str):
    return next(
        event
        for event in result.asset_materializations_for_node("loyalty_dbt_models")
        if event.asset_key == AssetKey(name)
    )


def test_dbt_materializations_carry_row_count_and_column_schema(refreshed):
    result = refreshed.result
    customers = _dbt_materialization(result, "customers")
    # 12 fixture customers plus c13 and c14.
    assert customers.metadata["dagster/row_count"].value == 14
    columns = {column.name for column in customers.metadata["dagster/column_schema"].value.columns}
    assert {"customer_id", "value_tier", "loyalty_class", "lifecycle_status"} <= columns
    assert not any(
        "unserializable" in str(value) or key == "dagster_dbt/project"
        for key, value in customers.metadata.items()
    )


def test_headline_numbers_are_numeric_metadata_of_their_marts(refreshed):
    result = refreshed.result
    tiers = _dbt_materialization(result, "customer_segment_tier").metadata
    # 14 customers ranked by lifetime value: platinum is rank <= 5% of 14 = 0.7
    # (nobody), gold <= 20% = 2.8 (two), iron <= 70% = 9.8 (seven), lead the rest.
    assert {key: tiers[key].value for key in tiers if key.startswith("customers_")} == {
        "customers_platinum": 0,
        "customers_gold": 2,
        "customers_iron": 7,
        "customers_lead": 5,
    }
    lifecycle = _dbt_materialization(result, "customer_lifecycle").metadata
    purchasers = 14 - lifecycle["customers_never_purchased"].value
    assert lifecycle["churn_rate"].value == lifecycle["customers_churned"].value / purchasers
    concentration = _dbt_materialization(result, "value_concentration_summary").metadata
    assert 0 < concentration["top_20pct_profit_share"].value <= 1


def test_charts_are_png_images_of_the_chart_size(refreshed):
    from PIL import Image

    from orchestration.pictures import HEIGHT_PX, WIDTH_PX, png_from_markdown

    result = refreshed.result
    charts = {
        "value_concentration": "pareto_curve",
        "customer_loyalty_class": "loyalty_matrix",
        "customer_segment_tier": "clv_by_tier",
        "cohort_retention": "cohort_retention_heatmap",
    }
    for mart, key in charts.items():
        markdown = _dbt_materialization(result, mart).metadata[key].value
        assert markdown.startswith("![")
        png = png_from_markdown(markdown)
        assert png.startswith(b"\x89PNG\r\n\x1a\n"), mart
        with Image.open(io.BytesIO(png)) as image:
            image.verify()
        with Image.open(io.BytesIO(png)) as image:
            assert image.size == (WIDTH_PX, HEIGHT_PX), mart


def test_the_raw_tables_tests_are_checks_on_the_raw_assets(refreshed):
    result = refreshed.result
    evaluations = {
        (evaluation.asset_key, evaluation.check_name): evaluation.passed
        for evaluation in result.get_asset_check_evaluations()
    }
    for table in ("orders", "customers", "consent_events"):
        assert evaluations[(AssetKey(["raw", table]), f"{table}_raw_rows_reconcile")] is True
        assert evaluations[(AssetKey(["raw", table]), f"{table}_quarantined_share_below_limit")]
    # The refresh observed the raw files first; no raw table's test result is an observation.
    raw_observations = [
        event.event_specific_data.asset_observation.metadata
        for event in result.get_asset_observation_events()
        if event.asset_key.path[0] == "raw"
    ]
    assert len(raw_observations) == 8
    assert all("file_count" in metadata for metadata in raw_observations)


def _files_under(folder: Path) -> list[Path]:
    """Every file under `folder` (os.walk passes over a folder deleted while it walks: in the
    project's target folder, other tests' runs prune the dbt folders of older runs)."""
    return [Path(parent, name) for parent, _, names in os.walk(folder) for name in names]


def _leaks(path: Path, shared: bool) -> list[str]:
    """The e-mails and phones in a file; none in a file of a shared folder deleted meanwhile."""
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        if shared:
            return []
        raise
    return [value for value in EMAILS + PHONES if value.encode() in content]


def test_no_personal_data_in_any_log(refreshed):
    """The broken customers' lines are only in the build warehouse, whose quarantine keeps
    them: not in what the run printed, in dbt's logs and artifacts (run_results.json
    included), or in the Dagster run and event databases and compute logs."""
    with duckdb.connect(str(refreshed.settings.build_path), read_only=True) as connection:
        lines = connection.execute(
            "select string_agg(raw_line, ' ') from quarantine.quarantine_customers"
        ).fetchone()[0]
    assert all(value in lines for value in EMAILS[:2] + PHONES[:2])

    leaks = {
        "printed": [value for value in EMAILS + PHONES if value in refreshed.printed],
        "Dagster event log": [value for value in EMAILS + PHONES if value in refreshed.event_log],
    }
    folders = (DBT_PROJECT_DIR / "target", DBT_PROJECT_DIR / "logs", refreshed.root)
    for folder in folders:
        for path in _files_under(folder):
            if path.suffix in (".duckdb", ".wal") or path.is_relative_to(refreshed.raw):
                continue  # the warehouses (the quarantine keeps the lines) and the raw files
            if found := _leaks(path, shared=folder.is_relative_to(DBT_PROJECT_DIR)):
                leaks[str(path)] = found
    assert {place: found for place, found in leaks.items() if found} == {}
    # What the run printed was read (the Dagster log lines of its steps among it).
    assert "loyalty_dbt_models" in refreshed.printed
    # The Dagster run and event databases and the compute logs were among the files scanned.
    scanned = {path.name for path in _files_under(refreshed.dagster_home)}
    assert "runs.db" in scanned
    assert any(name.endswith((".err", ".out", ".complete")) for name in scanned)
    # So were this run's dbt artifacts and log.
    dbt_files = {path.name for path in _files_under(refreshed.root / "dbt_target")}
    assert {"run_results.json", "dbt.log"} <= dbt_files
