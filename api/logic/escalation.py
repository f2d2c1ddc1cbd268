"""Escalation: each missed deadline moves an event one level up 网格 → 村 → 乡 → 县, once."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from api.logic.clocks import Deadline, Deadlines, Milestones, missed

LEVEL_NAMES = ("网格", "村", "乡", "县")
TOP_LEVEL = len(LEVEL_NAMES) - 1


@dataclass(frozen=True)
class Step:
    """One escalation to write as a 督办 record."""

    deadline: Deadline
    due_at: datetime
    from_level: int
    to_level: int


def plan(
    *,
    deadlines: Deadlines,
    milestones: Milestones,
    level: int,
    already: Collection[str],
    now: datetime,
) -> list[Step]:
    """One step per missed deadline not escalated before; the level never passes 县."""
    steps: list[Step] = []
    for deadline in missed(deadlines, milestones, now):
        if deadline.value in already:
            continue
        to_level = min(level + 1, TOP_LEVEL)
        steps.append(Step(deadline, deadlines.due(deadline), level, to_level))
        level = to_level
    return steps
