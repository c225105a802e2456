"""Headline numbers of the marts (orchestration/headlines.py) on the bundled sample."""

from __future__ import annotations

import io

import duckdb
import pytest

from orchestration import headlines


@pytest.fixture(scope="module")
def query(sample_warehouse):
    connection = duckdb.connect(str(sample_warehouse.database_path), read_only=True)
    yield lambda sql: connection.execute(sql).fetchall()
    connection.close()


def test_model_validation_names_the_chosen_model_and_every_fitted_models_error(query):
    metadata = headlines.model_validation(query)
    fitted = {
        model: (mae, chosen)
        for model, mae, chosen in query(
            "select purchase_model, mean_absolute_error, is_chosen from marts.clv_model_validation"
            " where comparison = 'summary' and status = 'fitted'"
        )
    }
    assert fitted, "the sample has enough history to validate"
    for model, (mae, _) in fitted.items():
        assert metadata[f"{model}_holdout_mean_absolute_error"].value == pytest.approx(mae)
    (chosen,) = [model for model, (_, is_chosen) in fitted.items() if is_chosen]
    assert metadata["chosen_model"].value == chosen
    assert metadata["chosen_model_holdout_mean_absolute_error"].value == pytest.approx(
        fitted[chosen][0]
    )
    # The model the marts use is the one clv_model_fits names.
    ((used,),) = query("select purchase_model from marts.clv_model_fits")
    assert used == chosen


def test_tier_and_status_counts_add_up_to_every_customer(query):
    ((customers,),) = query("select count(*) from marts.customers")
    for metadata in (headlines.value_tiers(query), headlines.lifecycle(query)):
        counts = [value.value for key, value in metadata.items() if key.startswith("customers_")]
        assert sum(counts) == customers


def test_cohort_heatmap_is_a_png_of_the_chart_size_and_the_year_figure_weighs_cohorts(query):
    from PIL import Image

    from orchestration.pictures import HEIGHT_PX, WIDTH_PX, png_from_markdown

    metadata = headlines.cohort_retention(query)
    png = png_from_markdown(metadata["cohort_retention_heatmap"].value)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        image.verify()
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (WIDTH_PX, HEIGHT_PX)
    ((cohorts, first_month),) = query(
        "select count(distinct cohort_month), min(cohort_month) from marts.cohort_retention"
    )
    assert metadata["cohorts"].value == cohorts
    # Month 12 of every cohort that has one, weighted by cohort size: the
    # sum of active customers over the sum of cohort customers, by hand.
    year = query(
        "select count_cohort_customers, count_active_customers from marts.cohort_retention"
        " where months_since_first_purchase = 12"
    )
    assert year, f"the sample's first cohort ({first_month}) has passed 12 months"
    expected = sum(active for _, active in year) / sum(size for size, _ in year)
    assert metadata["retention_rate_after_12_months"].value == pytest.approx(expected)
    assert 0 < expected < 1


def test_retention_trend_headlines_are_the_latest_complete_month(query):
    metadata = headlines.retention_trend(query)
    ((month_end, active, churn_rate, retention_rate),) = query(
        """
        select month_end_date, count_active_customers, churn_rate, retention_rate
        from marts.retention_trends
        where value_tier = 'all' and customer_type = 'all'
            and month_end_date = last_day(month_start_date)
        order by month_start_date desc
        limit 1
        """
    )
    assert metadata["active_customers_last_month_end"].value == active
    assert metadata["churn_rate_last_month_end"].value == pytest.approx(churn_rate)
    assert metadata["monthly_retention_rate_last_month"].value == pytest.approx(retention_rate)


def test_month_end_is_the_day_before_a_first_of_the_month():
    assert headlines._is_month_end("2024-02-29")
    assert not headlines._is_month_end("2024-02-28")
    assert headlines._is_month_end("2026-12-31")


def test_value_beyond_purchases_service_and_retention_headlines_read_their_marts(query):
    concentration = headlines.concentration(query)
    ((top_revenue,),) = query(
        "select top_customers_revenue_share from marts.value_concentration_summary"
    )
    assert concentration["top_20pct_revenue_share"].value == pytest.approx(top_revenue)

    vip = headlines.vip_membership(query)
    ((share,),) = query(
        "select avg(case when is_vip_member then 1.0 else 0.0 end) from marts.customers"
    )
    assert vip["vip_customer_share"].value == pytest.approx(float(share))

    service = headlines.service_response(query)
    rates = dict(query("select response_band, churn_rate from marts.service_response_outcomes"))
    assert service["churn_rate_slow_minus_fast"].value == pytest.approx(
        rates["slow"] - rates["fast"]
    )
    assert service["churn_rate_slow_minus_fast"].value > 0  # planted in the sample

    economics = headlines.retention_economics(query)
    ((acquisition, per_year),) = query(
        "select acquisition_cost_per_customer, retention_cost_per_customer_year"
        " from marts.retention_economics"
        " where acquisition_channel = 'all' and value_tier = 'all'"
    )
    assert economics["acquisition_to_retention_cost_ratio"].value == pytest.approx(
        float(acquisition) / float(per_year), rel=0.01
    )
