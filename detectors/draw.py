"""Draw detections (boxes and labels) on a copy of a frame."""

from __future__ import annotations

import cv2
import numpy as np
import supervision as sv
from numpy.typing import NDArray

PALETTE = [
    (56, 56, 255), (151, 157, 255), (31, 112, 255), (29, 178, 255), (49, 210, 207), (10, 249, 72),
    (23, 204, 146), (134, 219, 61), (52, 147, 26), (187, 212, 0), (168, 153, 44), (255, 194, 0),
]  # fmt: skip


def colour(class_id: int) -> tuple[int, int, int]:
    """A stable BGR colour per class."""
    return PALETTE[class_id % len(PALETTE)]


def label_text(detections: sv.Detections, k: int) -> str:
    """`name score` (and `#track`) for detection k."""
    name = str(detections.data["class_name"][k]) if "class_name" in detections.data else str(k)
    score = float(detections.confidence[k]) if detections.confidence is not None else 1.0
    tracked = detections.tracker_id is not None and detections.tracker_id[k] >= 0
    track = f" #{int(detections.tracker_id[k])}" if tracked and detections.tracker_id is not None else ""
    return f"{name} {score:.2f}{track}"


def draw_detections(image: NDArray[np.uint8], detections: sv.Detections) -> NDArray[np.uint8]:
    """A copy of `image` with each box and its label drawn where the object is."""
    out = image.copy()
    class_ids = detections.class_id if detections.class_id is not None else np.zeros(len(detections), int)
    for k in range(len(detections)):
        x1, y1, x2, y2 = (round(float(v)) for v in detections.xyxy[k])
        draw_box(out, (x1, y1, x2, y2), label_text(detections, k), colour(int(class_ids[k])))
    return out


def draw_box(
    image: NDArray[np.uint8], box: tuple[int, int, int, int], text: str, bgr: tuple[int, int, int]
) -> None:
    """Draw one labelled box in place (used on copies only)."""
    x1, y1, x2, y2 = box
    cv2.rectangle(image, (x1, y1), (x2, y2), bgr, 2)
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)
    top = y1 - th - base - 2 if y1 - th - base - 2 >= 0 else y1 + 1
    cv2.rectangle(image, (x1, top), (x1 + tw + 4, top + th + base + 2), bgr, -1)
    cv2.putText(
        image, text, (x1 + 2, top + th + 1), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA
    )
