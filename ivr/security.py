"""Request checks at the edge: carrier signatures and staff bearer tokens."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, g, request
from twilio.request_validator import RequestValidator

from ivr.carrier import refusals
from ivr.services import services
from petition.operations.users import ROLE_RANK, token_role

F = TypeVar("F", bound=Callable[..., Any])


def carrier_url() -> str:
    """The URL the carrier called, as it saw it: PUBLIC_BASE_URL + path + query."""
    base = services().settings.public_base_url or request.host_url.rstrip("/")
    return base + _path_and_query()


def _path_and_query() -> str:
    query = request.query_string.decode()
    return request.path + (f"?{query}" if query else "")


def signed_by_carrier(view: F) -> F:
    """403 unless X-Twilio-Signature matches the request (checked before anything is parsed).

    During a token rotation the previous token is accepted too (TWILIO_PREVIOUS_AUTH_TOKEN).
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        signature = request.headers.get("X-Twilio-Signature", "")
        settings = services().settings
        tokens = [settings.twilio_auth_token, settings.twilio_previous_auth_token]
        url, form = carrier_url(), request.form.to_dict()
        validators = [RequestValidator(token) for token in tokens if token]
        if not signature or not any(v.validate(url, form, signature) for v in validators):
            if signature:  # a request with no signature at all is not the carrier's: no cause
                _note_refusal(url, form, signature, validators)
            abort(403)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _note_refusal(
    checked: str, form: dict[str, str], signature: str, validators: list[RequestValidator]
) -> None:
    """Count the refusal for the overview, with the address the carrier signed against when
    a likely one matches (ivr/carrier/refusals.py)."""
    path_and_query = _path_and_query()
    reached = request.host_url.rstrip("/") + path_and_query
    signed = refusals.signed_url(
        reached,
        checked,
        path_and_query,
        lambda u: any(v.validate(u, form, signature) for v in validators),
    )
    queue = services().queue
    refusals.record(queue.connection, queue.name, signed=signed, checked=checked)


def require_token(min_role: str = "viewer") -> str:
    """The role of the request's `Authorization: Bearer` token; aborts 401 without a valid
    one, 403 when its role is below `min_role`."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401)
    with services().db.session() as s:
        role = token_role(s, token.strip())
    if role is None:
        abort(401)
    if ROLE_RANK.get(role, -1) < ROLE_RANK[min_role]:
        abort(403)
    return role


def bearer_token(min_role: str = "viewer") -> Callable[[F], F]:
    """401 without a valid `Authorization: Bearer` token, 403 when its role is too low."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.api_role = require_token(min_role)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
