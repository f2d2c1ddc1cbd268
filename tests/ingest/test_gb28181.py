"""GB/T 28181 ids: 20 digits split into centre, industry, type, network and serial; bad ones named."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from ingest.gb28181 import GbIdText, parse_gb_id


def test_fields_of_a_camera_id() -> None:
    gb = parse_gb_id("32010200001320000001")
    assert (gb.civil_code, gb.industry_code, gb.type_code, gb.network_code, gb.serial) == (
        "32010200", "00", "132", "0", "000001",
    )  # fmt: skip
    assert gb.is_camera
    assert gb.category == "front-end peripheral"


@pytest.mark.parametrize(
    ("code", "category", "camera"),
    [
        ("34020000001110000001", "front-end main device", False),  # DVR
        ("34020000001180000001", "front-end main device", False),  # NVR
        ("34020000001310000001", "front-end peripheral", True),  # camera
        ("34020000001340000001", "front-end peripheral", False),  # alarm input
        ("34020000002000000001", "platform device", False),  # a lower platform (雪亮 platform)
        ("34020000002150000001", "platform device", False),  # business group
        ("34020000003000000001", "centre user", False),
        ("34020000005000000001", "extension", False),
    ],
)
def test_type_codes_tell_what_an_id_names(code: str, category: str, camera: bool) -> None:
    gb = parse_gb_id(code)
    assert gb.category == category
    assert gb.is_camera is camera
    assert gb.text == code


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("3201020000132000000", "exactly 20 digits"),
        ("320102000013200000011", "exactly 20 digits"),
        ("3201020000132000000A", "exactly 20 digits"),
        ("３２０１０２００００１３２００００００１", "exactly 20 digits"),  # full-width digits
        ("99010200001320000001", "province code"),
        ("32010200000990000001", "type code 099"),
        (32010200001320000001, "read as a number; write it in quotes"),
        (None, "must be text"),
    ],
)
def test_bad_ids_are_refused_naming_the_problem(value: object, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        parse_gb_id(value)


class _Holder(BaseModel):
    code: GbIdText


def test_the_pydantic_type_keeps_the_text_and_refuses_numbers() -> None:
    assert _Holder(code="32010200001320000001").code == "32010200001320000001"
    with pytest.raises(ValidationError, match="in quotes"):
        _Holder.model_validate({"code": 32010200001320000001})
