"""Read a list of sources (cameras, sensors) to register from CSV or YAML; every row checked.

CSV: a header row naming the columns (`box_id,source_id,kind,lon,lat` and optionally `name`,
`gb_id`, `notes`); empty cells count as not given. YAML: a list of mappings, or `{sources: [...]}`.
Every row is parsed with `SourceRow`; all problems are reported together, each naming its row
(1 = the first source; in CSV the line number is given too) and its field.

Example:
    >>> text = "box_id,source_id,kind,lon,lat\\nedge-01,cam-1,camera,118.7,32.0\\n"
    >>> rows = parse_sources_text(text, "x.csv")
    >>> rows[0].source_id, rows[0].lon
    ('cam-1', 118.7)
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from api.schemas.devices import SourceRow


class SourceFileError(ValueError):
    """The file cannot be read, or rows in it are wrong; the message names each row and field."""


def parse_sources(path: Path) -> list[SourceRow]:
    """The rows of a .csv, .yaml or .yml file; SourceFileError naming every bad row and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceFileError(f"{path}: {exc}") from exc
    return parse_sources_text(text, path.name)


def parse_sources_text(text: str, name: str) -> list[SourceRow]:
    """`parse_sources` for text already read; the suffix of `name` chooses CSV or YAML."""
    raw = _csv_rows(text, name) if name.lower().endswith(".csv") else _yaml_rows(text, name)
    rows: list[SourceRow] = []
    problems: list[str] = []
    for number, (where, item) in enumerate(raw, start=1):
        try:
            rows.append(SourceRow.model_validate(item))
        except ValidationError as exc:
            problems += [
                f"{name}: row {number}{where}: {'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}"
                for e in exc.errors(include_url=False)
            ]
    if problems:
        raise SourceFileError("\n".join(problems))
    if not rows:
        raise SourceFileError(f"{name}: no sources in the file")
    return rows


def _csv_rows(text: str, name: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise SourceFileError(f"{name}: empty file (expected a header row)")
    unknown = set(reader.fieldnames) - set(SourceRow.model_fields)
    if unknown:
        raise SourceFileError(
            f"{name}: unknown column(s) {', '.join(sorted(unknown))}; "
            f"columns are {', '.join(SourceRow.model_fields)}"
        )
    return [
        (f" (line {reader.line_num})", {k: v for k, v in row.items() if v not in (None, "")})
        for row in reader
    ]


def _yaml_rows(text: str, name: str) -> list[tuple[str, Any]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SourceFileError(f"{name}: not YAML: {exc}") from exc
    if isinstance(data, dict) and set(data) == {"sources"}:
        data = data["sources"]
    if not isinstance(data, list):
        raise SourceFileError(f"{name}: expected a list of sources (or `sources:` holding one)")
    return [("", item) for item in data]
