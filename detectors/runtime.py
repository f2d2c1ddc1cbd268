"""onnxruntime sessions with execution providers chosen from config."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import onnxruntime as ort

from detectors.config import Provider
from detectors.errors import ModelLoadError

logger = logging.getLogger(__name__)

PROVIDER_NAMES: dict[Provider, str] = {
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "tensorrt": "TensorrtExecutionProvider",
}


def resolve_providers(wanted: list[Provider]) -> list[str]:
    """Map config names to onnxruntime providers present here; missing ones fall back to CPU."""
    available = set(ort.get_available_providers())
    chosen = [PROVIDER_NAMES[name] for name in wanted if PROVIDER_NAMES[name] in available]
    missing = [name for name in wanted if PROVIDER_NAMES[name] not in available]
    if missing:
        logger.warning(
            "execution providers %s are not available here (have %s); falling back to CPU",
            missing, sorted(available),
        )  # fmt: skip
    if "CPUExecutionProvider" not in chosen:
        chosen.append("CPUExecutionProvider")
    return chosen


_SESSIONS: dict[tuple[str, float, tuple[str, ...], int, bool], ort.InferenceSession] = {}
_SESSIONS_LOCK = threading.Lock()


def open_session(
    path: Path, *, providers: list[Provider], threads: int, cpu_arena: bool = False
) -> ort.InferenceSession:
    """An inference session on `path` with the given providers, intra-op threads and CPU arena setting.

    Sessions are shared within a process (onnxruntime's `run` is thread-safe), so sixteen cameras on
    one model hold its weights once.
    """
    if not path.is_file():
        raise ModelLoadError(f"ONNX file {path} does not exist (run `gridwatch models pull`?)")
    key = (str(path.resolve()), path.stat().st_mtime, tuple(providers), threads, cpu_arena)
    with _SESSIONS_LOCK:
        if key not in _SESSIONS:
            _SESSIONS[key] = _new_session(path, providers=providers, threads=threads, cpu_arena=cpu_arena)
        return _SESSIONS[key]


def _new_session(
    path: Path, *, providers: list[Provider], threads: int, cpu_arena: bool
) -> ort.InferenceSession:
    ort.disable_telemetry_events()  # edge boxes must not phone home
    options = ort.SessionOptions()
    options.enable_cpu_mem_arena = cpu_arena
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=resolve_providers(providers))
    except Exception as exc:  # onnxruntime raises several unrelated types for a bad file
        raise ModelLoadError(f"onnxruntime cannot load {path}: {exc}") from exc
