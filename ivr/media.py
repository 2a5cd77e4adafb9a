"""Where a campaign's files live under DATA_DIR: uploaded prompt audio, its public image and
the public page's drawn share images."""

from __future__ import annotations

from pathlib import Path

from ivr.services import services
from petition.models import Campaign


def uploaded_prompt_path(campaign: Campaign, name: str, language: str) -> Path:
    return uploaded_prompt_file(services().settings.data_dir, campaign, name, language)


def uploaded_prompt_file(data_dir: Path, campaign: Campaign, name: str, language: str) -> Path:
    return data_dir / "prompts" / str(campaign.id) / language / f"{name}.wav"


def campaign_image_path(campaign: Campaign) -> Path:
    return services().settings.data_dir / "public" / str(campaign.id) / "image.jpg"


def campaign_image_version(campaign: Campaign) -> int | None:
    """The campaign image's modification time, for its URL (a new upload, a new address), or
    None when it has none."""
    try:
        return int(campaign_image_path(campaign).stat().st_mtime)
    except FileNotFoundError:
        return None


def public_cache_dir(campaign: Campaign) -> Path:
    return services().settings.data_dir / "public" / str(campaign.id) / "cache"
