"""`Evidence` keeps the snapshot it decoded (or was built from): nobody decodes it again."""

from __future__ import annotations

import base64
import hashlib

import pytest
from pydantic import ValidationError

from gridwatch.contracts.alert import Evidence
from tests.edge.builders import make_alert, small_jpeg


def test_with_snapshot_keeps_the_bytes_it_was_given() -> None:
    jpeg = small_jpeg()
    evidence = Evidence.with_snapshot(jpeg)
    assert evidence.snapshot_bytes() is jpeg
    assert evidence.snapshot_sha256 == hashlib.sha256(jpeg).hexdigest()
    assert base64.b64decode(evidence.snapshot_jpeg_b64 or "") == jpeg


def test_a_parsed_alert_decodes_its_snapshot_once_and_equals_the_built_one() -> None:
    alert = make_alert("e-1")
    parsed = type(alert).model_validate_json(alert.model_dump_json())
    assert parsed.evidence.snapshot_bytes() is parsed.evidence.snapshot_bytes()
    assert parsed.evidence.snapshot_bytes() == alert.evidence.snapshot_bytes()
    assert parsed == alert


def test_with_snapshot_still_refuses_what_is_not_a_jpeg() -> None:
    with pytest.raises(ValidationError, match="not a JPEG"):
        Evidence.with_snapshot(b"GIF89a")
