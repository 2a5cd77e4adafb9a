"""The staff blueprint's gate: who is signed in, their role, CSRF tokens, sign-in and sign-out.

Every staff page needs a signed-in, active account; every POST needs the session's CSRF token
(400 otherwise, before the view runs, so nothing changes). Roles rank viewer < reviewer < admin.
"""

from __future__ import annotations

import functools
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy.orm as so
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers.response import Response

from ivr import i18n
from ivr.i18n import gettext, ngettext
from ivr.services import services
from ivr.staff.ratelimit import LoginLimiter
from petition.counting.regions import Region, region_label
from petition.line import campaigns
from petition.models import Campaign, User
from petition.operations import users
from petition.reporting.campaign_image import MAX_BYTES as image_max_bytes
from petition.reporting.campaign_image import TOO_LARGE as image_too_large

F = TypeVar("F", bound=Callable[..., Any])

bp = Blueprint("staff", __name__, url_prefix="/staff")

SESSION_HOURS = 12
OPEN_ENDPOINTS = {"staff.login", "staff.language"}
# Large enough for a minute of uncompressed CD-quality audio; the app's default is 2 MB.
UPLOAD_MAX_BYTES = 20 * 1024 * 1024
UPLOAD_ENDPOINTS = {"staff.upload_greeting", "staff.upload_image"}
CSP = (
    "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
    "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@bp.record_once
def _setup(state: Any) -> None:
    state.app.extensions["petition_login_limiter"] = LoginLimiter()


def limiter() -> LoginLimiter:
    found: LoginLimiter = current_app.extensions["petition_login_limiter"]
    return found


def current_user() -> User | None:
    uid, signed_in_at = session.get("uid"), session.get("at")
    if not isinstance(uid, int) or not isinstance(signed_in_at, int | float):
        return None
    if time.time() - signed_in_at > SESSION_HOURS * 3600:
        return None
    with services().db.session() as s:
        return users.active_user(s, uid)


def user() -> User:
    """The signed-in user (the gate below guarantees one on every non-open endpoint)."""
    found: User = g.user
    return found


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def _csrf_ok() -> bool:
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    return bool(sent and expected) and hmac.compare_digest(sent.encode(), str(expected).encode())


def _wants_json() -> bool:
    return request.path.endswith(".json") or request.accept_mimetypes.best == "application/json"


@bp.before_request
def gate() -> Any:
    g.user = current_user()
    i18n.use_language(pick_language(g.user.language if g.user is not None else None))
    if request.endpoint not in OPEN_ENDPOINTS and g.user is None:
        if _wants_json() or request.endpoint == "staff.recording":
            abort(401)
        flash(gettext("Please sign in to see this page."), "info")
        return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
    if request.method == "POST":
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = UPLOAD_MAX_BYTES
        if not _csrf_ok():
            abort(400)
    return None


@bp.after_request
def security_headers(resp: Response) -> Response:
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "same-origin"
    # Pages hold names and review decisions: no copies in shared or browser caches.
    resp.headers.setdefault("Cache-Control", "no-store")
    return resp


@bp.after_request
def forget_campaigns_after_a_change(resp: Response) -> Response:
    """A campaign changed here (closed, languages, texts): new calls to this process see it at
    once; other processes within the campaign cache's second."""
    if request.method == "POST" and resp.status_code < 400:
        services().campaigns.clear()
    return resp


@bp.errorhandler(HTTPException)
def error_page(exc: HTTPException) -> Any:
    code = exc.code or 500
    if code == 401 or _wants_json():
        return {"error": exc.name}, code
    if code not in (400, 403, 404, 413):
        return exc
    if code == 413 and request.endpoint == "staff.upload_image":
        # Past the request's limit: say the image's own limit, on the page the admin was on.
        flash(gettext(image_too_large, mb=image_max_bytes // (1024 * 1024)), "error")
        slug = (request.view_args or {}).get("slug", "")
        return redirect(url_for("staff.campaign_details", slug=slug) + "#image")
    return render_template("staff/error.html", code=code), code


def pick_language(user_language: str | None = None) -> str:
    """The switch in the page header (kept in the session), the user's own language, the
    browser's, English."""
    chosen = session.get("lang")
    if chosen in i18n.LANGUAGES:
        return str(chosen)
    if user_language in i18n.LANGUAGES:
        return str(user_language)
    return i18n.best_accepted()


@bp.context_processor
def template_helpers() -> dict[str, Any]:
    return {
        "lang": i18n.current_language(),
        "languages": i18n.LANGUAGE_NAMES,
        "csrf_token": csrf_token,
        "user": g.get("user"),
        "can": lambda role: g.get("user") is not None and users.has_role(g.user, role),
        "region_name": lambda region: region_label(Region(region), i18n.current_language()),
        "caller": _caller,
    }


def _caller(masked: str) -> str:
    """A masked number as shown; the words phones.identify uses for no number, translated."""
    if masked == "withheld":
        return gettext("Number withheld")
    if masked == "unrecognised":
        return gettext("Unrecognised number")
    return masked


def requires(role: str) -> Callable[[F], F]:
    """403 unless the signed-in user has at least `role`."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not users.has_role(user(), role):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def campaign_or_404(s: so.Session, slug: str) -> Campaign:
    campaign = campaigns.by_slug(s, slug)
    if campaign is None:
        abort(404)
    return campaign


def safe_next(target: str | None) -> str:
    """Only a path inside the staff pages: never an open redirect to another site."""
    if target and target.startswith("/staff/") and "//" not in target and "\\" not in target:
        return target
    return url_for("staff.campaigns")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if g.user is not None and request.method == "GET":
        return redirect(safe_next(request.args.get("next")))
    email = request.form.get("email", "").strip()
    if request.method == "GET":
        return render_template("staff/login.html", email=email)
    conn = services().queue.connection
    ip = request.remote_addr or "unknown"
    wait = limiter().retry_after(conn, email, ip)
    if wait:
        minutes = max(1, -(-wait // 60))
        error = ngettext(
            "Too many failed attempts. Try again in %(num)s minute.",
            "Too many failed attempts. Try again in %(num)s minutes.",
            minutes,
        )
        return render_template("staff/login.html", email=email, error=error), 429
    with services().db.session() as s:
        found = users.authenticate(s, email, request.form.get("password", ""))
        uid = found.id if found else None
    if uid is None:
        limiter().failed(conn, email, ip)
        error = gettext("Wrong e-mail address or password.")
        return render_template("staff/login.html", email=email, error=error), 401
    limiter().succeeded(conn, email)
    lang = session.get("lang")
    session.clear()  # a fresh session (and CSRF token) for the signed-in user
    session.update(uid=uid, at=int(time.time()), csrf=secrets.token_urlsafe(32))
    if lang:
        session["lang"] = lang
    return redirect(safe_next(request.args.get("next")))


@bp.post("/logout")
def logout() -> Response:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(gettext("You are signed out."), "info")
    return redirect(url_for("staff.login"))


@bp.get("/language/<code>")
def language(code: str) -> Response:
    # Only the display language, kept in the session: harmless as a GET link.
    if code in i18n.LANGUAGES:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")))
