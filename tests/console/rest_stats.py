"""Every event in a user's scope read through the REST list, as rows for `expected_stats`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

TIMES = ("created_at", "ack_due", "feedback_due", "resolution_due", "acknowledged_at", "in_progress_at",
         "resolved_at", "closed_at")  # fmt: skip


def rest_rows(base: str, token: str) -> list[dict[str, Any]]:
    """All events `token` may see, via `GET /v1/events` page by page, times parsed."""
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {"limit": "500"} | ({"cursor": cursor} if cursor else {})
        reply = httpx.get(f"{base}/v1/events", params=params, headers={"Authorization": f"Bearer {token}"})
        reply.raise_for_status()
        page = reply.json()
        for item in page["items"]:
            rows.append(item | {k: datetime.fromisoformat(item[k]) if item[k] else None for k in TIMES})
        cursor = page["next_cursor"]
        if not cursor:
            return rows
