"""The evidence store interface on a local folder and on an S3-compatible server (tests/support/s3.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.settings import ApiSettings
from api.storage import LocalStore, LocalStoreConfig, ObjectStore, S3Store, S3StoreConfig, StorageError
from tests.api.builders import make_alert
from tests.api.clip_helpers import upload
from tests.api.conftest import World
from tests.support.clips import cut_clip
from tests.support.s3 import S3Server


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """One S3 server for the module."""
    server = S3Server(tmp_path_factory.mktemp("s3") / "s3.log")
    try:
        yield server
    finally:
        server.stop()


def s3_config(server: S3Server, bucket: str) -> S3StoreConfig:
    """A plain-HTTP bucket on the test server."""
    return S3StoreConfig.model_validate(
        {
            "type": "s3",
            "endpoint": server.endpoint,
            "bucket": bucket,
            "access_key": S3Server.ACCESS_KEY,
            "secret_key": S3Server.SECRET_KEY,
            "secure": False,
            "region": "us-east-1",
            "prefix": "gw/",
        }
    )


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.slow)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    """A fresh store of each kind."""
    if request.param == "local":
        return LocalStore(LocalStoreConfig(path=tmp_path / "evidence"))
    server: S3Server = request.getfixturevalue("s3_server")
    return S3Store(s3_config(server, f"ev-{abs(hash(tmp_path)) % 10**8}"))


def test_objects_round_trip_with_ranges(store: ObjectStore, tmp_path: Path) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    source = tmp_path / "clip.bin"
    source.write_bytes(data)
    store.put_file("clips/edge-01/a-1.mp4", source)
    store.put_bytes("staging/edge-01/a-2/000000000000", b"chunk")
    assert store.size("clips/edge-01/a-1.mp4") == len(data)
    assert b"".join(store.read("clips/edge-01/a-1.mp4")) == data
    assert b"".join(store.read("clips/edge-01/a-1.mp4", 1000, 1999)) == data[1000:2000]
    assert b"".join(store.read("clips/edge-01/a-1.mp4", len(data) - 10)) == data[-10:]
    assert store.keys("staging/edge-01/") == ["staging/edge-01/a-2/000000000000"]
    store.delete("staging/edge-01/a-2/000000000000")
    store.delete("staging/edge-01/a-2/000000000000")  # deleting twice is fine
    assert store.size("staging/edge-01/a-2/000000000000") is None
    assert store.keys("staging/") == []


def test_missing_objects_and_unsafe_keys_are_refused(store: ObjectStore) -> None:
    with pytest.raises(StorageError, match="nope"):
        b"".join(store.read("clips/nope.mp4"))
    with pytest.raises(StorageError, match="clean relative path"):
        store.put_bytes("../outside", b"x")


@pytest.fixture
def settings(settings: ApiSettings, s3_server: S3Server, tmp_path: Path) -> ApiSettings:
    """The API settings with the evidence in a bucket of the S3 server."""
    bucket = f"centre-{abs(hash(tmp_path)) % 10**8}"
    return settings.model_copy(
        update={"evidence_store": s3_config(s3_server, bucket), "clip_chunk_max_bytes": 65536}
    )


@pytest.mark.slow
def test_a_clip_uploaded_played_and_retained_on_s3(world: World, tmp_path: Path) -> None:
    path, info = cut_clip(tmp_path, "a-1", end_s=8.0)
    data = path.read_bytes()
    code = world.post_alert(make_alert("a-1")).json()["event_code"]
    assert upload(world, info, data, 65536)["complete"]
    url = world.client.get(f"/v1/events/{code}", headers=world.as_user("operator")).json()["alerts"][0][
        "clip"
    ]["url"]
    part = world.client.get(url, headers={**world.as_user("operator"), "Range": "bytes=100-4195"})
    assert (part.status_code, part.content) == (206, data[100:4196])
    store = world.ctx.evidence_store()
    assert isinstance(store, S3Store)
    assert store.keys("clips/") == ["clips/edge-01/a-1.mp4"]
    assert store.keys("staging/") == []
