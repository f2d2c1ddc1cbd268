"""Who is in a zone over a short window: the count that count-based rules (crowd, ...) compare.

A detector misses an object now and then; a count taken from one frame's tracks drops with it. The
count at time `t` is therefore the number of confirmed tracks whose anchor was inside the zone when
last seen, and last seen no longer than `grace_s` ago. A track seen outside the zone stops counting
at once (it left); one not seen at all counts for `grace_s` more (it was missed). The price: for
`grace_s` after a tracker gives one object a new id, that object may count twice.
"""

from __future__ import annotations

from pydantic import Field

from edge.rules.base import RuleConfigBase


class CountRuleConfig(RuleConfigBase):
    """Fields of rules that count the objects in a zone."""

    grace_s: float = Field(
        default=1.0,
        ge=0,
        le=10,
        description="A confirmed object still counts this long after it was last seen in the zone "
        "(so one missed detection does not lower the count); 0 counts each frame on its own",
    )


class Presence:
    """Confirmed tracks in a zone within the last `grace_s` seconds.

    Example:
        >>> presence = Presence(grace_s=1.0)
        >>> presence.update({7: True, 8: True}, t=0.0)
        2
        >>> presence.update({7: True}, t=0.4)  # 8 missed in this frame: still there
        2
        >>> presence.update({7: True}, t=1.2)  # 8 unseen for 1.2 s: gone
        1
    """

    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s
        self._last_inside: dict[int, float] = {}

    def update(self, seen: dict[int, bool], t: float) -> int:
        """Record the tracks seen at `t` (track id → anchor inside the zone); the count at `t`."""
        for track_id, inside in seen.items():
            if inside:
                self._last_inside[track_id] = t
            else:
                self._last_inside.pop(track_id, None)
        self._last_inside = {k: last for k, last in self._last_inside.items() if t - last <= self.grace_s}
        return len(self._last_inside)

    def __len__(self) -> int:
        return len(self._last_inside)

    def clear(self) -> None:
        """Forget everyone (new stream)."""
        self._last_inside.clear()
