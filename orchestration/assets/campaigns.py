"""The campaign wave: one asset per campaign in campaigns.yml.

All lists of a wave are made together, because the frequency cap lets a
customer into at most one campaign (the highest priority one). The wave adds
its rows to the contact history (the dbt model contact_history) and reports
them as an observation of it.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetObservation,
    AssetsDefinition,
    AssetSpec,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from orchestration.campaigns import selection
from orchestration.campaigns.columns import marts_read
from orchestration.campaigns.config import CampaignConfig
from orchestration.campaigns.engine import (
    build_wave,
    count_by_reason,
    held_back_customers,
    history_rows,
    reasons_text,
    summary_rows,
)
from orchestration.campaigns.exports import write_holdout, write_send_list
from orchestration.campaigns.warehouse import wave_connection
from orchestration.resources import WarehouseResource

# The dbt model the wave appends to (keyed like the lists, see assets/dbt.py).
CONTACT_HISTORY_KEY = AssetKey(["campaigns", "contact_history"])
# What the lists read; their dbt tests must pass first. The history must exist.
UPSTREAM = [
    AssetKey("customers"),
    AssetKey("customer_contacts"),
    AssetKey("marketing_suppressions"),
    CONTACT_HISTORY_KEY,
]


class CampaignWaveConfig(Config):
    """wave_date: the date of this wave (YYYY-MM-DD); empty means today in LOYALTY_TIMEZONE.

    allow_stale_data: make the lists even when the data's as-of date is more
    than settings.max_data_age_days (campaigns.yml) before the wave date.
    """

    wave_date: str = ""
    allow_stale_data: bool = False


class StaleDataError(Failure):
    """The data is older than max_data_age_days at wave time: no list is made."""


def customers_text(count: int) -> str:
    """`1 customer`, `5,000 customers`: how the wave's log counts people."""
    return f"{count:,} customer{'' if count == 1 else 's'}"


def check_data_age(
    as_of_date: date | None, wave_date: date, max_age_days: int, allow_stale: bool
) -> str | None:
    """Stop the wave when the lists would describe customers as they were too long ago.

    Allowed anyway, the wave goes on and this returns a note for the log.
    """
    if as_of_date is None:
        return None
    age = (wave_date - as_of_date).days
    if age > max_age_days and allow_stale:
        return (
            f"The data ends on {as_of_date}, {age} days before the wave date {wave_date} "
            f"(more than max_data_age_days = {max_age_days}): the lists are made anyway "
            "(allow_stale_data)."
        )
    if age > max_age_days:
        raise StaleDataError(
            f"The data ends on {as_of_date} (its as-of date), {age} days before the wave date "
            f"{wave_date}: more than max_data_age_days = {max_age_days} (settings of "
            "campaigns.yml). No list was made, none would be built on stale data. Load fresh "
            "raw files and rebuild the marts; or, to make the lists anyway, run "
            "`make run ALLOW_STALE_DATA=1` (LOYALTY_ALLOW_STALE_DATA; in the Dagster UI, "
            "campaign_wave's run config `allow_stale_data: true`), or raise max_data_age_days."
        )


def wave_date_of(config: CampaignWaveConfig, timezone: ZoneInfo) -> date:
    if config.wave_date:
        return date.fromisoformat(config.wave_date)
    return datetime.now(timezone).date()


def campaign_key(name: str) -> AssetKey:
    return AssetKey(["campaigns", name])


def _preview(frame: pd.DataFrame, rows: int = 10) -> str:
    # No personal data in the UI: the preview shows mart columns only.
    return (
        frame.loc[:, list(selection.LIST_COLUMNS) + ["assignment"]]
        .head(rows)
        .to_markdown(index=False)
    )


def build_campaign_wave(
    rules: CampaignConfig, timezone: ZoneInfo, allow_stale_data: bool = False
) -> AssetsDefinition:
    """The wave of the campaigns in `rules` (validated when the code location loads).

    allow_stale_data (LOYALTY_ALLOW_STALE_DATA) sets the run config's default for every run.
    """

    @multi_asset(
        specs=[
            *(
                AssetSpec(
                    campaign_key(campaign.name),
                    group_name="campaigns",
                    deps=[*UPSTREAM, *(AssetKey(mart) for mart in marts_read(campaign))],
                    description=(
                        f"{campaign.goal}\n\nAudience: `{campaign.audience}`; priority "
                        f"{campaign.priority}; holdout {campaign.holdout_share:.0%}; "
                        f"size cap {campaign.max_customers or 'none'}."
                    ),
                    kinds={"pandas", "duckdb"},
                    tags={"channel": campaign.channel},
                )
                for campaign in rules.campaigns
            ),
        ],
        name="campaign_wave",
    )
    def campaign_wave(
        context: AssetExecutionContext, config: CampaignWaveConfig, warehouse: WarehouseResource
    ):
        """Build every campaign list of the wave; write tables, exports and the contact history."""
        settings = warehouse.settings()
        wave_date = wave_date_of(config, timezone)
        folder = settings.exports_dir / wave_date.isoformat()
        # On Spark, a copy of the Spark tables the wave reads, its lists written back.
        marts = sorted({mart for campaign in rules.campaigns for mart in marts_read(campaign)})
        with wave_connection(settings, marts) as connection:
            as_of_date = selection.as_of_date(connection)
            stale_note = check_data_age(
                as_of_date,
                wave_date,
                rules.settings.max_data_age_days,
                config.allow_stale_data or allow_stale_data,
            )
            if stale_note:
                context.log.info(stale_note)
            folder.mkdir(parents=True, exist_ok=True)
            audiences = {c.name: selection.audience(connection, c) for c in rules.campaigns}
            contacts = selection.contacts(connection)
            held_back = held_back_customers(contacts)
            lists = build_wave(
                rules.campaigns,
                audiences,
                contacts,
                selection.suppressions(connection),
                selection.history(connection),
                wave_date,
                rules.settings,
            )
            connection.execute("create schema if not exists campaigns")
            exports = {}
            for wave in lists:
                export = selection.export_frame(
                    connection, wave, wave_date, rules.settings.phone_country_code
                )
                frame = exports[wave.campaign.name] = export.frame
                selection.save_list(connection, wave.campaign.name, export)
                labels = wave.campaign.columns.labels_zh if wave.campaign.columns else {}
                write_send_list(frame, folder, wave.campaign.name, labels)
            rows = history_rows(lists, wave_date, as_of_date)
            selection.record_wave(connection, rows, wave_date, [c.name for c in rules.campaigns])
            (count_history,) = connection.execute(
                f"select count(*) from {selection.HISTORY_TABLE}"
            ).fetchone()
        held_out = pd.concat(
            [frame[frame["assignment"] != "treatment"] for frame in exports.values()],
            ignore_index=True,
        )
        holdout_files = write_holdout(held_out, folder)
        summary = summary_rows(lists, wave_date, as_of_date)
        summary.to_csv(folder / "summary.csv", index=False, encoding="utf-8-sig")
        summary.to_json(folder / "summary.json", orient="records", indent=2, force_ascii=False)
        # Consent fails closed: who is kept out of every list, by reason (counts only).
        held_back_by_reason = count_by_reason(held_back, held_back)
        pd.DataFrame(
            {
                "wave_date": wave_date.isoformat(),
                "as_of_date": as_of_date.isoformat() if as_of_date else None,
                "held_back_reason": list(held_back_by_reason),
                "customers": list(held_back_by_reason.values()),
            },
            columns=["wave_date", "as_of_date", "held_back_reason", "customers"],
        ).to_csv(folder / "held_back.csv", index=False, encoding="utf-8-sig")
        if held_back:
            context.log.warning(
                f"{customers_text(len(held_back))} held back from every list until their consent "
                f"or suppression rows are fixed (consent fails closed): "
                f"{reasons_text(held_back_by_reason)} -> {folder / 'held_back.csv'}"
            )

        for wave in lists:
            frame = exports[wave.campaign.name]
            by_tier = frame["value_tier"].value_counts().sort_index()
            context.log.info(
                f"{wave.campaign.name}: {customers_text(wave.count_treatment)} to contact "
                f"-> {folder / (wave.campaign.name + '.xlsx')} (.csv, .parquet); "
                f"{wave.count_holdout + wave.count_global_control} held out "
                f"-> {holdout_files['csv']}; data as of {as_of_date}"
            )
            yield MaterializeResult(
                asset_key=campaign_key(wave.campaign.name),
                metadata={
                    "row_count": MetadataValue.int(wave.count_treatment),
                    "treatment": MetadataValue.int(wave.count_treatment),
                    "holdout": MetadataValue.int(wave.count_holdout),
                    "global_control": MetadataValue.int(wave.count_global_control),
                    "audience": MetadataValue.int(wave.audience_size),
                    **{
                        f"removed_{step}": MetadataValue.int(count)
                        for step, count in wave.removed.items()
                    },
                    "held_back_by_reason": MetadataValue.json(wave.held_back_by_reason),
                    "by_value_tier": MetadataValue.json({k: int(v) for k, v in by_tier.items()}),
                    "wave_date": MetadataValue.text(wave_date.isoformat()),
                    "as_of_date": MetadataValue.text(str(as_of_date)),
                    "export": MetadataValue.path(str(folder / f"{wave.campaign.name}.xlsx")),
                    "holdout_file": MetadataValue.path(str(holdout_files["csv"])),
                    "table": MetadataValue.text(f"campaigns.{wave.campaign.name}"),
                    "preview": MetadataValue.md(_preview(frame)),
                },
            )
        yield AssetObservation(
            asset_key=CONTACT_HISTORY_KEY,
            description="Rows added by a campaign wave (re-running a wave replaces its rows).",
            metadata={
                "wave_date": MetadataValue.text(wave_date.isoformat()),
                "rows_this_wave": MetadataValue.int(len(rows)),
                "held_back_customers": MetadataValue.int(len(held_back)),
                "held_back_by_reason": MetadataValue.json(held_back_by_reason),
                "row_count": MetadataValue.int(int(count_history)),
                "summary": MetadataValue.md(summary.to_markdown(index=False)),
                "summary_file": MetadataValue.path(str(folder / "summary.csv")),
            },
        )

    return campaign_wave
