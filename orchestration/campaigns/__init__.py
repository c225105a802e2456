"""Retention campaigns: the rules (campaigns.yml), the wave engine and warehouse I/O."""

from orchestration.campaigns.config import (
    Campaign,
    CampaignConfig,
    CampaignConfigError,
    CampaignSettings,
    load_campaigns,
    load_config,
)
from orchestration.campaigns.engine import WaveList, build_wave

__all__ = [
    "Campaign",
    "CampaignConfig",
    "CampaignConfigError",
    "CampaignSettings",
    "WaveList",
    "build_wave",
    "load_campaigns",
    "load_config",
]
