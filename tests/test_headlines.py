"""Headline numbers of the marts (orchestration/headlines.py) on the bundled sample."""

from __future__ import annotations

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
