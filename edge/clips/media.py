"""Clip files: a fragmented MP4 written while recording, finished as a plain MP4 a browser plays.

While a clip records, it goes to `<alert>.part`, a fragmented MP4 (one fragment per keyframe): a box
killed part-way leaves every finished fragment readable, and the next start finishes the file from
them. Finishing remuxes the fragments into an MP4 with its index first (`faststart`, so a browser
starts playing after the first range request), then hashes it.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from av.container import OutputContainer
from av.video.stream import VideoStream

logger = logging.getLogger(__name__)

FRAGMENTED = {"movflags": "frag_keyframe+empty_moov+default_base_moof", "flush_packets": "1"}
FASTSTART = {"movflags": "+faststart"}
PLAYABLE_CODECS = frozenset({"h264"})
"""Codecs that Chromium (Debian's build included) plays from an MP4 without re-encoding."""


class ClipMediaError(RuntimeError):
    """A clip could not be written or read; the message names the file."""


@dataclass(frozen=True, slots=True)
class EncodedPacket:
    """One compressed packet of a camera's stream, copied out of the demuxer (owns its bytes)."""

    data: bytes
    pts: int | None
    dts: int | None
    duration: int
    time_base: Fraction
    key: bool

    @property
    def lead_s(self) -> float:
        """How much later the packet is shown than decoded (B-frame reordering), seconds."""
        if self.pts is None or self.dts is None:
            return 0.0
        return float((self.pts - self.dts) * self.time_base)


@dataclass(frozen=True)
class MediaFacts:
    """What a finished clip file holds, measured by reading it back."""

    sha256: str
    size: int
    duration_s: float
    frames: int
    width: int
    height: int
    codec: str


class PacketWriter:
    """Remux a camera's packets into a fragmented MP4, timestamps moved to start at 0, no re-encoding.

    Example:
        >>> writer = PacketWriter(part, template=input_stream)
        >>> writer.write(packet)  # an EncodedPacket, from a keyframe on
        >>> writer.close()
    """

    def __init__(self, path: Path, *, template: VideoStream) -> None:
        self.path = path
        self._out: OutputContainer = av.open(str(path), "w", format="mp4", options=FRAGMENTED)
        self._stream = self._out.add_stream_from_template(template)
        self._origin: int | None = None
        self.frames = 0

    def write(self, packet: EncodedPacket) -> None:
        """Append one packet (the first must be a keyframe)."""
        stamp = packet.dts if packet.dts is not None else packet.pts
        if self._origin is None:
            self._origin = stamp or 0
        out = av.Packet(packet.data)
        out.time_base = packet.time_base
        out.pts = None if packet.pts is None else packet.pts - self._origin
        out.dts = None if packet.dts is None else packet.dts - self._origin
        out.duration = packet.duration
        out.is_keyframe = packet.key
        out.stream = self._stream
        self._out.mux(out)
        self.frames += 1

    def close(self) -> None:
        """Write the last fragment and close the file."""
        self._out.close()


class FrameWriter:
    """Encode BGR frames (at the detect rate, variable timing) to H.264 in a fragmented MP4.

    Example:
        >>> writer = FrameWriter(part, width=768, height=432, fps=5)
        >>> writer.write(bgr, t=12.4)
        >>> writer.close()
    """

    TIME_BASE = Fraction(1, 1000)

    def __init__(self, path: Path, *, width: int, height: int, fps: float) -> None:
        self.path = path
        self._out: OutputContainer = av.open(str(path), "w", format="mp4", options=FRAGMENTED)
        rate = Fraction(fps).limit_denominator(1000)
        stream = self._out.add_stream("libx264", rate=rate)
        stream.width, stream.height = width - width % 2, height - height % 2
        stream.pix_fmt = "yuv420p"
        stream.time_base = self.TIME_BASE
        keyint = str(max(1, math.ceil(fps)))  # a keyframe (and so a fragment) every second
        stream.options = {"preset": "veryfast", "tune": "zerolatency", "crf": "27", "g": keyint}
        self._stream = stream
        self._origin: float | None = None
        self._last_pts = -1
        self.frames = 0

    def write(self, image: np.ndarray, *, t: float) -> None:
        """Encode one frame shown at clip-clock time `t` (seconds)."""
        if self._origin is None:
            self._origin = t
        pts = max(self._last_pts + 1, round((t - self._origin) * 1000))
        height, width = self._stream.height, self._stream.width
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image[:height, :width]), format="bgr24")
        frame.pts, frame.time_base = pts, self.TIME_BASE
        self._last_pts = pts
        for packet in self._stream.encode(frame):
            self._out.mux(packet)
        self.frames += 1

    def write_jpeg(self, jpeg: bytes, *, t: float) -> None:
        """Decode one JPEG of the frames buffer and encode it."""
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise ClipMediaError(f"{self.path}: a buffered JPEG frame does not decode")
        self.write(image, t=t)

    def close(self) -> None:
        """Flush the encoder and close the file."""
        for packet in self._stream.encode(None):
            self._out.mux(packet)
        self._out.close()


def finish(part: Path, final: Path) -> MediaFacts:
    """Remux the fragmented `part` (complete or cut short by a crash) into `final` and measure it."""
    tmp = final.with_name(final.name + ".tmp")
    try:
        with av.open(str(part)) as source:
            if not source.streams.video:
                raise ClipMediaError(f"{part}: no video stream")
            with av.open(str(tmp), "w", format="mp4", options=FASTSTART) as out:
                stream = out.add_stream_from_template(source.streams.video[0])
                frames = 0
                for packet in source.demux(source.streams.video[0]):
                    if packet.dts is None and packet.pts is None:
                        continue
                    packet.stream = stream
                    out.mux(packet)
                    frames += 1
        if frames == 0:
            raise ClipMediaError(f"{part}: no complete frame recorded")
    except av.FFmpegError as exc:
        tmp.unlink(missing_ok=True)
        raise ClipMediaError(f"{part}: {exc}") from exc
    tmp.replace(final)
    return probe(final)


def probe(path: Path) -> MediaFacts:
    """Hash a clip file and read its duration, frame count and picture size by demuxing it."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        first: float | None = None
        end = 0.0
        frames = 0
        for packet in container.demux(stream):
            if packet.pts is None or packet.time_base is None or packet.duration is None:
                continue
            start = float(packet.pts * packet.time_base)
            first = start if first is None else min(first, start)
            end = max(end, start + float(packet.duration * packet.time_base))
            frames += 1
        name, width, height = stream.codec_context.name, stream.width, stream.height
    duration = 0.0 if first is None else end - first
    return MediaFacts(
        digest.hexdigest(), path.stat().st_size, round(duration, 3), frames, width, height, name
    )
