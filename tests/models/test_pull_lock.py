"""Two processes pulling the same model at once: one converts, the other waits on the cache's lock
file and then finds the conversion cached (no half-written ONNX, no second conversion)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from models.registry import DEFAULT_MODEL
from tests.support.models import default_model

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PULL = (
    "import sys; from models.pull import pull; from models.registry import find_model; "
    "print(pull(find_model(sys.argv[1])))"
)


def test_two_processes_pulling_at_once_convert_the_model_once(tmp_path: Path) -> None:
    real = default_model()
    cache = tmp_path / "cache"
    shutil.copytree(real.source_dir, cache / "models" / DEFAULT_MODEL / "source")  # no download
    env = {**os.environ, "GRIDWATCH_CACHE_DIR": str(cache)}
    pulls = [
        subprocess.Popen(
            [sys.executable, "-c", PULL, DEFAULT_MODEL], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    said = sorted(p.communicate(timeout=600)[0].strip().splitlines()[-1] for p in pulls)
    assert [p.returncode for p in pulls] == [0, 0]
    assert said == ["False", "True"]  # exactly one of them converted
    folder = cache / "models" / DEFAULT_MODEL
    assert (folder / "model.onnx").read_bytes() == real.onnx_path.read_bytes()
    assert not (folder / "model.onnx.tmp").exists()
