"""Where a wvp camera's stream is right now: ask wvp to play the channel, take ``data.rtsp``.

``VideoSource`` asks its locator before every open, so a stream that dropped (ZLMediaKit closes a
stream when the device stops sending or nobody reads it, with wvp's ``stream-on-demand``) is played
again through wvp rather than re-opened at a URL that may no longer serve anything.
"""

from __future__ import annotations

import logging

from ingest.capture import redact
from ingest.wvp.client import WvpClient
from ingest.wvp.config import WvpChannelRef
from ingest.wvp.errors import WvpProtocolError

logger = logging.getLogger(__name__)


class WvpLocator:
    """A ``StreamLocator`` for one wvp channel; raises ``WvpError`` (a ``SourceError``) when wvp says no.

    Example:
        >>> locator = WvpLocator(client, WvpChannelRef(device_id="...", channel_id="..."))
        >>> VideoSource(VideoSourceConfig(id="cam", url=locator.name, located=True), locator=locator)
    """

    def __init__(self, client: WvpClient, ref: WvpChannelRef) -> None:
        self.client = client
        self.ref = ref
        self.plays = 0

    @property
    def name(self) -> str:
        """A URL-like name of the channel for logs and health: ``wvp://host:port/device/channel``."""
        host = self.client.config.url.split("://", 1)[1]
        return f"wvp://{host}/{self.ref.label}"

    def locate(self) -> str:
        """Play the channel through wvp and return its RTSP URL (``rtsp``, else ``rtsps``)."""
        stream = self.client.play_or_explain(self.ref)
        self.plays += 1
        url = stream.rtsp or stream.rtsps
        if not url:
            raise WvpProtocolError(
                f"wvp {self.client.config.url}: the play answer for {self.ref.label} has no rtsp URL "
                "(is ZLMediaKit's RTSP port enabled and known to wvp as media.rtsp-port?)"
            )
        logger.info("wvp played %s: %s", self.ref.label, redact(url))
        return url
