"""Frame → input tensor (letterbox or stretch) and the inverse mapping of boxes."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from models.manifest import InputSpec


@dataclass(frozen=True)
class Placement:
    """Where the frame landed inside the model input: x_in = x * scale_x + pad_x."""

    scale_x: float
    scale_y: float
    pad_x: float
    pad_y: float
    width: int
    height: int

    def to_frame(self, xyxy: NDArray[np.float32]) -> NDArray[np.float32]:
        """Boxes in model-input pixels → boxes in original-frame pixels, clipped to the frame."""
        out = np.empty_like(xyxy)
        out[:, 0::2] = (xyxy[:, 0::2] - self.pad_x) / self.scale_x
        out[:, 1::2] = (xyxy[:, 1::2] - self.pad_y) / self.scale_y
        np.clip(out[:, 0::2], 0, self.width, out=out[:, 0::2])
        np.clip(out[:, 1::2], 0, self.height, out=out[:, 1::2])
        return out


def fit(frame: NDArray[np.uint8], spec: InputSpec) -> tuple[NDArray[np.uint8], Placement]:
    """Resize a BGR frame to the model input size, letterboxed (centred) or stretched.

    With `spec.rect` the padded size is the smallest multiple of `spec.stride` around the scaled frame
    (e.g. 768x432 → 416x256 instead of 416x416).
    """
    height, width = frame.shape[:2]
    if not spec.letterbox:
        resized = np.asarray(cv2.resize(frame, (spec.width, spec.height)), dtype=np.uint8)
        return resized, Placement(spec.width / width, spec.height / height, 0.0, 0.0, width, height)
    scale = min(spec.width / width, spec.height / height)
    new_w, new_h = round(width * scale), round(height * scale)
    out_w, out_h = spec.width, spec.height
    if spec.rect:
        out_w, out_h = (-(-side // spec.stride) * spec.stride for side in (new_w, new_h))
    pad_x, pad_y = (out_w - new_w) // 2, (out_h - new_h) // 2
    scaled = cv2.resize(frame, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    bottom, right = out_h - new_h - pad_y, out_w - new_w - pad_x
    fill = (spec.pad_value,) * 3
    boxed = cv2.copyMakeBorder(scaled, pad_y, bottom, pad_x, right, cv2.BORDER_CONSTANT, value=fill)
    placement = Placement(new_w / width, new_h / height, float(pad_x), float(pad_y), width, height)
    return np.asarray(boxed, dtype=np.uint8), placement


def to_tensor(images: list[NDArray[np.uint8]], spec: InputSpec) -> NDArray[np.float32] | NDArray[np.uint8]:
    """Stack fitted BGR images into the model's input tensor (layout, colour order, dtype, scale)."""
    if spec.dtype == "float32" and spec.layout == "nchw":
        # Written in place, channel by channel: the same values as cv2.dnn.blobFromImages, whose
        # intermediate float images stayed in each camera thread's heap (1.2 MB per camera more, measured)
        height, width = images[0].shape[:2]
        blob = np.empty((len(images), 3, height, width), dtype=np.float32)
        for k, image in enumerate(images):
            source = image[..., ::-1] if spec.rgb else image
            np.multiply(source.transpose(2, 0, 1), np.float32(spec.scale), out=blob[k], casting="unsafe")
        return blob
    batch: NDArray[np.uint8] = np.stack(
        [cv2.cvtColor(img, cv2.COLOR_BGR2RGB) if spec.rgb else img for img in images]
    ).astype(np.uint8)
    if spec.layout == "nchw":
        batch = np.ascontiguousarray(batch.transpose(0, 3, 1, 2))
    if spec.dtype == "uint8":
        return batch
    return (batch.astype(np.float32) * np.float32(spec.scale)).astype(np.float32)
