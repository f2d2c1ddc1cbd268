"""Output decoders, one per model family, registered in an explicit dict."""

from __future__ import annotations

from detectors.decoders.base import Candidates, Decoder, OutputInfo
from detectors.decoders.darknet import DarknetDecoder
from detectors.decoders.ssd import SsdDecoder
from detectors.decoders.ultralytics import Yolov5Decoder, Yolov8Decoder
from detectors.errors import ModelLoadError
from models.manifest import Family, ModelManifest


def make_decoder(manifest: ModelManifest) -> Decoder:
    """The decoder for a manifest's family."""
    classes = len(manifest.classes)
    if manifest.family is Family.DARKNET_YOLO:
        if manifest.darknet is None:
            raise ModelLoadError(f"model {manifest.name}: family darknet_yolo needs a darknet section")
        return DarknetDecoder(manifest.darknet, num_classes=classes)
    factories: dict[Family, Decoder] = {
        Family.YOLOV5: Yolov5Decoder(num_classes=classes),
        Family.YOLOV8: Yolov8Decoder(num_classes=classes),
        Family.SSD_TFOD: SsdDecoder(num_classes=classes),
    }
    return factories[manifest.family]


__all__ = ["Candidates", "Decoder", "OutputInfo", "make_decoder"]
