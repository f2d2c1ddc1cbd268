"""Line crossing: an object's anchor crosses a line segment in the configured direction."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from edge.rules.base import Shapes, TrackRule, TrackRuleConfig
from edge.rules.geometry import Direction, Name, Point
from gridwatch.contracts import AlertKind
from gridwatch.contracts.alert import Details


class LineCrossingConfig(TrackRuleConfig):
    """Config of a line-crossing rule; side A is on the left when walking from the line's start to end.

    Example:
        >>> LineCrossingConfig(id="gate-in", line="gate", direction="a_to_b").direction
        <Direction.A_TO_B: 'a_to_b'>
    """

    type: Literal["line_crossing"] = Field(default="line_crossing", description="Rule type")
    line: Name = Field(description="Name of the line to watch")
    direction: Direction = Field(default=Direction.BOTH, description="Crossings that count")
    cooldown_s: float = Field(
        default=2.0, ge=0, description="After a crossing by an object, seconds before its next one counts"
    )

    def line_refs(self) -> tuple[str, ...]:
        """The line it watches."""
        return (self.line,)


_SIGNS = {Direction.A_TO_B: (1,), Direction.B_TO_A: (-1,), Direction.BOTH: (1, -1)}


class LineCrossingRule(TrackRule[LineCrossingConfig, Point]):
    """One hit per crossing of the segment (between an object's previous and current anchor).

    A track's state is its last anchor point that was not exactly on the line, so an object that
    stops on the line and then goes on is counted once, when it reaches the other side.
    """

    kind = AlertKind.LINE_CROSSING

    def __init__(self, config: LineCrossingConfig, shapes: Shapes) -> None:
        super().__init__(config, shapes)
        self._line = shapes.line(config.line)

    def _update(self, track_id: int, point: Point, inside: bool, t: float) -> Details | None:
        before = self._tracks.get(track_id)
        on_line = self._line.side_of(point) == 0
        self._tracks.put(track_id, before if on_line and before is not None else point, t)
        if before is None:
            return None
        sign = self._line.crossing(before, point)
        if sign == 0 or sign not in _SIGNS[self.config.direction]:
            return None
        direction = Direction.A_TO_B if sign > 0 else Direction.B_TO_A
        return {"line": self.config.line, "direction": direction.value}
