"""Where imported cameras go: an inventory applies a catalogue and says what it changed.

Today's one inventory is an edge config file (``EdgeConfigInventory``). The fleet issue's centre
inventory will be a second class with the same ``apply``; the catalogue side does not change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from gridwatch.cameras.catalogue import Catalogue


class InventoryError(ValueError):
    """The inventory cannot take this import (unreadable file, another platform's cameras, ...)."""


@dataclass
class ImportReport:
    """What one import changed, by camera id."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Imported before from this catalogue and filter, absent now: kept, marked offline."""
    no_location: list[str] = field(default_factory=list)
    """New cameras left out: the catalogue has no coordinates and no default location was given."""
    conflicts: list[str] = field(default_factory=list)
    """Ids that already name a camera of another source (a url, another wvp): left alone."""


class Inventory(Protocol):
    """A place that holds cameras and can take a catalogue's cameras."""

    def apply(self, catalogue: Catalogue, *, write: bool = True) -> ImportReport:
        """Add new cameras, update the imported fields of known ones; ``write=False`` only reports."""
        ...
