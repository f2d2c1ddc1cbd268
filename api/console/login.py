"""One login attempt: throttle check, password check, session start — with metrics and no timing hints."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from api.console.deps import session_policy
from api.context import ApiContext
from api.services.accounts import authenticate, start_session
from api.services.throttle import KeyKind, Refusal, ThrottlePolicy, check, clear, key_of, record_failure
from api.settings import ApiSettings

FAILURE_DELAY_S = 0.5
"""Every failed attempt is answered this much later (on top of the throttle's waits)."""


@dataclass(frozen=True)
class Attempt:
    """What the login form sent, and from where."""

    username: str
    password: str
    address: str
    user_agent: str


@dataclass(frozen=True)
class Outcome:
    """A session cookie value, or why there is none (`refusal` when throttled or locked)."""

    token: str | None
    refusal: Refusal | None = None


def policies(settings: ApiSettings) -> dict[KeyKind, ThrottlePolicy]:
    """Throttle thresholds per user and per address, from the settings."""
    window, lock = (
        timedelta(minutes=settings.login_window_minutes),
        timedelta(minutes=settings.login_lock_minutes),
    )
    return {
        KeyKind.USER: ThrottlePolicy(
            settings.login_user_slow_after, settings.login_user_lock_after, window, lock
        ),
        KeyKind.ADDRESS: ThrottlePolicy(
            settings.login_address_slow_after, settings.login_address_lock_after, window, lock
        ),
    }


def _attempt(ctx: ApiContext, attempt: Attempt, now: datetime) -> Outcome:
    keys = {
        KeyKind.USER: key_of(KeyKind.USER, attempt.username),
        KeyKind.ADDRESS: key_of(KeyKind.ADDRESS, attempt.address),
    }
    rules = policies(ctx.settings)
    with ctx.sessions() as session:
        refusal = check(session=session, keys=keys, policies=rules, now=now)
        if refusal is not None:
            return Outcome(None, refusal)
        user = authenticate(session=session, username=attempt.username, password=attempt.password)
        if user is None:
            for kind in record_failure(session=session, keys=keys, policies=rules, now=now):
                ctx.metrics.console_lockouts.labels(kind.value).inc()
            session.commit()
            return Outcome(None)
        clear(session=session, key=keys[KeyKind.USER])
        token = start_session(
            session=session,
            user=user,
            policy=session_policy(ctx.settings),
            now=now,
            address=attempt.address,
            user_agent=attempt.user_agent,
        )
        session.commit()
    return Outcome(token)


async def log_in(ctx: ApiContext, attempt: Attempt) -> Outcome:
    """Try one login (the password hash runs in a thread); failures are answered after a delay."""
    outcome = await asyncio.to_thread(_attempt, ctx, attempt, datetime.now(UTC))
    if outcome.refusal is not None:
        result = "locked" if outcome.refusal.locked else "throttled"
    else:
        result = "ok" if outcome.token else "failed"
    ctx.metrics.console_logins.labels(result).inc()
    if outcome.token is None:
        await asyncio.sleep(FAILURE_DELAY_S)
    return outcome
