"""Who is signed in: Argon2 password hashes, server-side sessions, CSRF tokens, throttling and lockout.

* Passwords are hashed with Argon2id (``argon2-cffi``, RFC 9106 parameters); an unknown user name costs the same
  hash as a known one, so timing does not tell which names exist.
* A session is a random token in a ``Secure; HttpOnly; SameSite=Strict`` cookie; the database keeps only its
  SHA-256, so a copied database cannot be used to sign in. Signing in always makes a new session (no session
  fixation); signing out deletes it.
* Each session has its own CSRF token, sent back with every state-changing request (a form field ``csrf_token`` or
  the ``X-CSRF-Token`` header) and compared in constant time.
* After :data:`LOCK_AFTER` failed sign-ins in a row an account is locked for :data:`LOCK_MINUTES` minutes; every
  attempt, failed or not, is in the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from circles.errors import PlannerError
from circles.planner.audit import record
from circles.planner.models import ROLES, Team, User, WebSession, utcnow

__all__ = [
    "LOCK_AFTER",
    "LOCK_MINUTES",
    "SESSION_HOURS",
    "SignedIn",
    "add_user",
    "check_csrf",
    "end_session",
    "hash_password",
    "session_user",
    "sign_in",
]

LOCK_AFTER = 5
LOCK_MINUTES = 15
SESSION_HOURS = 8
MIN_PASSWORD = 12

#: Argon2id parameters: RFC 9106's second recommendation (64 MiB, 3 passes, 4 lanes), argon2-cffi's default.
PASSWORD_PARAMETERS = profiles.RFC_9106_LOW_MEMORY
_HASHER = PasswordHasher.from_parameters(PASSWORD_PARAMETERS)
_DUMMY = _HASHER.hash("circles-planner-no-such-user")


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` (at least 12 characters)."""
    if len(password) < MIN_PASSWORD:
        raise PlannerError(f"A password needs at least {MIN_PASSWORD} characters.")
    return _HASHER.hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_user(session: Session, username: str, role: str, password: str, *, team: str | None = None) -> User:
    """Add a user with one of :data:`~circles.planner.models.ROLES`; ``team`` is made when new."""
    username = username.strip()
    if role not in ROLES:
        raise PlannerError(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.")
    if not username or len(username) > 80 or not username.isprintable():
        raise PlannerError("A user name needs 1 to 80 printable characters.")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise PlannerError(f"There is already a user {username!r}.")
    team_row = None
    if team:
        team_row = session.scalar(select(Team).where(Team.name == team)) or Team(name=team)
    user = User(username=username, role=role, password_hash=hash_password(password), team=team_row)
    session.add(user)
    session.flush()
    record(session, None, "user.add", "user", user.id, f"role {role}")
    return user


@dataclass(frozen=True)
class SignedIn:
    """A new session: the cookie's token (given to the browser, never stored) and its CSRF token."""

    token: str
    csrf_token: str
    user: User


def sign_in(session: Session, username: str, password: str, *, now: datetime | None = None) -> SignedIn:
    """Check a user name and password and start a new session; :class:`PlannerError` says why not.

    The message never says whether the name exists: "wrong user name or password" for both, and "locked" only
    once the lock is on.
    """
    now = now or utcnow()
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.active:
        try:
            _HASHER.verify(_DUMMY, password or "-")
        except VerificationError:
            pass
        record(session, None, "sign_in", "user", "", f"unknown or inactive user {username[:40]!r}", outcome="denied")
        session.commit()  # the failure stays on record although the sign-in fails
        raise PlannerError("Wrong user name or password.")
    if user.locked_until is not None and user.locked_until > now:
        record(session, user, "sign_in", "user", user.id, "account locked", outcome="denied")
        session.commit()
        raise PlannerError(f"This account is locked after {LOCK_AFTER} failed sign-ins: try again later.")
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerifyMismatchError, InvalidHashError, VerificationError):
        user.failed_logins += 1
        if user.failed_logins >= LOCK_AFTER:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
        record(session, user, "sign_in", "user", user.id, "wrong password", outcome="denied")
        session.commit()  # the count towards the lock, and the audit entry, survive the failure
        raise PlannerError("Wrong user name or password.") from None
    user.failed_logins, user.locked_until = 0, None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.add(
        WebSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(hours=SESSION_HOURS),
        )
    )
    record(session, user, "sign_in", "user", user.id, "")
    return SignedIn(token, csrf, user)


def session_user(session: Session, token: str | None, *, now: datetime | None = None) -> WebSession | None:
    """The live session for a cookie token, or None (no token, unknown, expired or user deactivated)."""
    if not token:
        return None
    row = session.scalar(  # one round trip for the session, its user and the user's team
        select(WebSession)
        .options(joinedload(WebSession.user).joinedload(User.team))
        .where(WebSession.token_hash == _token_hash(token))
    )
    if row is None or row.expires_at <= (now or utcnow()) or not row.user.active:
        return None
    return row


def end_session(session: Session, token: str | None) -> None:
    """Sign out: the session is deleted, so its cookie is worthless from now on."""
    if token:
        row = session.get(WebSession, _token_hash(token))
        if row is not None:
            record(session, row.user, "sign_out", "user", row.user_id, "")
            session.delete(row)


def check_csrf(web_session: WebSession, sent: str | None) -> bool:
    """True when ``sent`` is this session's CSRF token (constant-time comparison)."""
    return bool(sent) and hmac.compare_digest(web_session.csrf_token.encode(), str(sent).encode())
