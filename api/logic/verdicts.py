"""Operator verdicts: why an event was dismissed (they feed per-camera quality figures)."""

from __future__ import annotations

from enum import StrEnum


class VerdictKind(StrEnum):
    """Why the alerts of a dismissed event did not need handling."""

    FALSE_ALARM = "false_alarm"
    DUPLICATE = "duplicate"
    TEST = "test"
    NOT_OUR_JURISDICTION = "not_our_jurisdiction"


class FalseAlarm(StrEnum):
    """What was wrong with a false alarm (误报)."""

    WRONG_OBJECT = "wrong_object"
    NOTHING_THERE = "nothing_there"
    OUT_OF_AREA = "out_of_area"


def verdict_code(kind: VerdictKind, false_alarm: FalseAlarm | None) -> str:
    """A short code for the event's dismiss reason, e.g. `false_alarm:wrong_object`."""
    return f"{kind.value}:{false_alarm.value}" if false_alarm is not None else kind.value
