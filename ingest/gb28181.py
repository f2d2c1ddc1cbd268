"""GB/T 28181 device and channel ids (国标编码): 20 digits, parsed and checked once, kept as text.

Layout (GB/T 28181-2016, annex D; the same split as wvp-GB28181-pro's ``GbCode``):

    32010200 | 00 | 132 | 0 | 000001
    centre     ind  type  net serial

- centre code, 8 digits: the civil code (行政区划, GB/T 2260) of the monitoring centre: province (2),
  city (2), county (2), grassroots unit (2); its first two digits must be a province code;
- industry code, 2 digits (行业编码, e.g. 00 social security roads);
- type code, 3 digits (类型编码): 111–130 front-end main devices (111 DVR, 118 NVR, 130 HVR),
  131–199 front-end peripherals (131 camera, 132 network camera / IPC, 134 alarm input, ...),
  200–299 platform devices (200 SIP server / platform, 215 business group, 216 virtual organisation),
  300–399 centre users, 400–499 terminal users, 500–999 extensions;
- network flag, 1 digit (网络标识: 0–4 video surveillance private network, 5 public-security network,
  6 government network, 7 Internet, 8 social-resource access network, 9 reserved);
- serial, 6 digits. (The issue counts network flag and serial together as a 7-digit serial.)

An id is always a string: YAML would read ``32010200001320000001`` unquoted as an integer, so configs
quote it, and a number where an id belongs is refused with a message that says so.

Example:
    >>> gb = parse_gb_id("32010200001320000001")
    >>> gb.type_code, gb.is_camera, gb.civil_code
    ('132', True, '32010200')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator

PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54}
    | {61, 62, 63, 64, 65, 71, 81, 82}
)
"""First two digits of GB/T 2260 civil codes: the provinces, autonomous regions and municipalities."""

CAMERA_TYPE_CODES = frozenset({"131", "132"})
"""Type codes of channels that carry video of one view: camera (131) and network camera / IPC (132)."""

TYPE_RANGES = (
    (111, 130, "front-end main device"),
    (131, 199, "front-end peripheral"),
    (200, 299, "platform device"),
    (300, 399, "centre user"),
    (400, 499, "terminal user"),
    (500, 999, "extension"),
)


@dataclass(frozen=True, slots=True)
class GbId:
    """A checked 20-digit GB/T 28181 id and its fields."""

    text: str

    @property
    def civil_code(self) -> str:
        """The 8-digit centre code (the civil code of the centre that numbered the device)."""
        return self.text[:8]

    @property
    def industry_code(self) -> str:
        """Digits 9–10."""
        return self.text[8:10]

    @property
    def type_code(self) -> str:
        """Digits 11–13: what the id names (131 camera, 132 IPC, 200 platform, ...)."""
        return self.text[10:13]

    @property
    def network_code(self) -> str:
        """Digit 14: which network the device is on."""
        return self.text[13]

    @property
    def serial(self) -> str:
        """Digits 15–20."""
        return self.text[14:]

    @property
    def category(self) -> str:
        """The type code's range in words, e.g. ``front-end peripheral``."""
        code = int(self.type_code)
        return next(name for low, high, name in TYPE_RANGES if low <= code <= high)

    @property
    def is_camera(self) -> bool:
        """True for a camera (131) or network camera (132) channel."""
        return self.type_code in CAMERA_TYPE_CODES


def parse_gb_id(value: object) -> GbId:
    """Check ``value`` as a GB/T 28181 id; raise ``ValueError`` naming what is wrong with it."""
    if isinstance(value, int | float):  # bool is an int too
        msg = (f"GB/T 28181 id {value!r} was read as a number; write it in quotes (\"...\") so that "
               "YAML keeps all 20 digits as text")  # fmt: skip
        raise ValueError(msg)
    if not isinstance(value, str):
        raise ValueError(f"a GB/T 28181 id must be text, got {type(value).__name__}")
    if len(value) != 20 or not value.isascii() or not value.isdigit():
        raise ValueError(f"GB/T 28181 id {value!r} must be exactly 20 digits (got {len(value)} characters)")
    if int(value[:2]) not in PROVINCE_CODES:
        raise ValueError(
            f"GB/T 28181 id {value!r}: centre code {value[:8]} does not start with a province code"
        )
    if int(value[10:13]) < TYPE_RANGES[0][0]:
        raise ValueError(f"GB/T 28181 id {value!r}: type code {value[10:13]} is not a device type (111–999)")
    return GbId(value)


def _checked(value: Any) -> str:
    return parse_gb_id(value).text


GbIdText = Annotated[str, BeforeValidator(_checked)]
"""A pydantic field type: a checked GB/T 28181 id, kept as its 20-character string."""
