"""Checks of this computer: Python, installed packages, onnxruntime's execution providers, models."""

from __future__ import annotations

import hashlib
import shlex
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet

from gridwatch.doctor.check import Check

if TYPE_CHECKING:
    from models.registry import ModelEntry

DISTRIBUTION = "gridwatch"
INSTALL = "python3 -m venv .venv && .venv/bin/pip install -e ."
SHOWN = ("onnxruntime", "opencv-python", "numpy", "fastapi", "sqlalchemy", "paho-mqtt")
"""Packages whose versions the `packages` check names when all is well."""

ALTERNATIVES = {
    "onnxruntime": ("onnxruntime-gpu", "onnxruntime-openvino", "onnxruntime-directml"),
    "opencv-python": ("opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless"),
}
"""Distributions that provide the same module as a requirement (a GPU build of onnxruntime, say)."""

LABELS = {"cpu": "CPU", "cuda": "CUDA", "tensorrt": "TensorRT"}
GPU_FIX = (
    f"{shlex.quote(sys.executable)} -m pip uninstall -y onnxruntime && "
    f"{shlex.quote(sys.executable)} -m pip install onnxruntime-gpu   (needs the NVIDIA driver, CUDA 12 "
    "and cuDNN 9; TensorRT also needs the TensorRT libraries)"
)


def python_version() -> Check:
    """The running Python is one GridWatch supports."""
    wanted = SpecifierSet(_requires_python())
    found = ".".join(str(part) for part in sys.version_info[:3])
    if found in wanted:
        return Check.ok("python", f"{found} at {sys.executable}")
    return Check.fail(
        "python", f"{found} at {sys.executable}; GridWatch needs {wanted}",
        fix=f"install a Python {wanted} (Debian: apt-get install python3 python3-venv), then {INSTALL}",
    )  # fmt: skip


def packages() -> Check:
    """Every package GridWatch depends on is installed at a version it accepts."""
    try:
        requirements = _requirements()
    except metadata.PackageNotFoundError:
        return Check.warn(
            "packages", "GridWatch is not installed as a package here (run from a source tree?)", fix=INSTALL
        )
    problems: list[str] = []
    for requirement in requirements:
        version = _installed(requirement.name)
        if version is None:
            problems.append(f"{requirement.name} missing")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name} {version} (needs {requirement.specifier})")
    if problems:
        specs = " ".join(shlex.quote(str(r)) for r in requirements if _is_named(r, problems))
        return Check.fail(
            "packages", "; ".join(problems),
            fix=f"{shlex.quote(sys.executable)} -m pip install {specs}",
        )  # fmt: skip
    shown = ", ".join(f"{name} {_installed(name)}" for name in SHOWN)
    return Check.ok("packages", f"gridwatch {metadata.version(DISTRIBUTION)}; {shown}")


def providers(wanted: Iterable[str]) -> Check:
    """onnxruntime's execution providers here; a configured one that is missing is a warning."""
    import onnxruntime as ort

    from detectors.runtime import PROVIDER_NAMES

    available = set(ort.get_available_providers())
    have: dict[str, bool] = {name: provider in available for name, provider in PROVIDER_NAMES.items()}
    detail = ", ".join(f"{LABELS.get(name, name)}: {'yes' if ok else 'no'}" for name, ok in have.items())
    detail += f" (onnxruntime {ort.__version__})"
    if not have["cpu"]:
        return Check.fail("execution providers", detail, fix=f"{shlex.quote(sys.executable)} -m pip "
                          "install --force-reinstall onnxruntime")  # fmt: skip
    missing = sorted(name for name in wanted if not have.get(name, False))
    if missing:
        return Check.warn(
            "execution providers", f"{detail}; configured {', '.join(missing)} not available: the "
            "detectors fall back to CPU", fix=GPU_FIX,
        )  # fmt: skip
    return Check.ok("execution providers", detail)


def model(name: str) -> Check:
    """A model is known, cached, matches its manifest's sha256 and runs on onnxruntime."""
    from models.errors import ModelError
    from models.registry import find_model

    check = f"model {name}"
    try:
        entry = find_model(name)
    except ModelError as exc:
        return Check.fail(check, str(exc), fix="gridwatch models list   (then correct detector.model)")
    if not entry.is_cached():
        where = entry.onnx_path if entry.manifest.source.type == "file" else entry.cache_dir
        return Check.fail(check, f"not cached (looked in {where})", fix=f"gridwatch models pull {name}")
    try:
        _verify(entry)
    except (ModelError, OSError, ValueError) as exc:
        return Check.fail(
            check, str(exc),
            fix=f"rm -r {shlex.quote(str(entry.cache_dir))} && gridwatch models pull {name}",
        )  # fmt: skip
    return Check.ok(check, f"{entry.onnx_path} sha256 {_sha256(entry.onnx_path)}")


def _verify(entry: ModelEntry) -> None:
    """Source files match the manifest's sha256 (when kept) and the ONNX file runs."""
    from detectors.verify import verify_onnx
    from models.errors import ManifestError
    from models.manifest import PypiSdistSource
    from models.pull import source_files
    from models.verify import check_file_digest

    check_file_digest(entry)
    source = entry.manifest.source
    if isinstance(source, PypiSdistSource):
        for role, path in source_files(entry).items():
            expected = source.sha256.get(role)
            if expected and path.is_file() and _sha256(path) != expected:
                raise ManifestError(f"cached {role} {path} does not match the manifest's sha256 {expected}")
    verify_onnx(entry)  # raises VerificationError naming the file when onnxruntime cannot run it


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _requires_python() -> str:
    try:
        return metadata.metadata(DISTRIBUTION)["Requires-Python"] or ">=3.11"
    except metadata.PackageNotFoundError:
        return ">=3.11"


def _requirements() -> list[Requirement]:
    """The distribution's own requirements, extras left out."""
    found: list[Requirement] = []
    for line in metadata.requires(DISTRIBUTION) or []:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            found.append(requirement)
    return found


def _installed(name: str) -> str | None:
    for candidate in (name, *ALTERNATIVES.get(name, ())):
        try:
            return metadata.version(candidate)
        except metadata.PackageNotFoundError:
            continue
    return None


def _is_named(requirement: Requirement, problems: list[str]) -> bool:
    return any(problem.split(" ", 1)[0] == requirement.name for problem in problems)
