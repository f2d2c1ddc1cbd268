"""Issue 11, case 3, against a real `gridwatch api serve`: no request can exhaust the centre.

Before: eight 60 MB POSTs with a bad token took the server from 242 MB to 2,186 MB, and an alert
with 100 readings of 1 MB each was stored as a 100 MB payload.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.api.builders import cell_center, evidence, jpeg_bytes, make_alert
from tests.support.centre import CentreApi, seed
from tests.support.rawhttp import post_large, rss_kib

MB = 1_000_000
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CentreApi]:
    folder = tmp_path_factory.mktemp("limits")
    api = CentreApi(seed(folder / "seed.db"), folder)
    api.start()
    try:
        yield api
    finally:
        api.stop()


def test_sixty_megabyte_posts_leave_memory_flat(centre: CentreApi) -> None:
    headers = {"Authorization": f"Bearer {centre.device_token}"}
    warm = httpx.post(
        f"{centre.url}/v1/alerts", json=make_alert("warm-1", device_id="edge-test"), headers=headers
    )
    assert warm.status_code == 201, warm.text
    start_kib = rss_kib(centre.pid)
    answers: list[tuple[str, bool, int | None, int]] = []
    for token in ("not-a-token", centre.device_token):
        for chunked in (False, True):
            for _ in range(4):
                status, sent = post_large(
                    centre.port, "/v1/alerts", size=60 * MB, token=token, chunked=chunked
                )
                answers.append((token[:4], chunked, status, sent))
    peak_kib = rss_kib(centre.pid, "VmHWM")
    print(f"server RSS at start {start_kib / 1024:.0f} MiB, peak after 16 x 60 MB {peak_kib / 1024:.0f} MiB")
    assert (peak_kib - start_kib) / 1024 < 150, answers
    bad = {status for who, _, status, _ in answers if who == "not-"}
    good = {status for who, _, status, _ in answers if who != "not-"}
    assert bad == {401}, answers
    assert good == {413}, answers
    # What was sent before the answer is what the kernel's socket buffers took, plus at most the limit.
    assert all(sent < 16 * 1024 * 1024 for *_, sent in answers), answers
    assert httpx.get(f"{centre.url}/healthz").status_code == 200


def test_a_body_over_the_limit_gets_413_naming_the_limit(centre: CentreApi) -> None:
    readings = [{"name": "level", "value": "x" * MB} for _ in range(100)]
    alert = make_alert("big-1", device_id="edge-test", evidence={"readings": readings})
    headers = {"Authorization": f"Bearer {centre.device_token}"}
    reply = httpx.post(f"{centre.url}/v1/alerts", json=alert, headers=headers, timeout=60)
    assert reply.status_code == 413
    assert "limit of 4194304 bytes" in reply.json()["detail"]


def test_an_oversized_reading_gets_422_naming_the_field(centre: CentreApi) -> None:
    alert = make_alert(
        "big-2",
        device_id="edge-test",
        at=cell_center(1, 1, 1),
        evidence={"readings": [{"name": "level", "value": 1.2}, {"name": "note", "value": "x" * MB}]},
    )
    headers = {"Authorization": f"Bearer {centre.device_token}"}
    reply = httpx.post(f"{centre.url}/v1/alerts", content=json.dumps(alert), headers=headers, timeout=60)
    assert reply.status_code == 422
    locs = [error["loc"][:5] for error in reply.json()["detail"]]
    assert ["body", "evidence", "readings", 1, "value"] in locs
    assert all("input" not in error for error in reply.json()["detail"]), "a 422 never echoes megabytes"


@pytest.mark.parametrize(
    ("field", "value", "loc"),
    [
        (
            "boxes",
            [{"label": "person", "score": 0.5, "box": [0, 0, 1, 1]}] * 501,
            ["body", "evidence", "boxes"],
        ),
        ("readings", [{"name": "level", "value": 1.0}] * 101, ["body", "evidence", "readings"]),
        (
            "boxes",
            [{"label": "p" * 65, "score": 0.5, "box": [0, 0, 1, 1]}],
            ["body", "evidence", "boxes", 0, "label"],
        ),
        (
            "boxes",
            [{"label": "p", "score": 0.5, "box": [0, 0, 1, 1], "track_id": 2**40}],
            ["body", "evidence", "boxes", 0, "track_id"],
        ),
    ],
)
def test_every_list_and_string_is_bounded(
    centre: CentreApi, field: str, value: object, loc: list[object]
) -> None:
    alert = make_alert("bounded-1", device_id="edge-test", evidence={field: value})
    headers = {"Authorization": f"Bearer {centre.device_token}"}
    reply = httpx.post(f"{centre.url}/v1/alerts", json=alert, headers=headers, timeout=30)
    assert reply.status_code == 422
    assert loc in [error["loc"][: len(loc)] for error in reply.json()["detail"]]


def test_the_largest_legitimate_alert_still_fits(centre: CentreApi) -> None:
    escaped = "\x01"  # six bytes in JSON: the longest a character of a text field can be
    box = {"label": escaped * 64, "score": 0.5, "box": [1e300, 1e300, 1e301, 1e301], "track_id": 2**31 - 1}
    reading = {"name": escaped * 64, "value": escaped * 256, "unit": escaped * 16}
    ev = {**evidence(jpeg_bytes(2 * 1024 * 1024 - 6)), "boxes": [box] * 500, "readings": [reading] * 100}
    details = {f"{i:02d}" + escaped * 62: escaped * 256 for i in range(32)}
    alert = make_alert("largest-1", device_id="edge-test", evidence=ev, details=details)
    body = json.dumps(alert).encode()
    headers = {"Authorization": f"Bearer {centre.device_token}", "Content-Type": "application/json"}
    reply = httpx.post(f"{centre.url}/v1/alerts", content=body, headers=headers, timeout=60)
    assert reply.status_code == 201, (len(body), reply.text[:300])
    assert len(body) > 3_300_000
