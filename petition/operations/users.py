"""Staff accounts and their API tokens.

Passwords are kept only as argon2id hashes. An API token is shown once and kept only as its
SHA-256 (the same digest `ivr.security.hash_token` checks), and it carries its owner's role.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from petition import audit
from petition.errors import PetitionError
from petition.models import ApiToken, User, utcnow

ROLES = ("viewer", "reviewer", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
LANGUAGES = ("en", "nl", "fr")  # the languages of the staff pages
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the e-mail is unknown, so a wrong address takes as long as a wrong
    # password and the response time does not tell which accounts exist.
    return _hasher.hash(secrets.token_urlsafe(16))


class UserError(PetitionError, ValueError):
    """An account or token request that cannot be done; the edge shows the message."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def has_role(user: User, minimum: str) -> bool:
    return ROLE_RANK.get(user.role, -1) >= ROLE_RANK[minimum]


def create_user(
    session: so.Session, email: str, role: str, password: str, language: str = "en"
) -> User:
    """Add a staff account; UserError when the address is taken or the input is not valid."""
    email = normalize_email(email)
    if "@" not in email or len(email) > 200:
        raise UserError(f"not an e-mail address: {email!r}")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if language not in LANGUAGES:
        raise UserError(f"language must be one of {', '.join(LANGUAGES)}")
    _check_password(password)
    if session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise UserError(f"an account for {email} exists already")
    user = User(email=email, role=role, password_hash=_hasher.hash(password), language=language)
    session.add(user)
    session.flush()
    return user


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")


def authenticate(session: so.Session, email: str, password: str) -> User | None:
    """The active account with this e-mail and password, or None."""
    user = session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    stored = user.password_hash if user is not None else _dummy_hash()
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)  # parameters were raised since
    return user


def set_password(user: User, password: str) -> None:
    _check_password(password)
    user.password_hash = _hasher.hash(password)


def set_language(user: User, language: str) -> None:
    if language not in LANGUAGES:
        raise UserError(f"language must be one of {', '.join(LANGUAGES)}")
    user.language = language


def create_token(session: so.Session, user: User, label: str = "") -> tuple[ApiToken, str]:
    """A new API token for `user`, with the user's role. Returns the row and the secret,
    which is shown once: only its hash is stored."""
    value = secrets.token_urlsafe(32)
    token = ApiToken(
        token_hash=hash_token(value), role=user.role, label=label.strip()[:200], user_id=user.id
    )
    session.add(token)
    session.flush()
    audit.record(session, actor=user.email, action="token_created", note=f"token {token.id}")
    return token, value


def user_tokens(session: so.Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(
            sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def revoke_token(session: so.Session, user: User, token_id: int) -> bool:
    """Revoke one of the user's own tokens; False when it is not theirs (or does not exist)."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        return False
    if not token.revoked:
        token.revoked = True
        audit.record(session, actor=user.email, action="token_revoked", note=f"token {token.id}")
    return True


def active_user(session: so.Session, user_id: int) -> User | None:
    user = session.get(User, user_id)
    return user if user is not None and user.active else None


def token_role(session: so.Session, token: str) -> str | None:
    """The role an API token grants now, or None when it is unknown, revoked or its owner gone.

    A user's token follows the user: deactivated, refused; role changed, the current one.
    """
    row = session.scalar(
        sa.select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked.is_(False)
        )
    )
    if row is None:
        return None
    role = row.role
    if row.user_id is not None:
        owner = active_user(session, row.user_id)
        if owner is None:
            return None
        role = owner.role
    now = utcnow()
    # Record use at most once a minute: a polling dashboard must not write each time.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
    return role
