"""The finisher: clips cut short by a killed box are finished from their fragments; unsent clips
over the disk bound are dropped oldest first, recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.clips.jobs import ClipFinisher, Finished
from edge.clips.queue import ClipQueue, ClipState
from tests.support.clips import cut_clip

pytestmark = pytest.mark.slow  # cuts real clips


def _recorded(queue: ClipQueue, folder: Path, alert_id: str) -> Finished:
    """A clip recorded to its `.part` (fragmented MP4) and registered as recording."""
    final, _info = cut_clip(folder, alert_id, start_s=0.0, end_s=4.0)
    final.unlink()
    part = final.with_suffix(".part")
    queue.recording(
        alert_id,
        source_id="cam-1",
        part=part,
        final=final,
        alert_t=2.0,
        observed_at=datetime.now(UTC),
        buffer="packets",
    )
    queue.started(alert_id, 0.0)
    return Finished(alert_id, part, final, 2.0, 0.0, datetime.now(UTC), "packets", truncated=False)


def test_a_clip_cut_by_a_kill_is_finished_from_its_fragments(tmp_path: Path) -> None:
    queue = ClipQueue(tmp_path / "outbox.db")
    done = _recorded(queue, tmp_path, "killed")
    data = done.part.read_bytes()
    done.part.write_bytes(data[: len(data) * 2 // 3])  # the box died while writing
    assert ClipFinisher(queue).recover() == 1
    record = queue.get("killed")
    assert record is not None
    assert record.state is ClipState.READY
    assert record.info is not None
    assert record.info.truncated
    assert 0.5 < record.info.duration_s < 4.0
    assert record.info.alert_offset_s == 2.0
    assert not done.part.exists()
    assert record.path.stat().st_size == record.info.size


def test_unsent_clips_over_the_bound_are_dropped_oldest_first(tmp_path: Path) -> None:
    queue = ClipQueue(tmp_path / "outbox.db")
    size = cut_clip(tmp_path, "probe", start_s=0.0, end_s=4.0)[1].size
    finisher = ClipFinisher(queue, max_pending_bytes=int(size * 2.5))
    finisher.start()
    for n in range(3):
        finisher.submit(_recorded(queue, tmp_path, f"a-{n}"))
        assert finisher.wait_idle(30)
    finisher.stop()
    states = {n: queue.get(f"a-{n}").state for n in range(3)}  # type: ignore[union-attr]
    assert states == {0: ClipState.FAILED, 1: ClipState.READY, 2: ClipState.READY}
    dropped = queue.get("a-0")
    assert dropped is not None
    assert dropped.last_error is not None
    assert "dropped" in dropped.last_error
    assert not dropped.path.exists()
    assert finisher.dropped == 1


def test_an_alert_whose_clip_got_nothing_is_recorded_again_when_it_comes_again(tmp_path: Path) -> None:
    queue = ClipQueue(tmp_path / "outbox.db")
    args = {
        "source_id": "cam-1",
        "part": tmp_path / "x.part",
        "final": tmp_path / "x.mp4",
        "alert_t": 1.0,
        "observed_at": datetime.now(UTC),
        "buffer": "packets",
    }
    assert queue.recording("x", **args)  # type: ignore[arg-type]
    assert not queue.recording("x", **args)  # type: ignore[arg-type]
    ClipFinisher(queue).recover()  # the box died before a packet was written: nothing to finish
    assert queue.get("x").state is ClipState.FAILED  # type: ignore[union-attr]
    assert queue.recording("x", **args)  # type: ignore[arg-type]
    assert queue.get("x").state is ClipState.RECORDING  # type: ignore[union-attr]
