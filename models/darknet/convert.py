"""Build an ONNX graph from a Darknet cfg and weights file.

The graph's input is `images` `[batch, 3, H, W]` (RGB, 0..1) and its outputs are the raw maps that
feed each `[yolo]` layer (`[batch, A*(5+C), h, w]`), in cfg order. Decoding (sigmoid, anchors, grid)
is left to `detectors.decoders.darknet`, so the anchor mask is data in the manifest, not baked in.
Batch norm is folded into the convolutions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper

from models.darknet.cfg import DarknetSection, parse_cfg
from models.errors import ConversionError

logger = logging.getLogger(__name__)

BN_EPSILON = 1e-6  # darknet normalises with sqrt(variance + .000001f)
LEAKY_SLOPE = 0.1
OPSET = 13


class WeightReader:
    """Sequential reader over a Darknet .weights file."""

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        major, minor, _revision = np.frombuffer(data[:12], dtype=np.int32)
        header = 20 if (major * 10 + minor) >= 2 and major < 1000 and minor < 1000 else 16
        self._values = np.frombuffer(data[header:], dtype=np.float32)
        self._offset = 0
        self.path = path

    def take(self, count: int) -> NDArray[np.float32]:
        """The next `count` floats; fails if the file is too short."""
        end = self._offset + count
        if end > self._values.size:
            raise ConversionError(
                f"{self.path}: weights end after {self._values.size} floats; the cfg needs more"
            )
        chunk = self._values[self._offset : end]
        self._offset = end
        return chunk

    @property
    def remaining(self) -> int:
        """Floats not consumed yet (0 when cfg and weights agree)."""
        return int(self._values.size - self._offset)


@dataclass(frozen=True)
class _Tensor:
    """A layer's output: tensor name, channel count and spatial size (h, w)."""

    name: str
    channels: int
    size: tuple[int, int]


@dataclass
class _Graph:
    """Nodes and initializers accumulated while walking the cfg."""

    nodes: list[onnx.NodeProto] = field(default_factory=list)
    initializers: list[onnx.TensorProto] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    layers: list[_Tensor] = field(default_factory=list)
    input: _Tensor = field(default_factory=lambda: _Tensor("images", 3, (0, 0)))

    def prev(self) -> _Tensor:
        """The previous layer's output (the network input for the first layer)."""
        return self.layers[-1] if self.layers else self.input

    def const(self, name: str, value: NDArray[np.generic]) -> str:
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def node(self, op: str, inputs: list[str], name: str, **attrs: Any) -> str:
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def push(self, name: str, channels: int, size: tuple[int, int]) -> None:
        self.layers.append(_Tensor(name, channels, size))


def _convolutional(g: _Graph, s: DarknetSection, i: int, reader: WeightReader) -> None:
    prev = g.prev()
    src, c_in, (h, w) = prev.name, prev.channels, prev.size
    filters, size, stride = s.integer("filters"), s.integer("size", 1), s.integer("stride", 1)
    pad = size // 2 if s.integer("pad", 0) else s.integer("padding", 0)
    if s.integer("groups", 1) != 1:
        raise ConversionError(f"[convolutional] at line {s.line}: grouped convolutions are not supported")
    bias = reader.take(filters).copy()
    if s.integer("batch_normalize", 0):
        scale, mean, var = reader.take(filters), reader.take(filters), reader.take(filters)
        if (var < 0).any():
            raise ConversionError(f"layer {i} (line {s.line}): negative batch-norm variance in the weights")
        factor = scale / np.sqrt(var + BN_EPSILON)
        kernel = reader.take(filters * c_in * size * size).reshape(filters, c_in, size, size)
        kernel = kernel * factor[:, None, None, None]
        bias = bias - mean * factor
    else:
        kernel = reader.take(filters * c_in * size * size).reshape(filters, c_in, size, size)
    out = g.node(
        "Conv",
        [src, g.const(f"w{i}", kernel.astype(np.float32)), g.const(f"b{i}", bias.astype(np.float32))],
        f"conv{i}",
        kernel_shape=[size, size],
        strides=[stride, stride],
        pads=[pad, pad, pad, pad],
    )
    out = _activation(g, s, i, out)
    size_out = ((h + 2 * pad - size) // stride + 1, (w + 2 * pad - size) // stride + 1)
    g.push(out, filters, size_out)


def _activation(g: _Graph, s: DarknetSection, i: int, src: str) -> str:
    kind = s.text("activation", "linear")
    if kind == "linear":
        return src
    if kind == "leaky":
        return g.node("LeakyRelu", [src], f"leaky{i}", alpha=LEAKY_SLOPE)
    if kind == "relu":
        return g.node("Relu", [src], f"relu{i}")
    if kind == "logistic":
        return g.node("Sigmoid", [src], f"sigmoid{i}")
    if kind == "mish":
        softplus = g.node("Softplus", [src], f"softplus{i}")
        return g.node("Mul", [src, g.node("Tanh", [softplus], f"tanh{i}")], f"mish{i}")
    raise ConversionError(f"layer {i} (line {s.line}): activation {kind!r} is not supported")


def _maxpool(g: _Graph, s: DarknetSection, i: int, _reader: WeightReader) -> None:
    size, stride = s.integer("size", 2), s.integer("stride", 2)
    pad_total = s.integer("padding", size - 1)
    prev = g.prev()
    h, w = prev.size
    out_h, out_w = (h + pad_total - size) // stride + 1, (w + pad_total - size) // stride + 1
    # Darknet pads by padding//2 before and the rest after (with -inf for max pooling).
    begin = pad_total // 2
    end_h = max(0, (out_h - 1) * stride + size - h - begin)
    end_w = max(0, (out_w - 1) * stride + size - w - begin)
    out = g.node(
        "MaxPool",
        [prev.name],
        f"pool{i}",
        kernel_shape=[size, size],
        strides=[stride, stride],
        pads=[begin, begin, end_h, end_w],
    )
    g.push(out, prev.channels, (out_h, out_w))


def _route(g: _Graph, s: DarknetSection, i: int, _reader: WeightReader) -> None:
    sources = [layer if layer >= 0 else i + layer for layer in s.integers("layers")]
    for source in sources:
        if not 0 <= source < i:
            raise ConversionError(f"[route] at line {s.line}: layer {source} does not exist before layer {i}")
    groups, group_id = s.integer("groups", 1), s.integer("group_id", 0)
    tensors = [g.layers[k].name for k in sources]
    channels = sum(g.layers[k].channels for k in sources)
    out = tensors[0] if len(tensors) == 1 else g.node("Concat", tensors, f"route{i}", axis=1)
    if groups > 1:
        part = channels // groups
        starts, ends = np.array([part * group_id], np.int64), np.array([part * (group_id + 1)], np.int64)
        axes = np.array([1], np.int64)
        out = g.node(
            "Slice",
            [out, g.const(f"s{i}", starts), g.const(f"e{i}", ends), g.const(f"a{i}", axes)],
            f"group{i}",
        )
        channels = part
    g.push(out, channels, g.layers[sources[0]].size)


def _shortcut(g: _Graph, s: DarknetSection, i: int, _reader: WeightReader) -> None:
    source = s.integer("from")
    source = source if source >= 0 else i + source
    prev = g.prev()
    out = g.node("Add", [prev.name, g.layers[source].name], f"shortcut{i}")
    g.push(_activation(g, s, i, out), prev.channels, prev.size)


def _upsample(g: _Graph, s: DarknetSection, i: int, _reader: WeightReader) -> None:
    stride = s.integer("stride", 2)
    scales = g.const(f"scales{i}", np.array([1, 1, stride, stride], np.float32))
    prev = g.prev()
    out = g.node("Resize", [prev.name, "", scales], f"upsample{i}", mode="nearest")
    h, w = prev.size
    g.push(out, prev.channels, (h * stride, w * stride))


def _yolo(g: _Graph, s: DarknetSection, i: int, _reader: WeightReader) -> None:
    expected = len(s.integers("mask")) * (5 + s.integer("classes"))
    prev = g.prev()
    if prev.channels != expected:
        raise ConversionError(
            f"[yolo] at line {s.line}: input has {prev.channels} channels, mask and classes need {expected}"
        )
    g.outputs.append(prev.name)
    g.push(prev.name, prev.channels, prev.size)


_LAYERS: dict[str, Callable[[_Graph, DarknetSection, int, WeightReader], None]] = {
    "convolutional": _convolutional,
    "maxpool": _maxpool,
    "route": _route,
    "shortcut": _shortcut,
    "upsample": _upsample,
    "yolo": _yolo,
}


def convert_darknet(cfg_path: Path, weights_path: Path, *, name: str = "darknet") -> onnx.ModelProto:
    """Convert cfg + weights into a checked ONNX model (raw head outputs, batch dimension dynamic)."""
    sections = parse_cfg(cfg_path)
    net, layers = sections[0], sections[1:]
    height, width, channels = net.integer("height"), net.integer("width"), net.integer("channels", 3)
    reader = WeightReader(weights_path)
    g = _Graph(input=_Tensor("images", channels, (height, width)))
    for index, section in enumerate(layers):
        handler = _LAYERS.get(section.kind)
        if handler is None:
            raise ConversionError(f"{cfg_path}:{section.line}: layer type [{section.kind}] is not supported")
        handler(g, section, index, reader)
    if reader.remaining:
        raise ConversionError(
            f"{weights_path}: {reader.remaining} floats left over; cfg and weights disagree"
        )
    if not g.outputs:
        raise ConversionError(f"{cfg_path}: no [yolo] layer found")
    return _model(g, name=name)


def _model(g: _Graph, *, name: str) -> onnx.ModelProto:
    """Wrap the nodes into a model with outputs head0, head1, ... (dynamic batch, height, width)."""
    nodes = list(g.nodes)
    outputs = []
    for k, tensor in enumerate(g.outputs):
        head = next(layer for layer in g.layers if layer.name == tensor)
        nodes.append(helper.make_node("Identity", [tensor], [f"head{k}"], name=f"head{k}"))
        outputs.append(
            helper.make_tensor_value_info(
                f"head{k}", TensorProto.FLOAT, ["batch", head.channels, f"h{k}", f"w{k}"]
            )
        )
    # Height and width are dynamic: the net is fully convolutional, so rectangular inputs work.
    shape: list[str | int | None] = ["batch", g.input.channels, "height", "width"]
    images = helper.make_tensor_value_info("images", TensorProto.FLOAT, shape)
    graph = helper.make_graph(nodes, name, [images], outputs, g.initializers)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="gridwatch"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    logger.info("converted %s: %d nodes, %d heads", name, len(nodes), len(outputs))
    return model
