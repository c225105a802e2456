"""Retention campaign lists: the rules (campaigns.yml) and how members are selected."""

from orchestration.campaigns.config import Campaign, CampaignConfigError, load_campaigns
from orchestration.campaigns.selection import select_members

__all__ = ["Campaign", "CampaignConfigError", "load_campaigns", "select_members"]
