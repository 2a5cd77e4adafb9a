"""A user's own account: the language of the pages and their API tokens.

These are the only POST routes a viewer may use: they change nothing but the user's own
preferences and tokens (a token carries the user's role, so it grants nothing new).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers.response import Response

from ivr import i18n
from ivr.i18n import gettext
from ivr.services import services
from ivr.staff.auth import bp, user
from petition.models import User
from petition.operations import users

# Posting to these changes only the signed-in user's own things (see the module docstring).
SELF_SERVICE_ENDPOINTS = {
    "staff.logout",
    "staff.account_language",
    "staff.create_token",
    "staff.revoke_token",
}


def _page(new_token: str | None = None) -> str:
    with services().db.session() as s:
        tokens = users.user_tokens(s, s.get_one(User, user().id))
    return render_template("staff/account.html", tokens=tokens, new_token=new_token)


@bp.get("/account")
def account() -> str:
    return _page()


@bp.post("/account/language")
def account_language() -> Response:
    lang = request.form.get("language", "")
    if lang not in i18n.LANGUAGES:
        abort(400)
    with services().db.session() as s:
        users.set_language(s.get_one(User, user().id), lang)
    session.pop("lang", None)  # the account's choice now applies
    i18n.use_language(lang)  # the message in the language just chosen
    flash(gettext("Language saved."), "success")
    return redirect(url_for("staff.account"))


@bp.post("/account/tokens")
def create_token() -> str:
    with services().db.session() as s:
        _token, value = users.create_token(
            s, s.get_one(User, user().id), request.form.get("label", "")
        )
    # Shown in this response only (not flashed: the session cookie is readable by its holder).
    return _page(new_token=value)


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int) -> Response:
    with services().db.session() as s:
        if not users.revoke_token(s, s.get_one(User, user().id), token_id):
            abort(404)
    flash(gettext("Token revoked."), "success")
    return redirect(url_for("staff.account"))
