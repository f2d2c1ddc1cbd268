"""Generate a rectangular grid hierarchy as GeoJSON (demo county, benchmarks, tests): a tool of the
commands layer, not part of the running centre.

Example:
    >>> fc = generate_grid(townships=2, villages=2, cells=3)
    >>> sum(f["properties"]["level"] == "网格" for f in fc["features"])
    12
"""

from __future__ import annotations

from typing import Any

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"


def _box(x0: float, y0: float, w: float, h: float) -> dict[str, Any]:
    ring = [[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h], [x0, y0]]
    return {"type": "Polygon", "coordinates": [[[round(x, 7), round(y, 7)] for x, y in ring]]}


def _feature(props: dict[str, Any], geometry: dict[str, Any] | None) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _worker(n: int) -> dict[str, str]:
    name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)]
    return {"name": name, "phone": f"138{n:08d}"}


def _village(
    town: str, t: int, v: int, cells: int, corner: tuple[float, float], cell_size: float, first_worker: int
) -> list[dict[str, Any]]:
    """A 村 and its `cells` square 网格 cells laid out row by row from `corner`."""
    per_row = max(1, int(cells**0.5))
    rows = -(-cells // per_row)
    code = f"{town}-V{v + 1:02d}"
    outline = _box(corner[0], corner[1], per_row * cell_size, rows * cell_size)
    features = [
        _feature({"code": code, "name": f"第{t + 1}乡{v + 1}村", "level": "村", "parent": town}, outline)
    ]
    for c in range(cells):
        props = {
            "code": f"{code}-C{c + 1:03d}",
            "name": f"第{c + 1}网格",
            "level": "网格",
            "parent": code,
            "workers": [_worker(first_worker + c)],
            "departments": ["应急管理", "综合执法"],
        }
        x, y = corner[0] + (c % per_row) * cell_size, corner[1] + (c // per_row) * cell_size
        features.append(_feature(props, _box(x, y, cell_size, cell_size)))
    return features


def generate_grid(
    *,
    townships: int,
    villages: int,
    cells: int,
    origin: tuple[float, float] = (118.70, 32.00),
    cell_size: float = 0.004,
    county: tuple[str, str] = ("DX", "示范县"),
) -> dict[str, Any]:
    """One 市 and 县, `townships` 乡 side by side, `villages` 村 each, `cells` square 网格 cells each."""
    city, county_code = f"{county[0]}C", county[0]
    features = [
        _feature({"code": city, "name": "示范市", "level": "市", "parent": None}, None),
        _feature({"code": county_code, "name": county[1], "level": "县", "parent": city}, None),
    ]
    per_row = max(1, int(cells**0.5))
    rows = -(-cells // per_row)
    for t in range(townships):
        town = f"{county_code}-T{t + 1:02d}"
        features.append(
            _feature({"code": town, "name": f"第{t + 1}乡", "level": "乡", "parent": county_code}, None)
        )
        for v in range(villages):
            corner = (origin[0] + t * per_row * cell_size, origin[1] + v * rows * cell_size)
            first_worker = (t * villages + v) * cells
            features += _village(town, t, v, cells, corner, cell_size, first_worker)
    return {"type": "FeatureCollection", "features": features}
