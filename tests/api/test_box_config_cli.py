"""`gridwatch api push-config BOX FILE` and `show-config BOX [--version N]`."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from api.cli import app as cli
from tests.api.conftest import World
from tests.api.test_box_config import box_document


def _cli(world: World, *args: str) -> tuple[int, str]:
    settings = world.ctx.settings
    result = CliRunner().invoke(
        cli, [*args, "--database-url", settings.database_url, "--centre-config", str(settings.centre_config)]
    )
    return result.exit_code, result.output


def test_push_and_show_versions(world: World, tmp_path: Path) -> None:
    file = tmp_path / "box.yaml"
    file.write_text(yaml.safe_dump(box_document()))
    assert _cli(world, "push-config", "edge-01", str(file)) == (
        0,
        "box edge-01: configuration saved as version 1\n",
    )
    code, output = _cli(world, "push-config", "edge-01", str(file))
    assert (code, output.strip()) == (0, "box edge-01: configuration unchanged: already version 1")
    file.write_text(yaml.safe_dump(box_document(zone=[[0, 0], [5, 0], [5, 5]])))
    assert _cli(world, "push-config", "edge-01", str(file))[0] == 0
    code, output = _cli(world, "show-config", "edge-01", "--version", "1")
    assert code == 0
    header, _, body = output.partition("\n")
    assert header.startswith("# box edge-01, version 1, saved by cli:")
    assert yaml.safe_load(body) == box_document()
    code, output = _cli(world, "show-config", "edge-01")
    assert "version 2" in output.splitlines()[0]


def test_an_invalid_file_exits_2_naming_the_field(world: World, tmp_path: Path) -> None:
    document = box_document()
    document["cameras"][0]["detect_fps"] = -1
    file = tmp_path / "bad.yaml"
    file.write_text(yaml.safe_dump(document))
    code, output = _cli(world, "push-config", "edge-01", str(file))
    assert code == 2
    assert "cameras.0.detect_fps" in output
    code, output = _cli(world, "show-config", "edge-01")
    assert code == 2
    assert "no configuration" in output
    assert _cli(world, "push-config", "edge-01", str(tmp_path / "missing.yaml"))[0] == 2
