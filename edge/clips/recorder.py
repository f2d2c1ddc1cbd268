"""Per camera: keep the pre-roll, open a clip job on each alert, feed jobs until they end.

Two ways to keep the pre-roll (`ClipsConfig.buffer`), measured in `bench/clips.py`:
- `PacketRecorder`: the camera's own compressed packets (a second, demux-only connection for a live
  camera; the file itself for a file), remuxed into the clip without re-encoding, from a keyframe on.
- `FrameRecorder`: the frames the pipeline looks at (detect rate), kept as JPEG, encoded to H.264 when
  a clip is written. For sources whose codec a browser can't play from MP4 (H.265, MJPEG).

The camera loop calls `on_frame` for every frame it processes and `on_alerts` with the alerts that
frame raised; that is the whole hook into the pipeline.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from pathlib import Path

import cv2
from av.video.stream import VideoStream

from edge.clips.jobs import ClipFinisher, ClipJob, Finished
from edge.clips.media import EncodedPacket, FrameWriter, PacketWriter
from edge.clips.queue import ClipQueue
from edge.clips.ring import PreRoll, Timed
from edge.clips.tap import FileTap, LiveTap
from edge.config import ClipsConfig
from edge.supervisor import Supervisor
from gridwatch.contracts import Alert
from ingest import Frame

logger = logging.getLogger(__name__)

HEADROOM_S = 1.0
"""The pre-roll holds this much more than `pre_s`: a job opens at the packet or frame after its alert."""


def clip_time(frame: Frame, *, live: bool) -> float:
    """A frame's time on the clip clock: wall-clock seconds for a live camera, stream time for a file."""
    return frame.captured_at.timestamp() if live else frame.pts


def alert_tracks(alert: Alert) -> frozenset[int]:
    """Track ids of the objects an alert is about."""
    return frozenset(box.track_id for box in alert.evidence.boxes if box.track_id is not None)


class CameraRecorder:
    """What both pre-roll kinds share: jobs, their extension by the alert's objects, and their end."""

    buffer = "frames"

    def __init__(
        self,
        camera_id: str,
        config: ClipsConfig,
        *,
        live: bool,
        clips: ClipQueue,
        finisher: ClipFinisher,
        folder: Path,
    ) -> None:
        self.camera_id = camera_id
        self.config = config
        self.live = live
        self.clips = clips
        self.finisher = finisher
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.jobs: list[ClipJob] = []
        self.lock = threading.Lock()
        self.opened = 0

    @property
    def buffered_bytes(self) -> int:
        """Bytes held by the pre-roll now."""
        raise NotImplementedError

    def on_frame(self, frame: Frame, tracks: frozenset[int]) -> None:
        """A processed frame and the track ids in view: extends the jobs of alerts still going on."""
        t = clip_time(frame, live=self.live)
        with self.lock:
            for job in self.jobs:
                job.extend(t, tracks, self.config.post_s)

    def on_alerts(self, alerts: Iterable[Alert], frame: Frame) -> None:
        """Open one clip job per camera alert raised at `frame` (a replayed file's alerts are skipped)."""
        t = clip_time(frame, live=self.live)
        for alert in alerts:
            part, final = self.folder / f"{alert.alert_id}.part", self.folder / f"{alert.alert_id}.mp4"
            if not self.clips.recording(
                alert.alert_id,
                source_id=self.camera_id,
                part=part,
                final=final,
                alert_t=t,
                observed_at=alert.observed_at,
                buffer=self.buffer,
            ):
                continue
            job = ClipJob(
                alert.alert_id,
                t,
                alert.observed_at,
                t + self.config.post_s,
                t + self.config.max_s,
                alert_tracks(alert),
                part,
                final,
                self.buffer,
            )
            with self.lock:
                self.jobs.append(job)
            self.opened += 1

    def start(self) -> None:
        """Start any reader of its own (the packets pre-roll of a live camera has one)."""

    def stop_reading(self) -> None:
        """Ask any reader of its own to stop (all cameras first, then `close` each: stops run together)."""

    def close(self, *, truncated: bool) -> None:
        """End every open job now (the camera stopped)."""
        with self.lock:
            jobs, self.jobs = self.jobs, []
        for job in jobs:
            self._end(job, truncated=truncated)

    def _end(self, job: ClipJob, *, truncated: bool) -> None:
        if job.writer is not None:
            try:
                job.writer.close()
            except Exception:
                logger.exception("clip of alert %s: closing the file failed", job.alert_id)
        self.finisher.submit(
            Finished(
                job.alert_id,
                job.part,
                job.final,
                job.alert_t,
                job.first_t,
                job.observed_at,
                job.buffer,
                truncated,
            )
        )

    def _end_due(self, t: float) -> None:
        """End the jobs whose end time `t` has reached (call with the lock held)."""
        done = [job for job in self.jobs if job.writer is not None and t >= job.end_t]
        self.jobs = [job for job in self.jobs if job not in done]
        for job in done:
            self._end(job, truncated=False)

    def _started(self, job: ClipJob, first_t: float) -> None:
        job.first_t = first_t
        self.clips.started(job.alert_id, first_t)


class PacketRecorder(CameraRecorder):
    """Pre-roll of compressed packets; clips are remuxed from them without re-encoding.

    Example:
        >>> recorder = PacketRecorder("cam-1", config, url=path, live=False, clips=q, finisher=f, folder=d)
        >>> recorder.on_frame(frame, tracks); recorder.on_alerts(alerts, frame)
    """

    buffer = "packets"

    def __init__(
        self,
        camera_id: str,
        config: ClipsConfig,
        *,
        url: str,
        live: bool,
        clips: ClipQueue,
        finisher: ClipFinisher,
        folder: Path,
        open_timeout_s: float = 10.0,
        read_timeout_s: float = 5.0,
        supervisor: Supervisor | None = None,
    ) -> None:
        super().__init__(camera_id, config, live=live, clips=clips, finisher=finisher, folder=folder)
        self.ring = PreRoll[EncodedPacket](pre_s=config.pre_s + HEADROOM_S, max_bytes=config.max_buffer_bytes)
        self.file_tap = None if live else FileTap(url, self)
        self.live_tap = (
            LiveTap(
                url,
                self,
                open_timeout_s=open_timeout_s,
                read_timeout_s=read_timeout_s,
                name=f"clip-tap-{camera_id}",
                supervisor=supervisor,
            )
            if live
            else None
        )

    @property
    def buffered_bytes(self) -> int:
        """Bytes held by the pre-roll now."""
        return self.ring.nbytes

    def on_frame(self, frame: Frame, tracks: frozenset[int]) -> None:
        """Read a file's packets up to this frame, then extend the jobs."""
        if self.file_tap is not None:
            self.file_tap.advance(frame.pts)
        super().on_frame(frame, tracks)

    def on_packet(self, packet: Timed[EncodedPacket], stream: VideoStream) -> None:
        """Buffer one packet and write it into every open job (a new job first gets the pre-roll)."""
        self.ring.add(packet)
        with self.lock:
            for job in self.jobs:
                if job.writer is None:
                    self._open(job, stream)
                elif packet.t > job.last_t:
                    assert isinstance(job.writer, PacketWriter)
                    job.writer.write(packet.item)
                    job.last_t = packet.t
            self._end_due(packet.t)

    def start(self) -> None:
        """Start reading a live camera's packets on their own connection."""
        if self.live_tap is not None:
            self.live_tap.start()

    def stop_reading(self) -> None:
        """Ask the live tap to stop; `close` waits for it."""
        if self.live_tap is not None:
            self.live_tap.request_stop()

    def on_restart(self) -> None:
        """The stream broke: the pre-roll is of no use any more; jobs end with what they have."""
        self.ring.clear()
        with self.lock:
            broken = [job for job in self.jobs if job.writer is not None]
            self.jobs = [job for job in self.jobs if job.writer is None]
        for job in broken:
            self._end(job, truncated=True)

    def close(self, *, truncated: bool) -> None:
        """A file: record the remaining post-roll from the file; a live camera: stop its connection."""
        if self.file_tap is not None:
            with self.lock:
                until = max((job.end_t for job in self.jobs), default=float("-inf"))
            self.file_tap.advance(until)
            self.file_tap.close()
        if self.live_tap is not None:
            self.live_tap.stop()
        super().close(truncated=truncated)

    def _open(self, job: ClipJob, stream: VideoStream) -> None:
        items = self.ring.since(job.alert_t - self.config.pre_s, before=job.alert_t)
        if not items:
            return  # no keyframe yet
        writer = job.writer = PacketWriter(job.part, template=stream)
        self._started(job, items[0].t + items[0].item.lead_s)  # when its first picture is shown
        for item in items:
            writer.write(item.item)
        job.last_t = items[-1].t


class FrameRecorder(CameraRecorder):
    """Pre-roll of the processed frames as JPEG; clips are encoded to H.264 at the detect rate.

    Example:
        >>> recorder = FrameRecorder("cam-1", config, fps=5, live=True, clips=q, finisher=f, folder=d)
    """

    buffer = "frames"

    def __init__(
        self,
        camera_id: str,
        config: ClipsConfig,
        *,
        fps: float,
        live: bool,
        clips: ClipQueue,
        finisher: ClipFinisher,
        folder: Path,
    ) -> None:
        super().__init__(camera_id, config, live=live, clips=clips, finisher=finisher, folder=folder)
        self.fps = fps
        self.ring = PreRoll[bytes](pre_s=config.pre_s + HEADROOM_S, max_bytes=config.max_buffer_bytes)
        self._params = [cv2.IMWRITE_JPEG_QUALITY, config.jpeg_quality]

    @property
    def buffered_bytes(self) -> int:
        """Bytes held by the pre-roll now."""
        return self.ring.nbytes

    def on_frame(self, frame: Frame, tracks: frozenset[int]) -> None:
        """Buffer the frame as JPEG, extend the jobs, write it into every open job."""
        t = clip_time(frame, live=self.live)
        ok, jpeg = cv2.imencode(".jpg", frame.image, self._params)
        if ok:
            self.ring.add(Timed(t, True, int(jpeg.nbytes), bytes(jpeg.tobytes())))
        super().on_frame(frame, tracks)
        with self.lock:
            for job in self.jobs:
                if job.writer is None:
                    self._open(job, frame)
                elif t > job.last_t:
                    assert isinstance(job.writer, FrameWriter)
                    job.writer.write(frame.image, t=t)
                    job.last_t = t
            self._end_due(t)

    def _open(self, job: ClipJob, frame: Frame) -> None:
        items = self.ring.since(job.alert_t - self.config.pre_s)
        if not items:
            return
        writer = job.writer = FrameWriter(job.part, width=frame.width, height=frame.height, fps=self.fps)
        self._started(job, items[0].t)
        for item in items:
            writer.write_jpeg(item.item, t=item.t)
        job.last_t = items[-1].t
