"""Clip uploads (declare, chunks, resume, hash, limits, tokens) and playback with HTTP ranges."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import ApiSettings
from api.storage import LocalStoreConfig
from gridwatch.contracts import ClipInfo
from tests.api.builders import make_alert
from tests.api.clip_helpers import declare, put, upload
from tests.api.conftest import World
from tests.support.clips import cut_clip

pytestmark = pytest.mark.slow  # real clips, cut from the shared person clip

CHUNK = 64 * 1024


@pytest.fixture
def settings(settings: ApiSettings, tmp_path: Path) -> ApiSettings:
    """The API settings with a local evidence folder and small chunks."""
    return settings.model_copy(
        update={
            "evidence_store": LocalStoreConfig(path=tmp_path / "evidence"),
            "clip_chunk_max_bytes": CHUNK,
            "clip_max_bytes": 1024 * 1024,
        }
    )


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, ClipInfo]:
    """A real 15 s MP4 cut from the person clip."""
    path, info = cut_clip(tmp_path_factory.mktemp("clip"), "a-1")
    return path.read_bytes(), info


def _event(world: World, alert_id: str = "a-1") -> str:
    reply = world.post_alert(make_alert(alert_id))
    assert reply.status_code == 201, reply.text
    return str(reply.json()["event_code"])


def test_a_clip_waits_for_its_alert(world: World, clip: tuple[bytes, ClipInfo]) -> None:
    _data, info = clip
    reply = declare(world, info)
    assert reply.status_code == 404
    assert "send the alert first" in reply.json()["detail"]


def test_upload_in_chunks_resumes_where_the_centre_copy_ends(
    world: World, clip: tuple[bytes, ClipInfo]
) -> None:
    data, info = clip
    code = _event(world)
    assert declare(world, info).json() == {
        "alert_id": "a-1",
        "received": 0,
        "size": info.size,
        "complete": False,
        "max_chunk_bytes": CHUNK,
    }
    assert put(world, info, data[:CHUNK], 0).json()["received"] == CHUNK
    assert put(world, info, data[CHUNK : 2 * CHUNK], CHUNK).json()["received"] == 2 * CHUNK
    # the link broke: the box asks again and goes on from the centre's offset, not from zero
    assert declare(world, info).json()["received"] == 2 * CHUNK
    stale = put(world, info, data[:CHUNK], 0)
    assert stale.status_code == 409
    assert stale.json()["received"] == 2 * CHUNK
    state = upload(world, info, data, CHUNK)
    assert state["complete"] is True
    detail = world.client.get(f"/v1/events/{code}", headers=world.as_user("operator")).json()
    assert detail["alerts"][0]["clip"]["sha256"] == info.sha256
    body = world.client.get(detail["alerts"][0]["clip"]["url"], headers=world.as_user("operator"))
    assert body.status_code == 200
    assert body.content == data
    assert body.headers["content-type"] == "video/mp4"


def test_a_clip_whose_hash_does_not_match_is_refused_and_starts_over(
    world: World, clip: tuple[bytes, ClipInfo]
) -> None:
    data, info = clip
    _event(world)
    forged = info.model_copy(update={"sha256": "0" * 64})
    declare(world, forged)
    reply = None
    for start in range(0, info.size, CHUNK):
        reply = put(world, forged, data[start : start + CHUNK], start)
    assert reply is not None
    assert reply.status_code == 422
    assert info.sha256 in str(reply.json()["detail"])
    assert declare(world, forged).json()["received"] == 0


@pytest.mark.parametrize(
    ("case", "status"),
    [("clip too large", 413), ("chunk too large", 413), ("bad range", 422), ("no token", 401)],
)
def test_uploads_outside_the_limits_are_refused(
    world: World, clip: tuple[bytes, ClipInfo], case: str, status: int
) -> None:
    data, info = clip
    _event(world)
    if case == "clip too large":
        reply = declare(world, info.model_copy(update={"size": 2 * 1024 * 1024}))
    elif case == "no token":
        reply = world.client.put(
            "/v1/alerts/a-1/clip",
            content=data[:CHUNK],
            headers={"Content-Range": f"bytes 0-{CHUNK - 1}/{info.size}"},
        )
    else:
        declare(world, info)
        header = f"bytes 0-{2 * CHUNK - 1}/{info.size}" if case == "chunk too large" else "bytes 5-1/9"
        reply = world.client.put(
            "/v1/alerts/a-1/clip",
            content=data[: 2 * CHUNK],
            headers={**world.device, "Content-Range": header},
        )
    assert reply.status_code == status, reply.text


@pytest.mark.parametrize(
    ("header", "status", "span"),
    [
        ("bytes=0-99", 206, (0, 99)),
        ("bytes=1000-", 206, (1000, None)),
        ("bytes=-500", 206, (-500, None)),
        ("bytes=100-99999999", 206, (100, None)),
        ("bytes=99999999-", 416, None),
        ("bytes=0-1,5-9", 200, (0, None)),
        ("items=0-5", 200, (0, None)),
    ],
)
def test_range_requests_return_the_right_bytes(
    world: World, clip: tuple[bytes, ClipInfo], header: str, status: int, span: tuple[int, int | None] | None
) -> None:
    data, info = clip
    code = _event(world)
    upload(world, info, data, CHUNK)
    reply = world.client.get(
        f"/v1/events/{code}/alerts/a-1/clip", headers={**world.as_user("operator"), "Range": header}
    )
    assert reply.status_code == status
    if span is None:
        assert reply.headers["content-range"] == f"bytes */{info.size}"
        return
    start, end = span
    expected = data[start:] if end is None else data[start : end + 1]
    assert reply.content == expected
    if status == 206:
        first = start % info.size
        assert reply.headers["content-range"] == f"bytes {first}-{first + len(expected) - 1}/{info.size}"


def test_a_stale_if_range_gets_the_whole_clip(world: World, clip: tuple[bytes, ClipInfo]) -> None:
    data, info = clip
    code = _event(world)
    upload(world, info, data, CHUNK)
    url, user = f"/v1/events/{code}/alerts/a-1/clip", world.as_user("operator")
    current = world.client.get(url, headers={**user, "Range": "bytes=0-9", "If-Range": f'"{info.sha256}"'})
    stale = world.client.get(url, headers={**user, "Range": "bytes=0-9", "If-Range": '"old"'})
    assert (current.status_code, len(current.content)) == (206, 10)
    assert (stale.status_code, stale.content) == (200, data)


def test_clips_are_scoped_like_the_evidence(world: World, clip: tuple[bytes, ClipInfo]) -> None:
    data, info = clip
    code = _event(world)  # an event in township DX-T01
    upload(world, info, data, CHUNK)
    url = f"/v1/events/{code}/alerts/a-1/clip"
    assert world.client.get(url, headers=world.as_user("op_t1")).status_code == 200
    assert world.client.get(url, headers=world.as_user("op_t2")).status_code == 404
    assert world.client.get(url).status_code == 401
