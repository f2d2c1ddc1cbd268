"""Accuracy on real footage against hand-made truth (`bench/truth/*.yaml`), variants compared in one run.

For every variant (a change applied to every camera, e.g. motion regions off/on) a fresh real centre
is started (`gridwatch api serve`, SQLite); every clip is decoded once and its frames fed to the
scenario pipelines and to one rule-less frame pass; the alerts travel through the outbox and the
publisher to the centre, which correlates them into grid events. Then, per variant:

- `scenarios_exact` / `scenarios_total`: scenarios whose alerts per rule and events per type at the
  centre are exactly what the truth says;
- `frame_recall`: true objects found as confirmed tracks (what the rules see), over evaluated frames;
  `detector_recall`: the same for the detector's own output (the gap is what tracking loses);
- `false_objects_per_frame`: confirmed tracks beyond the truth, per evaluated frame;
- `small_object_recall`: recall on objects in the truth's small zones (distant people);
- `detector_ms` and `cpu_ms_per_frame` of the frame pass (same frames in every variant).

Prints one JSON line per variant, then a final JSON line: the first variant's figures, the same
with `_regions_off` for the variant without motion regions, and the ratios between them.

    python bench/accuracy.py [--variants regions,full,size608] [--clips vtest,car-detection] [--details]
        [--try NAME='{"tracker": {"low_ratio": 1}}']   # an extra variant: any camera config change
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from itertools import chain
from pathlib import Path
from typing import Any

from bench.accuracy_centre import DEVICE, Centre
from bench.accuracy_run import (
    LaneResult,
    Variant,
    cell_locations,
    centre_outcome,
    deliver,
    new_outbox,
    run_clip,
    write_sources,
)
from bench.accuracy_score import FrameTally, exact
from bench.accuracy_truth import ClipTruth, load_truths
from edge.config import ApiConfig
from models.pull import pull
from models.registry import DEFAULT_MODEL, find_model

VARIANTS: dict[str, Variant] = {
    "regions": Variant("regions", {"regions": {"enabled": True}}),
    "full": Variant("full", {"regions": {"enabled": False}}),
    "size608": Variant("size608", {"regions": {"enabled": False}, "detector": {"input_size": 608}}),
}
REGIONS_OFF = "full"


def run_variant(variant: Variant, truths: list[ClipTruth], centre: Centre, folder: Path) -> dict[str, Any]:
    """All clips of one variant into a fresh centre; the variant's figures."""
    url = centre.start(variant.name)
    try:
        outbox = new_outbox(folder / variant.name)
        locations = cell_locations()
        results = list(chain.from_iterable(
            run_clip(truth, variant, device_id=DEVICE, outbox=outbox, locations=locations) for truth in truths
        ))  # fmt: skip
        centre.register(write_sources(results, DEVICE, folder / f"{variant.name}-sources.yaml"))
        deliver(outbox, ApiConfig(url=url, token=centre.device_token))
        outbox.close()
        outcomes = centre_outcome(url, centre.user_token)
    finally:
        centre.stop()
    return summarise(variant, results, outcomes)


def summarise(variant: Variant, results: list[LaneResult], outcomes: dict[str, Any]) -> dict[str, Any]:
    """Scenario verdicts and frame figures of one variant."""
    scenarios: dict[str, Any] = {}
    for lane in (r for r in results if r.scenario is not None):
        assert lane.scenario is not None
        got = outcomes.get(lane.camera_id)
        alerts, events = (got.alerts, got.events) if got is not None else ({}, {})
        scenarios[f"{lane.clip}/{lane.scenario.id}"] = {
            "exact": exact(lane.scenario.expect, alerts, events), "alerts": alerts, "events": events,
            "expected": lane.scenario.expect.model_dump(), "edge_alerts": lane.edge_alerts,
        }  # fmt: skip
    passes = [r for r in results if r.scenario is None]
    tracked, raw = FrameTally(), FrameTally()
    per_clip: dict[str, Any] = {}
    for lane in passes:
        tracked.add(lane.tracked)
        raw.add(lane.raw)
        per_clip[lane.clip] = _clip_figures(lane)
    frames = sum(lane.frames for lane in passes)
    calls = sum(lane.detector_calls for lane in passes)
    small = tracked.small_recall
    return {
        "variant": variant.name,
        "scenarios_exact": sum(1 for s in scenarios.values() if s["exact"]),
        "scenarios_total": len(scenarios),
        "frame_recall": round(tracked.recall, 4),
        "detector_recall": round(raw.recall, 4),
        "false_objects_per_frame": round(tracked.false_per_frame, 4),
        "small_object_recall": None if small is None else round(small, 4),
        "detector_ms": round(1000 * sum(lane.detector_s for lane in passes) / max(calls, 1), 2),
        "cpu_ms_per_frame": round(1000 * sum(lane.cpu_s for lane in passes) / max(frames, 1), 2),
        "per_clip": per_clip,
        "scenarios": scenarios,
    }


def _clip_figures(lane: LaneResult) -> dict[str, Any]:
    small = lane.tracked.small_recall
    return {
        "frame_recall": round(lane.tracked.recall, 4),
        "detector_recall": round(lane.raw.recall, 4),
        "false_objects_per_frame": round(lane.tracked.false_per_frame, 4),
        "false_by_class": lane.tracked.false_by_class,
        "small_object_recall": None if small is None else round(small, 4),
        "evaluated_frames": lane.tracked.frames,
        "cpu_ms_per_frame": round(1000 * lane.cpu_s / max(lane.frames, 1), 2),
    }


HEADLINE = (
    "scenarios_exact", "scenarios_total", "frame_recall", "detector_recall", "false_objects_per_frame",
    "small_object_recall", "detector_ms", "cpu_ms_per_frame",
)  # fmt: skip


def final_line(figures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The first variant's headline figures, the regions-off variant's with a suffix, and ratios."""
    first = next(iter(figures.values()))
    line: dict[str, Any] = {"variant": first["variant"], **{key: first[key] for key in HEADLINE}}
    off = figures.get(REGIONS_OFF)
    if off is not None and off is not first:
        line.update({f"{key}_regions_off": off[key] for key in HEADLINE})
        line["cpu_ratio_vs_regions_off"] = round(first["cpu_ms_per_frame"] / off["cpu_ms_per_frame"], 3)
    for name, other in figures.items():
        if other is not first and name != REGIONS_OFF:
            line[f"{name}"] = {key: other[key] for key in HEADLINE}
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="regions,full", help=f"comma-separated, of {list(VARIANTS)}")
    parser.add_argument("--clips", default="", help="comma-separated clip names (default: all)")
    parser.add_argument("--details", action="store_true", help="print each scenario's outcome too")
    parser.add_argument(
        "--try", dest="extra", action="append", default=[], metavar="NAME=JSON",
        help='an extra variant, e.g. nolow=\'{"tracker": {"low_ratio": 1}}\' (repeatable)',
    )  # fmt: skip
    args = parser.parse_args()
    variants = dict(VARIANTS)
    for item in args.extra:
        name, _, change = item.partition("=")
        variants[name] = Variant(name, json.loads(change))
    logging.basicConfig(level=logging.WARNING)
    pull(find_model(DEFAULT_MODEL))
    truths = load_truths()
    if args.clips:
        wanted = set(args.clips.split(","))
        truths = [t for t in truths if t.name in wanted]
    figures: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="gw-accuracy-") as tmp:
        centre = Centre(Path(tmp))
        names = [*args.variants.split(","), *(item.partition("=")[0] for item in args.extra)]
        for name in names:
            result = run_variant(variants[name], truths, centre, Path(tmp))
            figures[name] = result
            shown = result if args.details else {k: v for k, v in result.items() if k != "scenarios"}
            if not args.details:
                shown["failed"] = [k for k, v in result["scenarios"].items() if not v["exact"]]
            print(json.dumps(shown), flush=True)
    print(json.dumps(final_line(figures)))


if __name__ == "__main__":
    main()
