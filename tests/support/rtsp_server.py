"""A loopback RTSP server that serves one H.264 clip in an endless loop over TCP.

Run with the system Python (``/usr/bin/python3``), which has GStreamer's introspection bindings:

    /usr/bin/python3 tests/support/rtsp_server.py --clip CLIP.mp4 --port 8554 --path /cam [--frames N]

The clip's H.264 access units are read once into memory and pushed into an ``appsrc`` as new buffers
whose timestamps keep growing from one pass to the next, so a client sees one continuous stream, never an
end (``--frames`` shortens a pass, to test the loop quickly). The original encoding is served as is (no
re-encode, so no x264 is needed): a client's open timeout must exceed the clip's keyframe interval (1 s
for one-by-one-person-detection.mp4, 4.8 s for car-detection.mp4). Each client gets its own pipeline,
starting at the clip's first frame. The line ``READY`` on stdout tells a parent process that the port
is bound.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass
from typing import Any

# Imported by name so that type checkers in a virtualenv without GStreamer see plain modules.
gi = importlib.import_module("gi")
gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
GLib = importlib.import_module("gi.repository.GLib")
Gst = importlib.import_module("gi.repository.Gst")
GstRtsp = importlib.import_module("gi.repository.GstRtsp")
GstRtspServer = importlib.import_module("gi.repository.GstRtspServer")

LAUNCH = (
    "( appsrc name=src format=time is-live=false stream-type=stream "
    "caps=video/x-h264,stream-format=byte-stream,alignment=au "
    "! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )"
)


@dataclass(frozen=True)
class AccessUnit:
    """One H.264 access unit of the clip: its bytes, timestamps (ns) and whether it is a keyframe."""

    data: bytes
    pts: int
    dts: int
    keyframe: bool


@dataclass(frozen=True)
class Clip:
    """The clip's access units in decode order, and the length of one pass in nanoseconds."""

    units: list[AccessUnit]
    period_ns: int


def load_clip(path: str, max_frames: int | None = None) -> Clip:
    """Demux the clip into byte-stream H.264 access units with their timestamps.

    With ``max_frames``, keep the access units before the first keyframe at or after that many frames,
    so that a pass ends on a whole group of pictures.
    """
    pipeline = Gst.parse_launch(
        f'filesrc location="{path}" ! qtdemux ! h264parse config-interval=-1 '
        "! video/x-h264,stream-format=byte-stream,alignment=au ! appsink name=sink sync=false"
    )
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    units = []
    while (sample := sink.emit("pull-sample")) is not None:
        units.append(access_unit(sample.get_buffer()))
    pipeline.set_state(Gst.State.NULL)
    if not units:
        raise SystemExit(f"no H.264 frames in {path}")
    if max_frames is not None:
        units = units[: next_keyframe(units, max_frames)]
    frame_ns = units[1].dts - units[0].dts if len(units) > 1 else Gst.SECOND
    period = max(u.pts for u in units) - min(u.pts for u in units) + frame_ns
    return Clip(units=units, period_ns=period)


def access_unit(buffer: Any) -> AccessUnit:
    """Copy a demuxed buffer's bytes and timestamps out of GStreamer."""
    keyframe = not buffer.has_flags(Gst.BufferFlags.DELTA_UNIT)
    return AccessUnit(buffer.extract_dup(0, buffer.get_size()), buffer.pts, buffer.dts, keyframe)


def next_keyframe(units: list[AccessUnit], start: int) -> int:
    """Index of the first keyframe at or after ``start``, or the number of units if there is none."""
    return next((i for i in range(start, len(units)) if units[i].keyframe), len(units))


class LoopFeeder:
    """Feed one client's ``appsrc`` with the clip's access units, pass after pass."""

    def __init__(self, clip: Clip) -> None:
        self._clip = clip
        self._index = 0

    def on_need_data(self, src: Any, _length: int) -> None:
        """Push the next access unit as a new buffer, timestamps shifted by the passes already served."""
        passes, position = divmod(self._index, len(self._clip.units))
        unit = self._clip.units[position]
        shift = passes * self._clip.period_ns
        buffer = Gst.Buffer.new_wrapped(unit.data)
        buffer.pts, buffer.dts = unit.pts + shift, unit.dts + shift
        if not unit.keyframe:
            buffer.set_flags(Gst.BufferFlags.DELTA_UNIT)
        self._index += 1
        src.emit("push-buffer", buffer)


def make_factory(clip: Clip) -> Any:
    """A media factory whose every media (one per client) replays the clip forever over TCP."""
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(LAUNCH)
    factory.set_shared(False)
    factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP)

    def on_configure(_factory: Any, media: Any) -> None:
        src = media.get_element().get_child_by_name("src")
        src.connect("need-data", LoopFeeder(clip).on_need_data)

    factory.connect("media-configure", on_configure)
    return factory


def main(argv: list[str]) -> int:
    """Parse arguments, bind the port, announce READY and serve until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", required=True, help="H.264 MP4 file to serve")
    parser.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1")
    parser.add_argument("--path", default="/cam", help="mount path, e.g. /cam")
    parser.add_argument("--frames", type=int, help="serve only about this many frames per pass")
    args = parser.parse_args(argv)
    Gst.init(None)
    clip = load_clip(args.clip, args.frames)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    server.get_mount_points().add_factory(args.path, make_factory(clip))
    if server.attach(None) == 0:
        print(f"cannot bind 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        return 1
    print("READY", flush=True)
    GLib.MainLoop().run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
