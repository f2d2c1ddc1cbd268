"""What a new configuration changes on a running box, camera by camera (pure: no threads, no I/O).

A camera whose entry is equal in both versions is left alone: its stream, tracks and counters go on.
A camera that differs only in its zones, lines and rules, name or location is updated in place
(its pipeline gets new rules; the stream is not reopened). Any other change (URL, detector, motion
gate, tracker, filters, timing) restarts that camera alone. Cameras read through wvp restart when
the wvp section changes; the sensor worker restarts when its sensors or broker change.

Example:
    >>> change = plan(running, fetched)
    >>> change.removed, [c.id for c in change.updated]
    ([], ['cam-gate'])
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.config import BoxConfig, CameraConfig

IN_PLACE = frozenset({"rules", "name", "location"})
"""Fields of a camera that a running pipeline takes without reopening its stream."""


@dataclass(frozen=True)
class Plan:
    """Cameras to stop, start, restart or update in place, and whether sensors or wvp change."""

    removed: list[str]
    added: list[CameraConfig]
    restarted: list[CameraConfig]
    updated: list[CameraConfig]
    sensors: bool
    wvp: bool

    @property
    def empty(self) -> bool:
        """True when the new configuration changes nothing that runs."""
        return not (self.removed or self.added or self.restarted or self.updated or self.sensors or self.wvp)

    def describe(self) -> str:
        """One line for the log."""
        parts = [
            f"{what} {', '.join(ids)}"
            for what, ids in (
                ("removed", self.removed), ("added", [c.id for c in self.added]),
                ("restarted", [c.id for c in self.restarted]),
                ("updated in place", [c.id for c in self.updated]),
            )
            if ids
        ]  # fmt: skip
        parts += ["sensors restarted"] if self.sensors else []
        return "; ".join(parts) or "nothing to change"


def in_place(old: CameraConfig, new: CameraConfig) -> bool:
    """True when `new` differs from `old` only in fields a running pipeline can take."""
    return old.model_copy(update={name: getattr(new, name) for name in IN_PLACE}) == new


def plan(old: BoxConfig, new: BoxConfig) -> Plan:
    """The changes that turn a box running `old` into one running `new`."""
    before = {camera.id: camera for camera in old.cameras}
    after = {camera.id: camera for camera in new.cameras}
    wvp = old.wvp != new.wvp
    added = [camera for camera_id, camera in after.items() if camera_id not in before]
    restarted: list[CameraConfig] = []
    updated: list[CameraConfig] = []
    for camera_id, camera in after.items():
        previous = before.get(camera_id)
        if previous is None or (previous == camera and not (wvp and camera.wvp is not None)):
            continue
        if in_place(previous, camera) and not (wvp and camera.wvp is not None):
            updated.append(camera)
        else:
            restarted.append(camera)
    removed = [camera_id for camera_id in before if camera_id not in after]
    sensors = old.sensors != new.sensors or old.mqtt != new.mqtt
    return Plan(removed, added, restarted, updated, sensors, wvp)
