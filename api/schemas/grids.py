"""The grid tree and what a GeoJSON import changed."""

from __future__ import annotations

from pydantic import BaseModel, Field


class GridNode(BaseModel):
    """One grid node with the nodes under it."""

    code: str = Field(description="The node's unique code")
    name: str
    level: int = Field(description="0 市, 1 县, 2 乡, 3 村, 4 网格 (cell)")
    path: str = Field(description="The chain of codes from the root, e.g. `/DXC/DX/DX-T01/`")
    workers: list[dict[str, str]] = Field(description="Grid workers (网格员): name and phone")
    departments: list[str] = Field(description="Departments responsible for the node")
    children: list[GridNode] = Field(description="The nodes one level down, by code")


class GridImported(BaseModel):
    """What an import changed, and the cells the centre now locates alerts in."""

    created: int
    updated: int
    unchanged: int
    cells: int = Field(description="网格 cells in the rebuilt index")
