"""Our Darknet → ONNX converter against OpenCV's own Darknet importer, on small nets built here."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest

from models.darknet import convert_darknet
from models.darknet.convert import WeightReader
from models.errors import ConversionError

TINY_V3 = """
[net]
width=32
height=32
channels=3

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=16
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=1

[convolutional]
filters=14
size=1
stride=1
pad=1
activation=linear

[yolo]
mask = 1,2
anchors = 4,5, 8,9, 12,14
classes=2
num=3

[route]
layers = -4

[convolutional]
batch_normalize=1
filters=8
size=1
stride=1
pad=1
activation=leaky

[upsample]
stride=2

[route]
layers = -1, 0

[convolutional]
filters=14
size=1
stride=1
pad=1
activation=linear

[yolo]
mask = 0,1
anchors = 4,5, 8,9, 12,14
classes=2
num=3
"""

V4_FEATURES = """
[net]
width=16
height=16
channels=3

[convolutional]
batch_normalize=1
filters=8
size=3
stride=2
pad=1
activation=leaky

[route]
layers = -1
groups = 2
group_id = 1

[convolutional]
batch_normalize=1
filters=4
size=3
stride=1
pad=1
activation=leaky

[shortcut]
from = -2
activation=linear

[route]
layers = -1, -4

[convolutional]
filters=14
size=1
stride=1
pad=1
activation=linear

[yolo]
mask = 0,1
anchors = 4,5, 8,9
classes=2
num=2
scale_x_y = 1.05
"""


def write_net(tmp_path: Path, cfg: str, floats: int, seed: int = 7) -> tuple[Path, Path]:
    # positive values keep batch-norm variances valid; the input image carries the negative signs
    values = np.random.default_rng(seed).uniform(0.05, 0.6, floats).astype(np.float32)
    cfg_path, weights_path = tmp_path / "net.cfg", tmp_path / "net.weights"
    cfg_path.write_text(cfg, encoding="utf-8")
    header = np.array([0, 2, 0], np.int32).tobytes() + np.array([0], np.uint64).tobytes()
    weights_path.write_bytes(header + values.tobytes())
    return cfg_path, weights_path


def needed_floats(tmp_path: Path, cfg: str) -> int:
    cfg_path, weights_path = write_net(tmp_path, cfg, 200_000)
    with pytest.raises(ConversionError, match="floats left over") as info:
        convert_darknet(cfg_path, weights_path)
    left = int(str(info.value).split(": ")[1].split(" ")[0])
    return 200_000 - left


@pytest.mark.parametrize("cfg", [TINY_V3, V4_FEATURES], ids=["v3-tiny-like", "v4-tiny-features"])
def test_converter_matches_opencv_darknet_importer(tmp_path: Path, cfg: str) -> None:
    cfg_path, weights_path = write_net(tmp_path, cfg, needed_floats(tmp_path, cfg))
    model = convert_darknet(cfg_path, weights_path)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    size = 32 if cfg is TINY_V3 else 16
    image = np.random.default_rng(1).uniform(-1, 1, (1, 3, size, size)).astype(np.float32)
    ours = session.run(None, {"images": image})
    net = cv2.dnn.readNetFromDarknet(str(cfg_path), str(weights_path))
    net.setInput(image)
    heads = [f"conv_{i}" for i, name in enumerate(_layer_kinds(cfg)) if name == "yolo_input"]
    theirs = net.forward(heads)
    assert [o.shape for o in ours] == [t.shape for t in theirs]
    for mine, peer in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine, peer, rtol=1e-5, atol=1e-4)


def _layer_kinds(cfg: str) -> list[str]:
    """Layer kinds by Darknet index; the conv right before a [yolo] is marked yolo_input."""
    kinds = [line.strip()[1:-1] for line in cfg.splitlines() if line.strip().startswith("[")][1:]
    return [
        "yolo_input" if k + 1 < len(kinds) and kinds[k + 1] == "yolo" else kind
        for k, kind in enumerate(kinds)
    ]


def test_short_weights_file_is_refused(tmp_path: Path) -> None:
    cfg_path, weights_path = write_net(tmp_path, TINY_V3, 100)
    with pytest.raises(ConversionError, match="weights end after 100 floats"):
        convert_darknet(cfg_path, weights_path)


@pytest.mark.parametrize(
    ("replace", "by", "problem"),
    [
        ("[maxpool]\nsize=2\nstride=1", "[reorg]\nstride=2", r"layer type \[reorg\] is not supported"),
        ("activation=leaky", "activation=swish", "activation 'swish' is not supported"),
        ("filters=14\nsize=1", "filters=12\nsize=1", "input has 12 channels, mask and classes need 14"),
        ("layers = -1, 0", "layers = -1, 40", "layer 40 does not exist"),
        ("width=32", "width=thirty", "width='thirty' is not an integer"),
    ],
)
def test_bad_cfg_is_refused_naming_the_problem(tmp_path: Path, replace: str, by: str, problem: str) -> None:
    cfg_path, weights_path = write_net(tmp_path, TINY_V3.replace(replace, by, 1), 200_000)
    with pytest.raises(ConversionError, match=problem):
        convert_darknet(cfg_path, weights_path)


def test_weight_reader_reads_old_header(tmp_path: Path) -> None:
    path = tmp_path / "old.weights"
    path.write_bytes(np.array([0, 1, 0, 0], np.int32).tobytes() + np.arange(3, dtype=np.float32).tobytes())
    reader = WeightReader(path)
    assert reader.take(3).tolist() == [0.0, 1.0, 2.0]
    assert reader.remaining == 0
