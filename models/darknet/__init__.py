"""Darknet (.cfg + .weights) → ONNX conversion written with the `onnx` package (no torch)."""

from models.darknet.cfg import DarknetSection, parse_cfg
from models.darknet.convert import convert_darknet

__all__ = ["DarknetSection", "convert_darknet", "parse_cfg"]
