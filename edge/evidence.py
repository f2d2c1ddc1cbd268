"""Evidence snapshots: the frame with the zone or line, the objects' boxes and labels drawn."""

from __future__ import annotations

import cv2
import numpy as np
import supervision as sv
from numpy.typing import NDArray

from detectors.draw import colour, draw_box, label_text

ZONE_BGR = (0, 215, 255)
JPEG_QUALITY = 85


def draw_geometry(image: NDArray[np.uint8], points: list[tuple[float, float]]) -> None:
    """Draw a zone (≥ 3 points, translucent fill) or a line (2 points, with its start marked) in place."""
    pts = np.asarray(points, dtype=np.int32)
    if len(pts) >= 3:
        overlay = image.copy()
        cv2.fillPoly(overlay, [pts], ZONE_BGR)
        cv2.addWeighted(overlay, 0.2, image, 0.8, 0, dst=image)
        cv2.polylines(image, [pts], isClosed=True, color=ZONE_BGR, thickness=2)
    elif len(pts) == 2:
        cv2.line(image, tuple(pts[0]), tuple(pts[1]), ZONE_BGR, 3)
        cv2.circle(image, tuple(pts[0]), 6, ZONE_BGR, -1)


def render_snapshot(
    image: NDArray[np.uint8], detections: sv.Detections, geometry: list[tuple[float, float]], title: str
) -> bytes:
    """JPEG bytes of a copy of `image` with geometry, boxes, labels and a title line."""
    out = image.copy()
    draw_geometry(out, geometry)
    class_ids = detections.class_id if detections.class_id is not None else np.zeros(len(detections), int)
    for k in range(len(detections)):
        x1, y1, x2, y2 = (round(float(v)) for v in detections.xyxy[k])
        draw_box(out, (x1, y1, x2, y2), label_text(detections, k), colour(int(class_ids[k])))
    cv2.rectangle(out, (0, out.shape[0] - 24), (out.shape[1], out.shape[0]), (0, 0, 0), -1)
    cv2.putText(
        out, title, (6, out.shape[0] - 7), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA
    )
    ok, jpeg = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("JPEG encoding of the snapshot failed")
    return bytes(jpeg.tobytes())
