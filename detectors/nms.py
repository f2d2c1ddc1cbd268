"""Class-aware non-maximum suppression."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray


def class_aware_nms(
    xyxy: NDArray[np.float32], scores: NDArray[np.float32], class_id: NDArray[np.int64], *, iou: float
) -> NDArray[np.int64]:
    """Indexes of the boxes kept, best first; boxes of different classes never suppress each other."""
    if len(xyxy) == 0:
        return np.zeros(0, np.int64)
    xywh = np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], axis=1)
    kept = cv2.dnn.NMSBoxesBatched(
        xywh.tolist(), scores.tolist(), class_id.astype(np.int32).tolist(), 0.0, iou
    )
    order = np.asarray(kept, dtype=np.int64).reshape(-1)
    return order[np.argsort(-scores[order], kind="stable")]
