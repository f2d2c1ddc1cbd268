"""Cameras that stop delivering frames become `device_offline` alerts, and their return a clear.

A live camera counts as offline once no frame has arrived for its `offline_after_s` (the source
itself notices a stall within its read timeout and reconnects with backoff). One `raised` alert per
outage, one `cleared` alert when frames flow again.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from edge.config import CameraConfig
from gridwatch.contracts import Alert, AlertKind, AlertPhase, Severity, SourceKind
from gridwatch.contracts.alert import make_alert_id
from ingest import SourceHealth, SourceState

logger = logging.getLogger(__name__)


class OfflineMonitor:
    """Watches one camera's source health; `check` returns the alerts to queue, if any.

    Example:
        >>> monitor = OfflineMonitor(camera, device_id="edge-01", started=now)
        >>> monitor.check(source.health(), now)
        []
    """

    def __init__(self, camera: CameraConfig, *, device_id: str, started: datetime) -> None:
        self.camera = camera
        self.device_id = device_id
        self.started = started
        self.offline = False

    def check(self, health: SourceHealth, now: datetime) -> list[Alert]:
        """Compare the last frame time with the limit; raise or clear on a change."""
        silent = now - (health.last_frame_at or self.started)
        limit = timedelta(seconds=self.camera.offline_after_s)
        if health.last_frame_at is None:  # never streamed yet: the first open may take its whole timeout
            limit += timedelta(seconds=self.camera.source.open_timeout_s)
        if not self.offline and health.state is not SourceState.STREAMING and silent >= limit:
            self.offline = True
            reason = health.last_error or health.state.value
            logger.error(
                "camera %s offline: no frame for %.0f s (%s)", self.camera.id, silent.total_seconds(), reason
            )
            return [self._alert(AlertPhase.RAISED, health, now, silent)]
        if self.offline and health.state is SourceState.STREAMING and silent < timedelta(seconds=5):
            self.offline = False
            logger.info("camera %s back online", self.camera.id)
            return [self._alert(AlertPhase.CLEARED, health, now, silent)]
        return []

    def _alert(self, phase: AlertPhase, health: SourceHealth, now: datetime, silent: timedelta) -> Alert:
        return Alert(
            alert_id=make_alert_id(self.camera.id, uuid.uuid4().hex),  # new every time
            device_id=self.device_id,
            source_id=self.camera.id,
            source_kind=SourceKind.CAMERA,
            kind=AlertKind.DEVICE_OFFLINE,
            phase=phase,
            severity=Severity.HIGH if phase is AlertPhase.RAISED else Severity.LOW,
            observed_at=now.astimezone(UTC),
            location=self.camera.location,
            rule="camera-offline",
            details={
                "state": health.state.value,
                "silent_s": round(silent.total_seconds(), 1),
                "reconnects": health.reconnects,
                "last_error": health.last_error[:200],
            },
        )
