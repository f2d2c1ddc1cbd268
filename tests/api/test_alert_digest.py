"""The idempotency digest of `POST /v1/alerts`: the sha256 of the bytes received, and the canonical
form that centres before issue 17 stored (a retry of an alert stored then must not become a 409)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select, update

from api.orm import AlertRow
from api.services.ingest import canonical_sha256
from gridwatch.contracts.alert import Alert
from tests.api.builders import evidence, jpeg_bytes, make_alert
from tests.api.conftest import World


def _post(world: World, body: bytes) -> Any:
    headers = {**world.device, "Content-Type": "application/json"}
    return world.client.post("/v1/alerts", content=body, headers=headers)


def _stored_digest(world: World, alert_id: str) -> str:
    with world.ctx.sessions() as session:
        return str(session.scalar(select(AlertRow.payload_sha256).where(AlertRow.alert_id == alert_id)))


def _store_digest(world: World, alert_id: str, digest: str) -> None:
    with world.ctx.sessions() as session, session.begin():
        session.execute(update(AlertRow).where(AlertRow.alert_id == alert_id).values(payload_sha256=digest))


def test_the_digest_is_of_the_bytes_received(world: World) -> None:
    body = json.dumps(make_alert("d-1", evidence=evidence(jpeg_bytes(3000))), indent=1).encode()
    assert _post(world, body).status_code == 201
    assert _stored_digest(world, "d-1") == hashlib.sha256(body).hexdigest()
    assert _stored_digest(world, "d-1") != canonical_sha256(Alert.model_validate_json(body))


def test_a_retry_of_an_alert_stored_with_the_old_digest_is_a_replay_not_a_conflict(world: World) -> None:
    """A row as a centre before the upgrade stored it: the digest of the re-serialised alert."""
    body = json.dumps(make_alert("d-1", evidence=evidence(jpeg_bytes(3000))), indent=1).encode()
    first = _post(world, body)
    _store_digest(world, "d-1", canonical_sha256(Alert.model_validate_json(body)))
    again = _post(world, body)
    assert (again.status_code, again.headers.get("X-Idempotent-Replay")) == (201, "true")
    assert again.json() == first.json()
    other = _post(world, json.dumps(make_alert("d-1", kind="crowd")).encode())
    assert other.status_code == 409


def test_a_retry_in_canonical_form_of_a_canonical_first_post_is_a_replay(world: World) -> None:
    """An edge box posts the JSON it stored; another one re-serialises: both forms are the canonical one."""
    canonical = Alert.model_validate(make_alert("d-2")).model_dump_json().encode()
    assert _post(world, canonical).status_code == 201
    spaced = json.dumps(json.loads(canonical), indent=2).encode()
    again = _post(world, spaced)
    assert (again.status_code, again.headers.get("X-Idempotent-Replay")) == (201, "true")
