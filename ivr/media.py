"""Where campaign-uploaded prompt audio lives."""

from __future__ import annotations

from pathlib import Path

from ivr.services import services
from petition.models import Campaign


def uploaded_prompt_path(campaign: Campaign, name: str, language: str) -> Path:
    return uploaded_prompt_file(services().settings.data_dir, campaign, name, language)


def uploaded_prompt_file(data_dir: Path, campaign: Campaign, name: str, language: str) -> Path:
    return data_dir / "prompts" / str(campaign.id) / language / f"{name}.wav"
