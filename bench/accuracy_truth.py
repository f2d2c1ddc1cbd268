"""Hand-made truth for the accuracy benchmark: what is in each clip, and what each scenario must produce.

One YAML per clip under `bench/truth/` (written by watching the frames; each file says how it was
counted). A truth file holds:

- `objects`: per class or class group, each object with the frames it is `visible` in (any part of
  it) and the frames it is `sure` in (at least half of it); frames in between may go either way;
- `counts`: per class, people by zone at chosen frames (for crowded clips where intervals per person
  would be guesswork), with `unsure` for the ones that may or may not be there;
- `allowed`: classes the detector may report without being wrong or right (a real table);
- `scenarios`: a stretch of frames, a camera config (detector, zones, lines, rules) and the alerts per
  rule and grid events per type the centre must end up with — exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gridwatch.yamlfile import load_yaml_model

TRUTH_DIR = Path(__file__).resolve().parent / "truth"
CLIPS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "clips"

Span = tuple[int, int]
Polygon = list[tuple[float, float]]


class TruthError(ValueError):
    """A truth file is missing, malformed or inconsistent."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TruthObject(_Strict):
    """One object (a person, a car) and the frames it is in."""

    id: str = Field(description="Name used in notes, e.g. P3")
    visible: Span = Field(description="First and last frame showing any part of it")
    sure: Span | None = Field(default=None, description="First and last frame with at least half of it")
    note: str = Field(default="", description="How to recognise it")

    @model_validator(mode="after")
    def _sure_inside_visible(self) -> Self:
        if self.visible[0] > self.visible[1]:
            raise ValueError(f"object {self.id}: visible {self.visible} ends before it starts")
        if self.sure is not None and not self.visible[0] <= self.sure[0] <= self.sure[1] <= self.visible[1]:
            raise ValueError(f"object {self.id}: sure {self.sure} must lie inside visible {self.visible}")
        return self


class CountRow(BaseModel):
    """Objects of one class by zone at one frame: `{frame: 80, plaza: 6, far: 1, unsure: 0}`."""

    model_config = ConfigDict(extra="allow", frozen=True)

    frame: int = Field(ge=0, description="Frame index")
    unsure: int = Field(default=0, ge=0, description="Objects that may or may not be there (any zone)")

    def by_zone(self) -> dict[str, int]:
        """The counts per zone named in the row."""
        extra: dict[str, Any] = self.model_extra or {}
        return {zone: int(value) for zone, value in extra.items()}


class Expectation(_Strict):
    """What the centre must hold after a scenario: alerts per rule id and events per type code."""

    alerts: dict[str, int] = Field(default_factory=dict, description="Rule id → number of alerts")
    events: dict[str, int] = Field(default_factory=dict, description="Event type code → number of events")


class Scenario(_Strict):
    """A stretch of a clip, a camera config and the exact outcome at the centre."""

    id: str = Field(description="Scenario name")
    what: str = Field(description="What happens in the stretch, in words")
    frames: Span = Field(description="First and last frame index of the stretch")
    camera: dict[str, Any] = Field(description="Camera config fields (detector, rules, ...) for the stretch")
    expect: Expectation = Field(description="Alerts and events the stretch must produce")


class ClipTruth(_Strict):
    """Everything known about one clip."""

    clip: str = Field(description="File name under ../shared/clips, or an absolute path")
    detect_fps: float = Field(gt=0, description="Frames per second the pipeline looks at")
    frame_pass: dict[str, Any] = Field(
        default_factory=lambda: {"detector": {"class_thresholds": {"person": 0.4}}},
        description="Camera config of the rule-less pass that frame metrics are measured on",
    )
    zones: dict[str, Polygon] = Field(default_factory=dict, description="Zones that `counts` refer to")
    small_zones: list[str] = Field(default_factory=list, description="Zones whose objects count as small")
    objects: dict[str, list[TruthObject]] = Field(default_factory=dict, description="Class → objects")
    counts: dict[str, list[CountRow]] = Field(default_factory=dict, description="Class → rows by frame")
    allowed: list[str] = Field(default_factory=list, description="Classes neither right nor wrong")
    scenarios: list[Scenario] = Field(default_factory=list, description="Scenarios on this clip")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for name, rows in self.counts.items():
            for row in rows:
                unknown = set(row.by_zone()) - set(self.zones)
                if unknown:
                    raise ValueError(f"counts.{name} frame {row.frame}: unknown zones {sorted(unknown)}")
        missing = set(self.small_zones) - set(self.zones)
        if missing:
            raise ValueError(f"small_zones {sorted(missing)} are not in zones")
        ids = [s.id for s in self.scenarios]
        if len(ids) != len(set(ids)):
            raise ValueError(f"scenario ids repeat: {ids}")
        return self

    @property
    def path(self) -> Path:
        """The clip file."""
        return Path(self.clip) if Path(self.clip).is_absolute() else CLIPS_DIR / self.clip

    @property
    def name(self) -> str:
        """Short name of the clip (its file stem)."""
        return self.path.stem


def load_truth(path: Path) -> ClipTruth:
    """One truth file, validated."""
    return load_yaml_model(path, ClipTruth, what="truth file", error=TruthError)


def load_truths(folder: Path = TRUTH_DIR) -> list[ClipTruth]:
    """Every truth file of the folder, sorted by name."""
    return [load_truth(path) for path in sorted(folder.glob("*.yaml"))]
