"""What every decoder returns and what it must check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from detectors.errors import ModelLoadError

Shape = list[int | str | None]


@dataclass(frozen=True)
class OutputInfo:
    """Name and (possibly symbolic) shape of one model output."""

    name: str
    shape: Shape


@dataclass(frozen=True)
class Candidates:
    """Decoded boxes before thresholds per class and NMS, in model-input pixels."""

    xyxy: NDArray[np.float32]
    confidence: NDArray[np.float32]
    class_id: NDArray[np.int64]

    @classmethod
    def empty(cls) -> Candidates:
        """No candidates."""
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64))


class Decoder(Protocol):
    """Turns one image's raw model outputs into candidate boxes."""

    def check(self, outputs: list[OutputInfo]) -> None:
        """Raise ModelLoadError naming the problem if the outputs do not fit this family."""

    def decode(
        self, outputs: list[NDArray[np.float32]], index: int, min_score: float, input_size: tuple[int, int]
    ) -> Candidates:
        """Candidates of image `index` of the batch with confidence ≥ min_score, in pixels of the
        input tensor of size `input_size` (width, height)."""


def static_dim(shape: Shape, axis: int) -> int | None:
    """The size of an axis when it is a fixed number."""
    value = shape[axis] if -len(shape) <= axis < len(shape) else None
    return value if isinstance(value, int) and value > 0 else None


def require(condition: bool, family: str, problem: str) -> None:
    """Raise a ModelLoadError for `family` unless `condition` holds."""
    if not condition:
        raise ModelLoadError(f"outputs do not fit family {family}: {problem}")


def cxcywh_to_xyxy(boxes: NDArray[np.float32]) -> NDArray[np.float32]:
    """Centre/size boxes → corner boxes."""
    half = boxes[:, 2:4] / 2
    return np.concatenate([boxes[:, :2] - half, boxes[:, :2] + half], axis=1).astype(np.float32)


def best_class(scores: NDArray[np.float32]) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Per row: the best class and its score."""
    class_id = scores.argmax(axis=1)
    return class_id.astype(np.int64), scores[np.arange(len(scores)), class_id].astype(np.float32)
