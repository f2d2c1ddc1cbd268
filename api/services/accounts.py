"""Console accounts: passwords, logins and browser sessions, on top of the API's users.

A session resolves to the same `Principal` a bearer token does, so the console is scoped by the
same rule as the JSON routes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.errors import BadInputError, NotAuthenticatedError, NotFoundError
from api.logic.roles import Role
from api.orm import ConsoleAccount, ConsoleSession, User
from api.passwords import check_policy, hash_password, needs_rehash, verify_password
from api.security import hash_token
from api.services.audit import audit
from api.services.principals import Principal

CONSOLE_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN})
TOUCH_EVERY = timedelta(minutes=1)
"""A session's last-seen time is written at most this often (reads should not write)."""


@dataclass(frozen=True)
class SessionPolicy:
    """How long a console login lasts."""

    lifetime: timedelta
    idle: timedelta


@dataclass(frozen=True)
class LoggedIn:
    """A valid console session: who, their CSRF token and language."""

    principal: Principal
    session_id: int
    csrf_token: str
    locale: str | None


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"no user {username!r}")
    return user


def set_password(
    *,
    session: Session,
    username: str,
    password: str,
    actor: str,
    now: datetime,
    keep_session_id: int | None = None,
) -> int:
    """Set a user's console password (audited) and end their other sessions; returns how many ended."""
    check_policy(password)
    user = _user(session, username)
    if Role(user.role) not in CONSOLE_ROLES:
        roles = ", ".join(sorted(r.value for r in CONSOLE_ROLES))
        raise BadInputError(f"user {username!r} is a {user.role}; console logins are for {roles}")
    account = session.get(ConsoleAccount, user.id)
    if account is None:
        session.add(
            ConsoleAccount(user_id=user.id, password_hash=hash_password(password), password_set_at=now)
        )
    else:
        account.password_hash, account.password_set_at = hash_password(password), now
    ended = end_sessions(session=session, user_id=user.id, now=now, keep_session_id=keep_session_id)
    audit(
        session=session,
        actor=actor,
        action="user.password.set",
        target_kind="user",
        target=username,
        now=now,
        data={"sessions_ended": ended},
    )
    return ended


def set_locale(*, session: Session, user_id: int, locale: str) -> None:
    """Remember the user's console language."""
    account = session.get(ConsoleAccount, user_id)
    if account is not None:
        account.locale = locale


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The enabled console user with this password, else None (the same work either way)."""
    row = session.execute(
        select(User, ConsoleAccount)
        .outerjoin(ConsoleAccount, ConsoleAccount.user_id == User.id)
        .where(User.username == username)
    ).first()
    user, account = (row[0], row[1]) if row is not None else (None, None)
    if not verify_password(account.password_hash if account else None, password):
        return None
    assert user is not None
    assert account is not None
    if user.disabled_at is not None or Role(user.role) not in CONSOLE_ROLES:
        return None
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    return user


def start_session(
    *, session: Session, user: User, policy: SessionPolicy, now: datetime, address: str, user_agent: str
) -> str:
    """Open a session for `user`; returns the cookie value (stored only as its sha256)."""
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=hash_token(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.lifetime,
            address=address[:64],
            user_agent=user_agent[:256],
        )
    )
    return token


def logged_in(*, session: Session, token: str, policy: SessionPolicy, now: datetime) -> LoggedIn:
    """The live session behind a cookie value; 401 when unknown, ended, expired, idle or disabled.

    Marks the session used (at most once a minute); the caller commits."""
    row = session.execute(
        select(ConsoleSession, User, ConsoleAccount.locale)
        .join(User, User.id == ConsoleSession.user_id)
        .outerjoin(ConsoleAccount, ConsoleAccount.user_id == User.id)
        .where(ConsoleSession.token_hash == hash_token(token))
    ).first()
    if row is None:
        raise NotAuthenticatedError("no such session")
    login, user, locale = row
    if login.ended_at is not None or login.expires_at <= now or login.last_seen_at + policy.idle <= now:
        raise NotAuthenticatedError("the session has ended")
    if user.disabled_at is not None:
        raise NotAuthenticatedError("the user is disabled")
    if now - login.last_seen_at >= TOUCH_EVERY:
        login.last_seen_at = now  # the caller commits
    principal = Principal(user.id, user.username, Role(user.role), user.scope_path)
    return LoggedIn(principal, login.id, login.csrf_token, locale)


def end_session(*, session: Session, token: str, now: datetime) -> None:
    """End the session behind a cookie value (logout); unknown values are ignored."""
    session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.token_hash == hash_token(token), ConsoleSession.ended_at.is_(None))
        .values(ended_at=now)
    )


def end_sessions(*, session: Session, user_id: int, now: datetime, keep_session_id: int | None = None) -> int:
    """End every open session of a user except `keep_session_id`; returns how many."""
    query = update(ConsoleSession).where(ConsoleSession.user_id == user_id, ConsoleSession.ended_at.is_(None))
    if keep_session_id is not None:
        query = query.where(ConsoleSession.id != keep_session_id)
    return int(session.execute(query.values(ended_at=now)).rowcount)  # type: ignore[attr-defined]
