"""GeoJSON parsing, the STRtree index and the centre config, without a database."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from shapely.geometry import box, shape

from api.centre import CentreConfig, EventType, load_centre_config
from api.errors import BadInputError, ConfigError
from api.logic.geojson import parse_feature_collection
from api.logic.gridindex import GridIndex
from gridwatch.contracts.alert import AlertKind, Severity
from gridwatch.gridgen import generate_grid
from tests.api.builders import DEMO_GRIDS, REPO, cell_center, cell_code


def test_demo_county_parses_with_about_fifty_cells_with_workers() -> None:
    specs = parse_feature_collection(DEMO_GRIDS, known_levels={})
    cells = [s for s in specs if s.level == 4]
    assert 40 <= len(cells) <= 60
    assert all(c.workers and c.departments for c in cells)
    assert [s.level for s in specs] == sorted(s.level for s in specs)


def _broken(change: str) -> dict[str, Any]:
    data = copy.deepcopy(DEMO_GRIDS)
    feature = data["features"][10]
    match change:
        case "level":
            feature["properties"]["level"] = "省"
        case "parent":
            feature["properties"]["parent"] = "NOPE"
        case "geometry":
            feature["geometry"] = {
                "type": "Polygon",
                "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
            }
        case "missing_geometry":
            feature["geometry"] = None
        case "duplicate":
            data["features"].append(copy.deepcopy(feature))
        case "extra":
            feature["properties"]["colour"] = "red"
    return data


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("level", "level '省'"),
        ("parent", "parent 'NOPE'"),
        ("geometry", "not valid: Self-intersection"),
        ("missing_geometry", "needs a Polygon"),
        ("duplicate", "appears twice"),
        ("extra", "property colour"),
    ],
)
def test_bad_files_name_the_feature_and_the_reason(change: str, reason: str) -> None:
    with pytest.raises(BadInputError) as caught:
        parse_feature_collection(_broken(change), known_levels={})
    message = str(caught.value)
    assert reason in message
    assert "feature " in message


def test_not_a_feature_collection() -> None:
    with pytest.raises(BadInputError, match="not a GeoJSON FeatureCollection"):
        parse_feature_collection({"type": "Feature"}, known_levels={})


def test_index_finds_each_demo_cell_and_nothing_outside() -> None:
    specs = [s for s in parse_feature_collection(DEMO_GRIDS, known_levels={}) if s.level == 4]
    index = GridIndex([s.code for s in specs], [shape(s.geometry or {}) for s in specs])
    assert index.lookup(*cell_center(3, 4, 2)) == cell_code(3, 4, 2)
    assert index.lookup(0.0, 0.0) is None


def test_lookup_many_is_vectorised_and_agrees_with_lookup() -> None:
    fc = generate_grid(townships=2, villages=3, cells=25)
    cells = [f for f in fc["features"] if f["properties"]["level"] == "网格"]
    index = GridIndex([f["properties"]["code"] for f in cells], [shape(f["geometry"]) for f in cells])
    rng = np.random.default_rng(7)
    lons = rng.uniform(118.69, 118.75, 500)
    lats = rng.uniform(31.99, 32.07, 500)
    found = index.lookup_many(lons, lats)
    singles = [index.lookup(x, y) for x, y in zip(lons, lats, strict=True)]
    assert [None if i < 0 else index.codes[i] for i in found] == singles
    assert (found >= 0).any()
    assert (found < 0).any()


def test_border_points_get_exactly_one_cell() -> None:
    index = GridIndex(["A", "B"], [box(0, 0, 1, 1), box(1, 0, 2, 1)])
    assert index.lookup(1.0, 0.5) in {"A", "B"}
    assert len(index) == 2


def test_example_centre_config_loads() -> None:
    centre = load_centre_config(REPO / "configs" / "centre.example.yaml")
    assert centre.type_for(AlertKind.SMOKE) == centre.type_for(AlertKind.FIRE) == "FIRE"
    assert centre.window_minutes("INTRUSION") == 10
    assert centre.calendar.holidays


def test_a_kind_in_two_types_is_refused() -> None:
    types = {
        "A": EventType(name="a", category="x", severity=Severity.LOW, alert_kinds=[AlertKind.SMOKE]),
        "B": EventType(name="b", category="x", severity=Severity.LOW, alert_kinds=[AlertKind.SMOKE]),
    }
    with pytest.raises(ValueError, match="listed by both A and B"):
        CentreConfig(county_code="DX", county_name="x", fallback_type="A", event_types=types)


def test_bad_centre_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "centre.yaml"
    path.write_text("county_code: dx\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"centre\.yaml"):
        load_centre_config(path)
