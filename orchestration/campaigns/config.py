"""Load and validate the campaign rules in campaigns.yml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

CAMPAIGNS_FILE = Path(__file__).with_name("campaigns.yml")
_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_FIELDS = ("name", "goal", "audience", "priority", "channel", "offer_en", "offer_zh")


class CampaignConfigError(ValueError):
    """campaigns.yml is not valid; the message says which campaign and what to fix."""


@dataclass(frozen=True)
class Campaign:
    name: str
    goal: str
    audience: str
    priority: int
    channel: str
    offer_en: str
    offer_zh: str


def _campaign(entry: object, position: int, path: Path) -> Campaign:
    where = f"{path}, campaign #{position}"
    if not isinstance(entry, dict):
        raise CampaignConfigError(f"{where}: expected a mapping with keys {', '.join(_FIELDS)}.")
    missing = [field for field in _FIELDS if field not in entry]
    unknown = sorted(set(entry) - set(_FIELDS))
    if missing or unknown:
        raise CampaignConfigError(
            f"{where} ({entry.get('name', '?')}): missing {missing or 'nothing'}, "
            f"unknown keys {unknown or 'none'}."
        )
    name = str(entry["name"])
    if not _NAME_PATTERN.match(name):
        raise CampaignConfigError(
            f"{where}: name {name!r} must be lower_snake_case (it becomes a table name)."
        )
    if not isinstance(entry["priority"], int) or entry["priority"] < 1:
        raise CampaignConfigError(f"{where} ({name}): priority must be a whole number >= 1.")
    return Campaign(**{field: entry[field] for field in _FIELDS})


def load_campaigns(path: Path = CAMPAIGNS_FILE) -> list[Campaign]:
    """The campaigns of the file, in priority order; raises CampaignConfigError."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = document.get("campaigns")
    if not isinstance(entries, list) or not entries:
        raise CampaignConfigError(f"{path}: expected a non-empty list under `campaigns:`.")
    campaigns = [_campaign(entry, position, path) for position, entry in enumerate(entries, 1)]
    names = [campaign.name for campaign in campaigns]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise CampaignConfigError(f"{path}: duplicate campaign name(s): {', '.join(duplicates)}.")
    return sorted(campaigns, key=lambda campaign: (campaign.priority, campaign.name))
