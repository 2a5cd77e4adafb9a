"""The Flask application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from ivr.campaign_cache import CampaignCache
from ivr.services import Services
from petition.config import Settings, load_settings
from petition.db import Database


class StaffSessions(SecureCookieSessionInterface):
    """Cookie sessions for people; the carrier's webhooks get none. Opening one (its signing
    serializer) was a few percent of a new call's time, for a cookie no carrier sends."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith("/ivr/"):
            return None  # Flask gives the request a null session: read as empty, never saved
        return super().open_session(app, request)


def create_app(
    settings: Settings | None = None, test_config: dict[str, Any] | None = None
) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(
            settings.public_base_url and settings.public_base_url.startswith("https")
        ),
    )
    if test_config:
        app.config.update(test_config)
    app.session_interface = StaffSessions()
    db = Database(settings.database_url)
    app.extensions["petition"] = Services(settings=settings, db=db, campaigns=CampaignCache(db))

    from ivr import (
        api,
        health,
        i18n,
        observability,
        public,
        public_page,
        readback,
        staff,
        webhooks,
    )

    i18n.init_app(app)

    app.register_blueprint(webhooks.bp)
    app.register_blueprint(readback.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(public_page.bp)
    observability.init_app(app)
    if settings.proxy_hops:
        # Behind a proxy: the client's address (login rate limit) comes from X-Forwarded-For.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops
        )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return app
