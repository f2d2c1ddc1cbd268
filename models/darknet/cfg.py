"""Parse a Darknet .cfg file into typed sections."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from models.errors import ConversionError


@dataclass(frozen=True)
class DarknetSection:
    """One `[section]` of a Darknet cfg, with its 1-based line number for error messages.

    Example:
        >>> DarknetSection("convolutional", {"filters": "16"}, line=3).integer("filters")
        16
    """

    kind: str
    options: dict[str, str] = field(default_factory=dict)
    line: int = 0

    def _raw(self, key: str, default: str | None) -> str:
        if key in self.options:
            return self.options[key]
        if default is None:
            raise ConversionError(f"[{self.kind}] at line {self.line}: missing option {key!r}")
        return default

    def integer(self, key: str, default: int | None = None) -> int:
        """An integer option (or the default)."""
        raw = self._raw(key, None if default is None else str(default))
        try:
            return int(raw)
        except ValueError as exc:
            raise ConversionError(
                f"[{self.kind}] at line {self.line}: {key}={raw!r} is not an integer"
            ) from exc

    def integers(self, key: str) -> list[int]:
        """A comma-separated list of integers."""
        raw = self._raw(key, None)
        try:
            return [int(part) for part in raw.split(",") if part.strip()]
        except ValueError as exc:
            raise ConversionError(
                f"[{self.kind}] at line {self.line}: {key}={raw!r} is not a list of integers"
            ) from exc

    def text(self, key: str, default: str | None = None) -> str:
        """A string option (or the default)."""
        return self._raw(key, default)


def parse_cfg(path: Path) -> list[DarknetSection]:
    """Read a cfg file; the first section must be `[net]`."""
    sections: list[DarknetSection] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            sections.append(DarknetSection(line[1:-1].strip().lower(), {}, number))
        elif "=" in line and sections:
            key, value = line.split("=", 1)
            sections[-1].options[key.strip()] = value.strip()
        else:
            raise ConversionError(f"{path}:{number}: cannot parse {raw!r}")
    if not sections or sections[0].kind not in ("net", "network"):
        raise ConversionError(f"{path}: the first section must be [net]")
    return sections
