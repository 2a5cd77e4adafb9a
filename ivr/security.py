"""Request checks at the edge: carrier signatures and staff bearer tokens."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort, g, request
from twilio.request_validator import RequestValidator

from ivr.services import services
from petition.models import ApiToken, User, utcnow
from petition.users import ROLE_RANK, hash_token

F = TypeVar("F", bound=Callable[..., Any])


def carrier_url() -> str:
    """The URL the carrier called, as it saw it: PUBLIC_BASE_URL + path + query."""
    base = services().settings.public_base_url or request.host_url.rstrip("/")
    query = request.query_string.decode()
    return base + request.path + (f"?{query}" if query else "")


def signed_by_carrier(view: F) -> F:
    """403 unless X-Twilio-Signature matches the request (checked before anything is parsed)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        signature = request.headers.get("X-Twilio-Signature", "")
        validator = RequestValidator(services().settings.twilio_auth_token)
        if not signature or not validator.validate(
            carrier_url(), request.form.to_dict(), signature
        ):
            abort(403)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def bearer_token(min_role: str = "viewer") -> Callable[[F], F]:
    """401 without a valid `Authorization: Bearer` token, 403 when its role is too low."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                abort(401)
            with services().db.session() as s:
                row = s.scalar(
                    sa.select(ApiToken).where(
                        ApiToken.token_hash == hash_token(token.strip()),
                        ApiToken.revoked.is_(False),
                    )
                )
                if row is None:
                    abort(401)
                role = row.role
                if row.user_id is not None:
                    # A user's token follows the user: deactivated → refused, role → current one.
                    owner = s.get(User, row.user_id)
                    if owner is None or not owner.active:
                        abort(401)
                    role = owner.role
                if ROLE_RANK.get(role, -1) < ROLE_RANK[min_role]:
                    abort(403)
                now = utcnow()
                # Record use at most once a minute: a polling dashboard must not write each time.
                if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
                    row.last_used_at = now
                g.api_role = role
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
