"""The cells of the map as one SVG fragment: the cached plain elements, with the cells that have
open events re-rendered with their colour, counts and tooltip (escaped here, once per page)."""

from __future__ import annotations

from markupsafe import Markup, escape

from api.console.i18n import Translator
from api.services.gridmap import GridMap


def cells_svg(view: GridMap, t: Translator) -> Markup:
    """`<path data-cell=…>` for every cell of the view, coloured by its open/overdue events."""
    parts = list(view.layer.plain)
    for i, cell in enumerate(view.layer.cells):
        load = view.cells.get(cell.code)
        if load is None:
            continue
        title = t("map.cell_title", name=f"{cell.name} {cell.code}", open=load.open, overdue=load.overdue)
        parts[i] = (
            f'<path d="{cell.d}" data-cell="{escape(cell.code)}" class="{load.state}" '
            f'data-open="{load.open}" data-overdue="{load.overdue}"><title>{escape(title)}</title></path>'
        )
    return Markup("\n".join(parts))
