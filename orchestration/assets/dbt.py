"""Every dbt model, seed and snapshot as a Dagster asset; dbt tests as asset checks."""

import os
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.project import dbt_project, ensure_manifest
from orchestration.resources import WarehouseResource
from orchestration.settings import environment_for_dbt

# dbt folder (first level under models/) -> Dagster asset group.
_GROUP_BY_FOLDER = {
    "staging": "staging",
    "intermediate": "intermediate",
    "marts": "marts",
    "quarantine": "quarantine",
    "restricted": "restricted",
}


class LoyaltyDbtTranslator(DagsterDbtTranslator):
    """Asset keys are dbt model names; groups follow the dbt layers."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "source":
            return "raw"
        if resource_type == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        folder = fqn[1] if len(fqn) > 2 else None
        return _GROUP_BY_FOLDER.get(folder, "other")

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            if dbt_resource_props["source_name"] == "campaign_history":
                # Written by the campaign wave (orchestration/assets/campaigns.py).
                return AssetKey(["campaigns", dbt_resource_props["name"]])
            return AssetKey(["raw", dbt_resource_props["name"]])
        # Model and seed names are unique in the project: the key is the name.
        return AssetKey(dbt_resource_props["name"])


translator = LoyaltyDbtTranslator()


# Models that read what the campaign wave wrote: built in a second step, after it.
CAMPAIGN_FEEDBACK_MODELS = "campaign_effect"


def _dbt_build(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    arguments = ["build"]
    dbt_vars = os.environ.get("LOYALTY_DBT_VARS", "").strip()
    if dbt_vars:
        arguments += ["--vars", dbt_vars]
    with environment_for_dbt(warehouse.settings()):
        yield from dbt.cli(arguments, context=context).stream()


@dbt_assets(
    manifest=ensure_manifest(),
    project=dbt_project,
    dagster_dbt_translator=translator,
    exclude=CAMPAIGN_FEEDBACK_MODELS,
    name="loyalty_dbt_models",
)
def loyalty_dbt_models(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """`dbt build` of the selected models: each model is materialized, then its tests run.

    LOYALTY_DBT_VARS (a YAML mapping, as for `dbt --vars`) overrides dbt vars,
    e.g. '{tier_platinum_top_share: 0.01}'. A failing test fails the step, so
    nothing downstream (campaign lists, the published warehouse) runs on data
    that did not pass.
    """
    yield from _dbt_build(context, dbt, warehouse)


@dbt_assets(
    manifest=ensure_manifest(),
    project=dbt_project,
    dagster_dbt_translator=translator,
    select=CAMPAIGN_FEEDBACK_MODELS,
    name="campaign_feedback_dbt_models",
)
def campaign_feedback_dbt_models(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """`dbt build` of campaign_effect, after the wave has written the contact history."""
    yield from _dbt_build(context, dbt, warehouse)
