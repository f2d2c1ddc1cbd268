"""A small synchronous client of wvp-GB28181-pro's HTTP API: log in, page the catalogue, play a channel.

Routes (wvp-GB28181-pro 2.7.4, github.com/648540858/wvp-GB28181-pro; file @ commit read):

- ``GET /api/user/login?username=&password=<md5 hex of the password>`` → ``LoginUser`` with
  ``accessToken`` (``vmanager/user/UserController.java``, the 2.7 version that also sets the
  ``access-token`` response header; the search index did not pin its commit; the older version @
  8b0ff376 answered ``WVPResult<LoginUser>`` without a token). GET is used: every version read maps
  login to GET;
  later requests carry it in the ``access-token`` header (``conf/security/JwtUtils.java`` @ 88350873).
  A user API key (``vmanager/user/UserApiKeyController.java`` @ bab55341) is a JWT too and goes in
  the same header. An expired or missing token answers HTTP 401 ``{"code": 401, "msg": "请登录后重新请求"}``
  (``conf/security/AnonymousAuthenticationEntryPoint.java`` @ e42d0157); wvp's own tokens live
  ``user-settings.login-timeout`` minutes (30 by default, ``配置详情.yml`` @ bab55341), so the client
  logs in again once and repeats the request.
- ``GET /api/device/query/devices?page=&count=`` → ``PageInfo<Device>`` and
  ``GET /api/device/query/devices/{deviceId}/channels?page=&count=`` → ``PageInfo<DeviceChannel>``
  (``gb28181/controller/DeviceQuery.java`` @ 0177831e); ``GET /api/device/query/devices/{deviceId}``
  → ``Device`` (its ``onLine``).
- ``GET /api/common/channel/list?page=&count=`` → ``PageInfo<CommonGBChannel>``,
  ``GET /api/common/channel/one?id=`` and ``GET /api/common/channel/play?channelId=<gbId>``
  (``gb28181/controller/CommonChannelController.java`` @ 867d1bfb).
- ``GET /api/play/start/{deviceId}/{channelId}`` → ``WVPResult<StreamContent>``; it waits for the
  device's stream up to ``user-settings.play-timeout`` (18 s) and then answers
  ``{"code": 100, "msg": "点播超时"}`` (``gb28181/controller/PlayController.java`` @ e0f9c93b).

No live wvp was run for this client: it was tested against a wvp-shaped server built from these files.

Example:
    >>> with WvpClient(config, resolve_credentials(config)) as wvp:
    ...     for device in wvp.devices():
    ...         channels = list(wvp.device_channels(device.device_id))
    ...     stream = wvp.play(WvpChannelRef(device_id="...", channel_id="..."))
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Self

import httpx

from ingest.wvp.config import WvpChannelRef, WvpConfig, WvpCredentials
from ingest.wvp.errors import (
    WvpApiError,
    WvpAuthError,
    WvpChannelOfflineError,
    WvpError,
    WvpProtocolError,
    WvpUnreachableError,
)
from ingest.wvp.shapes import (
    CommonChannelShape,
    DeviceShape,
    LoginShape,
    PageShape,
    WvpChannel,
    WvpDevice,
    WvpResult,
    WvpStream,
    common_channel_from,
    device_channel_from,
    device_from,
    is_on,
    parse,
    stream_from,
)

logger = logging.getLogger(__name__)

TOKEN_HEADER = "access-token"
EXPIRED = 401
_SECRET_IN_QUERY = re.compile(r"(password=)[^&\s\"']*")


class HideLoginSecret(logging.Filter):
    """Mask ``password=...`` in httpx's request log lines.

    httpx logs every request URL at INFO, and wvp's login takes md5(password) in the query string; wvp
    accepts that digest as the password, so it is as secret as the password itself.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any("password=" in str(arg) for arg in record.args):
            record.args = tuple(
                _SECRET_IN_QUERY.sub(r"\1***", str(arg)) if "password=" in str(arg) else arg
                for arg in record.args
            )
        return True


_HIDE_LOGIN_SECRET = HideLoginSecret()


class WvpClient:
    """wvp's HTTP API with a login that renews itself; thread-safe (cameras share one client).

    Every call raises a ``WvpError`` subclass, never an ``httpx`` error; messages name the wvp URL and
    route, never the password or token.
    """

    def __init__(
        self, config: WvpConfig, credentials: WvpCredentials, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.config = config
        self._credentials = credentials
        self._token: str | None = credentials.api_key
        self._login_lock = threading.Lock()
        self._http = httpx.Client(base_url=config.url, timeout=config.timeout_s, transport=transport)
        httpx_logger = logging.getLogger("httpx")
        if _HIDE_LOGIN_SECRET not in httpx_logger.filters:
            httpx_logger.addFilter(_HIDE_LOGIN_SECRET)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    def login(self) -> None:
        """Log in with user name and md5(password); keep the token for later requests."""
        username, password = self._credentials.username, self._credentials.password
        if username is None or password is None:
            raise WvpAuthError(f"wvp {self.config.url}: no user name and password to log in with")
        digest = hashlib.md5(password.encode("utf-8"), usedforsecurity=False).hexdigest()
        what = f"wvp {self.config.url} /api/user/login as {username}"
        result = self._result(self._send("/api/user/login", {"username": username, "password": digest}), what)
        if result.code != 0:
            raise WvpAuthError(f"{what} refused: code {result.code} {result.text}")
        token = parse(LoginShape, result.data, what).access_token
        if not token:
            raise WvpProtocolError(f"{what}: the answer carries no accessToken")
        self._token = token
        logger.info("logged in to wvp %s as %s", self.config.url, username)

    def devices(self) -> Iterator[WvpDevice]:
        """Every device (and lower platform) registered to wvp, page by page."""
        for item in self._pages("/api/device/query/devices", {}):
            yield device_from(item, f"wvp {self.config.url} /api/device/query/devices")

    def device_channels(self, device_id: str) -> Iterator[WvpChannel]:
        """Every channel of one device, page by page (directory nodes included)."""
        path = f"/api/device/query/devices/{device_id}/channels"
        for item in self._pages(path, {}):
            yield device_channel_from(item, device_id, f"wvp {self.config.url} {path}")

    def common_channels(self) -> Iterator[WvpChannel]:
        """Every channel of wvp's common channel list (GB devices, pushed and proxied streams)."""
        for item in self._pages("/api/common/channel/list", {}):
            yield common_channel_from(item, f"wvp {self.config.url} /api/common/channel/list")

    def play(self, ref: WvpChannelRef) -> WvpStream:
        """Ask wvp to play the channel (an INVITE to the device, the stream into ZLMediaKit)."""
        if ref.common_id is not None:
            path, params = "/api/common/channel/play", {"channelId": ref.common_id}
        else:
            path, params = f"/api/play/start/{ref.device_id}/{ref.channel_id}", {}
        data = self._call(path, params, timeout=self.config.play_timeout_s)
        return stream_from(data, f"wvp {self.config.url} {path}")

    def channel_online(self, ref: WvpChannelRef) -> bool:
        """Whether wvp holds the channel (common API) or its device (device API) as online."""
        if ref.common_id is not None:
            data = self._call("/api/common/channel/one", {"id": ref.common_id})
            return is_on(parse(CommonChannelShape, data, "wvp /api/common/channel/one").gb_status)
        data = self._call(f"/api/device/query/devices/{ref.device_id}", {})
        return data is not None and parse(DeviceShape, data, "wvp /api/device/query/devices/{id}").on_line

    def play_or_explain(self, ref: WvpChannelRef) -> WvpStream:
        """``play``; when wvp says no, ask whether the channel is offline and say so if it is."""
        try:
            return self.play(ref)
        except WvpApiError as exc:
            try:
                online = self.channel_online(ref)
            except WvpError:
                raise exc from None
            if online:
                raise
            raise WvpChannelOfflineError(
                f"wvp {self.config.url}: channel {ref.label} is offline in wvp (play answered code "
                f"{exc.code} {exc.msg})", code=exc.code, msg=exc.msg,
            ) from exc  # fmt: skip

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Items of a pagehelper ``PageInfo`` route, page 1, 2, ... until ``total`` items were seen."""
        page, seen = 1, 0
        while True:
            data = self._call(path, {**params, "page": page, "count": self.config.page_size})
            shape = parse(PageShape, data, f"wvp {self.config.url} {path} page {page}")
            yield from shape.items
            seen += len(shape.items)
            last = shape.pages is not None and page >= shape.pages
            if not shape.items or seen >= shape.total or last:
                return
            page += 1

    def _call(self, path: str, params: dict[str, Any], *, timeout: float | None = None) -> Any:
        """``data`` of a successful ``WVPResult``; logs in first, and again once when the token expired."""
        what = f"wvp {self.config.url} {path}"
        token = self._ensure_token()
        result = self._result(self._send(path, params, timeout=timeout, token=token), what)
        if result.code == EXPIRED and self._credentials.password is not None:
            logger.info("wvp %s: token expired or refused; logging in again", self.config.url)
            token = self._renew(token)
            result = self._result(self._send(path, params, timeout=timeout, token=token), what)
        if result.code == EXPIRED:
            how = "an API key" if self._credentials.api_key else "a fresh login"
            raise WvpAuthError(f"{what}: wvp refused {how} (code 401 {result.text})")
        if result.code != 0:
            raise WvpApiError(f"{what}: code {result.code} {result.text}", code=result.code, msg=result.text)
        return result.data

    def _ensure_token(self) -> str | None:
        if self._token is None and self._credentials.password is not None:
            with self._login_lock:
                if self._token is None:
                    self.login()
        return self._token

    def _renew(self, stale: str | None) -> str | None:
        """Log in again unless another thread already did since ``stale`` was used."""
        with self._login_lock:
            if self._token == stale:
                self.login()
            return self._token

    def _send(
        self, path: str, params: dict[str, Any], *, timeout: float | None = None, token: str | None = None
    ) -> httpx.Response:
        headers = {TOKEN_HEADER: token} if token else {}
        try:
            return self._http.get(
                path, params=params, headers=headers, timeout=timeout or self.config.timeout_s
            )
        except httpx.HTTPError as exc:
            raise WvpUnreachableError(f"wvp {self.config.url}{path} did not answer: {exc!r}") from exc

    def _result(self, response: httpx.Response, what: str) -> WvpResult:
        """The ``WVPResult`` body of any status (wvp sends its errors as JSON, with 200, 400, 401 or 500)."""
        try:
            body = response.json()
        except ValueError as exc:
            raise WvpUnreachableError(
                f"{what}: HTTP {response.status_code} with a body that is not JSON ({response.text[:120]!r})"
            ) from exc
        if not isinstance(body, dict) or "code" not in body:
            raise WvpProtocolError(
                f"{what}: HTTP {response.status_code} without a WVPResult body (is this wvp, and does this "
                f"version have the route?): {str(body)[:200]}"
            )
        return parse(WvpResult, body, what)
