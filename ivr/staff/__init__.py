"""Staff pages under /staff/: live count, review by ear, signatures, campaign settings.

`bp` is the staff blueprint (its gate is in auth.py). Importing the view modules registers
their routes on `bp`.
"""

from ivr.staff import (  # noqa: F401 (importing registers the routes)
    account,
    campaign_details,
    campaign_settings,
    exports,
    guarding,
    line,
    overview,
    public_face,
    reviewing,
    signatures,
)
from ivr.staff.auth import bp

__all__ = ["bp"]
