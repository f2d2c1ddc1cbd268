"""Detector configuration: execution providers, threads, thresholds, class filters and groups."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field, model_validator

from gridwatch.strict import Strict

Provider = Literal["cpu", "cuda", "tensorrt"]

DEFAULT_GROUPS: dict[str, list[str]] = {
    "vehicle": ["car", "bus", "truck", "motorbike", "motorcycle"],
}


class DetectorConfig(Strict):
    """How one detector instance runs and what it reports.

    Example:
        >>> config = DetectorConfig(score_threshold=0.3, class_thresholds={"vehicle": 0.2})
        >>> config.threshold_for("car", "vehicle")
        0.2
    """

    model: str = Field(default="yolov3-tiny-coco", description="Model name (or path to a manifest)")
    providers: list[Provider] = Field(
        default_factory=lambda: list[Provider](["cpu"]),
        min_length=1,
        description="Execution providers, in preference order",
    )
    intra_op_threads: int = Field(default=1, ge=1, le=64, description="onnxruntime intra-op threads")
    cpu_arena: bool = Field(
        default=False,
        description="onnxruntime's CPU memory arena: it keeps the largest activations any run needed (about "
        "20 MB per image of a batch, per concurrent run) and never shrinks; off costs no measurable CPU",
    )
    score_threshold: float = Field(default=0.25, gt=0, le=1, description="Minimum score for any class")
    class_thresholds: dict[str, float] = Field(
        default_factory=dict, description="Per-class or per-group minimum score, overriding score_threshold"
    )
    classes: list[str] | None = Field(
        default=None, description="Keep only these classes or groups (None keeps all)"
    )
    class_groups: dict[str, list[str]] = Field(
        default_factory=lambda: dict(DEFAULT_GROUPS), description="Group name → member class names"
    )
    input_size: int | None = Field(
        default=None,
        ge=32,
        le=4096,
        description="Model input size in pixels (e.g. 416, 608; a multiple of the model's stride) for models "
        "with dynamic height/width: larger sees smaller objects at a higher cost; None: the manifest's",
    )
    nms_iou: float = Field(default=0.45, gt=0, le=1, description="IoU above which NMS suppresses (per class)")
    max_detections: int = Field(default=300, ge=1, description="Cap on detections per frame")

    @model_validator(mode="after")
    def _thresholds_in_range(self) -> DetectorConfig:
        bad = {name: value for name, value in self.class_thresholds.items() if not 0 < value <= 1}
        if bad:
            raise ValueError(f"class_thresholds must be in (0, 1]: {bad}")
        return self

    def group_of(self, class_name: str) -> str | None:
        """The first group that lists this class."""
        return next((group for group, members in self.class_groups.items() if class_name in members), None)

    def threshold_for(self, class_name: str, group: str | None) -> float:
        """Score threshold of a class: its own, else its group's, else the default."""
        if class_name in self.class_thresholds:
            return self.class_thresholds[class_name]
        if group is not None and group in self.class_thresholds:
            return self.class_thresholds[group]
        return self.score_threshold


GPU_BATCH_WAIT_S = 0.01
"""The default batch wait with a GPU provider, where one run of eight images costs little more than one."""
GPU_MAX_BATCH = 8
"""The default images per run with a GPU provider."""


class SchedulerConfig(Strict):
    """The inference scheduler of an edge box: one per model, shared by every camera on that model.

    Example:
        >>> SchedulerConfig(max_concurrent=2).concurrency
        2
    """

    enabled: bool = Field(
        default=True, description="Run every camera's inference through the scheduler (off: each camera runs"
        " the model on its own thread, as before)",
    )  # fmt: skip
    max_concurrent: int | None = Field(
        default=None, ge=1, le=64,
        description="Model runs at once per model; None: half the CPU cores, at least 2",
    )  # fmt: skip
    max_batch: int | None = Field(
        default=None, ge=1, le=256,
        description="Images per model run, across cameras; None: 1 on CPU (a batch of N costs N runs' CPU "
        "there, and its activations N times the memory), 8 with a GPU provider",
    )  # fmt: skip
    batch_wait_ms: float | None = Field(
        default=None, ge=0, le=1000,
        description="How long a free runner waits for more requests to fill a batch; None: 0 on CPU (a batch "
        "costs the same per image there, so waiting only adds latency; batches still form from what waits "
        "while the runners are busy), 10 ms with a GPU provider",
    )  # fmt: skip
    slot: int = Field(
        default=1, ge=1, le=64,
        description="Requests a camera may have waiting (per input shape); a newer one drops the oldest, "
        "counted",
    )  # fmt: skip

    @property
    def concurrency(self) -> int:
        """Model runs allowed at once."""
        return self.max_concurrent or max(2, len(os.sched_getaffinity(0)) // 2)

    def wait_s(self, providers: list[str]) -> float:
        """The batch wait in seconds for a session on these onnxruntime providers."""
        if self.batch_wait_ms is not None:
            return self.batch_wait_ms / 1000
        return 0.0 if _cpu_only(providers) else GPU_BATCH_WAIT_S

    def batch(self, providers: list[str]) -> int:
        """Images per run for a session on these onnxruntime providers."""
        if self.max_batch is not None:
            return self.max_batch
        return 1 if _cpu_only(providers) else GPU_MAX_BATCH


def _cpu_only(providers: list[str]) -> bool:
    return providers == ["CPUExecutionProvider"]
