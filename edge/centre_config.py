"""`gridwatch edge run --centre URL --token T`: the box's configuration comes from the centre.

At start the box asks `GET /v1/devices/me/config`; the answer is validated with the edge's own
model, joined with the box's own settings (`BoxSettings`: API, data folder, /healthz port) and kept
on disk (`centre-config.json` in the data folder, written atomically). When the centre cannot be
asked (down, unreachable, no configuration, refused token), the box starts on that last good copy
and says so in one log line; with no copy either, it cannot start (`EdgeConfigError` says why).
While running, a poller asks again every `poll_s` with the ETag it holds (304 while unchanged) and
hands each new valid version to the worker, which applies it camera by camera (`edge.reconfigure`).
A version the box cannot run (a variable named in a URL that is not set here) is logged, not cached,
and not asked for again until the centre has a newer one.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from edge.config import ApiConfig, EdgeConfig, EdgeConfigError, HttpConfig, resolved
from gridwatch.yamlfile import problems

logger = logging.getLogger(__name__)

CACHE_NAME = "centre-config.json"
PATH = "/v1/devices/me/config"


@dataclass(frozen=True)
class BoxSettings:
    """The box's own settings in centre mode (never kept at the centre)."""

    api: ApiConfig
    data_dir: Path
    http: HttpConfig
    poll_s: float = 30.0
    snapshot_s: float = 300.0
    """Seconds between two pictures of a camera sent for the zone editor (one at each camera start)."""
    base: Path = Path()
    """Folder that relative file URLs of the centre's configuration are read from."""


@dataclass(frozen=True)
class Version:
    """One configuration version as the centre gave it (and the cache keeps it)."""

    device_id: str
    version: int
    etag: str
    config: dict[str, Any]
    fetched_at: str


class CentreUnavailableError(Exception):
    """The centre gave no configuration this time (the message says why)."""


class CentreConfig:
    """Fetch, cache and poll the box's configuration; see the module docstring."""

    def __init__(
        self, settings: BoxSettings, *, prepare: Callable[[EdgeConfig], None] = lambda _config: None
    ) -> None:
        self.settings = settings
        self.prepare = prepare
        """Called with each new version before it is applied (the CLI pulls the models it names)."""
        self.cache_path = settings.data_dir / CACHE_NAME
        self.current: Version | None = None
        self.cached_start = False
        """True when this run started on the cached copy (the centre could not be asked)."""
        self._etag: str | None = None

    def initial(self) -> EdgeConfig:
        """The configuration to start on: the centre's newest, else the cached copy."""
        try:
            version = self.fetch(None)
            assert version is not None
            config = self.edge_config(version)
        except (CentreUnavailableError, EdgeConfigError) as exc:
            return self._from_cache(str(exc))
        self._keep(version)
        logger.info("configuration version %d from the centre %s", version.version, self.settings.api.url)
        return config

    def _from_cache(self, reason: str) -> EdgeConfig:
        cached = self.load_cache()
        if cached is None:
            raise EdgeConfigError(f"no configuration: {reason}; and no cached copy in {self.cache_path}")
        logger.warning(
            "the centre gave no configuration (%s): starting on the cached configuration version %d "
            "(fetched %s) from %s", reason, cached.version, cached.fetched_at, self.cache_path,
        )  # fmt: skip
        self.current, self._etag, self.cached_start = cached, cached.etag, True
        return self.edge_config(cached)

    def fetch(self, etag: str | None) -> Version | None:
        """The newest version, or None when the centre says it is still `etag` (304)."""
        api = self.settings.api
        headers = {"Authorization": f"Bearer {api.token}"} | ({"If-None-Match": etag} if etag else {})
        try:
            reply = httpx.get(f"{api.url.rstrip('/')}{PATH}", headers=headers, timeout=api.timeout_s)
        except httpx.HTTPError as exc:
            raise CentreUnavailableError(f"cannot reach {api.url}: {type(exc).__name__}: {exc}") from exc
        if reply.status_code == 304:
            return None
        if reply.status_code != 200:
            raise CentreUnavailableError(f"{api.url} answered {reply.status_code}: {reply.text[:200]}")
        try:
            body = reply.json()
            return Version(
                device_id=str(body["device_id"]), version=int(body["version"]),
                etag=reply.headers.get("ETag", ""), config=dict(body["config"]),
                fetched_at=datetime.now(UTC).isoformat(),
            )  # fmt: skip
        except (ValueError, KeyError, TypeError) as exc:
            raise CentreUnavailableError(
                f"{api.url} answered a body that is not a configuration: {exc}"
            ) from exc

    def edge_config(self, version: Version) -> EdgeConfig:
        """The box's whole configuration: the centre's document with the box's own settings."""
        settings = self.settings
        own = {
            "device_id": version.device_id, "api": settings.api.model_dump(), "data_dir": settings.data_dir,
            "http": settings.http.model_dump(),
        }  # fmt: skip
        try:
            config = EdgeConfig.model_validate({**version.config, **own})
        except ValidationError as exc:
            raise EdgeConfigError(
                f"configuration version {version.version} is invalid: {problems(exc)}"
            ) from exc
        return resolved(config, settings.base)

    def poll(self) -> EdgeConfig | None:
        """A new version to apply, or None (unchanged, unreachable, or one this box cannot run)."""
        try:
            version = self.fetch(self._etag)
        except CentreUnavailableError as exc:
            logger.warning("configuration poll: %s; still running version %s", exc, self._running())
            return None
        if version is None:
            return None
        self._etag = version.etag
        try:
            config = self.edge_config(version)
            self.prepare(config)
        except Exception as exc:  # a version this box cannot run is logged; the running one goes on
            logger.error("configuration version %d not applied: %s", version.version, exc)
            return None
        self._keep(version)
        logger.info("configuration version %d from the centre: applying it", version.version)
        return config

    def run(self, stop: threading.Event, apply: Callable[[EdgeConfig], None]) -> None:
        """Poll every `poll_s` until `stop` is set, handing new versions to `apply`."""
        while not stop.wait(self.settings.poll_s):
            config = self.poll()
            if config is not None:
                apply(config)

    def _running(self) -> str:
        return "none" if self.current is None else str(self.current.version)

    def _keep(self, version: Version) -> None:
        self.current, self._etag = version, version.etag
        self.save_cache(version)

    def save_cache(self, version: Version) -> None:
        """Write the copy atomically (a temporary file, fsync, rename): a crash leaves the old or the new."""
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.cache_path.with_suffix(".json.part")
        data = json.dumps(version.__dict__, ensure_ascii=False, indent=1).encode()
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(descriptor, data)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(partial, self.cache_path)

    def load_cache(self) -> Version | None:
        """The cached copy, or None when there is none or it cannot be read (logged)."""
        try:
            return Version(**json.loads(self.cache_path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError) as exc:
            logger.error("cached configuration %s cannot be read: %s", self.cache_path, exc)
            return None
