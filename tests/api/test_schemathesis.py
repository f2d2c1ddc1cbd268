"""schemathesis against the OpenAPI document a real `gridwatch api serve` serves, once with an admin's
token and once with an edge box's: no 5xx, and no status, content type or body the document does
not describe. Bounded: a fixed number of examples per operation and a fixed seed (about 20 s each).

Before (main at 8b8b68b, the same run): 17 unique failures with the admin token (2 server errors,
5 bodies against the schema, 10 undocumented statuses), 16 with the device token.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.builders import cell_center, make_alert
from tests.support.centre import CentreApi, api_admin, seed

pytestmark = pytest.mark.slow

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
EXAMPLES = 40
SEED = 20261128


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CentreApi, str]]:
    folder = tmp_path_factory.mktemp("schemathesis")
    seeded = seed(folder / "seed.db")
    admin = api_admin("add-user", "root", "--role", "admin", database=seeded.database)
    # No delivery job: whatever URLs the fuzzer subscribes, nothing is ever sent (and the server
    # resolves loopback only, see tests.support.offline).
    api = CentreApi(seeded, folder, env={"GRIDWATCH_API_WEBHOOK_INTERVAL_S": "0"})
    api.start()
    try:
        import httpx

        alert = make_alert("seed-1", device_id="edge-test", at=cell_center(1, 1, 1))
        httpx.post(
            f"{api.url}/v1/alerts", json=alert, headers={"Authorization": f"Bearer {api.device_token}"}
        )
        yield api, admin
    finally:
        api.stop()


def _schemathesis() -> list[str]:
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert found is not None, "schemathesis is missing: pip install -e '.[dev]'"
    return [found]


@pytest.mark.parametrize("who", ["admin", "device"])
def test_the_served_document_holds_for_every_answer(
    centre: tuple[CentreApi, str], who: str, tmp_path: Path
) -> None:
    api, admin = centre
    token = admin if who == "admin" else api.device_token
    command = [
        *_schemathesis(), "run", f"{api.url}/openapi.json",
        "--header", f"Authorization: Bearer {token}",
        "--checks", CHECKS,
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(EXAMPLES), "--seed", str(SEED), "--workers", "1",
        "--suppress-health-check", "all", "--no-shrink", "--request-timeout", "30",
        "--report-dir", str(tmp_path),
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False)
    summary = run.stdout[-6000:]
    print(summary)
    assert run.returncode == 0, f"{summary}\n{run.stderr[-2000:]}"
    assert " passed" in summary
    assert " generated" in summary
