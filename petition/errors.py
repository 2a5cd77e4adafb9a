"""Domain errors. The edges (webhooks, API, CLI) turn them into protocol answers."""


class PetitionError(Exception):
    pass


class UnknownNumber(PetitionError):
    """No campaign answers on the dialled number."""


class CampaignClosed(PetitionError):
    """The campaign exists but no longer takes signatures."""
