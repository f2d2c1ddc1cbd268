"""Run truth scenarios through the real edge pipeline into a real centre, and read back what it made.

A clip is decoded once per variant by the real video source at the clip's detect rate; each frame
goes to every lane whose stretch holds it. A lane is one `CameraPipeline` (gate → detector → tracker
→ rules → outbox) with its own camera id and grid cell: the scenario lanes, and one rule-less lane
over the whole clip whose confirmed tracks are scored frame by frame. A `Publisher` sends the outbox
to the centre; `centre_outcome` counts the alerts per rule and the events per type of each camera.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from shapely.geometry import shape

from bench.accuracy_score import FrameScorer, FrameTally, confirmed, counted
from bench.accuracy_truth import ClipTruth, Scenario, Span
from detectors import Detector
from edge.config import ApiConfig, CameraConfig
from edge.outbox import Outbox
from edge.pipeline import CameraPipeline
from edge.publisher import Publisher
from gridwatch.contracts.alert import Location
from ingest import Frame, VideoSource, VideoSourceConfig

GRIDS = Path(__file__).resolve().parents[1] / "configs" / "demo-county-grids.geojson"


@dataclass(frozen=True)
class Variant:
    """A named change applied to every camera of a run (deep-merged into its config)."""

    name: str
    camera: dict[str, Any] = field(default_factory=dict)


@dataclass
class LaneResult:
    """What one lane did: its counters, and for the frame pass its frame tallies."""

    clip: str
    camera_id: str
    scenario: Scenario | None
    frames: int = 0
    detector_calls: int = 0
    detector_s: float = 0.0
    cpu_s: float = 0.0
    edge_alerts: int = 0
    tracked: FrameTally = field(default_factory=FrameTally)
    raw: FrameTally = field(default_factory=FrameTally)
    location: Location | None = None
    """Where its camera stands (registered at the centre before its alerts are delivered)."""


@dataclass
class Outcome:
    """What the centre holds for one camera: alerts per rule id, events per type code."""

    alerts: dict[str, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)


class Lane:
    """One pipeline over one stretch of a clip."""

    def __init__(
        self, camera: CameraConfig, span: Span, *, device_id: str, outbox: Outbox, result: LaneResult,
        scorer: FrameScorer | None = None,
    ) -> None:  # fmt: skip
        self.span = span
        self.result = result
        self.scorer = scorer
        self.pipeline = CameraPipeline(
            camera, Detector.from_config(camera.detector), device_id=device_id, outbox=outbox,
            observe_latency=self._latency,
        )  # fmt: skip

    def _latency(self, seconds: float) -> None:
        self.result.detector_s += seconds

    def feed(self, frame: Frame) -> None:
        """Process the frame if it lies in the lane's stretch; score it on the frame pass."""
        if not self.span[0] <= frame.index <= self.span[1]:
            return
        start = time.thread_time()
        alerts = self.pipeline.process(frame)
        self.result.cpu_s += time.thread_time() - start
        self.result.frames += 1
        self.result.edge_alerts += len(alerts)
        self.result.detector_calls = self.pipeline.stats.detector_calls
        if self.scorer is not None:
            self.result.tracked.add(self.scorer.score(frame.index, confirmed(self.pipeline.tracked)))
            if self.pipeline.stats.detector_calls and self.scorer.evaluates(frame.index):
                raw = counted(self.pipeline.detections, self.pipeline.detector.thresholds)
                self.result.raw.add(self.scorer.score(frame.index, raw))


def camera_config(
    truth: ClipTruth, fields: dict[str, Any], variant: Variant, *, camera_id: str, location: Location
) -> CameraConfig:
    """The camera of a lane: clip, detect rate and place, the scenario's fields, the variant's change."""
    base: dict[str, Any] = {
        "id": camera_id, "url": str(truth.path), "detect_fps": truth.detect_fps,
        "location": location.model_dump(),
    }  # fmt: skip
    return CameraConfig.model_validate(deep_merge(deep_merge(base, fields), variant.camera))


def deep_merge(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """`base` with `change` laid over it; nested mappings are merged, anything else replaced."""
    out = dict(base)
    for key, value in change.items():
        old = out.get(key)
        out[key] = deep_merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return out


def cell_locations() -> Iterator[Location]:
    """A point inside each grid cell (网格) of the demo county, so every lane's events stay apart."""
    features = json.loads(GRIDS.read_text(encoding="utf-8"))["features"]
    for feature in features:
        if feature["properties"].get("level") == "网格":
            point = shape(feature["geometry"]).representative_point()
            yield Location(lon=point.x, lat=point.y)


def run_clip(
    truth: ClipTruth,
    variant: Variant,
    *,
    device_id: str,
    outbox: Outbox,
    locations: Iterator[Location],
    scenarios: list[Scenario] | None = None,
    frame_pass: bool = True,
) -> list[LaneResult]:
    """Run a clip's scenarios (default: all) and its frame pass in one decoding of the clip."""
    lanes: list[Lane] = []
    chosen = truth.scenarios if scenarios is None else scenarios
    for scenario in chosen:
        camera_id = f"{variant.name}-{truth.name}-{scenario.id}"[:64]
        camera = camera_config(truth, scenario.camera, variant, camera_id=camera_id, location=next(locations))
        result = LaneResult(truth.name, camera_id, scenario, location=camera.location)
        lanes.append(Lane(camera, scenario.frames, device_id=device_id, outbox=outbox, result=result))
    if frame_pass:
        camera_id = f"{variant.name}-{truth.name}-frames"[:64]
        camera = camera_config(
            truth, truth.frame_pass, variant, camera_id=camera_id, location=next(locations)
        )
        result = LaneResult(truth.name, camera_id, None, location=camera.location)
        lanes.append(Lane(camera, (0, 10**9), device_id=device_id, outbox=outbox, result=result,
                          scorer=FrameScorer(truth)))  # fmt: skip
    if not lanes:
        return []
    last = max(lane.span[1] for lane in lanes)
    config = VideoSourceConfig(
        id=f"{variant.name}-{truth.name}", url=str(truth.path), detect_fps=truth.detect_fps
    )
    with VideoSource(config) as source:
        for frame in source.frames():
            for lane in lanes:
                lane.feed(frame)
            if frame.index >= last:
                break
    return [lane.result for lane in lanes]


def write_sources(results: Iterable[LaneResult], device_id: str, path: Path) -> Path:
    """The lanes' cameras as a `gridwatch api import-sources` file (the centre takes alerts only from
    registered sources); returns `path`."""
    rows = [
        {"box_id": device_id, "source_id": r.camera_id, "kind": "camera", "lon": r.location.lon,
         "lat": r.location.lat}
        for r in results if r.location is not None
    ]  # fmt: skip
    path.write_text(yaml.safe_dump(rows), encoding="utf-8")
    return path


def deliver(outbox: Outbox, api: ApiConfig, timeout_s: float = 120.0) -> None:
    """Send everything queued in the outbox to the centre; RuntimeError if that does not finish."""
    publisher = Publisher(outbox, api)
    publisher.start()
    if not publisher.stop(timeout_s):
        raise RuntimeError(f"{outbox.depth()} alerts still undelivered after {timeout_s:.0f} s")


def centre_outcome(url: str, user_token: str) -> dict[str, Outcome]:
    """Per camera (source id): its alerts per rule and its events per type, as the centre holds them."""
    outcomes: dict[str, Outcome] = {}
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {user_token}"}, timeout=30) as client:
        page = client.get("/v1/events", params={"limit": 500}).raise_for_status().json()
        for event in page["items"]:
            detail = client.get(f"/v1/events/{event['code']}").raise_for_status().json()
            sources = {alert["source_id"] for alert in detail["alerts"]}
            if len(sources) != 1:
                raise RuntimeError(f"event {event['code']} mixes alerts of cameras {sorted(sources)}")
            outcome = outcomes.setdefault(sources.pop(), Outcome())
            outcome.events[event["type_code"]] = outcome.events.get(event["type_code"], 0) + 1
            for alert in detail["alerts"]:
                rule = str(alert["payload"].get("rule"))
                outcome.alerts[rule] = outcome.alerts.get(rule, 0) + 1
    return outcomes


def new_outbox(folder: Path | None = None) -> Outbox:
    """An outbox in its own file (a temporary folder unless given)."""
    where = Path(tempfile.mkdtemp(prefix="gw-accuracy-")) if folder is None else folder
    where.mkdir(parents=True, exist_ok=True)
    return Outbox(where / "outbox.db")
