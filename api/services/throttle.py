"""Failed-login throttling per user and per address, shared by every API process through the database.

After `slow_after` failures in a window, each further attempt must wait 5 s after the last failure,
doubling with each failure (capped at a minute); after `lock_after` failures the key is locked for
`lock_minutes`, whatever password is given. A successful login clears the user's count (not the
address's, so one good account cannot reset an attacker's address).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.db import begin_write
from api.orm import LoginThrottle

FIRST_WAIT = timedelta(seconds=5)
MAX_WAIT = timedelta(minutes=1)


class KeyKind(StrEnum):
    """What a throttle key counts."""

    USER = "user"
    ADDRESS = "address"


@dataclass(frozen=True)
class ThrottlePolicy:
    """Thresholds of one key kind."""

    slow_after: int
    lock_after: int
    window: timedelta
    lock: timedelta


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused before its password is checked."""

    kind: KeyKind
    locked: bool
    until: datetime


def key_of(kind: KeyKind, value: str) -> str:
    """The stored key, e.g. `user:wang` (user names compared case-insensitively)."""
    return f"{kind.value}:{value.lower() if kind is KeyKind.USER else value}"[:160]


def _wait(failures: int, policy: ThrottlePolicy) -> timedelta:
    if failures < policy.slow_after:
        return timedelta(0)
    wait: timedelta = FIRST_WAIT * 2 ** min(failures - policy.slow_after, 8)
    return min(wait, MAX_WAIT)


def check(
    *, session: Session, keys: dict[KeyKind, str], policies: dict[KeyKind, ThrottlePolicy], now: datetime
) -> Refusal | None:
    """A refusal when any key is locked or must still wait; None when the attempt may go ahead."""
    rows = {
        r.key: r for r in session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys.values())))
    }
    for kind, key in keys.items():
        row = rows.get(key)
        if row is None or (row.window_start + policies[kind].window <= now and not _locked(row, now)):
            continue
        if _locked(row, now):
            assert row.locked_until is not None
            return Refusal(kind, True, row.locked_until)
        allowed_at = row.last_failure_at + _wait(row.failures, policies[kind])
        if allowed_at > now:
            return Refusal(kind, False, allowed_at)
    return None


def _locked(row: LoginThrottle, now: datetime) -> bool:
    return row.locked_until is not None and row.locked_until > now


def record_failure(
    *, session: Session, keys: dict[KeyKind, str], policies: dict[KeyKind, ThrottlePolicy], now: datetime
) -> list[KeyKind]:
    """Count one failure against every key; returns the kinds that became locked by it."""
    begin_write(session)
    locked: list[KeyKind] = []
    for kind, key in keys.items():
        policy = policies[kind]
        row = session.get(LoginThrottle, key, with_for_update=True)
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_start=now, last_failure_at=now)
            session.add(row)
        elif row.window_start + policy.window <= now and not _locked(row, now):
            row.failures, row.window_start, row.locked_until = 0, now, None
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= policy.lock_after and not _locked(row, now):
            row.locked_until = now + policy.lock
            locked.append(kind)
    return locked


def clear(*, session: Session, key: str) -> None:
    """Forget the failures of one key (after a successful login of that user)."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
