"""One asset per campaign in campaigns.yml: the list, as a table and a CSV export."""

import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)

from orchestration.campaigns import Campaign, load_campaigns, select_members
from orchestration.campaigns.selection import LIST_COLUMNS
from orchestration.resources import WarehouseResource

# The marts a campaign list reads; their dbt tests must pass first.
UPSTREAM_MARTS = [AssetKey("customers"), AssetKey("customer_contacts")]
DEFAULT_TIMEZONE = "Asia/Shanghai"


def campaign_timezone() -> ZoneInfo:
    return ZoneInfo(os.environ.get("LOYALTY_TIMEZONE", DEFAULT_TIMEZONE))


class CampaignWaveConfig(Config):
    """wave_date: the date of this wave (YYYY-MM-DD); empty means today in LOYALTY_TIMEZONE."""

    wave_date: str = ""


def wave_date(config: CampaignWaveConfig) -> str:
    if config.wave_date:
        return datetime.strptime(config.wave_date, "%Y-%m-%d").date().isoformat()
    return datetime.now(campaign_timezone()).date().isoformat()


def _preview(members: pd.DataFrame, rows: int = 10) -> str:
    # No personal data in the UI: the preview shows mart columns only.
    return members.loc[:, list(LIST_COLUMNS)].head(rows).to_markdown(index=False)


def _campaign_asset(campaign: Campaign) -> AssetsDefinition:
    @asset(
        key=AssetKey(["campaigns", campaign.name]),
        group_name="campaigns",
        deps=UPSTREAM_MARTS,
        description=f"{campaign.goal}\n\nAudience: `{campaign.audience}` (opt-in only).",
        kinds={"pandas", "duckdb"},
        tags={"priority": str(campaign.priority), "channel": campaign.channel},
    )
    def campaign_list(
        context: AssetExecutionContext, config: CampaignWaveConfig, warehouse: WarehouseResource
    ) -> MaterializeResult:
        settings = warehouse.settings()
        wave = wave_date(config)
        with warehouse.connect() as connection:
            members = select_members(connection, campaign)
            members.insert(1, "wave_date", pd.Timestamp(wave).date())
            connection.execute("create schema if not exists campaigns")
            connection.register("members_frame", members)
            connection.execute(
                f"create or replace table campaigns.{campaign.name} as select * from members_frame"
            )
            connection.unregister("members_frame")
        export_path = settings.exports_dir / wave / f"{campaign.name}.csv"
        export_path.parent.mkdir(parents=True, exist_ok=True)
        # UTF-8 with a byte order mark, so Excel shows Chinese names correctly.
        members.to_csv(export_path, index=False, encoding="utf-8-sig")
        by_tier = members["value_tier"].value_counts().sort_index().to_dict()
        context.log.info(f"{campaign.name}: {len(members)} customers -> {export_path}")
        return MaterializeResult(
            metadata={
                "row_count": MetadataValue.int(len(members)),
                "by_value_tier": MetadataValue.json({tier: int(n) for tier, n in by_tier.items()}),
                "wave_date": MetadataValue.text(wave),
                "export": MetadataValue.path(str(export_path)),
                "table": MetadataValue.text(f"campaigns.{campaign.name}"),
                "preview": MetadataValue.md(_preview(members)),
            }
        )

    return campaign_list


campaign_assets = [_campaign_asset(campaign) for campaign in load_campaigns()]
