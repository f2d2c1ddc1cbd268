"""A wvp-GB28181-pro-shaped HTTP server on 127.0.0.1 for tests (a real wvp needs Java, Redis and MySQL).

It answers the routes GridWatch uses with the JSON shapes of wvp 2.7.4's source (see
``ingest/wvp/client.py`` for the files and commits): ``WVPResult`` ``{code, msg, data}``, pagehelper
``PageInfo`` pages, ``Device``, ``DeviceChannel``, ``CommonGBChannel``, ``LoginUser`` and
``StreamContent`` beans, HTTP 401 ``{"code": 401}`` for a missing or expired ``access-token``, and
``{"code": 100, "msg": "点播超时"}`` when a device that is offline is played. Its play answer's
``rtsp`` is whatever URL the test sets: the real GStreamer RTSP server of ``tests/support/rtsp.py``.

Example:
    >>> with FakeWvp() as wvp:
    ...     wvp.add_device("32010200002000000001", channels=[channel("32010200001320000001", "东门")])
    ...     wvp.set_stream("32010200001320000001", rtsp_server.url)
    ...     wvp.url, wvp.requests["/api/user/login"]
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

USER, PASSWORD = "gridwatch", "s3cret-wvp"
API_KEY = "eyJhbGciOiJSUzI1NiJ9.api-key.signature"


def channel(
    code: str, name: str, *, lon: float | None = 118.702, lat: float | None = 32.002, online: bool = True,
    civil_code: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A 2.7.4 ``DeviceChannel`` bean as wvp serialises it (``deviceId`` is the channel's own code)."""
    return {
        "id": 0, "deviceId": code, "name": name, "manufacturer": "Hikvision", "model": "DS-2CD",
        "owner": "Owner", "civilCode": civil_code if civil_code is not None else code[:8], "block": None,
        "address": "Address", "parental": 0, "parentId": code[:10], "safetyWay": 0, "registerWay": 1,
        "secrecy": 0, "ipAddress": None, "port": None, "password": None,
        "status": "ON" if online else "OFF", "longitude": 0.0 if lon is None else lon,
        "latitude": 0.0 if lat is None else lat, "ptzType": 3, "ptzTypeText": "固定枪机", "subCount": 0,
        "streamId": None, "hasAudio": False, "gpsTime": None, "streamIdentification": None, "channelType": 0,
        "dataType": 1, "parentDeviceId": None, "parentName": None,
    }  # fmt: skip


@dataclass
class _State:
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    streams: dict[str, str] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    failures: dict[str, tuple[int, str]] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    passwords_seen: list[str] = field(default_factory=list)
    headers_seen: list[str | None] = field(default_factory=list)
    plays: Counter[str] = field(default_factory=Counter)
    play_rtsp: bool = True


class FakeWvp:
    """The server; start with ``with FakeWvp() as wvp`` and change its catalogue and streams as it runs."""

    def __init__(self) -> None:
        self.state = _State()
        self.lock = threading.Lock()
        self._next_id = 100
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-wvp", daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    @property
    def requests(self) -> Counter[str]:
        """Requests answered, by path."""
        return self.state.requests

    def add_device(self, device_id: str, *, channels: list[dict[str, Any]], online: bool = True) -> None:
        """Register a device (or lower platform) with its channels."""
        with self.lock:
            self.state.devices[device_id] = _device(device_id, len(channels), online)
            self.state.channels[device_id] = channels
            for item in channels:
                self._next_id += 1
                item["id"] = self._next_id

    def set_device_online(self, device_id: str, online: bool) -> None:
        """The device registers again (True) or stops answering keepalives (False)."""
        with self.lock:
            self.state.devices[device_id]["onLine"] = online
            for item in self.state.channels[device_id]:
                item["status"] = "ON" if online else "OFF"

    def set_stream(self, code: str, rtsp: str) -> None:
        """Where ZLMediaKit serves the channel once played (the next play answers this URL)."""
        with self.lock:
            self.state.streams[code] = rtsp

    def expire_tokens(self) -> None:
        """Every token issued so far is expired (wvp's login-timeout passed)."""
        with self.lock:
            self.state.tokens.clear()

    def fail_next(self, path: str, code: int, msg: str) -> None:
        """The next request to ``path`` answers ``{code, msg}`` (HTTP 200, as a ControllerException)."""
        with self.lock:
            self.state.failures[path] = (code, msg)

    def common_id(self, code: str) -> int:
        """wvp's database id (``gbId``) of a channel."""
        return next(int(c["id"]) for cs in self.state.channels.values() for c in cs if c["deviceId"] == code)


def _device(device_id: str, channel_count: int, online: bool) -> dict[str, Any]:
    """A ``Device`` bean."""
    return {
        "id": 1, "deviceId": device_id, "name": f"平台 {device_id[-4:]}", "manufacturer": "Dahua",
        "model": "DSS", "firmware": "V3", "transport": "UDP", "streamMode": "TCP-PASSIVE",
        "ip": "10.0.0.9", "port": 5060, "hostAddress": "10.0.0.9:5060", "onLine": online,
        "registerTime": "2026-11-21 10:00:00", "keepaliveTime": "2026-11-21 10:59:00",
        "heartBeatInterval": 60, "heartBeatCount": 3, "channelCount": channel_count, "expires": 3600,
        "charset": "GB2312", "subscribeCycleForCatalog": 0, "ssrcCheck": False, "geoCoordSys": "WGS84",
        "mediaServerId": "auto", "serverId": "000000",
    }  # fmt: skip


def _common(item: dict[str, Any], device: dict[str, Any]) -> dict[str, Any]:
    """The ``CommonGBChannel`` view of a device channel."""
    online = item["status"] == "ON" and device["onLine"]
    return {
        "gbId": item["id"], "gbDeviceId": item["deviceId"], "gbName": item["name"],
        "gbManufacturer": item["manufacturer"], "gbModel": item["model"], "gbCivilCode": item["civilCode"],
        "gbAddress": item["address"], "gbParental": 0, "gbParentId": item["parentId"],
        "gbStatus": "ON" if online else "OFF", "gbLongitude": item["longitude"],
        "gbLatitude": item["latitude"], "gbPtzType": 3, "dataType": 1, "dataDeviceId": device["id"],
        "createTime": "2026-11-21 10:00:00", "updateTime": "2026-11-21 10:00:00",
    }  # fmt: skip


def page_info(items: list[dict[str, Any]], page: int, count: int) -> dict[str, Any]:
    """pagehelper's ``PageInfo`` of ``items`` (pages count from 1)."""
    total, pages = len(items), max(1, math.ceil(len(items) / count))
    chunk = items[(page - 1) * count : page * count]
    start = (page - 1) * count
    return {
        "pageNum": page, "pageSize": count, "size": len(chunk), "startRow": start + 1 if chunk else 0,
        "endRow": start + len(chunk), "total": total, "pages": pages, "list": chunk,
        "prePage": max(0, page - 1), "nextPage": page + 1 if page < pages else 0,
        "isFirstPage": page == 1, "isLastPage": page >= pages, "hasPreviousPage": page > 1,
        "hasNextPage": page < pages, "navigatePages": 8, "navigatepageNums": list(range(1, pages + 1)),
        "navigateFirstPage": 1, "navigateLastPage": pages,
    }  # fmt: skip


def _stream_content(code: str, device_id: str, rtsp: str | None) -> dict[str, Any]:
    """A ``StreamContent`` as ZLMediaKit's URLs for stream ``rtp/<device>_<channel>``."""
    stream = f"{device_id}_{code}"
    http = f"http://127.0.0.1:80/rtp/{stream}"
    return {
        "app": "rtp", "stream": stream, "ip": "127.0.0.1", "flv": f"{http}.live.flv",
        "ws_flv": f"ws://127.0.0.1:80/rtp/{stream}.live.flv", "fmp4": f"{http}.live.mp4",
        "hls": f"{http}/hls.m3u8", "ts": f"{http}.live.ts", "rtmp": f"rtmp://127.0.0.1:1935/rtp/{stream}",
        "rtsp": rtsp, "rtc": f"{http}?type=play", "mediaServerId": "zlm-1", "tracks": [], "progress": 0.0,
    }  # fmt: skip


def _handler(wvp: FakeWvp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            with wvp.lock:
                wvp.state.requests[parts.path] += 1
                status, body, headers = _answer(
                    wvp.state, parts.path, query, self.headers.get("access-token")
                )
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler


Answer = tuple[int, dict[str, Any], dict[str, str]]


def _ok(data: Any) -> Answer:
    return 200, {"code": 0, "msg": "成功", "data": data}, {}


def _answer(state: _State, path: str, query: dict[str, str], token: str | None) -> Answer:
    """Route one request the way wvp's security filters and controllers would answer it."""
    if path == "/api/user/login":
        return _login(state, query)
    state.headers_seen.append(token)
    if token is None or (token not in state.tokens and token != API_KEY):
        return 401, {"code": 401, "msg": "请登录后重新请求"}, {}
    if path in state.failures:
        code, msg = state.failures.pop(path)
        return 200, {"code": code, "msg": msg, "data": None}, {}
    for pattern, route in ROUTES:
        found = pattern.fullmatch(path)
        if found:
            return route(state, query, *found.groups())
    return 404, {"timestamp": "2026-11-21T03:00:00.000+00:00", "status": 404, "error": "Not Found"}, {}


def _paged(items: list[dict[str, Any]], query: dict[str, str]) -> Answer:
    return _ok(page_info(items, int(query.get("page", 1)), int(query.get("count", 15))))


def _common_play(state: _State, query: dict[str, str]) -> Answer:
    found = next((c for c in _commons(state) if c["gbId"] == int(query["channelId"])), None)
    if found is None:
        return 500, {"code": 500, "msg": "通道不存在", "data": None}, {}
    return _play(state, _device_of(state, found["gbDeviceId"]), found["gbDeviceId"])


Route = Callable[..., Answer]
ROUTES: list[tuple[re.Pattern[str], Route]] = [
    (re.compile(r"/api/device/query/devices"), lambda st, q: _paged(list(st.devices.values()), q)),
    (re.compile(r"/api/device/query/devices/(\d+)"), lambda st, q, dev: _ok(st.devices.get(dev))),
    (
        re.compile(r"/api/device/query/devices/(\d+)/channels"),
        lambda st, q, dev: _paged(st.channels.get(dev, []), q),
    ),
    (re.compile(r"/api/common/channel/list"), lambda st, q: _paged(_commons(st), q)),
    (
        re.compile(r"/api/common/channel/one"),
        lambda st, q: _ok(next((c for c in _commons(st) if c["gbId"] == int(q["id"])), None)),
    ),
    (re.compile(r"/api/common/channel/play"), _common_play),
    (re.compile(r"/api/play/start/(\d+)/(\d+)"), lambda st, q, dev, code: _play(st, dev, code)),
]


def _login(state: _State, query: dict[str, str]) -> Answer:
    state.passwords_seen.append(query.get("password", ""))
    digest = hashlib.md5(PASSWORD.encode(), usedforsecurity=False).hexdigest()
    if query.get("username") != USER or query.get("password") != digest:
        return 200, {"code": 100, "msg": "用户名或密码错误", "data": None}, {}
    token = secrets.token_urlsafe(24)
    state.tokens.add(token)
    user = {"id": 1, "username": USER, "role": {"id": 1, "name": "admin"}, "pushKey": "x"}
    login_user = {"user": user, "accessToken": token, "username": USER, "id": 1, "enabled": True}
    return 200, {"code": 0, "msg": "成功", "data": login_user}, {"access-token": token}


def _commons(state: _State) -> list[dict[str, Any]]:
    return [_common(item, state.devices[dev]) for dev, items in state.channels.items() for item in items]


def _device_of(state: _State, code: str) -> str:
    return next(dev for dev, items in state.channels.items() if any(i["deviceId"] == code for i in items))


def _play(state: _State, device_id: str, code: str) -> Answer:
    device = state.devices.get(device_id)
    if device is None or not any(item["deviceId"] == code for item in state.channels[device_id]):
        return 500, {"code": 500, "msg": "通道不存在", "data": None}, {}
    state.plays[code] += 1
    if not device["onLine"]:
        return 200, {"code": 100, "msg": "点播超时", "data": None}, {}
    rtsp = state.streams.get(code) if state.play_rtsp else None
    return _ok(_stream_content(code, device_id, rtsp))


PLATFORM = "32010200002000000001"
"""The 雪亮 platform registered to wvp as a lower platform (type 200)."""
NVR = "32010300001180000001"
"""An NVR registered directly (type 118)."""
CAMERA = "32010200001320000001"


def populate(wvp: FakeWvp, *, cameras: int = 7) -> list[str]:
    """A platform with ``cameras`` IPCs, a business group and a directory node; an NVR with one camera.

    Returns the GB ids of all cameras (platform's first, then the NVR's).
    """
    codes = [f"3201020000132{n:07d}" for n in range(1, cameras + 1)]
    items = [
        channel(code, f"东门口 {n}号枪机", lon=round(118.700 + n / 1000, 6))
        for n, code in enumerate(codes, 1)
    ]
    items.append(channel("32010200002150000001", "业务分组", lon=None, lat=None))
    items.append(channel("32010200", "玄武区", lon=None, lat=None))  # a civil-code directory node
    wvp.add_device(PLATFORM, channels=items)
    nvr_camera = "32010300001310000001"
    wvp.add_device(NVR, channels=[channel(nvr_camera, "秦淮 NVR 通道1", lon=118.79, lat=32.02)])
    return [*codes, nvr_camera]
