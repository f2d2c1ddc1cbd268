"""The edge config file as an inventory: imported cameras written into its ``cameras`` list.

The file is edited with ruamel.yaml's round-trip mode, so comments, key order, quoting and flow
style of everything the import does not touch stay as they were (ruamel re-indents sequences to
the style of ``configs/edge.example.yaml``: mappings by 2, list items by 4 with the dash at 2).
A re-import updates only ``name``, ``location``, ``wvp`` and ``imported`` of cameras it imported;
zones, lines, rules, detector, motion and every other key a user set are left alone. GB ids are
written double-quoted, so YAML keeps them as 20-character strings. The new text is validated as a
whole ``EdgeConfig`` before it replaces the file (atomically: a temporary file, then a rename).
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from edge.config import EdgeConfig
from gridwatch.cameras.catalogue import Catalogue, ImportedCamera, codes
from gridwatch.cameras.inventory import ImportReport, InventoryError
from gridwatch.contracts import Location
from gridwatch.yamlfile import problems

IMPORTED_KEYS = ("name", "location", "wvp", "imported")


@dataclass(frozen=True, slots=True)
class WvpSection:
    """What the config's ``wvp`` section gets when the import has to add it (never a secret)."""

    url: str
    username: str | None = None
    password_env: str | None = None
    api_key_env: str | None = None


class EdgeConfigInventory:
    """Cameras of one edge config file.

    Example:
        >>> inventory = EdgeConfigInventory(Path("edge.yaml"), WvpSection(url, "gridwatch", "WVP_PASSWORD"))
        >>> report = inventory.apply(catalogue)          # report.added, .updated, .missing, ...
    """

    def __init__(self, path: Path, section: WvpSection, *, default_location: Location | None = None) -> None:
        self.path = path
        self.section = section
        self.default_location = default_location
        self._yaml = YAML(typ="rt")
        self._yaml.preserve_quotes = True
        self._yaml.indent(mapping=2, sequence=4, offset=2)
        self._yaml.width = 4096
        self._yaml.representer.add_representer(type(None), _null_as_written)

    def apply(self, catalogue: Catalogue, *, write: bool = True) -> ImportReport:
        """Merge the catalogue's cameras into the file; ``write=False`` reports without writing."""
        document = self._load()
        self._check_wvp_section(document, catalogue.url)
        cameras = document.get("cameras")
        if not isinstance(cameras, CommentedSeq):
            cameras = document["cameras"] = CommentedSeq()
        cameras.fa.set_block_style()  # `cameras: []` would otherwise get every camera on one line
        report = ImportReport()
        by_id = {str(entry.get("id")): entry for entry in cameras if isinstance(entry, CommentedMap)}
        for camera in catalogue.cameras:
            entry = by_id.get(camera.id)
            if entry is None:
                self._add(cameras, camera, report)
            elif "url" in entry or "wvp" not in entry:
                report.conflicts.append(camera.id)
            else:
                _update(entry, camera, report)
        _mark_missing(cameras, catalogue, report)
        text = self._dump(document)
        self._validate(text)
        if write:
            _replace(self.path, text)
        return report

    def _load(self) -> CommentedMap:
        try:
            document = self._yaml.load(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise InventoryError(
                f"edge config {self.path} not found; start from configs/edge.example.yaml"
            ) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise InventoryError(f"cannot read edge config {self.path}: {exc}") from exc
        except YAMLError as exc:
            raise InventoryError(f"edge config {self.path} is not valid YAML: {exc}") from exc
        if not isinstance(document, CommentedMap):
            raise InventoryError(f"edge config {self.path} must be a mapping")
        return document

    def _check_wvp_section(self, document: CommentedMap, url: str) -> None:
        """Add the wvp section if missing; refuse cameras of a second wvp (one platform per config)."""
        present = document.get("wvp")
        if isinstance(present, CommentedMap):
            if str(present.get("url", "")).rstrip("/") != url:
                raise InventoryError(
                    f"{self.path} reads cameras from wvp at {present.get('url')}; this import is from {url} "
                    "(one wvp per edge config)"
                )
            return
        section = CommentedMap((k, v) for k, v in asdict(self.section).items() if v is not None)
        _set(document, "wvp", section, before="cameras")
        document.yaml_set_comment_before_after_key(
            "wvp", before="wvp-GB28181-pro of the imported cameras; its secret comes from the environment"
        )

    def _add(self, cameras: CommentedSeq, camera: ImportedCamera, report: ImportReport) -> None:
        location = camera.location or self.default_location
        if location is None:
            report.no_location.append(camera.id)
            return
        entry = CommentedMap()
        entry["id"] = DoubleQuotedScalarString(camera.id)
        entry["name"] = camera.name
        entry["wvp"] = _ref_map(camera)
        entry["location"] = _location_map(location)
        entry["imported"] = _origin_map(camera)
        cameras.append(entry)
        report.added.append(camera.id)

    def _dump(self, document: CommentedMap) -> str:
        out = io.StringIO()
        self._yaml.dump(document, out)
        return out.getvalue()

    def _validate(self, text: str) -> None:
        """The new file must load as a whole EdgeConfig, exactly as `gridwatch edge run` will read it."""
        try:
            EdgeConfig.model_validate(yaml.safe_load(text))
        except ValidationError as exc:
            raise InventoryError(f"{self.path} would not be a valid edge config: {problems(exc)}") from exc


def _update(entry: CommentedMap, camera: ImportedCamera, report: ImportReport) -> None:
    before = {key: _plain(entry.get(key)) for key in IMPORTED_KEYS}
    requoted = not isinstance(entry["id"], str)
    if requoted:  # an unquoted GB id, read as a number: quote it again
        entry["id"] = DoubleQuotedScalarString(camera.id)
    _set(entry, "name", camera.name, after="id")
    if camera.location is not None:
        location = entry.get("location")
        if isinstance(location, CommentedMap):
            location["lon"], location["lat"] = camera.location.lon, camera.location.lat
        else:
            entry["location"] = _location_map(camera.location)
    entry["wvp"] = _ref_map(camera)
    previous = entry.get("imported")
    entry["imported"] = origin = _origin_map(camera)
    after = {key: _plain(entry.get(key)) for key in IMPORTED_KEYS}
    if not requoted and _same(
        before, after
    ):  # keep the old time: an import that changes nothing leaves the file as it was
        if isinstance(previous, CommentedMap) and previous.get("at") is not None:
            origin["at"] = previous["at"]
        report.unchanged.append(camera.id)
    else:
        report.updated.append(camera.id)


def _mark_missing(cameras: CommentedSeq, catalogue: Catalogue, report: ImportReport) -> None:
    """Cameras imported before from this wvp and filter that the catalogue no longer lists: offline."""
    present = codes(catalogue.cameras)
    for entry in cameras:
        origin = entry.get("imported") if isinstance(entry, CommentedMap) else None
        if not isinstance(origin, CommentedMap) or str(origin.get("url", "")).rstrip("/") != catalogue.url:
            continue
        code = str(entry.get("id"))
        if code in present or not catalogue.filter.covers(code, origin.get("civil_code")):
            continue
        report.missing.append(code)
        if origin.get("online") is not False:
            origin["online"], origin["at"] = False, catalogue.at.isoformat()


def _set(
    entry: CommentedMap, key: str, value: Any, *, after: str | None = None, before: str | None = None
) -> None:
    """Set ``key``; a new key goes right after ``after`` (or before ``before``) rather than at the end."""
    anchor = after if after is not None else before
    if key in entry or anchor not in entry:
        entry[key] = value
        return
    entry.insert(list(entry).index(anchor) + (1 if after is not None else 0), key, value)


def _ref_map(camera: ImportedCamera) -> CommentedMap:
    ref = CommentedMap()
    if camera.wvp.common_id is not None:
        ref["common_id"] = camera.wvp.common_id
    else:
        ref["device_id"] = DoubleQuotedScalarString(camera.wvp.device_id or "")
        ref["channel_id"] = DoubleQuotedScalarString(camera.wvp.channel_id or "")
    ref.fa.set_flow_style()
    return ref


def _location_map(location: Location) -> CommentedMap:
    mapping = CommentedMap([("lon", location.lon), ("lat", location.lat)])
    mapping.fa.set_flow_style()
    return mapping


def _origin_map(camera: ImportedCamera) -> CommentedMap:
    origin = camera.origin
    civil = None if origin.civil_code is None else DoubleQuotedScalarString(origin.civil_code)
    mapping = CommentedMap(
        [
            ("system", origin.system), ("url", origin.url), ("api", origin.api),
            ("code", DoubleQuotedScalarString(origin.code)), ("civil_code", civil),
            ("online", origin.online), ("at", origin.at.isoformat()),
        ]
    )  # fmt: skip
    mapping.fa.set_flow_style()
    return mapping


def _plain(value: Any) -> Any:
    """A comparable copy of a YAML node (ruamel's types compare like their bases)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if k != "at"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _same(before: dict[str, Any], after: dict[str, Any]) -> bool:
    return all(before[key] == after[key] for key in IMPORTED_KEYS)


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it over ``path``."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _null_as_written(representer: Any, _data: None) -> Any:
    """`null` stays `null` (ruamel's round trip would write an empty value, changing untouched lines)."""
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")
