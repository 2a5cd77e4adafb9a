"""Staff pages under /staff/: live count, review by ear, signatures, campaign settings.

`bp` is the staff blueprint (its gate is in auth.py); `embed_bp` serves the public embeddable
progress page. Importing the view modules registers their routes on `bp`.
"""

from ivr.staff import (  # noqa: F401 (importing registers the routes)
    account,
    campaign_details,
    campaign_settings,
    exports,
    guarding,
    line,
    overview,
    reviewing,
    signatures,
)
from ivr.staff.auth import bp
from ivr.staff.embed import bp as embed_bp

__all__ = ["bp", "embed_bp"]
