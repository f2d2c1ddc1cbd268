"""`gridwatch api add-source` and `import-sources`: sources registered from the command line and from
CSV/YAML files, bad input refused with exit 2 naming the row and field, and an import all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from api.app import build_context
from api.cli import app as cli
from api.orm import Device
from api.settings import ApiSettings
from tests.api.builders import DEMO_GRIDS, cell_center, cell_code

runner = CliRunner()
GB = "32010200001320000001"
LON, LAT = (str(v) for v in cell_center(2, 1, 1))
GOOD_CSV = (
    f"box_id,source_id,kind,lon,lat,name,gb_id\nedge-07,gate,camera,{LON},{LAT},东门,32010200001320000001\n"
)


def _run(settings: ApiSettings, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, [*args, "--database-url", settings.database_url])
    return result.exit_code, result.output


def _sources(settings: ApiSettings) -> dict[str, tuple[str | None, str | None]]:
    ctx = build_context(settings)
    with ctx.sessions() as session:
        rows = session.scalars(select(Device).where(Device.parent_device_id == "edge-07")).all()
        found = {d.device_id: (d.cell_code, d.gb_id) for d in rows}
    ctx.engine.dispose()
    return found


@pytest.fixture
def box(settings: ApiSettings, tmp_path: Path) -> ApiSettings:
    grids = tmp_path / "grids.geojson"
    grids.write_text(json.dumps(DEMO_GRIDS), encoding="utf-8")
    assert _run(settings, "import-grids", str(grids))[0] == 0
    assert _run(settings, "add-device", "edge-07")[0] == 0
    return settings


def test_add_source_registers_a_camera_in_its_cell(box: ApiSettings) -> None:
    code, output = _run(box, "add-source", "edge-07", "gate", "--kind", "camera", "--lon", LON, "--lat", LAT,
                        "--gb-id", "32010200001320000001")  # fmt: skip
    assert code == 0, output
    assert cell_code(2, 1, 1) in output
    assert _sources(box) == {"gate": (cell_code(2, 1, 1), "32010200001320000001")}


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--kind", "drone", "--lon", LON, "--lat", LAT], "drone"),
        (["--kind", "camera", "--lon", "200", "--lat", LAT], "--lon"),
        (["--kind", "camera", "--lon", LON, "--lat", LAT, "--gb-id", "123"], "--gb-id"),
    ],
)
def test_add_source_bad_input_exits_2_naming_it(box: ApiSettings, args: list[str], named: str) -> None:
    code, output = _run(box, "add-source", "edge-07", "gate", *args)
    assert code == 2, output
    assert named in output
    assert _sources(box) == {}


def test_add_source_to_an_unknown_box_exits_2(box: ApiSettings) -> None:
    code, output = _run(box, "add-source", "edge-99", "gate", "--kind", "camera", "--lon", LON, "--lat", LAT)
    assert code == 2
    assert "edge-99" in output


@pytest.mark.parametrize("suffix", ["csv", "yaml"])
def test_import_sources_from_csv_or_yaml(box: ApiSettings, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"sources.{suffix}"
    yaml_text = (f"sources:\n  - {{box_id: edge-07, source_id: gate, kind: camera, lon: {LON}, lat: {LAT},"
                 " gb_id: '32010200001320000001'}\n")  # fmt: skip
    path.write_text(GOOD_CSV if suffix == "csv" else yaml_text, encoding="utf-8")
    code, output = _run(box, "import-sources", str(path))
    assert code == 0, output
    assert "1 created, 0 updated" in output
    assert _sources(box) == {"gate": (cell_code(2, 1, 1), "32010200001320000001")}
    assert "0 created, 1 updated" in _run(box, "import-sources", str(path))[1]


def test_a_bad_row_names_row_and_field_and_nothing_is_stored(box: ApiSettings, tmp_path: Path) -> None:
    path = tmp_path / "sources.csv"
    path.write_text(
        GOOD_CSV + f"edge-07,door,sensor,{LON},95\nedge-07,pole,camera,{LON},{LAT},,3201\n", "utf-8"
    )
    code, output = _run(box, "import-sources", str(path))
    assert code == 2
    assert "row 2 (line 3): lat" in output
    assert "row 3 (line 4): gb_id" in output
    assert _sources(box) == {}
    unquoted = tmp_path / "sources.yaml"
    unquoted.write_text(
        f"- {{box_id: edge-07, source_id: g, kind: camera, lon: {LON}, lat: {LAT}, gb_id: {GB}}}\n"
    )
    code, output = _run(box, "import-sources", str(unquoted))
    assert code == 2
    assert "row 1: gb_id" in output
    assert "quotes" in output
    missing_box = tmp_path / "other.csv"
    missing_box.write_text(GOOD_CSV.replace("edge-07", "edge-77"), "utf-8")
    code, output = _run(box, "import-sources", str(missing_box))
    assert code == 2
    assert "row 1: box_id 'edge-77'" in output
