"""Helpers of the clip tests: upload a clip through the real routes, in chunks."""

from __future__ import annotations

from typing import Any

from gridwatch.contracts import ClipInfo
from tests.api.conftest import World


def declare(world: World, info: ClipInfo, headers: dict[str, str] | None = None) -> Any:
    """POST the clip's description as edge-01."""
    return world.client.post(
        f"/v1/alerts/{info.alert_id}/clip",
        content=info.model_dump_json(),
        headers={**(headers or world.device), "Content-Type": "application/json"},
    )


def put(world: World, info: ClipInfo, data: bytes, start: int) -> Any:
    """PUT `data` as the chunk starting at byte `start`."""
    end = start + len(data) - 1
    return world.client.put(
        f"/v1/alerts/{info.alert_id}/clip",
        content=data,
        headers={**world.device, "Content-Range": f"bytes {start}-{end}/{info.size}"},
    )


def upload(world: World, info: ClipInfo, data: bytes, chunk: int = 64 * 1024) -> dict[str, Any]:
    """Declare and send the whole clip; returns the last state."""
    state: dict[str, Any] = declare(world, info).json()
    while not state["complete"]:
        reply = put(world, info, data[state["received"] : state["received"] + chunk], state["received"])
        assert reply.status_code == 200, reply.text
        state = reply.json()
    return state
