"""A platform's camera catalogue as GridWatch cameras: read from wvp, filtered, checked, target-agnostic.

The importer is two halves: this one turns wvp's catalogue into ``ImportedCamera`` values (GB id,
name, location, online state, the wvp channel, where it came from); an ``Inventory`` (the edge
config today, the centre's inventory once the fleet issue adds one) applies them.

Channels kept: a valid 20-digit GB/T 28181 id whose type code is in ``type_codes`` (default 131
camera and 132 IPC; directory nodes, business groups 215, virtual organisations 216 and alarm
inputs are left out with their reason), whose civil code starts with the filter prefix (the
channel's ``civilCode``, else the first 8 digits of its id), first occurrence of a GB id only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from edge.config import CameraOrigin
from gridwatch.contracts import Location
from ingest.gb28181 import CAMERA_TYPE_CODES, parse_gb_id
from ingest.wvp import WvpChannel, WvpChannelRef, WvpClient
from ingest.wvp.shapes import ChannelApi


@dataclass(frozen=True, slots=True)
class CatalogueFilter:
    """Which catalogue channels to import."""

    civil_prefix: str = ""
    type_codes: frozenset[str] = CAMERA_TYPE_CODES

    def __post_init__(self) -> None:
        if not self.civil_prefix.isdigit() and self.civil_prefix:
            raise ValueError(f"civil code prefix {self.civil_prefix!r} must be digits, e.g. 320102")
        if len(self.civil_prefix) > 8:
            raise ValueError(
                f"civil code prefix {self.civil_prefix!r} is longer than a civil code (8 digits)"
            )
        bad = sorted(code for code in self.type_codes if len(code) != 3 or not code.isdigit())
        if bad:
            raise ValueError(f"type codes must be 3 digits (e.g. 131,132); got {bad}")

    def covers(self, code: str, civil_code: str | None) -> bool:
        """Whether a channel with this GB id and civil code belongs to what this filter imports."""
        return (civil_code or code[:8]).startswith(self.civil_prefix) and code[10:13] in self.type_codes


@dataclass(frozen=True, slots=True)
class ImportedCamera:
    """One camera of the catalogue, ready for an inventory."""

    id: str
    name: str
    location: Location | None
    wvp: WvpChannelRef
    origin: CameraOrigin


@dataclass(frozen=True, slots=True)
class Skipped:
    """A catalogue entry that was not imported, and why."""

    code: str
    name: str
    reason: str


@dataclass
class Catalogue:
    """What was read: cameras to import, entries left out, and the filter that chose them."""

    url: str
    filter: CatalogueFilter
    at: datetime
    cameras: list[ImportedCamera] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def read_wvp_catalogue(
    client: WvpClient, *, api: ChannelApi, selection: CatalogueFilter, now: datetime
) -> Catalogue:
    """Page through wvp's devices and channels (or its common channel list) and keep the cameras."""
    catalogue = Catalogue(url=client.config.url, filter=selection, at=now)
    seen: set[str] = set()
    for channel, device_online in _channels(client, api):
        reason = _reason_to_skip(channel, selection, seen)
        if reason:
            catalogue.skipped.append(Skipped(channel.code, channel.name, reason))
            continue
        seen.add(channel.code)
        catalogue.cameras.append(_camera(channel, device_online, client.config.url, now))
    return catalogue


def _channels(client: WvpClient, api: ChannelApi) -> Iterator[tuple[WvpChannel, bool]]:
    """Channels with whether their device is online (the common API folds that into gbStatus)."""
    if api == "common":
        yield from ((channel, True) for channel in client.common_channels())
        return
    for device in client.devices():
        yield from ((channel, device.online) for channel in client.device_channels(device.device_id))


def _reason_to_skip(channel: WvpChannel, selection: CatalogueFilter, seen: set[str]) -> str:
    try:
        gb = parse_gb_id(channel.code)
    except ValueError as exc:
        return f"not a camera id: {exc}"
    if gb.type_code not in selection.type_codes:
        return f"type {gb.type_code} ({gb.category}) is not among the imported types"
    if not selection.covers(channel.code, channel.civil_code):
        return f"civil code {channel.civil_code or gb.civil_code} is outside {selection.civil_prefix}"
    if channel.code in seen:
        return "listed twice (under two devices); the first one was kept"
    return ""


def _camera(channel: WvpChannel, device_online: bool, url: str, now: datetime) -> ImportedCamera:
    if channel.common_id is not None:
        ref = WvpChannelRef(common_id=channel.common_id)
    else:
        ref = WvpChannelRef(device_id=channel.device_id, channel_id=channel.code)
    origin = CameraOrigin(
        url=url, api=channel.api, code=channel.code, civil_code=channel.civil_code,
        online=channel.online and device_online, at=now,
    )  # fmt: skip
    return ImportedCamera(channel.code, channel.name, _location(channel), ref, origin)


def _location(channel: WvpChannel) -> Location | None:
    """WGS-84 lon/lat when wvp has a usable pair, else None."""
    if channel.lon is None or channel.lat is None:
        return None
    if not (-180 <= channel.lon <= 180 and -90 <= channel.lat <= 90):
        return None
    return Location(lon=channel.lon, lat=channel.lat)


def codes(cameras: Iterable[ImportedCamera]) -> set[str]:
    """The GB ids of some cameras."""
    return {camera.id for camera in cameras}
