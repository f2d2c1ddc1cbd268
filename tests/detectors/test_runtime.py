"""Execution providers come from config; missing ones fall back to CPU with one warning."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from detectors import Detector, DetectorConfig
from detectors.runtime import resolve_providers
from tests.support.models import constant_model, file_manifest


def test_cpu_is_the_default() -> None:
    assert resolve_providers(["cpu"]) == ["CPUExecutionProvider"]


@pytest.mark.skipif(
    "CUDAExecutionProvider" in ort.get_available_providers(), reason="this check is for machines without CUDA"
)
def test_missing_gpu_providers_fall_back_to_cpu_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = np.zeros((1, 1, 7), np.float32)
    path = constant_model(tmp_path / "m.onnx", {"output0": rows}, input_shape=[1, 3, 64, 64])
    with caplog.at_level(logging.WARNING, logger="detectors.runtime"):
        detector = Detector(
            file_manifest(path, family="yolov5"), DetectorConfig(providers=["tensorrt", "cuda"])
        )
    assert detector.providers == ["CPUExecutionProvider"]
    warnings = [r for r in caplog.records if "falling back to CPU" in r.getMessage()]
    assert len(warnings) == 1
    assert "tensorrt" in warnings[0].getMessage()
    assert "cuda" in warnings[0].getMessage()


def test_intra_op_threads_reach_the_session(tmp_path: Path) -> None:
    rows = np.zeros((1, 1, 7), np.float32)
    path = constant_model(tmp_path / "m.onnx", {"output0": rows}, input_shape=[1, 3, 64, 64])
    detector = Detector(file_manifest(path, family="yolov5"), DetectorConfig(intra_op_threads=3))
    assert detector.session.get_session_options().intra_op_num_threads == 3
