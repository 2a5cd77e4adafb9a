"""The carrier's REST API through the `twilio` package, at TWILIO_API_BASE.

Every request, whatever Twilio domain the package means (api, monitor), goes to TWILIO_API_BASE
with the same path: Twilio-compatible carriers serve the API elsewhere, and tests point it at a
stand-in on loopback. Every failure becomes a CarrierError with a plain message; credentials are
never in a message nor in a log line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from petition.config import Settings
from petition.i18n import N_

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Said:
    """A plain-language message: a catalog text (marked with N_) and its placeholders' values,
    translated where it is shown; str() is the English (for the command line and logs)."""

    message: str
    values: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message % self.values


class Bytes(int):
    """A size in a message: English on the command line, as each language writes it where a
    page shows the message (`said`)."""

    def __str__(self) -> str:
        value, unit = float(self), "B"
        for bigger in ("KB", "MB", "GB", "TB"):
            if value < 1000:
                break
            value, unit = value / 1000, bigger
        return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"


class CarrierError(Exception):
    """The carrier could not do what was asked. `kind`: credentials, not_found, rate_limited,
    unavailable, timeout, unreachable, refused; `said` says it in plain words."""

    def __init__(self, kind: str, said: Said, status: int | None = None) -> None:
        super().__init__(str(said))
        self.kind = kind
        self.said = said
        self.status = status


class RebasedHttpClient(TwilioHttpClient):
    """Sends each request to `base` + the request's own path (and query)."""

    def __init__(self, base: str, timeout: float) -> None:
        super().__init__(pool_connections=False, timeout=timeout, logger=log)
        parts = urlsplit(base.rstrip("/"))
        self.scheme, self.netloc, self.prefix = parts.scheme, parts.netloc, parts.path

    def rebase(self, url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit((self.scheme, self.netloc, self.prefix + parts.path, parts.query, ""))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        # A session per request, closed after it: the product makes a few requests per action,
        # and a pooled session nobody closes would leave its sockets open. (So a client is for
        # one thread.)
        self.session = requests.Session()
        try:
            return super().request(method, self.rebase(url), *args, **kwargs)
        finally:
            self.session.close()
            self.session = None  # type: ignore[assignment]

    # The package logs every request and answer at INFO, bodies included: one debug line each
    # here (the address and the status; never the Authorization header nor the form).
    def log_request(self, kwargs: dict[str, Any]) -> None:
        log.debug("carrier API: %s %s", kwargs["method"], kwargs["url"])

    def log_response(self, status_code: int, response: Any) -> None:
        log.debug("carrier API: answered %s", status_code)


@dataclass(frozen=True)
class Number:
    """An incoming number of the account, and where its calls go now."""

    sid: str
    phone_number: str
    friendly_name: str
    voice_url: str
    voice_method: str
    status_callback: str
    status_callback_method: str

    def voice_settings(self) -> dict[str, str]:
        return {
            "voice_url": self.voice_url,
            "voice_method": self.voice_method,
            "status_callback": self.status_callback,
            "status_callback_method": self.status_callback_method,
        }


@dataclass(frozen=True)
class Alert:
    sid: str
    created: datetime | None
    error_code: str
    log_level: str
    text: str
    request_url: str


def _number(n: Any) -> Number:
    return Number(
        sid=n.sid or "",
        phone_number=n.phone_number or "",
        friendly_name=n.friendly_name or "",
        voice_url=n.voice_url or "",
        voice_method=(n.voice_method or "POST").upper(),
        status_callback=n.status_callback or "",
        status_callback_method=(n.status_callback_method or "POST").upper(),
    )


def _explain(exc: Exception) -> CarrierError:
    # A list's page that failed is a bare TwilioException holding the response.
    response = exc.args[1] if len(exc.args) > 1 else None
    if not isinstance(exc, TwilioRestException) and isinstance(response, Response):
        exc = TwilioRestException(response.status_code, "", "")
    if isinstance(exc, TwilioRestException):
        status = exc.status
        if status in (401, 403):
            return CarrierError(
                "credentials",
                Said(
                    N_(
                        "The carrier refused the account's credentials: check "
                        "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN."
                    )
                ),
                status,
            )
        if status == 404:
            return CarrierError("not_found", Said(N_("The carrier does not know it (404).")), 404)
        if status == 429:
            return CarrierError(
                "rate_limited",
                Said(N_("The carrier is limiting requests (429): try again in a minute.")),
                status,
            )
        if status >= 500:
            return CarrierError(
                "unavailable",
                Said(
                    N_("The carrier's API is failing (%(status)s): try again in a few minutes."),
                    {"status": status},
                ),
                status,
            )
        detail = (exc.msg or "").splitlines()[0][:200] if exc.msg else ""
        return CarrierError(
            "refused",
            Said(
                N_("The carrier refused the request (%(status)s): %(detail)s"),
                {"status": status, "detail": detail},
            ),
            status,
        )
    if isinstance(exc, requests.Timeout):
        return CarrierError("timeout", Said(N_("The carrier's API did not answer in time.")))
    if isinstance(exc, requests.RequestException):
        return CarrierError(
            "unreachable",
            Said(
                N_(
                    "The carrier's API cannot be reached (%(error)s): check TWILIO_API_BASE "
                    "and the network."
                ),
                {"error": type(exc).__name__},
            ),
        )
    return CarrierError("refused", Said(N_("The carrier's answer was not understood.")), None)


def _naive_utc(moment: object) -> datetime | None:
    """A datetime the package parsed, as the product stores times (naive UTC)."""
    if not isinstance(moment, datetime):
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


class Carrier:
    """The few REST calls the product makes, with plain errors."""

    def __init__(self, settings: Settings) -> None:
        if not settings.twilio_account_sid or not settings.twilio_auth_token:
            raise CarrierError(
                "credentials",
                Said(N_("Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to the account's.")),
            )
        self.account_sid = settings.twilio_account_sid
        http = RebasedHttpClient(settings.twilio_api_base, settings.twilio_api_timeout)
        self.client = Client(
            settings.twilio_account_sid, settings.twilio_auth_token, http_client=http
        )

    def _do(self, what: Any) -> Any:
        try:
            return what()
        except (TwilioException, requests.RequestException, ValueError) as exc:
            error = _explain(exc)
            log.warning("carrier API: %s", error)
            raise error from None

    def account_status(self) -> str:
        """The account's status (`active`, `suspended`, `closed`)."""
        account = self._do(lambda: self.client.api.v2010.accounts(self.account_sid).fetch())
        return str(account.status or "")

    def numbers(self) -> list[Number]:
        found = self._do(lambda: self.client.incoming_phone_numbers.list(limit=1000))
        return sorted((_number(n) for n in found), key=lambda n: n.phone_number)

    def number(self, sid: str) -> Number:
        return _number(self._do(lambda: self.client.incoming_phone_numbers(sid).fetch()))

    def update_number(self, sid: str, settings: dict[str, str]) -> Number:
        updated = self._do(lambda: self.client.incoming_phone_numbers(sid).update(**settings))
        return _number(updated)

    def place_call(self, *, to: str, from_: str, url: str, status_callback: str) -> str:
        call = self._do(
            lambda: self.client.calls.create(
                to=to,
                from_=from_,
                url=url,
                method="POST",
                status_callback=status_callback,
                status_callback_method="POST",
            )
        )
        return str(call.sid)

    def alerts(self, since: datetime, limit: int = 20) -> list[Alert]:
        found = self._do(lambda: self.client.monitor.v1.alerts.list(start_date=since, limit=limit))
        return [
            Alert(
                sid=a.sid or "",
                created=_naive_utc(a.date_created),
                error_code=str(a.error_code or ""),
                log_level=a.log_level or "",
                text=a.alert_text or "",
                request_url=a.request_url or "",
            )
            for a in found
        ]
