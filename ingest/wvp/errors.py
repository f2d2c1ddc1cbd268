"""Exceptions of the wvp-GB28181-pro client.

They derive from ``SourceError``: for a camera read through wvp, "wvp cannot give me the stream" is a
source that cannot be opened, so ``VideoSource`` records it as ``offline`` with the message (the
state users already see in ``/healthz`` and in ``device_offline`` alerts) and tries again later.

    WvpError                    anything that went wrong talking to wvp
    ├── WvpUnreachableError     no HTTP answer (refused, timed out, TLS) or a non-JSON answer
    ├── WvpProtocolError        an answer whose JSON is not of the shape wvp's source defines
    ├── WvpAuthError            login refused, token rejected after a fresh login, API key rejected
    └── WvpApiError             ``{code != 0, msg}``: wvp answered, but said no (``code``, ``msg``)
        └── WvpChannelOfflineError   the device or channel is offline, or the play request timed out
"""

from __future__ import annotations

from ingest.errors import SourceError


class WvpError(SourceError):
    """Base class of the wvp client's errors; the message names the wvp URL and the request."""


class WvpUnreachableError(WvpError):
    """wvp did not answer (connection refused, timeout) or answered something that is not JSON."""


class WvpProtocolError(WvpError):
    """wvp answered JSON that does not have the shape of wvp's WVPResult / PageInfo / beans."""


class WvpAuthError(WvpError):
    """wvp refused the credentials: bad user or password, an expired API key, no access."""


class WvpApiError(WvpError):
    """wvp answered ``{"code": c, "msg": m}`` with ``c != 0``."""

    def __init__(self, message: str, *, code: int, msg: str) -> None:
        super().__init__(message)
        self.code = code
        self.msg = msg


class WvpChannelOfflineError(WvpApiError):
    """The channel (or its device) is offline in wvp, or the device did not answer the INVITE in time."""
