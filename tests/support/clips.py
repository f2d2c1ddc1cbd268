"""Real clip files for the tests: cut from the shared person clip without re-encoding."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import av

from edge.clips.media import EncodedPacket, PacketWriter, finish
from gridwatch.contracts import ClipInfo
from tests.support.models import PERSON_CLIP


def cut_clip(
    folder: Path, alert_id: str, *, start_s: float = 2.0, end_s: float = 17.0
) -> tuple[Path, ClipInfo]:
    """An MP4 of the person clip from the keyframe at `start_s` to `end_s`, and its ClipInfo."""
    part, final = folder / f"{alert_id}.part", folder / f"{alert_id}.mp4"
    with av.open(str(PERSON_CLIP)) as source:
        stream = source.streams.video[0]
        writer = PacketWriter(part, template=stream)
        for packet in source.demux(stream):
            if packet.dts is None or packet.time_base is None or not packet.size:
                continue
            t = float(packet.dts * packet.time_base)
            if start_s <= t < end_s:
                writer.write(
                    EncodedPacket(
                        bytes(packet),
                        packet.pts,
                        packet.dts,
                        packet.duration or 0,
                        packet.time_base,
                        packet.is_keyframe,
                    )
                )
        writer.close()
    facts = finish(part, final)
    info = ClipInfo(
        alert_id=alert_id,
        sha256=facts.sha256,
        size=facts.size,
        duration_s=facts.duration_s,
        started_at=datetime.now(UTC),
        alert_offset_s=5.0,
        frames=facts.frames,
        width=facts.width,
        height=facts.height,
    )
    return final, info
