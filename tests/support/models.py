"""Builders for model tests: tiny ONNX graphs with known outputs, manifests, the real default model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnx
import supervision as sv
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper

from models.manifest import ModelManifest
from models.pull import pull
from models.registry import DEFAULT_MODEL, ModelEntry, find_model

CLIPS = Path(__file__).resolve().parents[2].parent / "shared" / "clips"
PERSON_CLIP = CLIPS / "one-by-one-person-detection.mp4"
CAR_CLIP = CLIPS / "car-detection.mp4"
VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
"""Pedestrians on a campus square, 768x576, 10 fps (Debian's opencv-doc, BSD; scripts/test installs it)."""


def constant_model(
    path: Path,
    outputs: dict[str, NDArray[Any]],
    *,
    input_shape: list[int | str],
    input_dtype: int = TensorProto.FLOAT,
) -> Path:
    """An ONNX model whose outputs are fixed arrays (plus 0 × the input, so the input is used)."""
    nodes = [helper.make_node("Cast", ["images"], ["as_float"], to=TensorProto.FLOAT)]
    nodes.append(helper.make_node("ReduceMean", ["as_float"], ["mean"], keepdims=0))
    nodes.append(helper.make_node("Mul", ["mean", "zero"], ["nothing"]))
    inits = [numpy_helper.from_array(np.zeros((), np.float32), "zero")]
    infos = []
    for name, value in outputs.items():
        inits.append(numpy_helper.from_array(value.astype(np.float32), f"{name}_value"))
        nodes.append(helper.make_node("Add", [f"{name}_value", "nothing"], [name]))
        infos.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(value.shape)))
    graph = helper.make_graph(
        nodes, "constant", [helper.make_tensor_value_info("images", input_dtype, input_shape)], infos, inits
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def file_manifest(path: Path, **fields: Any) -> ModelEntry:
    """A user-model manifest entry (source: file) around an ONNX file."""
    base: dict[str, Any] = {
        "name": "test-model",
        "version": "1",
        "licence": "test",
        "source": {"type": "file", "path": str(path)},
        "conversion": "none",
        "input": {"width": 64, "height": 64, "letterbox": True, "pad_value": 114},
        "classes": ["person", "car"],
    }
    base.update(fields)
    return ModelEntry(ModelManifest.model_validate(base), path.parent / "manifest.yaml")


def default_model() -> ModelEntry:
    """The real default model, pulled and converted once per cache."""
    entry = find_model(DEFAULT_MODEL)
    pull(entry)
    return entry


def read_frame(clip: Path, index: int) -> NDArray[np.uint8]:
    """One decoded BGR frame of a shared clip."""
    capture = cv2.VideoCapture(str(clip))
    try:
        capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = capture.read()
    finally:
        capture.release()
    assert ok, f"cannot read frame {index} of {clip}"
    return np.asarray(frame, dtype=np.uint8)


def only(found: sv.Detections, label: str) -> sv.Detections:
    """The detections of one class."""
    picked = found[found.data["class_name"] == label]
    assert isinstance(picked, sv.Detections)
    return picked


def read_all(clip: Path) -> list[NDArray[np.uint8]]:
    """Every decoded BGR frame of a shared clip."""
    capture = cv2.VideoCapture(str(clip))
    frames: list[NDArray[np.uint8]] = []
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return frames
            frames.append(np.asarray(frame, dtype=np.uint8))
    finally:
        capture.release()
