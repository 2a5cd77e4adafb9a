"""Addresses the outside world uses: the carrier's webhooks, and the links people share.

Both must be the address the service is reached at (PUBLIC_BASE_URL), not the one a request
happened to arrive on behind a proxy: the carrier signs the first, and a shared link or a
poster outlives the request that made it.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from ivr.services import services


def absolute(endpoint: str, **values: Any) -> str:
    base = services().settings.public_base_url
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
