"""Issue 11, case 4, against a real `gridwatch api serve`: ordinary odd input never gets a 5xx.

Before: a filter time without a zone, NaN/Infinity coordinates, invalid UTF-8, `observed_at` in year
1 or 9999, NUL bytes in filters and fields, and ids beyond the database's integer range each got 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.builders import cell_center, make_alert
from tests.support.centre import CentreApi, api_admin, seed

pytestmark = pytest.mark.slow


class Served:
    """The served centre with an admin token and a device token."""

    def __init__(self, api: CentreApi, admin: str) -> None:
        self.api = api
        self.admin = {"Authorization": f"Bearer {admin}"}
        self.device = {"Authorization": f"Bearer {api.device_token}"}

    def request(self, method: str, path: str, *, device: bool = False, **kwargs: Any) -> httpx.Response:
        headers = {**(self.device if device else self.admin), **kwargs.pop("headers", {})}
        return httpx.request(method, f"{self.api.url}{path}", headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("odd")
    seeded = seed(folder / "seed.db")
    admin = api_admin("add-user", "root", "--role", "admin", database=seeded.database)
    api = CentreApi(seeded, folder)
    api.start()
    try:
        yield Served(api, admin)
    finally:
        api.stop()


def _alert(**changes: Any) -> dict[str, Any]:
    return {**make_alert("odd-1", device_id="edge-test", at=cell_center(1, 1, 1)), **changes}


def _raw_alert(**swaps: str) -> bytes:
    """An alert's JSON with literal swaps (for tokens JSON itself cannot carry, like NaN)."""
    text = httpx.Request("POST", "http://x", json=_alert()).content.decode()
    for old, new in swaps.items():
        text = text.replace(old, new)
    return text.encode()


LON, LAT = (str(v) for v in cell_center(1, 1, 1))

CASES: list[tuple[str, str, str, dict[str, Any], bool, int]] = [
    ("naive since (centre's zone)", "GET", "/v1/events?since=2026-11-28T00:00:00", {}, False, 200),
    ("naive until", "GET", "/v1/events?until=2026-11-28T08:00:00", {}, False, 200),
    ("since in year 1 with an offset", "GET", "/v1/events?since=0001-01-01T00:00:00%2B08:00", {}, False, 200),
    ("until in year 9999 behind UTC", "GET", "/v1/events?until=9999-12-31T23:59:59-12:00", {}, False, 200),
    ("NUL in a filter", "GET", "/v1/events?type=FIRE%00", {}, False, 422),
    ("NUL in a grid filter", "GET", "/v1/events?grid=DX%00", {}, False, 422),
    ("invalid UTF-8 in a filter", "GET", "/v1/events?type=%FF%FE", {}, False, 422),
    ("NUL in a path", "GET", "/v1/events/DX%00X", {}, False, 422),
    ("invalid UTF-8 in a path", "GET", "/v1/events/%C3%28", {}, False, 422),
    ("huge cursor id", "GET", "/v1/events?cursor=ZTI4ODIzMDM3NjE1MTcxMTc0Mw", {}, False, 422),
    ("id beyond integer range", "GET", "/v1/webhooks/288230376151711743/deliveries", {}, False, 422),
    ("negative id", "GET", "/v1/webhooks/-1/deliveries", {}, False, 422),
    ("NaN longitude", "POST", "/v1/alerts", {"content": _raw_alert(**{LON: "NaN"})}, True, 422),
    ("Infinity latitude", "POST", "/v1/alerts", {"content": _raw_alert(**{LAT: "Infinity"})}, True, 422),
    (
        "NaN score",
        "POST",
        "/v1/alerts",
        {"content": _raw_alert(**{'"severity"': '"score": NaN, "severity"'})},
        True,
        422,
    ),
    (
        "observed_at in year 1",
        "POST",
        "/v1/alerts",
        {"json": _alert(observed_at="0001-01-01T00:00:00+08:00")},
        True,
        422,
    ),
    (
        "observed_at in 9999",
        "POST",
        "/v1/alerts",
        {"json": _alert(observed_at="9999-12-31T23:59:59-12:00")},
        True,
        422,
    ),
    ("NUL in a rule", "POST", "/v1/alerts", {"json": _alert(rule="zone\u0000a")}, True, 422),
    ("invalid UTF-8 alert", "POST", "/v1/alerts", {"content": b'{"alert_id": "\xff\xfe"}'}, True, 422),
    (
        "NUL in a note",
        "POST",
        "/v1/events/X/actions",
        {"json": {"action": "acknowledge", "note": "a\u0000"}},
        False,
        422,
    ),
    ("invalid UTF-8 action", "POST", "/v1/events/X/actions", {"content": b'{"action": "\xff"}'}, False, 422),
    ("not JSON at all", "POST", "/v1/events/X/actions", {"content": b"\x80\x81"}, False, 422),
    (
        "NaN device location",
        "POST",
        "/v1/admin/devices",
        {"content": b'{"device_id": "d1", "kind": "edge", "lon": NaN}'},
        False,
        422,
    ),
    (
        "NUL in a username",
        "POST",
        "/v1/admin/users",
        {"json": {"username": "a\u0000b", "role": "operator"}},
        False,
        422,
    ),
    (
        "NUL in a webhook secret",
        "POST",
        "/v1/webhooks",
        {"json": {"url": "http://127.0.0.1/", "secret": "\u0000" * 16}},
        False,
        422,
    ),
    (
        "NaN in a grid import",
        "POST",
        "/v1/admin/grids/import",
        {"content": b'{"type": "FeatureCollection", "x": NaN}'},
        False,
        422,
    ),
]


@pytest.mark.parametrize(
    ("name", "method", "path", "kwargs", "device", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_odd_input_gets_a_4xx_naming_it(
    served: Served, name: str, method: str, path: str, kwargs: dict[str, Any], device: bool, expected: int
) -> None:
    reply = served.request(method, path, device=device, **kwargs)
    assert reply.status_code == expected, (name, reply.status_code, reply.text[:500])
    if expected == 422:
        assert isinstance(reply.json()["detail"], list), "every 422 has FastAPI's list shape"
        assert all(error["loc"] and error["msg"] for error in reply.json()["detail"])


def test_a_zoneless_filter_is_read_in_the_centres_zone(served: Served) -> None:
    code = served.request("POST", "/v1/alerts", device=True, json=_alert(alert_id="zone-1")).json()[
        "event_code"
    ]
    listed = served.request("GET", "/v1/events").json()["items"]
    created = next(e["created_at"] for e in listed if e["code"] == code)
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    local = datetime.fromisoformat(created).astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    before = (local - timedelta(seconds=1)).isoformat()
    after = (local + timedelta(seconds=1)).isoformat()
    assert code in {e["code"] for e in served.request("GET", f"/v1/events?since={before}").json()["items"]}
    assert code not in {e["code"] for e in served.request("GET", f"/v1/events?since={after}").json()["items"]}
