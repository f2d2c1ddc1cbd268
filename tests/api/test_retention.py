"""Retention by age and size, legal hold, and the case export's manifest."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from api import cli
from api.jobs.units import run_retention
from api.logic.manifest import verify_export
from api.orm import ClipRow, Event, EvidenceDeletion, EvidenceRow
from api.settings import ApiSettings
from api.storage import LocalStoreConfig
from gridwatch.contracts import ClipInfo
from tests.api.builders import cell_center, evidence, jpeg_bytes, make_alert
from tests.api.clip_helpers import declare, put, upload
from tests.api.conftest import World
from tests.support.clips import cut_clip

pytestmark = pytest.mark.slow  # real clips, cut from the shared person clip

EVIDENCE = "evidence"


@pytest.fixture
def settings(settings: ApiSettings, tmp_path: Path) -> ApiSettings:
    """Local evidence folder; 30 days of retention."""
    return settings.model_copy(
        update={"evidence_store": LocalStoreConfig(path=tmp_path / EVIDENCE), "retention_days": 30}
    )


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bytes, ClipInfo]]:
    """Three real clips, one per alert of the tests."""
    folder = tmp_path_factory.mktemp("clips")
    out = {}
    for alert_id in ("old", "held", "open"):
        path, info = cut_clip(folder, alert_id, end_s=6.0)
        out[alert_id] = (path.read_bytes(), info)
    return out


def _event_with_evidence(world: World, alert_id: str, cell: int, clip: tuple[bytes, ClipInfo]) -> str:
    body = make_alert(alert_id, at=cell_center(1, 1, cell), evidence=evidence(jpeg_bytes(4096)))
    code = str(world.post_alert(body).json()["event_code"])
    upload(world, clip[1], clip[0])
    return code


def _finish(world: World, code: str, days_ago: float) -> None:
    """Set an event closed `days_ago` (the lifecycle itself is tested elsewhere)."""
    with world.ctx.sessions() as session:
        event = session.scalars(select(Event).where(Event.code == code)).one()
        event.status, event.closed_at = "closed", datetime.now(UTC) - timedelta(days=days_ago)
        session.commit()


def _hold(world: World, code: str, hold: bool = True, user: str = "supervisor") -> int:
    reply = world.client.post(
        f"/v1/events/{code}/legal-hold",
        json={"hold": hold, "note": "case 2026-17"},
        headers=world.as_user(user),
    )
    return reply.status_code


def _evidence_of(world: World, alert_id: str) -> tuple[bool, bool]:
    with world.ctx.sessions() as session:
        clip = session.scalar(select(ClipRow).where(ClipRow.alert_id == alert_id))
        snap = session.scalar(select(EvidenceRow).where(EvidenceRow.alert_id == alert_id))
    return clip is not None, snap is not None


@pytest.fixture
def three(world: World, clips: dict[str, tuple[bytes, ClipInfo]]) -> dict[str, str]:
    """Events: `old` closed 90 days ago, `held` closed 90 days ago and on hold, `open` still open."""
    codes = {
        name: _event_with_evidence(world, name, cell, clips[name])
        for cell, name in enumerate(("old", "held", "open"), start=1)
    }
    _finish(world, codes["old"], 90)
    _finish(world, codes["held"], 90)
    assert _hold(world, codes["held"]) == 200
    return codes


def test_retention_deletes_old_evidence_except_open_and_held_events(
    world: World, three: dict[str, str], tmp_path: Path
) -> None:
    report = run_retention(world.ctx)
    assert (report.events, report.clips, report.snapshots) == (1, 1, 1)
    assert _evidence_of(world, "old") == (False, False)
    assert _evidence_of(world, "held") == (True, True)
    assert _evidence_of(world, "open") == (True, True)
    stored = sorted(p.name for p in (tmp_path / EVIDENCE / "clips" / "edge-01").iterdir())
    assert stored == ["held.mp4", "open.mp4"]
    with world.ctx.sessions() as session:
        deleted = session.scalars(select(EvidenceDeletion)).all()
    assert sorted((d.alert_id, d.kind) for d in deleted) == [("old", "clip"), ("old", "snapshot")]
    history = world.client.get(f"/v1/events/{three['old']}", headers=world.as_user("admin")).json()["history"]
    assert history[-1]["action"] == "evidence_deleted"
    assert history[-1]["actor"] == "retention"


def test_lifting_the_hold_lets_retention_delete(world: World, three: dict[str, str]) -> None:
    assert _hold(world, three["held"], hold=False) == 200
    run_retention(world.ctx)
    assert _evidence_of(world, "held") == (False, False)
    actions = [
        h["action"]
        for h in world.client.get(f"/v1/events/{three['held']}", headers=world.as_user("admin")).json()[
            "history"
        ]
    ]
    assert actions[-3:] == ["legal_hold", "legal_hold_released", "evidence_deleted"]


def test_size_policy_deletes_the_longest_finished_first(world: World, three: dict[str, str]) -> None:
    _finish(world, three["old"], 1)  # young enough for the age rule
    world.ctx.settings = world.ctx.settings.model_copy(update={"retention_max_gb": 1e-9})
    report = run_retention(world.ctx)
    assert report.events == 1
    assert _evidence_of(world, "old") == (False, False)
    assert _evidence_of(world, "held") == (True, True)
    assert _evidence_of(world, "open") == (True, True)


def test_only_supervisors_and_admins_set_a_legal_hold(world: World, three: dict[str, str]) -> None:
    assert _hold(world, three["open"], user="operator") == 403
    assert _hold(world, three["open"], user="admin") == 200
    detail = world.client.get(f"/v1/events/{three['open']}", headers=world.as_user("admin")).json()
    assert detail["event"]["legal_hold"] is True
    assert detail["history"][-1]["note"] == "case 2026-17"


def test_case_export_manifest_hashes_match(world: World, three: dict[str, str], tmp_path: Path) -> None:
    reply = world.client.get(f"/v1/events/{three['open']}/export", headers=world.as_user("operator"))
    assert reply.status_code == 200
    path = tmp_path / "case.zip"
    path.write_bytes(reply.content)
    assert verify_export(path) == []
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        event = json.loads(archive.read("event.json"))
    kinds = sorted(f["kind"] for f in manifest["files"])
    assert kinds == ["clip", "deletions", "event", "snapshot"]
    assert all(
        f["sha256"] == f["recorded_sha256"] for f in manifest["files"] if f["kind"] in ("clip", "snapshot")
    )
    assert event["event"]["code"] == three["open"]
    history = world.client.get(f"/v1/events/{three['open']}", headers=world.as_user("admin")).json()[
        "history"
    ]
    assert history[-1]["action"] == "exported"


def test_a_tampered_export_does_not_verify(world: World, three: dict[str, str], tmp_path: Path) -> None:
    content = world.client.get(
        f"/v1/events/{three['open']}/export", headers=world.as_user("operator")
    ).content
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(tampered, "w") as out:
        for item in source.infolist():
            data = source.read(item)
            out.writestr(item, data[:-1] + b"\x00" if item.filename.startswith("clips/") else data)
        out.writestr("extra.txt", b"not listed")
    problems = verify_export(tampered)
    assert any(p.startswith("clips/open.mp4: sha256") for p in problems)
    assert "extra.txt: in the zip but not in the manifest" in problems
    good = tmp_path / "good.zip"
    good.write_bytes(content)
    assert CliRunner().invoke(cli.app, ["verify-export", str(good)]).exit_code == 0
    refused = CliRunner().invoke(cli.app, ["verify-export", str(tampered)])
    assert refused.exit_code == 1
    assert "clips/open.mp4: sha256" in refused.output


def test_an_upload_left_incomplete_for_a_week_is_given_up(
    world: World, clips: dict[str, tuple[bytes, ClipInfo]], tmp_path: Path
) -> None:
    data, info = clips["open"]
    world.post_alert(make_alert("open", evidence=evidence(jpeg_bytes(64))))
    declare(world, info)
    assert put(world, info, data[:65536], 0).status_code == 200
    staged = tmp_path / EVIDENCE / "staging" / "edge-01" / "open"
    assert len(list(staged.iterdir())) == 1
    run_retention(world.ctx, now=datetime.now(UTC) + timedelta(days=1))
    assert declare(world, info).json()["received"] == 65536  # a day old: still resumable
    run_retention(world.ctx, now=datetime.now(UTC) + timedelta(days=8))
    assert not staged.exists() or not list(staged.iterdir())
    assert declare(world, info).json()["received"] == 0  # given up: the box starts it again
