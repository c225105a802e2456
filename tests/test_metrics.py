"""The semantic layer: MetricFlow's answers equal the same figures computed from the marts."""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from unittest import mock

import duckdb
import pytest

from orchestration import metrics
from orchestration.settings import REPO_ROOT


@pytest.fixture(scope="module")
def build_file(sample_warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample's build warehouse under the name the manifest's relations use."""
    path = tmp_path_factory.mktemp("metrics") / "loyalty_build.duckdb"
    shutil.copy(sample_warehouse.database_path, path)
    return path


# Several queries through the wrapper in one process: MetricFlow's start (importing dbt and
# MetricFlow, reading the project) costs seconds, the queries a fraction of that.
ASK_EACH = """
import json, sys
from orchestration import metrics
for arguments in json.loads(sys.argv[1]):
    if metrics.main(arguments) != 0:
        sys.exit(f"mf {' '.join(arguments)} failed")
"""


def _queries(
    build_file: Path, queries: dict[str, tuple[str, ...]], prefix: tuple[str, ...] = ()
) -> dict[str, list[dict]]:
    """`python -m orchestration.metrics query <arguments> --csv ...` for each named query, in one
    process (prefix: a command to run it under); the rows of each answer."""
    folder = build_file.parent
    arguments = [
        ["query", *query, "--csv", str(folder / f"{name}.csv")] for name, query in queries.items()
    ]
    completed = subprocess.run(
        [*prefix, sys.executable, "-c", ASK_EACH, json.dumps(arguments)],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "LOYALTY_DUCKDB_BUILD_PATH": str(build_file),
            "LOYALTY_DUCKDB_TEMP_DIR": str(folder / "tmp"),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    answers = {}
    for name in queries:
        with (folder / f"{name}.csv").open(encoding="utf-8") as handle:
            answers[name] = list(csv.DictReader(handle))
    return answers


def _query(build_file: Path, *arguments: str, prefix: tuple[str, ...] = ()) -> list[dict]:
    return _queries(build_file, {"answer": arguments}, prefix)["answer"]


QUERIES = {
    "clv_by_tier": (
        "--metrics",
        "total_clv,average_clv,customer_count",
        "--group-by",
        "customer__value_tier",
    ),
    "churn": ("--metrics", "churn_rate,repeat_purchase_rate"),
    "revenue_by_month": ("--metrics", "revenue", "--group-by", "metric_time__month"),
    "satisfaction": ("--metrics", "nps,average_csat"),
    "uplift_by_campaign": (
        "--metrics",
        "conversion_uplift,revenue_uplift_per_customer",
        "--group-by",
        "campaign_wave__campaign",
    ),
    "uplift_pooled": ("--metrics", "conversion_uplift"),
    "retention_by_month_and_tier": (
        "--metrics",
        "retention_rate,month_end_churn_rate",
        "--group-by",
        "metric_time__month,retention_segment__value_tier",
    ),
    "churn_by_month": ("--metrics", "month_end_churn_rate", "--group-by", "metric_time__month"),
}


@pytest.fixture(scope="module")
def answers(build_file) -> dict[str, list[dict]]:
    """MetricFlow's answers to QUERIES, asked once for the tests below."""
    return _queries(build_file, QUERIES)


def _sql(build_file: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(build_file), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_lifetime_value_by_tier_equals_the_customers_mart(build_file, answers):
    rows = answers["clv_by_tier"]
    expected = {
        tier: (total, average, count)
        for tier, total, average, count in _sql(
            build_file,
            "select value_tier, sum(total_lifetime_value), avg(total_lifetime_value), count(*)"
            " from marts.customers group by value_tier",
        )
    }
    assert {row["customer__value_tier"] for row in rows} == set(expected)
    for row in rows:
        total, average, count = expected[row["customer__value_tier"]]
        assert float(row["total_clv"]) == pytest.approx(float(total), rel=1e-9)
        assert float(row["average_clv"]) == pytest.approx(float(average), rel=1e-9)
        assert int(float(row["customer_count"])) == count


def test_churn_rate_equals_the_lifecycle_mart(build_file, answers):
    (row,) = answers["churn"]
    ((churned, purchasers),) = _sql(
        build_file,
        "select count(*) filter (where lifecycle_status = 'churned'),"
        " count(*) filter (where lifecycle_status <> 'never_purchased')"
        " from marts.customer_lifecycle",
    )
    assert float(row["churn_rate"]) == pytest.approx(churned / purchasers, rel=1e-9)
    ((repeat, purchasing),) = _sql(
        build_file,
        "select count(*) filter (where purchase_days >= 2),"
        " count(*) filter (where purchase_days >= 1)"
        " from (select customer_id, count(distinct ordered_date) filter (where is_purchase)"
        " as purchase_days from marts.orders group by customer_id)",
    )
    assert float(row["repeat_purchase_rate"]) == pytest.approx(repeat / purchasing, rel=1e-9)


def test_revenue_by_month_equals_the_orders_mart(build_file, answers):
    rows = answers["revenue_by_month"]
    expected = dict(
        _sql(
            build_file,
            "select strftime(date_trunc('month', ordered_date), '%Y-%m'), sum(net_revenue)"
            " from marts.orders group by 1",
        )
    )
    answer = {row["metric_time__month"][:7]: float(row["revenue"]) for row in rows}
    assert answer.keys() == expected.keys()
    for month, revenue in expected.items():
        assert answer[month] == pytest.approx(float(revenue), rel=1e-9)


def test_nps_equals_the_satisfaction_mart(build_file, answers):
    (row,) = answers["satisfaction"]
    ((promoters, detractors, answers, csat),) = _sql(
        build_file,
        "select sum(count_promoters), sum(count_detractors), sum(count_nps_answers),"
        " sum(avg_csat_score * count_csat_answers) / sum(count_csat_answers)"
        " from marts.satisfaction_trends",
    )
    assert float(row["nps"]) == pytest.approx(100 * (promoters - detractors) / answers, rel=1e-9)
    assert float(row["average_csat"]) == pytest.approx(float(csat), rel=1e-9)


def test_campaign_uplift_equals_the_campaign_effect_mart(build_file, answers):
    rows = answers["uplift_by_campaign"]
    expected = {
        campaign: (conversion, revenue)
        for campaign, conversion, revenue in _sql(
            build_file,
            "select campaign, conversion_uplift, revenue_uplift_per_customer"
            " from marts.campaign_effect",
        )
    }
    # The sample plants one judged wave per campaign, so each campaign's metric is its wave's.
    assert {row["campaign_wave__campaign"] for row in rows} == set(expected)
    for row in rows:
        conversion, revenue = expected[row["campaign_wave__campaign"]]
        assert float(row["conversion_uplift"]) == pytest.approx(conversion, rel=1e-9)
        assert float(row["revenue_uplift_per_customer"]) == pytest.approx(revenue, rel=1e-9)
    # Over both waves the metric pools the customers: a weighted difference, not a mean of rows.
    (pooled,) = answers["uplift_pooled"]
    ((treatment, holdout),) = _sql(
        build_file,
        "select sum(treatment_conversion_rate * count_treatment) / sum(count_treatment),"
        " sum(holdout_conversion_rate * count_holdout) / sum(count_holdout)"
        " from marts.campaign_effect",
    )
    assert float(pooled["conversion_uplift"]) == pytest.approx(treatment - holdout, rel=1e-9)


def test_the_wrapper_never_opens_a_network_connection(monkeypatch, build_file, tmp_path, capsys):
    """In this process, with every socket connection refused and recorded.

    On its own copy of the warehouse: MetricFlow keeps its connection open for
    the rest of the process.
    """
    own_copy = tmp_path / "loyalty_build.duckdb"
    shutil.copy(build_file, own_copy)
    attempts: list[object] = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.chdir(REPO_ROOT)
    environment = {
        "LOYALTY_DUCKDB_BUILD_PATH": str(own_copy),
        "LOYALTY_DUCKDB_TEMP_DIR": str(tmp_path / "tmp"),
    }
    with mock.patch.dict(os.environ, environment):  # main() sets dbt's variables
        assert metrics.main(["list", "metrics"]) == 0
    assert "churn_rate" in capsys.readouterr().out
    assert attempts == []


@pytest.mark.skipif(shutil.which("unshare") is None, reason="util-linux unshare not installed")
def test_metrics_answer_without_a_network(build_file):
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"unshare -n is not permitted here: {probe.stderr.decode().strip()}")
    (row,) = _query(build_file, "--metrics", "customer_count", prefix=("unshare", "-n"))
    ((count,),) = _sql(build_file, "select count(*) from marts.customers")
    assert int(float(row["customer_count"])) == count


def test_retention_and_month_end_churn_rate_equal_the_retention_trends_mart(build_file, answers):
    rows = answers["retention_by_month_and_tier"]
    # The mart's rows per month and tier over all customer types, by hand:
    # retained / active at the month start, churned / purchased.
    expected = {
        (month, tier): (retained / at_start if at_start else None, churned / purchased)
        for month, tier, retained, at_start, churned, purchased in _sql(
            build_file,
            "select strftime(month_start_date, '%Y-%m'), value_tier, count_retained_customers,"
            " count_active_at_month_start, count_churned_customers, count_purchased_customers"
            " from marts.retention_trends where customer_type = 'all' and value_tier <> 'all'",
        )
    }
    answer = {
        (row["metric_time__month"][:7], row["retention_segment__value_tier"]): row
        for row in rows
        if row["retention_segment__value_tier"] != "all"  # rollup rows count nothing
    }
    assert answer.keys() == expected.keys()
    for key, (retention, churn) in expected.items():
        if retention is None:
            assert not answer[key]["retention_rate"]
        else:
            assert float(answer[key]["retention_rate"]) == pytest.approx(retention, rel=1e-9)
        assert float(answer[key]["month_end_churn_rate"]) == pytest.approx(churn, rel=1e-9)
    # The trend's last month is the churn rate of customer_lifecycle.
    by_month = answers["churn_by_month"]
    last = max(by_month, key=lambda row: row["metric_time__month"])
    ((churned, purchasers),) = _sql(
        build_file,
        "select count(*) filter (where lifecycle_status = 'churned'),"
        " count(*) filter (where lifecycle_status <> 'never_purchased')"
        " from marts.customer_lifecycle",
    )
    assert float(last["month_end_churn_rate"]) == pytest.approx(churned / purchasers, rel=1e-9)
