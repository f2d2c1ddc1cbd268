"""Key scenarios of the accuracy benchmark, through the real pipeline, outbox, publisher and centre.

The truth is `bench/truth/*.yaml` (written by watching the clips); each scenario is a stretch of a
clip, an edge config and the exact alerts per rule and grid events per type the centre must hold.
Stretches are short (2-26 s of video) so that the run stays modest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bench.accuracy_run import (
    Outcome,
    Variant,
    camera_config,
    cell_locations,
    centre_outcome,
    deliver,
    new_outbox,
    run_clip,
    write_sources,
)  # fmt: skip
from bench.accuracy_score import exact
from bench.accuracy_truth import ClipTruth, Scenario, load_truths
from detectors import Detector
from edge.config import ApiConfig
from edge.pipeline import CameraPipeline
from edge.rules.base import candidates
from edge.rules.geometry import Anchor, anchor_points
from edge.rules.presence import Presence
from ingest import VideoSource, VideoSourceConfig
from tests.support.centre import DEVICE, CentreApi, Seeded, api_admin, seed
from tests.support.models import default_model

pytestmark = pytest.mark.slow

DEFAULT = Variant("default")
REGIONS = Variant("regions", {"regions": {"enabled": True}})
KEY = {  # (clip, scenario) → variants it runs in
    ("vtest", "far-walker"): [REGIONS],
    ("vtest", "plaza-crowd-6"): [DEFAULT],
    ("vtest", "plaza-quiet"): [DEFAULT, REGIONS],
    ("one-by-one-person-detection", "room-one-visit"): [DEFAULT, REGIONS],
    ("one-by-one-person-detection", "room-idle"): [DEFAULT],
    ("car-detection", "lot-idle"): [DEFAULT],
}
TRUTHS = {truth.name: truth for truth in load_truths()}


def scenario(clip: str, name: str) -> Scenario:
    return next(s for s in TRUTHS[clip].scenarios if s.id == name)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    """Every key scenario run once, into one real centre; the centre's outcome per camera."""
    default_model()
    folder = tmp_path_factory.mktemp("accuracy")
    seeded: Seeded = seed(folder / "seed.db")
    centre = CentreApi(seeded, folder)
    centre.start()
    try:
        outbox, locations = new_outbox(folder / "edge"), cell_locations()
        results = []
        for variant in (DEFAULT, REGIONS):
            for clip in sorted({clip for clip, _ in KEY}):
                chosen = [scenario(clip, s) for (c, s), vs in KEY.items() if c == clip and variant in vs]
                results += run_clip(TRUTHS[clip], variant, device_id=DEVICE, outbox=outbox,
                                    locations=locations, scenarios=chosen, frame_pass=False)  # fmt: skip
        api_admin("import-sources", str(write_sources(results, DEVICE, folder / "sources.yaml")),
                  database=centre.database)  # fmt: skip
        deliver(outbox, ApiConfig(url=centre.url, token=seeded.device_token))
        outbox.close()
        yield centre_outcome(centre.url, seeded.user_token)
    finally:
        centre.stop()


CASES = [(clip, name, variant) for (clip, name), variants in KEY.items() for variant in variants]


@pytest.mark.parametrize(("clip", "name", "variant"), CASES, ids=[f"{c}/{n}/{v.name}" for c, n, v in CASES])
def test_scenario_makes_exactly_the_true_events(
    outcomes: dict[str, Outcome], clip: str, name: str, variant: Variant
) -> None:
    case = scenario(clip, name)
    got = outcomes.get(f"{variant.name}-{clip}-{name}"[:64], Outcome())
    assert exact(case.expect, got.alerts, got.events), (
        f"{case.what}\nexpected {case.expect.model_dump()}\ngot alerts {got.alerts}, events {got.events}"
    )


def test_presence_count_holds_the_crowd_that_single_frames_lose() -> None:
    """vtest 170-310: 6 or 7 people on the plaza at every 10th frame (counted twice by eye)."""
    default_model()
    truth = TRUTHS["vtest"]
    case = scenario("vtest", "plaza-crowd-6")
    rows = [row for row in truth.counts["person"] if case.frames[0] <= row.frame <= case.frames[1]]
    assert min(row.by_zone()["plaza"] for row in rows) >= 6
    counts = presence_counts(truth, case, grace=(0.0, 1.0))
    settled = {
        g: [n for f, n in c.items() if f >= case.frames[0] + 10] for g, c in counts.items()
    }  # after 1 s
    share = {g: float(np.mean([n >= 6 for n in c])) for g, c in settled.items()}
    assert share[1.0] > share[0.0]
    assert share[1.0] >= 0.8
    assert max(settled[1.0]) <= 8  # an id switch may count one person twice for a second, no more


def presence_counts(
    truth: ClipTruth, case: Scenario, grace: tuple[float, ...]
) -> dict[float, dict[int, int]]:
    """Per frame of the stretch, the people counted in the scenario's zone with each grace period."""
    camera = camera_config(truth, case.camera, DEFAULT, camera_id="presence", location=next(cell_locations()))
    pipeline = CameraPipeline(camera, Detector.from_config(camera.detector), device_id="t",
                              outbox=new_outbox())  # fmt: skip
    zone = pipeline.rules.shapes.zones["plaza"]
    presences = {g: Presence(g) for g in grace}
    out: dict[float, dict[int, int]] = {g: {} for g in grace}
    with VideoSource(VideoSourceConfig(id="p", url=str(truth.path), detect_fps=truth.detect_fps)) as source:
        for frame in source.frames():
            if frame.index > case.frames[1]:
                break
            if frame.index < case.frames[0]:
                continue
            pipeline.process(frame)
            tracked = pipeline.tracked
            mask = candidates(tracked, ("person",))
            inside = np.zeros(len(tracked), bool)
            inside[mask] = zone.contains(anchor_points(tracked, Anchor.BOTTOM_CENTER)[mask])
            ids = [] if tracked.tracker_id is None else tracked.tracker_id.tolist()
            seen = {int(ids[k]): bool(inside[k]) for k in np.flatnonzero(mask)}
            for g, presence in presences.items():
                out[g][frame.index] = presence.update(seen, frame.pts)
    return out


def test_truth_files_load_and_name_existing_clips() -> None:
    assert set(TRUTHS) == {"vtest", "one-by-one-person-detection", "car-detection"}
    for truth in TRUTHS.values():
        assert Path(truth.path).is_file(), truth.path
        assert truth.scenarios
