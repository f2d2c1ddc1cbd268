"""The detector: frame in, `supervision.Detections` out (boxes in original-frame pixels)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import supervision as sv
from numpy.typing import NDArray

from detectors.config import DetectorConfig
from detectors.decoders import Candidates, OutputInfo, make_decoder
from detectors.errors import ModelLoadError
from detectors.nms import class_aware_nms
from detectors.preprocess import Placement, fit, to_tensor
from detectors.runtime import open_session
from detectors.tiles import Tile, to_frame
from ingest.frame import Image
from models.manifest import InputSpec
from models.registry import ModelEntry, find_model
from models.verify import check_file_digest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    """Images fitted to the model input and stacked into its input tensor, and where each frame landed."""

    tensor: NDArray[np.float32] | NDArray[np.uint8]
    placements: list[Placement]
    size: tuple[int, int]
    """Width and height of the model input the images were fitted to."""


class Detector:
    """Runs one ONNX model on BGR frames.

    Example:
        >>> detector = Detector.from_config(DetectorConfig(model="yolov3-tiny-coco"))  # doctest: +SKIP
        >>> detections = detector.detect(frame)  # doctest: +SKIP
        >>> detections.data["class_name"]  # doctest: +SKIP
        array(['person'], dtype='<U6')
    """

    def __init__(self, entry: ModelEntry, config: DetectorConfig, *, onnx_path: Path | None = None) -> None:
        self.manifest = entry.manifest
        self.config = config
        if onnx_path is None:
            check_file_digest(entry)
        self.session = open_session(
            onnx_path or entry.onnx_path, providers=config.providers, threads=config.intra_op_threads,
            cpu_arena=config.cpu_arena,
        )  # fmt: skip
        self.decoder = make_decoder(self.manifest)
        self.input = self._input_spec()
        self._check_io()
        self.input_name = self.session.get_inputs()[0].name
        self._names = np.asarray(self.manifest.classes)
        groups = [config.group_of(name) for name in self.manifest.classes]
        self._groups = np.asarray([group or "" for group in groups])
        self._thresholds = np.asarray(
            [
                config.threshold_for(name, group)
                for name, group in zip(self.manifest.classes, groups, strict=True)
            ],
            dtype=np.float32,
        )
        self._wanted = self._class_filter(groups)
        self._min_score = float(self._thresholds[self._wanted].min()) if self._wanted.any() else 1.0

    @classmethod
    def from_config(cls, config: DetectorConfig) -> Detector:
        """Look the model up by name and open it."""
        return cls(find_model(config.model), config)

    @property
    def providers(self) -> list[str]:
        """Execution providers the session actually uses."""
        return list(self.session.get_providers())

    @property
    def groups(self) -> list[str]:
        """The class group of each class, by class id ('' for none)."""
        return [str(group) for group in self._groups]

    @property
    def thresholds(self) -> NDArray[np.float32]:
        """Score threshold of each class, by class id (a detection at or above it counts)."""
        return self._thresholds.copy()

    def detect(self, frame: Image, *, low_ratio: float = 1.0) -> sv.Detections:
        """Detections in one frame (see `detect_batch` for `low_ratio`)."""
        return self.detect_batch([frame], low_ratio=low_ratio)[0]

    def detect_batch(
        self, frames: list[Image], *, low_ratio: float = 1.0, square: bool = False
    ) -> list[sv.Detections]:
        """Detections in several frames with one model run (the batch dimension must be dynamic).

        With `low_ratio` < 1, detections down to that fraction of their class threshold are kept too,
        for a tracker's second association; those below the threshold do not count on their own.
        With `square`, every image is letterboxed to the full input size (never the smaller `rect`
        size), so that images of any shape share one run.
        """
        prepared = self.prepare(frames, square=square)
        if prepared is None:  # rect letterbox of frames of mixed sizes
            return [self.detect_batch([frame], low_ratio=low_ratio)[0] for frame in frames]
        outputs = self.session.run(None, {self.input_name: prepared.tensor})
        return self.decode(prepared, outputs, 0, low_ratio=low_ratio)

    def prepare(self, frames: list[Image], *, square: bool = False) -> Prepared | None:
        """The model input of `frames` (see `detect_batch`); None when their fitted shapes differ.

        `prepare` and `decode` are `detect_batch` in two halves, for a scheduler that runs the model on
        the inputs of several cameras at once.
        """
        spec = self.input.model_copy(update={"rect": False}) if square else self.input
        fitted = [fit(frame, spec) for frame in frames]
        if len({image.shape for image, _ in fitted}) > 1:
            return None
        images = [image for image, _ in fitted]
        size = (images[0].shape[1], images[0].shape[0])
        return Prepared(to_tensor(images, spec), [placement for _, placement in fitted], size)

    def decode(
        self, prepared: Prepared, outputs: list[NDArray[np.float32]], offset: int, *, low_ratio: float = 1.0
    ) -> list[sv.Detections]:
        """Detections of `prepared`'s images, which are images `offset`, `offset + 1`, ... of `outputs`."""
        floor = self._min_score * low_ratio
        return [
            self._finish(self.decoder.decode(outputs, offset + k, floor, prepared.size), placement, low_ratio)
            for k, placement in enumerate(prepared.placements)
        ]

    def detect_tiles(self, frame: Image, tiles: list[Tile], *, low_ratio: float = 1.0) -> list[sv.Detections]:
        """Detections in the whole frame (first) and in each tile of it (then, in order), in frame pixels.

        Each tile is cropped at native resolution and letterboxed to the model's input size; all tiles
        go through one batched model run. Boxes cut by an inner side of a tile are dropped (the whole
        frame or another tile sees that object). `detectors.tiles.merge` makes one set of them.
        """
        whole = self.detect(frame, low_ratio=low_ratio)
        if not tiles:
            return [whole]
        parts = self.detect_batch([tile.crop(frame) for tile in tiles], low_ratio=low_ratio, square=True)
        size = (frame.shape[1], frame.shape[0])
        return [whole, *(to_frame(part, tile, size) for part, tile in zip(parts, tiles, strict=True))]

    def _finish(self, found: Candidates, placement: Placement, low_ratio: float = 1.0) -> sv.Detections:
        floor = self._thresholds[found.class_id] * np.float32(low_ratio)
        keep = self._wanted[found.class_id] & (found.confidence >= floor)
        xyxy, score, class_id = found.xyxy[keep], found.confidence[keep], found.class_id[keep]
        order = class_aware_nms(xyxy, score, class_id, iou=self.config.nms_iou)[: self.config.max_detections]
        class_id = class_id[order]
        return sv.Detections(
            xyxy=placement.to_frame(xyxy[order]),
            confidence=score[order],
            class_id=class_id,
            data={"class_name": self._names[class_id], "group": self._groups[class_id]},
        )

    def _class_filter(self, groups: list[str | None]) -> NDArray[np.bool_]:
        wanted = self.config.classes
        if wanted is None:
            return np.ones(len(self.manifest.classes), dtype=bool)
        known = set(self.manifest.classes) | set(self.config.class_groups)
        unknown = sorted(set(wanted) - known)
        if unknown:
            raise ModelLoadError(f"classes {unknown} are neither classes of {self.manifest.name} nor groups")
        return np.asarray(
            [
                name in wanted or (group in wanted)
                for name, group in zip(self.manifest.classes, groups, strict=True)
            ],
            dtype=bool,
        )

    def _input_spec(self) -> InputSpec:
        """The manifest's input, resized to the configured `input_size` if there is one."""
        spec, size = self.manifest.input, self.config.input_size
        if size is None or (size == spec.width and size == spec.height):
            return spec
        if size % spec.stride:
            raise ModelLoadError(
                f"input_size {size} is not a multiple of {self.manifest.name}'s stride {spec.stride}"
            )
        shape = list(self.session.get_inputs()[0].shape)
        height_width = shape[2:4] if spec.layout == "nchw" else shape[1:3]
        if any(isinstance(d, int) and d > 0 for d in height_width):
            raise ModelLoadError(
                f"input_size {size} needs a model with dynamic height/width; {self.manifest.name} has the "
                f"fixed input shape {shape}"
            )
        return spec.model_copy(update={"width": size, "height": size})

    def _check_io(self) -> None:
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise ModelLoadError(
                f"model {self.manifest.name} has {len(inputs)} inputs; expected 1 image input"
            )
        shape, spec = list(inputs[0].shape), self.input
        expected = [spec.height, spec.width] if spec.layout == "nchw" else [spec.height, spec.width, 3]
        actual = shape[2:] if spec.layout == "nchw" else shape[1:]
        fixed = [(a, e) for a, e in zip(actual, expected, strict=False) if isinstance(a, int) and a > 0]
        if spec.rect and spec.letterbox and len(fixed) >= 2:
            raise ModelLoadError(
                f"model {self.manifest.name}: input.rect needs dynamic height/width, but input "
                f"{inputs[0].name} has the fixed shape {shape}"
            )
        if len(shape) != 4 or any(a != e for a, e in fixed):
            raise ModelLoadError(
                f"model {self.manifest.name}: input {inputs[0].name} has shape {shape}; the manifest says "
                f"{spec.layout} {spec.width}x{spec.height}"
            )
        self.decoder.check([OutputInfo(out.name, list(out.shape)) for out in self.session.get_outputs()])
