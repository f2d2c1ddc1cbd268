"""The JSON wvp-GB28181-pro answers, parsed once into typed values.

Shapes follow wvp-GB28181-pro 2.7.4 (pom.xml version 2.7.4 at commit bab55341), read in the
source of github.com/648540858/wvp-GB28181-pro (file @ commit):

- every answer is a ``WVPResult`` ``{code, msg, data}`` with ``code == 0`` for success
  (``vmanager/bean/WVPResult.java``: ``success`` uses ``ErrorCode.SUCCESS`` = 0 in the 2.7 version;
  the old one @ 83671d8f still had ``SUCCESS = 200`` and is not supported;
  ``conf/GlobalResponseAdvice.java`` @ 6c969a63 wraps plain return values in
  ``WVPResult.success``; ``conf/GlobalExceptionHandler.java`` @ b4048fbe turns a
  ``ControllerException`` into HTTP 200 ``{code, msg}``; codes in ``vmanager/bean/ErrorCode.java``
  @ 0329c8f5: 100 failed, 400 bad request, 401 log in again, 403, 404, 408, 486, 500);
- pages are pagehelper ``PageInfo``: ``{total, list, pageNum, pageSize, pages, hasNextPage, ...}``;
- ``gb28181/bean/Device.java`` @ bab55341: ``deviceId``, ``name``, ``onLine``, ``channelCount``;
- ``gb28181/bean/DeviceChannel.java`` @ bab55341: ``deviceId`` is the *channel's* GB code,
  ``name``, ``civilCode``, ``status`` ("ON"/"OFF"), ``longitude``, ``latitude`` (WGS-84);
  the older shape (@ 3d837754: ``channelId`` + parent ``deviceId``, ``status`` 1/0) is read too;
- ``gb28181/bean/CommonGBChannel.java`` @ f0eb1011: ``gbId`` is wvp's database id (an int, what
  ``/api/common/channel/play?channelId=`` takes), ``gbDeviceId`` the GB code, ``gbName``,
  ``gbCivilCode``, ``gbStatus`` ("ON"/"OFF"), ``gbLongitude``, ``gbLatitude``;
- ``vmanager/bean/StreamContent.java`` @ 4f2d4738: ``app``, ``stream``, ``rtsp``, ``rtsps``, ...
- ``conf/security/dto/LoginUser.java`` @ efbc3a31: ``accessToken``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gridwatch.yamlfile import problems
from ingest.wvp.errors import WvpProtocolError

ChannelApi = Literal["device", "common"]
Shape = TypeVar("Shape", bound=BaseModel)


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class WvpResult(_Shape):
    """``{code, msg, data}``; older versions call ``msg`` ``message`` in a few places."""

    code: int
    msg: str | None = None
    message: str | None = None
    data: Any = None

    @property
    def text(self) -> str:
        """The message, whichever key carried it."""
        return self.msg or self.message or ""


class PageShape(_Shape):
    """pagehelper's ``PageInfo``: the fields the client pages with."""

    total: int = Field(ge=0)
    items: list[dict[str, Any]] = Field(default_factory=list, alias="list")
    pages: int | None = None


class LoginShape(_Shape):
    """``LoginUser``: only the token matters."""

    access_token: str | None = Field(default=None, alias="accessToken")


class DeviceShape(_Shape):
    """``Device``: a GB device or a lower platform registered to wvp."""

    device_id: str = Field(alias="deviceId")
    name: str | None = None
    on_line: bool = Field(default=False, alias="onLine")
    channel_count: int = Field(default=0, alias="channelCount")


class DeviceChannelShape(_Shape):
    """``DeviceChannel`` of ``/api/device/query/devices/{deviceId}/channels``."""

    device_id: str = Field(alias="deviceId")
    channel_id: str | None = Field(default=None, alias="channelId")
    name: str | None = None
    civil_code: str | None = Field(default=None, alias="civilCode")
    status: str | int | bool | None = None
    longitude: float | None = None
    latitude: float | None = None


class CommonChannelShape(_Shape):
    """``CommonGBChannel`` of ``/api/common/channel/list``."""

    gb_id: int = Field(alias="gbId")
    gb_device_id: str = Field(alias="gbDeviceId")
    gb_name: str | None = Field(default=None, alias="gbName")
    gb_civil_code: str | None = Field(default=None, alias="gbCivilCode")
    gb_status: str | int | bool | None = Field(default=None, alias="gbStatus")
    gb_longitude: float | None = Field(default=None, alias="gbLongitude")
    gb_latitude: float | None = Field(default=None, alias="gbLatitude")


class StreamShape(_Shape):
    """``StreamContent``: the URLs ZLMediaKit serves the channel at."""

    app: str | None = None
    stream: str | None = None
    rtsp: str | None = None
    rtsps: str | None = None
    media_server_id: str | None = Field(default=None, alias="mediaServerId")


@dataclass(frozen=True, slots=True)
class WvpDevice:
    """A device (or lower platform) in wvp's catalogue."""

    device_id: str
    name: str
    online: bool
    channel_count: int


@dataclass(frozen=True, slots=True)
class WvpChannel:
    """A channel in wvp's catalogue, the same whichever API listed it.

    ``code`` is the GB code as wvp holds it (not yet checked: directory nodes have shorter codes).
    ``device_id`` is set for the device API, ``common_id`` (wvp's ``gbId``) for the common API.
    """

    code: str
    name: str
    civil_code: str | None
    lon: float | None
    lat: float | None
    online: bool
    api: ChannelApi
    device_id: str | None = None
    common_id: int | None = None


@dataclass(frozen=True, slots=True)
class WvpStream:
    """Where ZLMediaKit serves a played channel."""

    rtsp: str | None
    rtsps: str | None
    app: str | None
    stream: str | None
    media_server_id: str | None


def parse(model: type[Shape], data: Any, what: str) -> Shape:
    """Validate ``data`` as ``model``; raise ``WvpProtocolError`` naming ``what`` and the problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        found = problems(exc, values=False)
        raise WvpProtocolError(f"{what}: not the shape of wvp's {model.__name__}: {found}") from exc


def is_on(status: str | int | bool | None) -> bool:
    """wvp's channel status: "ON"/"OFF" (2.7.x), 1/0 (older), true/false."""
    if isinstance(status, str):
        return status.strip().upper() in {"ON", "1", "TRUE"}
    return bool(status)


def optional_coordinate(value: float | None) -> float | None:
    """wvp stores 0.0 (or null) for an unknown coordinate."""
    return None if value is None or value == 0.0 else value


def device_from(item: dict[str, Any], what: str) -> WvpDevice:
    """A ``Device`` item of a page."""
    shape = parse(DeviceShape, item, what)
    return WvpDevice(shape.device_id, shape.name or shape.device_id, shape.on_line, shape.channel_count)


def device_channel_from(item: dict[str, Any], device_id: str, what: str) -> WvpChannel:
    """A ``DeviceChannel`` item of a device's channel page."""
    shape = parse(DeviceChannelShape, item, what)
    code = shape.channel_id or shape.device_id  # older wvp: channelId is the channel, deviceId its device
    return WvpChannel(
        code=code, name=shape.name or code, civil_code=shape.civil_code or None,
        lon=optional_coordinate(shape.longitude), lat=optional_coordinate(shape.latitude),
        online=is_on(shape.status), api="device", device_id=device_id,
    )  # fmt: skip


def common_channel_from(item: dict[str, Any], what: str) -> WvpChannel:
    """A ``CommonGBChannel`` item of the common channel list."""
    shape = parse(CommonChannelShape, item, what)
    return WvpChannel(
        code=shape.gb_device_id, name=shape.gb_name or shape.gb_device_id,
        civil_code=shape.gb_civil_code or None, lon=optional_coordinate(shape.gb_longitude),
        lat=optional_coordinate(shape.gb_latitude), online=is_on(shape.gb_status), api="common",
        common_id=shape.gb_id,
    )  # fmt: skip


def stream_from(data: Any, what: str) -> WvpStream:
    """The ``StreamContent`` of a play answer."""
    shape = parse(StreamShape, data, what)
    return WvpStream(shape.rtsp, shape.rtsps, shape.app, shape.stream, shape.media_server_id)
