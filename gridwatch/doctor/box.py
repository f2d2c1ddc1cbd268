"""Checks of an edge box's config: it loads, its cameras open, its broker and centre answer."""

from __future__ import annotations

import os
import shlex
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from edge.config import CameraConfig, EdgeConfig, EdgeConfigError, load_edge_config
from gridwatch.doctor.check import Check
from ingest.mqtt.config import MqttConfig
from ingest.wvp.config import WvpConfig


def edge_config(path: Path) -> tuple[Check, EdgeConfig | None]:
    """The edge YAML reads and validates whole."""
    try:
        config = load_edge_config(path)
    except EdgeConfigError as exc:
        return Check.fail("edge config", str(exc), fix=f"correct {path} (configs/edge.example.yaml is "
                          "the reference)"), None  # fmt: skip
    what = f"{_plural(len(config.cameras), 'camera')}, {_plural(len(config.sensors), 'sensor')}"
    return Check.ok("edge config", f"{path}: device {config.device_id}, {what}"), config


def camera(index: int, camera: CameraConfig, *, config_path: Path, wvp: WvpConfig | None = None) -> Check:
    """The camera opens within its open timeout and gives a frame within its read timeout (a wvp
    camera: wvp logs GridWatch in and plays the channel first)."""
    from ingest.capture import redact

    name = f"camera {camera.id}"
    limit = camera.source.open_timeout_s + camera.source.read_timeout_s + 2.0
    where = (
        redact(camera.url)
        if camera.url is not None
        else f"wvp channel {camera.wvp.label if camera.wvp else ''}"
    )
    if camera.wvp is not None and wvp is not None:
        limit += wvp.play_timeout_s
    outcome = _bounded(lambda: _first_frame(camera, wvp), limit)
    if isinstance(outcome, str):
        return Check.ok(name, f"{where}: {outcome}")
    return Check.fail(name, f"{where}: {outcome}", fix=_camera_fix(index, camera, config_path))


def broker(mqtt: MqttConfig, *, config_path: Path) -> Check:
    """The MQTT broker accepts a connection with the box's credentials and TLS (as a separate, clean
    client: the box's own persistent session is left alone)."""
    name, where = "mqtt broker", f"{mqtt.host}:{mqtt.port}"
    outcome = _bounded(lambda: _mqtt_connack(mqtt), mqtt.connect_timeout_s + 2.0)
    if outcome is None:
        return Check.ok(name, f"{where} accepted a connection (MQTT {mqtt.protocol})")
    if isinstance(outcome, str):  # the broker answered and refused
        return Check.fail(
            name, f"{where} refused the connection: {outcome}",
            fix=f"check mqtt.username / mqtt.password in {config_path} against the broker's users "
            "(mosquitto: mosquitto_passwd)",
        )  # fmt: skip
    return Check.fail(
        name, f"{where}: {outcome}",
        fix=f"start the broker (Debian: sudo systemctl start mosquitto) or correct mqtt.host / mqtt.port "
        f"in {config_path}",
    )  # fmt: skip


def centre_api(config: EdgeConfig, *, config_path: Path) -> Check:
    """The centre answers at `api.url` and knows `api.token` as this box (GET /v1/devices/me)."""
    name, url = "centre API", config.api.url.rstrip("/")
    try:
        reply = httpx.get(
            f"{url}/v1/devices/me", headers={"Authorization": f"Bearer {config.api.token}"},
            timeout=config.api.timeout_s,
        )  # fmt: skip
    except httpx.HTTPError as exc:
        return Check.fail(
            name, f"{url} does not answer: {type(exc).__name__}: {exc}",
            fix=f"start the centre (gridwatch api serve --host 0.0.0.0) or correct api.url in {config_path}",
        )  # fmt: skip
    return _token_verdict(reply, config, config_path)


def _token_verdict(reply: httpx.Response, config: EdgeConfig, config_path: Path) -> Check:
    name, url, device = "centre API", config.api.url.rstrip("/"), config.device_id
    register = (
        f"at the centre: gridwatch api add-device {device}, then put the printed token into api.token "
        f"of {config_path}"
    )
    if reply.status_code == 200:
        known = str(reply.json().get("device_id", ""))
        if known == device:
            return Check.ok(name, f"{url} accepts the token of {device}")
        return Check.fail(
            name, f"the token belongs to device {known!r}, but device_id is {device!r}: alerts would be "
            "refused",
            fix=f"set device_id: {known} in {config_path}, or use the token of {device}",
        )  # fmt: skip
    if reply.status_code == 401:
        return Check.fail(name, f"{url} does not know api.token (HTTP 401)", fix=register)
    if reply.status_code == 403:
        return Check.fail(
            name, f"{url}: the token of {device} is revoked (HTTP 403)",
            fix=f"register the box again under a new id ({register.replace(device, device + '-2')})",
        )  # fmt: skip
    return Check.fail(
        name, f"{url}/v1/devices/me answered HTTP {reply.status_code}: {reply.text[:200]}",
        fix=f"check that api.url in {config_path} points at a GridWatch centre of this version",
    )  # fmt: skip


def _first_frame(camera: CameraConfig, wvp: WvpConfig | None) -> str:
    """Open the source and read one frame; what was seen (raises SourceError naming the problem)."""
    import cv2

    from ingest.capture import open_capture
    from ingest.config import VideoSourceConfig
    from ingest.errors import SourceError

    url = _stream_url(camera, wvp)
    source = VideoSourceConfig.of(camera.source, id=camera.id, url=url)
    started = time.monotonic()
    capture = open_capture(source)
    try:
        ok, frame = capture.read()
        fps = capture.get(cv2.CAP_PROP_FPS)
    finally:
        capture.release()
    if not ok or frame is None:
        raise SourceError(
            f"opened, but no frame came within the read timeout ({camera.source.read_timeout_s:g} s)"
        )
    height, width = frame.shape[:2]
    return f"first frame {width}x{height} in {time.monotonic() - started:.1f} s ({fps:g} fps reported)"


def _stream_url(camera: CameraConfig, wvp: WvpConfig | None) -> str:
    """The camera's URL, or for a wvp camera the RTSP URL wvp answers when asked to play it."""
    from ingest.errors import SourceError
    from ingest.wvp import WvpClient, WvpLocator, resolve_credentials

    if camera.url is not None:
        return camera.url
    if camera.wvp is None or wvp is None:
        raise SourceError(f"camera {camera.id} has neither url nor a wvp channel with a wvp section")
    with WvpClient(wvp, resolve_credentials(wvp)) as client:
        return WvpLocator(client, camera.wvp).locate()


def _mqtt_connack(config: MqttConfig) -> str | None:
    """Connect and wait for CONNACK: None when accepted, the broker's reason when refused."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    v5 = config.protocol == "5"
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"gridwatch-doctor-{os.getpid()}",
        protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311, clean_session=None if v5 else True,
    )  # fmt: skip
    client.connect_timeout = config.connect_timeout_s
    if config.username is not None:
        client.username_pw_set(config.username, config.password)
    if config.tls_ca_file is not None:
        client.tls_set(ca_certs=str(config.tls_ca_file))
    answer: list[Any] = []
    client.on_connect = lambda _c, _u, _f, reason, _p: answer.append(reason)
    client.connect(config.host, config.port, keepalive=config.keepalive_s)
    deadline = time.monotonic() + config.connect_timeout_s
    while not answer and time.monotonic() < deadline:
        client.loop(0.1)
    client.disconnect()
    if not answer:
        raise TimeoutError(f"no CONNACK within {config.connect_timeout_s:g} s")
    return str(answer[0]) if answer[0].is_failure else None


def _bounded(probe: Callable[[], Any], limit_s: float) -> Any:
    """Run `probe` on a thread for at most `limit_s`; its result, or the exception it raised (or a
    TimeoutError) as a value, so a hung library call can never hang the doctor."""
    result: list[Any] = []

    def target() -> None:
        try:
            result.append(probe())
        except Exception as exc:
            result.append(exc)

    thread = threading.Thread(target=target, name="doctor-probe", daemon=True)
    thread.start()
    thread.join(limit_s)
    if not result:
        return TimeoutError(f"no answer within {limit_s:g} s")
    return result[0]


def _camera_fix(index: int, camera: CameraConfig, config_path: Path) -> str:
    from ingest.capture import redact
    from ingest.config import is_stream_url

    if camera.url is None:
        return (
            f"check the wvp section of {config_path} (url, user, the secret's environment variable), that "
            f"wvp holds cameras[{index}].wvp online and that ZLMediaKit's RTSP port (media.stream-ip) is "
            "reachable from this box"
        )
    retry = f"gridwatch detect {shlex.quote(redact(camera.url))} --max-frames 1"
    if is_stream_url(camera.url):
        return (
            f"check that the camera is on, reachable from this box and that cameras[{index}].url "
            f"(path, user, password) in {config_path} is right; raise open_timeout_s for a slow camera; "
            f"retry: {retry}"
        )
    return (
        f"correct cameras[{index}].url in {config_path} (a readable video file or an rtsp:// URL); "
        f"retry: {retry}"
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
