"""Read a camera's compressed stream with PyAV, without decoding, for the packets pre-roll.

A live camera is read on its own thread and connection (like a recorder beside the detector's
connection), reconnecting with backoff; each packet is stamped with wall-clock time, anchored on the
stream's own timestamps so network bursts don't bunch packets together. A file is read on demand by
the camera's thread (`advance`), stamped with its stream time, so a clip cut from a file lines up with
the frames the detector saw whatever speed the file is read at.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Protocol

import av
from av.container import InputContainer
from av.video.stream import VideoStream

from edge.clips.media import EncodedPacket
from edge.clips.ring import Timed
from edge.clips.threads import SupervisedThread
from edge.supervisor import Supervisor
from ingest.backoff import Backoff, BackoffConfig
from ingest.capture import redact

logger = logging.getLogger(__name__)

REANCHOR_S = 2.0
"""A live stream's timestamps that drift this far from the wall clock are anchored afresh."""


class PacketSink(Protocol):
    """Where a tap delivers packets (the camera's packet recorder)."""

    def on_packet(self, packet: Timed[EncodedPacket], stream: VideoStream) -> None:
        """One packet, with the stream it belongs to (the template of a clip's MP4)."""

    def on_restart(self) -> None:
        """The stream was opened afresh: what came before does not continue."""


def open_input(url: str, *, live: bool, open_timeout_s: float, read_timeout_s: float) -> InputContainer:
    """Open `url` for demuxing only; `av.FFmpegError` when it cannot be opened in time."""
    options = {"rtsp_transport": "tcp"} if live else {}
    return av.open(url, options=options, timeout=(open_timeout_s, read_timeout_s))


def probe_codec(url: str, *, live: bool, open_timeout_s: float) -> str | None:
    """The codec name of the first video stream, or None when the source cannot be opened."""
    try:
        with open_input(url, live=live, open_timeout_s=open_timeout_s, read_timeout_s=open_timeout_s) as c:
            return c.streams.video[0].codec_context.name if c.streams.video else None
    except (av.FFmpegError, OSError) as exc:
        logger.warning("cannot probe %s for its codec: %s", redact(url), exc)
        return None


def _packets(container: InputContainer, stream: VideoStream) -> Iterator[av.Packet[VideoStream]]:
    for packet in container.demux(stream):
        if packet.size and (packet.dts is not None or packet.pts is not None):
            yield packet


def _copy(packet: av.Packet[VideoStream]) -> EncodedPacket:
    assert packet.time_base is not None
    return EncodedPacket(
        bytes(packet), packet.pts, packet.dts, packet.duration or 0, packet.time_base, packet.is_keyframe
    )


def _stream_seconds(packet: av.Packet[VideoStream], start: float) -> float:
    stamp = packet.dts if packet.dts is not None else packet.pts
    assert stamp is not None
    assert packet.time_base is not None
    return float(stamp * packet.time_base) - start


class FileTap:
    """Packets of a video file, read up to a given stream time on the caller's thread.

    Example:
        >>> tap = FileTap(path, sink)
        >>> tap.advance(12.5)  # every packet up to 12.5 s of stream time went to the sink
    """

    def __init__(self, path: str, sink: PacketSink) -> None:
        self.sink = sink
        self._container = open_input(path, live=False, open_timeout_s=10, read_timeout_s=10)
        self.stream = self._container.streams.video[0]
        self.codec = self.stream.codec_context.name
        start, base = self.stream.start_time, self.stream.time_base
        self._start = float(start * base) if start and base else 0.0
        self._packets = _packets(self._container, self.stream)
        self._ahead: av.Packet[VideoStream] | None = None

    def advance(self, until: float) -> None:
        """Hand the sink every packet stamped at or before `until` seconds of stream time."""
        while True:
            packet = self._ahead or next(self._packets, None)
            if packet is None:
                return
            t = _stream_seconds(packet, self._start)
            if t > until:
                self._ahead = packet
                return
            self._ahead = None
            self.sink.on_packet(Timed(t, packet.is_keyframe, packet.size, _copy(packet)), self.stream)

    def close(self) -> None:
        """Close the file."""
        self._container.close()


class LiveTap:
    """Packets of a live stream on a thread of its own, with reconnects; stamped with wall-clock time.

    Example:
        >>> tap = LiveTap(url, sink, open_timeout_s=10, read_timeout_s=5)
        >>> tap.start(); ...; tap.stop()
    """

    def __init__(
        self,
        url: str,
        sink: PacketSink,
        *,
        open_timeout_s: float,
        read_timeout_s: float,
        backoff: BackoffConfig | None = None,
        clock: Callable[[], float] = time.time,
        name: str = "clip-tap",
        supervisor: Supervisor | None = None,
    ) -> None:
        self.url = url
        self.sink = sink
        self.open_timeout_s = open_timeout_s
        self.read_timeout_s = read_timeout_s
        self.packets = 0
        self.reconnects = 0
        self._clock = clock
        self._backoff = Backoff(backoff or BackoffConfig())
        self._stop = threading.Event()
        self._thread = SupervisedThread(name, self._run, supervisor)

    def start(self) -> None:
        """Start reading."""
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to stop (it ends within about one read timeout)."""
        self._stop.set()

    def stop(self) -> None:
        """Stop reading; waits at most about one open and one read timeout."""
        self._stop.set()
        self._thread.join(self.open_timeout_s + self.read_timeout_s + 1)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._read_once()
            except Exception as exc:  # a stream error: note it, wait, reconnect
                logger.warning("clip tap %s: %s; reconnecting", redact(self.url), exc)
            if not self._stop.is_set():
                self.sink.on_restart()
                self._stop.wait(self._backoff.next_delay())
                self.reconnects += 1

    def _read_once(self) -> None:
        with open_input(
            self.url, live=True, open_timeout_s=self.open_timeout_s, read_timeout_s=self.read_timeout_s
        ) as container:
            stream = container.streams.video[0]
            anchor: float | None = None
            for packet in _packets(container, stream):
                if self._stop.is_set():
                    return
                now = self._clock()
                seconds = _stream_seconds(packet, 0.0)
                if anchor is None or abs(anchor + seconds - now) > REANCHOR_S:
                    anchor = now - seconds
                self._backoff.reset()
                self.packets += 1
                self.sink.on_packet(
                    Timed(anchor + seconds, packet.is_keyframe, packet.size, _copy(packet)), stream
                )
