"""The device-token check made before an alert body is read.

`POST /v1/alerts` answers 401/403 before it reads a byte of the body, so a caller without a valid
token cannot make the centre read (or buffer) anything. Valid tokens are remembered for a few
seconds so the hot path does not query the database per alert; the batch that stores the alert
checks the token again against the database, so a revocation is never missed, only refused later.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy.orm import Session, sessionmaker

from api.security import hash_token
from api.services.principals import device_for_token


class DeviceTokens:
    """Valid device tokens (by hash) recently seen, and the check that fills it."""

    def __init__(self, sessions: sessionmaker[Session], *, ttl_s: float) -> None:
        self._sessions = sessions
        self._ttl_s = ttl_s
        self._known: dict[str, tuple[str, float]] = {}

    async def check(self, token: str) -> str:
        """The device id of a valid token; NotAuthenticatedError (401) / ForbiddenError (403)."""
        digest = hash_token(token)
        known = self._known.get(digest)
        if known is not None and known[1] > time.monotonic():
            return known[0]
        device_id = await asyncio.to_thread(self._lookup, token)
        self._known[digest] = (device_id, time.monotonic() + self._ttl_s)
        return device_id

    def forget(self) -> None:
        """Drop what is remembered (after a revocation or rotation in this process)."""
        self._known.clear()

    def _lookup(self, token: str) -> str:
        with self._sessions() as session:
            return device_for_token(session=session, token=token).device_id
