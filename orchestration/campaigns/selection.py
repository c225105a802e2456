"""Select the members of one campaign from the marts (a DuckDB connection in, a DataFrame out)."""

from __future__ import annotations

import duckdb
import pandas as pd

from orchestration.campaigns.config import Campaign, CampaignConfigError

# The mart columns every list carries (no personal data), then the contact details.
LIST_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "customer_type",
    "value_tier",
    "total_lifetime_value",
    "loyalty_class",
    "loyalty_ladder_stage",
    "lifecycle_status",
    "churn_risk_band",
    "last_purchase_date",
)
CONTACT_COLUMNS: tuple[str, ...] = ("full_name", "email", "phone")


def validate_audience(connection: duckdb.DuckDBPyConnection, campaign: Campaign) -> None:
    """Fail with a clear message when the audience is not a valid condition on marts.customers."""
    try:
        connection.execute(f"select count(*) from marts.customers where {campaign.audience}")
    except duckdb.Error as error:
        raise CampaignConfigError(
            f"Campaign {campaign.name}: audience `{campaign.audience}` is not a valid condition "
            f"on marts.customers: {error}"
        ) from error


def select_members(connection: duckdb.DuckDBPyConnection, campaign: Campaign) -> pd.DataFrame:
    """Customers who match the audience and consented to marketing, with their contact details.

    Ordered by lifetime value (highest first), then customer_id, so the most
    valuable customers come first and the order is stable.
    """
    validate_audience(connection, campaign)
    mart_columns = ", ".join(f"audience.{column}" for column in LIST_COLUMNS)
    contact_columns = ", ".join(f"contacts.{column}" for column in CONTACT_COLUMNS)
    members = connection.execute(
        f"""
        with audience as (
            select * from marts.customers where ({campaign.audience})
        )
        select {mart_columns}, {contact_columns}
        from audience
        inner join restricted.customer_contacts as contacts
            on audience.customer_id = contacts.customer_id
        where contacts.marketing_consent = 'opt_in'
        order by audience.total_lifetime_value desc, audience.customer_id
        """
    ).df()
    members.insert(0, "campaign", campaign.name)
    members["channel"] = campaign.channel
    members["offer_en"] = campaign.offer_en
    members["offer_zh"] = campaign.offer_zh
    return members
