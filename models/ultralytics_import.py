"""Bring a user's Ultralytics detection checkpoint (.pt) in: export it to ONNX and write its manifest.

`ultralytics` is an optional extra (`pip install 'gridwatch[ultralytics]'`, or `scripts/install-ultralytics`
on a CPU-only machine). It is imported only here, offline: no hub downloads, no pip auto-installs.
A .pt file is a pickle: import only checkpoints you trust.

Example:
    >>> path = import_ultralytics(Path("runs/train/weights/best.pt"), name="yard-v8n")  # doctest: +SKIP
    >>> load_manifest(path).family  # doctest: +SKIP
    <Family.YOLOV8: 'yolov8'>
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import onnx
import yaml
from platformdirs import user_config_dir

from detectors.verify import verify_onnx
from models.errors import ConversionError
from models.manifest import Family, ModelManifest, load_manifest
from models.registry import ModelEntry, known_models, user_manifest_dir

logger = logging.getLogger(__name__)

EXTRA_HINT = "pip install 'gridwatch[ultralytics]' (on a CPU-only machine: scripts/install-ultralytics)"
OFFLINE_ENV = {"YOLO_OFFLINE": "1", "YOLO_AUTOINSTALL": "False"}
"""Set before ultralytics is imported: no online checks, no pip installs of missing packages."""
ONNX_OPSET = 17
"""Opset of the export: the legacy TorchScript exporter and onnxruntime ≥ 1.14 both handle it."""
DEFAULT_LICENCE = "AGPL-3.0 (Ultralytics) unless your own licence applies"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._\-]*$")


class UltralyticsMissingError(ConversionError):
    """The optional `ultralytics` extra is not installed."""


class _Yolo(Protocol):
    """The part of `ultralytics.YOLO` used here."""

    task: str
    names: Mapping[int, str]
    ckpt: Mapping[str, Any] | None

    def export(self, **kwargs: Any) -> str: ...


def import_ultralytics(
    pt_path: Path, *, name: str | None = None, imgsz: int = 640, dest_dir: Path | None = None
) -> Path:
    """Export a detect checkpoint to `<dest_dir>/<name>.onnx`, write `<name>.yaml`; return the manifest path.

    `dest_dir` defaults to the user manifest directory, where `find_model(name)` looks.
    """
    pt_path = _check_checkpoint(pt_path)
    if not 32 <= imgsz <= 4096:
        raise ConversionError(f"imgsz {imgsz} is out of range; use 32..4096 (a multiple of 32, e.g. 640)")
    name = model_name(name if name is not None else pt_path.stem)
    dest_dir = dest_dir if dest_dir is not None else user_manifest_dir()
    onnx_path, manifest_path = dest_dir / f"{name}.onnx", dest_dir / f"{name}.yaml"
    _check_name_free(name, onnx_path, manifest_path)
    with tempfile.TemporaryDirectory(prefix="gridwatch-import-") as tmp:
        work_pt = Path(tmp) / f"{name}.pt"  # the export writes next to the .pt: keep the user's folder clean
        shutil.copyfile(pt_path, work_pt)
        yolo = _load(work_pt, shown_as=pt_path)
        exported = _export(yolo, imgsz, shown_as=pt_path)
        manifest = _manifest(yolo, exported, name=name, onnx_name=onnx_path.name, pt=pt_path)
        dest_dir.mkdir(parents=True, exist_ok=True)
        shutil.move(exported, onnx_path)
    _write_checked(manifest, manifest_path, onnx_path, pt=pt_path)
    logger.info("imported %s as model %s (%s) → %s", pt_path, name, manifest.family.value, manifest_path)
    return manifest_path


def model_name(raw: str) -> str:
    """A manifest name from a file stem or a user's choice: lower case, other characters become '-'."""
    name = re.sub(r"[^a-z0-9._\-]+", "-", raw.strip().lower()).lstrip("._-")[:64]
    if not _NAME.match(name):
        raise ConversionError(f"cannot make a model name from {raw!r}; give one with --name (e.g. yard-v8n)")
    return name


def family_for_output(shape: list[int | str], num_classes: int) -> Family:
    """Decoder family of an Ultralytics detect export from its first output's shape.

    YOLOv8/YOLO11 (and the anchor-free v5u, v9, v10, YOLO26 with external NMS) give `[1, 4+C, N]`;
    the original YOLOv5 gives `[1, N, 5+C]`. End-to-end exports (`[1, K, 6]`, NMS inside) fit neither.
    """
    if len(shape) == 3 and shape[1] == 4 + num_classes:
        return Family.YOLOV8
    if len(shape) == 3 and shape[2] == 5 + num_classes:
        return Family.YOLOV5
    raise ConversionError(
        f"exported output has shape {shape}; with {num_classes} classes expected [1, {4 + num_classes}, N] "
        f"(YOLOv8/YOLO11) or [1, N, {5 + num_classes}] (YOLOv5); end-to-end (NMS inside) exports are not "
        "supported"
    )


def _check_checkpoint(pt_path: Path) -> Path:
    if pt_path.suffix.lower() != ".pt":
        raise ConversionError(
            f"{pt_path} is not a .pt file; expected an Ultralytics checkpoint such as best.pt"
        )
    if not pt_path.is_file():
        raise ConversionError(f"checkpoint {pt_path} does not exist or is not a file")
    return pt_path.resolve()


def _check_name_free(name: str, onnx_path: Path, manifest_path: Path) -> None:
    taken = [path for path in (manifest_path, onnx_path) if path.exists()]
    if taken:
        raise ConversionError(
            f"model {name!r} would overwrite {taken[0]}; choose another --name or remove it"
        )
    existing = known_models().get(name)
    if existing is not None:
        raise ConversionError(
            f"model name {name!r} is already used by {existing.manifest_path}; choose another"
        )


def _ultralytics() -> Any:
    """Import ultralytics offline; the module is untyped for our purposes (only `YOLO` is used)."""
    os.environ.update(OFFLINE_ENV)
    os.environ.setdefault("YOLO_CONFIG_DIR", str(Path(user_config_dir("gridwatch")) / "ultralytics"))
    os.environ.setdefault("YOLO_VERBOSE", "False")
    try:
        return importlib.import_module("ultralytics")
    except ModuleNotFoundError as exc:
        if exc.name not in ("ultralytics", "torch", "torchvision"):
            raise
        raise UltralyticsMissingError(
            f"importing Ultralytics models needs the optional extra ({exc.name} is missing): {EXTRA_HINT}"
        ) from exc


def _load(work_pt: Path, *, shown_as: Path) -> _Yolo:
    yolo_class = _ultralytics().YOLO
    try:
        yolo: _Yolo = yolo_class(str(work_pt))
    except Exception as exc:  # whatever the unpickling or model building raises
        raise ConversionError(
            f"{shown_as} is not an Ultralytics checkpoint: {type(exc).__name__}: {exc}"
        ) from exc
    if yolo.task != "detect":
        raise ConversionError(
            f"{shown_as} is a {yolo.task!r} model; only detect models can be imported (not segment, pose...)"
        )
    return yolo


def _export(yolo: _Yolo, imgsz: int, *, shown_as: Path) -> Path:
    """Static batch-1 ONNX of the raw head (NMS stays ours); no onnxslim, which would need installing."""
    try:
        return Path(yolo.export(format="onnx", imgsz=imgsz, opset=ONNX_OPSET, simplify=False, dynamic=False))
    except Exception as exc:  # the exporter raises whatever torch.onnx or its own checks raise
        problem = f"{type(exc).__name__}: {exc}"
        raise ConversionError(f"Ultralytics could not export {shown_as} to ONNX: {problem}") from exc


def _manifest(yolo: _Yolo, exported: Path, *, name: str, onnx_name: str, pt: Path) -> ModelManifest:
    model = onnx.load(str(exported), load_external_data=False)
    classes = _classes(yolo.names)
    family = family_for_output(_dims(model.graph.output[0]), len(classes))
    _, _, height, width = _dims(model.graph.input[0])
    if not (isinstance(width, int) and isinstance(height, int)):
        raise ConversionError(
            f"exported input has shape {_dims(model.graph.input[0])}; expected a fixed size"
        )
    digest = hashlib.sha256(exported.read_bytes()).hexdigest()
    ckpt = yolo.ckpt or {}
    licence = ckpt.get("license")
    return ModelManifest.model_validate(
        {
            "name": name,
            "version": digest[:12],
            "family": family,
            "licence": licence if isinstance(licence, str) and licence else DEFAULT_LICENCE,
            "description": f"Ultralytics {ckpt.get('version', '?')} detect model imported from {pt.name}",
            "source": {"type": "file", "path": onnx_name, "sha256": digest},
            "conversion": "none",
            "input": {
                "width": width,
                "height": height,
                "letterbox": True,
                "pad_value": 114,
                "scale": 1 / 255,
            },
            "classes": classes,
        }
    )


def _classes(names: Mapping[int, str]) -> list[str]:
    ids = sorted(names)
    if ids != list(range(len(ids))) or not ids:
        raise ConversionError(f"the checkpoint's class ids must be 0..C-1, got {ids[:10]}")
    return [str(names[i]) for i in ids]


def _dims(value: onnx.ValueInfoProto) -> list[int | str]:
    return [d.dim_value if d.HasField("dim_value") else d.dim_param for d in value.type.tensor_type.shape.dim]


def _write_checked(manifest: ModelManifest, manifest_path: Path, onnx_path: Path, *, pt: Path) -> None:
    """Write the manifest; check it and the ONNX through our own loader and decoder, else remove both."""
    text = yaml.safe_dump(manifest.model_dump(mode="json", exclude_none=True), sort_keys=False)
    manifest_path.write_text(f"# Written by `gridwatch models import {pt}`.\n{text}", encoding="utf-8")
    try:
        verify_onnx(ModelEntry(load_manifest(manifest_path), manifest_path))
    except Exception:
        manifest_path.unlink(missing_ok=True)
        onnx_path.unlink(missing_ok=True)
        raise
