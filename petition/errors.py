"""Domain errors. The edges (webhooks, API, CLI) turn them into protocol answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from petition.models import Campaign


class PetitionError(Exception):
    pass


class UnknownNumber(PetitionError):
    """No campaign answers on the dialled number."""


class CampaignClosed(PetitionError):
    """The campaign exists but no longer takes signatures."""

    def __init__(self, campaign: Campaign) -> None:
        super().__init__(campaign.slug)
        self.campaign = campaign
