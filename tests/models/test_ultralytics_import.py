"""`gridwatch models import`: a real Ultralytics detect model built offline, exported, run by our detector."""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnxruntime as ort
import pytest
import yaml
from numpy.typing import NDArray

from detectors import Detector, DetectorConfig
from detectors.preprocess import fit, to_tensor
from models.errors import ConversionError
from models.manifest import Family, load_manifest
from models.registry import find_model
from models.ultralytics_import import (
    UltralyticsMissingError,
    family_for_output,
    import_ultralytics,
    model_name,
)
from tests.support.models import PERSON_CLIP

CLASSES = {0: "person", 1: "forklift", 2: "helmet"}
IMGSZ = 320
ANCHORS = (IMGSZ // 8) ** 2 + (IMGSZ // 16) ** 2 + (IMGSZ // 32) ** 2  # 2100 columns at strides 8, 16, 32

# Third-party warnings of the export itself, nothing else: torch 2.13 deprecates the TorchScript-based
# ONNX exporter that Ultralytics calls (dynamo=False), and tracing its Detect head raises a TracerWarning
# that Ultralytics silences with a global filter when imported (pytest resets filters for each test).
EXPORT_WARNINGS = [
    "ignore:You are using the legacy TorchScript-based ONNX export:DeprecationWarning",
    "ignore:The feature will be removed. Please remove usage of this function:DeprecationWarning",
    "ignore:Converting a tensor to a Python boolean might cause the trace to be incorrect",
]
exporting = pytest.mark.filterwarnings(*EXPORT_WARNINGS)


def offline_env(mp: pytest.MonkeyPatch, config_dir: Path) -> None:
    """What the importer sets, set here first so that the test leaves the environment as it found it."""
    mp.setenv("YOLO_OFFLINE", "1")
    mp.setenv("YOLO_AUTOINSTALL", "False")
    mp.setenv("YOLO_VERBOSE", "False")
    mp.setenv("YOLO_CONFIG_DIR", str(config_dir))


def require_ultralytics() -> Any:
    """The ultralytics module; in CI (which installs the extra) its absence fails the test."""
    try:
        return importlib.import_module("ultralytics")
    except ModuleNotFoundError as exc:
        message = (
            f"the ultralytics extra is not installed ({exc.name} missing): run scripts/install-ultralytics"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def save_model(tmp: Path, config: str, *, names: dict[int, str] | None = None) -> Path:
    """Build a randomly initialised nano model from a yaml file that ships with ultralytics; save its .pt."""
    ultralytics = require_ultralytics()
    spec = yaml.safe_load((Path(ultralytics.__file__).parent / "cfg" / "models" / config).read_text())
    if names is not None:
        spec["nc"] = len(names)
    (tmp / "build").mkdir(exist_ok=True)
    # Ultralytics takes the scale from the file name (yolov8n → n), not from a `scale:` key.
    spec_path = tmp / "build" / f"gw-{Path(config).name.replace('yolov8', 'yolov8n')}"
    spec_path.write_text(yaml.safe_dump(spec))
    model = ultralytics.YOLO(str(spec_path))
    assert sum(p.numel() for p in model.model.parameters()) < 4_000_000, "not the nano scale"
    if names is not None:
        model.model.names = names
    pt_path = tmp / "user" / f"{spec_path.stem}.pt"
    pt_path.parent.mkdir(exist_ok=True)
    model.save(str(pt_path))
    return pt_path


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A YOLOv8n detect checkpoint with three named classes, random weights, built without any download."""
    tmp = tmp_path_factory.mktemp("ultralytics")
    with pytest.MonkeyPatch.context() as mp:
        offline_env(mp, tmp / "yolo-config")
        yield save_model(tmp, "v8/yolov8.yaml", names=CLASSES)


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """User manifests and the model cache under tmp_path; returns the manifest directory."""
    monkeypatch.setenv("GRIDWATCH_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("GRIDWATCH_CACHE_DIR", str(tmp_path / "cache"))
    offline_env(monkeypatch, tmp_path / "yolo-config")
    return tmp_path / "models"


def person_frame() -> NDArray[np.uint8]:
    """Frame 120 of the shared person clip (someone is in the room)."""
    if not PERSON_CLIP.is_file():
        pytest.fail(f"shared clip missing: {PERSON_CLIP}")
    capture = cv2.VideoCapture(str(PERSON_CLIP))
    try:
        capture.set(cv2.CAP_PROP_POS_FRAMES, 120)
        ok, frame = capture.read()
    finally:
        capture.release()
    assert ok, f"cannot read frame 120 of {PERSON_CLIP}"
    return np.asarray(frame, dtype=np.uint8)


@pytest.mark.slow
@exporting
def test_import_writes_onnx_and_manifest_that_the_registry_finds(checkpoint: Path, registry: Path) -> None:
    user_files = sorted(checkpoint.parent.iterdir())

    manifest_path = import_ultralytics(checkpoint, name="yard-v8n", imgsz=IMGSZ)

    assert manifest_path == registry / "yard-v8n.yaml"
    onnx_path = registry / "yard-v8n.onnx"
    manifest = load_manifest(manifest_path)
    assert manifest.family is Family.YOLOV8
    assert manifest.classes == list(CLASSES.values())
    assert manifest.conversion == "none"
    assert manifest.source.type == "file"
    assert manifest.source.path == "yard-v8n.onnx"
    assert manifest.source.sha256 == hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    assert (manifest.input.width, manifest.input.height) == (IMGSZ, IMGSZ)
    assert (manifest.input.letterbox, manifest.input.pad_value, manifest.input.rgb) == (True, 114, True)
    assert manifest.input.scale == pytest.approx(1 / 255)
    assert "AGPL-3.0" in manifest.licence
    assert find_model("yard-v8n").onnx_path == onnx_path
    assert sorted(checkpoint.parent.iterdir()) == user_files, "the import wrote next to the user's .pt"
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    assert session.get_outputs()[0].shape == [1, 4 + len(CLASSES), ANCHORS]  # yolov8 layout [1, 4+C, N]


@pytest.mark.slow
@exporting
def test_imported_model_runs_through_our_detector_like_pytorch(checkpoint: Path, registry: Path) -> None:
    import_ultralytics(checkpoint, name="yard-v8n", imgsz=IMGSZ)
    entry = find_model("yard-v8n")
    detector = Detector(entry, DetectorConfig(model="yard-v8n", score_threshold=1e-6, nms_iou=0.5))
    frame = person_frame()

    found = detector.detect(frame)

    # Random weights detect nothing real; what must hold is that our pipeline decodes this model's output.
    tensor = to_tensor([fit(frame, entry.manifest.input)[0]], entry.manifest.input)
    (raw,) = detector.session.run(None, {detector.input_name: tensor})
    torch_out = pytorch_output(checkpoint, tensor)
    np.testing.assert_allclose(raw, torch_out, rtol=1e-3, atol=1e-5)  # the export computes what the .pt does
    assert len(found) > 0
    scores = raw[0, 4:, :]
    assert found.confidence is not None
    assert found.confidence.max() == pytest.approx(float(scores.max()), rel=1e-5)
    assert found.class_id is not None
    assert set(found.class_id) <= set(CLASSES)
    assert list(found.data["class_name"]) == [CLASSES[int(k)] for k in found.class_id]
    height, width = frame.shape[:2]
    assert (found.xyxy >= 0).all()
    assert (found.xyxy[:, [0, 2]] <= width).all()
    assert (found.xyxy[:, [1, 3]] <= height).all()
    assert (found.xyxy[:, :2] <= found.xyxy[:, 2:]).all()


def pytorch_output(checkpoint: Path, tensor: NDArray[Any]) -> NDArray[np.float32]:
    """The checkpoint's own PyTorch forward pass on the same input tensor."""
    torch = importlib.import_module("torch")
    model = require_ultralytics().YOLO(str(checkpoint)).model.float().eval()
    with torch.no_grad():
        out = model(torch.from_numpy(tensor))
    first = out[0] if isinstance(out, list | tuple) else out
    return np.asarray(first.numpy(), dtype=np.float32)


@pytest.mark.slow
@exporting
def test_second_import_under_the_same_name_is_refused(checkpoint: Path, registry: Path) -> None:
    import_ultralytics(checkpoint, name="yard-v8n", imgsz=IMGSZ)
    before = (registry / "yard-v8n.yaml").read_bytes()

    with pytest.raises(ConversionError, match=r"yard-v8n.*would overwrite .*yard-v8n\.yaml"):
        import_ultralytics(checkpoint, name="yard-v8n", imgsz=IMGSZ)
    assert (registry / "yard-v8n.yaml").read_bytes() == before


@pytest.mark.slow
def test_non_detect_model_is_refused(tmp_path: Path, registry: Path) -> None:
    classifier = save_model(tmp_path, "v8/yolov8-cls.yaml")

    with pytest.raises(ConversionError, match=r"is a 'classify' model; only detect models"):
        import_ultralytics(classifier, imgsz=IMGSZ)
    assert not registry.exists() or not any(registry.iterdir())


@pytest.mark.slow
def test_pt_that_is_not_an_ultralytics_checkpoint_is_refused(tmp_path: Path, registry: Path) -> None:
    require_ultralytics()
    junk = tmp_path / "notes.pt"
    junk.write_bytes(b"not a pickle at all")

    with pytest.raises(ConversionError, match=r"notes\.pt is not an Ultralytics checkpoint"):
        import_ultralytics(junk)


@pytest.mark.parametrize(
    ("filename", "create", "message"),
    [
        ("missing.pt", False, r"checkpoint .*missing\.pt does not exist"),
        ("model.onnx", True, r"model\.onnx is not a \.pt file"),
        ("weights", True, r"weights is not a \.pt file"),
    ],
)
def test_bad_path_is_refused_before_ultralytics_is_needed(
    tmp_path: Path, registry: Path, filename: str, create: bool, message: str
) -> None:
    path = tmp_path / filename
    if create:
        path.write_bytes(b"\0")

    with pytest.raises(ConversionError, match=message):
        import_ultralytics(path)
    assert not registry.exists()


@pytest.mark.parametrize("imgsz", [0, 16, 8192])
def test_input_size_out_of_range_is_refused(tmp_path: Path, registry: Path, imgsz: int) -> None:
    checkpoint = tmp_path / "best.pt"
    checkpoint.write_bytes(b"\0")

    with pytest.raises(ConversionError, match=rf"imgsz {imgsz} is out of range"):
        import_ultralytics(checkpoint, imgsz=imgsz)


def test_missing_extra_names_the_install_command(
    tmp_path: Path, registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkpoint = tmp_path / "best.pt"
    checkpoint.write_bytes(b"\0")
    monkeypatch.setitem(sys.modules, "ultralytics", None)  # makes `import ultralytics` fail as if absent

    with pytest.raises(UltralyticsMissingError, match=r"pip install 'gridwatch\[ultralytics\]'"):
        import_ultralytics(checkpoint)


@pytest.mark.parametrize(
    ("shape", "classes", "family"),
    [
        ([1, 84, 8400], 80, Family.YOLOV8),
        ([1, 7, 2100], 3, Family.YOLOV8),
        (["batch", 7, "anchors"], 3, Family.YOLOV8),
        ([1, 25200, 85], 80, Family.YOLOV5),
    ],
)
def test_family_follows_the_output_layout(shape: list[int | str], classes: int, family: Family) -> None:
    assert family_for_output(shape, classes) is family


@pytest.mark.parametrize("shape", [[1, 300, 6], [1, 84], [1, 85, 8400]])
def test_output_of_no_known_layout_is_refused(shape: list[int | str]) -> None:
    with pytest.raises(ConversionError, match=r"exported output has shape"):
        family_for_output(shape, 80)


@pytest.mark.parametrize(
    ("raw", "name"),
    [("best", "best"), ("Yard Cam_v8n", "yard-cam_v8n"), ("__x.y", "x.y")],
)
def test_model_name_from_file_stem(raw: str, name: str) -> None:
    assert model_name(raw) == name


def test_model_name_that_cannot_be_made_is_refused() -> None:
    with pytest.raises(ConversionError, match=r"cannot make a model name from '\?\?\?'"):
        model_name("???")
