"""Parse a grid GeoJSON FeatureCollection into checked grid specs, refusing the file whole.

Each feature's properties: `code`, `name`, `level` (市/县/乡/村/网格 or city/county/township/
village/cell), `parent` (code, null for the top), and for cells `workers` and `departments`.
Cells must carry a valid Polygon or MultiPolygon; other levels may.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

import shapely
from pydantic import Field, ValidationError
from shapely.geometry import shape

from api.errors import BadInputError
from gridwatch.contracts.alert import NO_NUL
from gridwatch.strict import Strict

LEVELS = {"市": 0, "县": 1, "乡": 2, "村": 3, "网格": 4}
LEVEL_ALIASES = {"city": 0, "county": 1, "township": 2, "village": 3, "cell": 4} | LEVELS
CELL_LEVEL = 4


class Worker(Strict):
    """A grid worker (网格员) responsible for a cell."""

    name: str = Field(min_length=1, max_length=64, pattern=NO_NUL, description="Full name")
    phone: str = Field(default="", max_length=32, pattern=NO_NUL, description="Phone number")


class GridProperties(Strict):
    """The properties every grid feature carries."""

    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._\-]+$")
    name: str = Field(min_length=1, max_length=128, pattern=NO_NUL)
    level: str = Field(max_length=16, description="市/县/乡/村/网格 or city/county/township/village/cell")
    parent: str | None = Field(
        default=None, max_length=64, pattern=NO_NUL, description="Code of the parent node"
    )
    workers: list[Worker] = Field(default_factory=list, max_length=50)
    departments: list[Annotated[str, Field(max_length=128, pattern=NO_NUL)]] = Field(
        default_factory=list, max_length=50
    )


@dataclass(frozen=True)
class GridSpec:
    """One checked grid node from the file."""

    code: str
    name: str
    level: int
    parent: str | None
    geometry: dict[str, Any] | None
    workers: list[dict[str, str]] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)


def _fail(index: int, code: str | None, reason: str) -> BadInputError:
    label = f"feature {index}" + (f" ({code})" if code else "")
    return BadInputError(f"{label}: {reason}")


def _geometry(index: int, code: str, raw: Any, level: int) -> dict[str, Any] | None:
    if raw is None:
        if level == CELL_LEVEL:
            raise _fail(index, code, "a 网格 cell needs a Polygon or MultiPolygon geometry")
        return None
    if not isinstance(raw, Mapping) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        raise _fail(index, code, "geometry must be a Polygon or MultiPolygon")
    try:
        geom = shape(dict(raw))
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.ShapelyError) as exc:
        raise _fail(index, code, f"geometry cannot be read: {exc}") from exc
    if geom.is_empty or not geom.is_valid:
        raise _fail(index, code, f"geometry is not valid: {shapely.is_valid_reason(geom)}")
    minx, miny, maxx, maxy = geom.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise _fail(index, code, "coordinates are not WGS-84 lon/lat")
    return dict(raw)


def _spec(index: int, feature: Any) -> GridSpec:
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        raise _fail(index, None, "not a GeoJSON Feature")
    try:
        props = GridProperties.model_validate(feature.get("properties") or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise _fail(index, None, f"property {where}: {first['msg']}") from exc
    level = LEVEL_ALIASES.get(props.level)
    if level is None:
        raise _fail(index, props.code, f"level {props.level!r} is not one of {', '.join(LEVELS)}")
    geometry = _geometry(index, props.code, feature.get("geometry"), level)
    workers = [w.model_dump() for w in props.workers]
    return GridSpec(props.code, props.name, level, props.parent, geometry, workers, props.departments)


def parse_feature_collection(data: Any, *, known_levels: Mapping[str, int]) -> list[GridSpec]:
    """Checked specs, parents before children; `known_levels` are nodes already stored."""
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        raise BadInputError("the file is not a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise BadInputError("the FeatureCollection has no features")
    specs = [_spec(i, f) for i, f in enumerate(features)]
    levels = dict(known_levels)
    for i, spec in enumerate(specs):
        if spec.code in levels and any(s.code == spec.code for s in specs[:i]):
            raise _fail(i, spec.code, "code appears twice in the file")
        levels[spec.code] = spec.level
    for i, spec in enumerate(specs):
        _check_parent(i, spec, levels)
    return sorted(specs, key=lambda s: s.level)


def _check_parent(index: int, spec: GridSpec, levels: Mapping[str, int]) -> None:
    if spec.parent is None:
        if spec.level not in {0, 1}:
            raise _fail(index, spec.code, "only a 市 or 县 may have no parent")
        return
    if spec.parent not in levels:
        raise _fail(index, spec.code, f"parent {spec.parent!r} is neither in the file nor stored")
    if levels[spec.parent] != spec.level - 1:
        raise _fail(index, spec.code, f"parent {spec.parent!r} is not one level above")
