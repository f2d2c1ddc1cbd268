"""Cameras of GB/T 28181 platforms through wvp-GB28181-pro: its catalogue and its re-streams.

Use:

    client = WvpClient(config, resolve_credentials(config))   # logs in on first use, again on 401
    for device in client.devices(): ...                       # PageInfo paged to the end
    for channel in client.device_channels(device.device_id): ...
    for channel in client.common_channels(): ...               # newer wvp (read at 2.7.4)
    locator = WvpLocator(client, WvpChannelRef(device_id=..., channel_id=...))
    VideoSource(VideoSourceConfig(id=..., url=locator.name, located=True), locator=locator)

The shapes follow wvp-GB28181-pro 2.7.4 as read in its source (see ``ingest.wvp.client`` and
``ingest.wvp.shapes`` for the files and commits); no live wvp was tested.
"""

from ingest.wvp.client import WvpClient
from ingest.wvp.config import WvpChannelRef, WvpConfig, WvpCredentials, resolve_credentials
from ingest.wvp.errors import (
    WvpApiError,
    WvpAuthError,
    WvpChannelOfflineError,
    WvpError,
    WvpProtocolError,
    WvpUnreachableError,
)
from ingest.wvp.locator import WvpLocator
from ingest.wvp.shapes import WvpChannel, WvpDevice, WvpStream

__all__ = [
    "WvpApiError",
    "WvpAuthError",
    "WvpChannel",
    "WvpChannelOfflineError",
    "WvpChannelRef",
    "WvpClient",
    "WvpConfig",
    "WvpCredentials",
    "WvpDevice",
    "WvpError",
    "WvpLocator",
    "WvpProtocolError",
    "WvpStream",
    "WvpUnreachableError",
    "resolve_credentials",
]
