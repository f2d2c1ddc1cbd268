"""Suggestions from judged alerts, without a database."""

from __future__ import annotations

import pytest

from api.logic.quality import mask_suggestion, threshold_suggestion

CORNER = (0.0, 0.0, 100.0, 100.0)
FAR = (500.0, 400.0, 640.0, 480.0)


@pytest.mark.parametrize(
    ("false", "confirmed", "expected"),
    [
        ([0.3, 0.4], [0.9], None),  # too few false alarms to say anything
        ([0.3, 0.4, 0.5], [0.9, 0.95], (0.51, 3, 0)),
        ([0.3, 0.4, 0.5], [0.35, 0.9, 0.95], (0.31, 1, 0)),  # higher ones would lose a third of confirmed
        ([0.3, 0.4, 0.8], [0.5] + [0.9] * 9, (0.81, 3, 1)),  # losing 1 of 10 confirmed is allowed
    ],
)
def test_threshold(
    false: list[float], confirmed: list[float], expected: tuple[float, int, int] | None
) -> None:
    found = threshold_suggestion(false, confirmed)
    got = None if found is None else (found.threshold, found.false_alarms_removed, found.confirmed_removed)
    assert got == expected


def test_a_mask_is_suggested_where_false_alarms_cluster_and_confirmed_do_not() -> None:
    found = mask_suggestion([CORNER] * 4 + [FAR], [FAR] * 3)
    assert found is not None
    assert found.region == (0, 0, 213, 160)
    assert (found.false_alarms_inside, found.confirmed_inside) == (4, 0)


@pytest.mark.parametrize(
    ("false", "confirmed"),
    [([CORNER] * 4, [CORNER] * 2 + [FAR] * 2), ([CORNER, CORNER, FAR, FAR], [FAR]), ([CORNER] * 2, [FAR])],
)
def test_no_mask_where_confirmed_alerts_are_too_or_nothing_clusters(
    false: list[tuple[float, ...]], confirmed: list[tuple[float, ...]]
) -> None:
    assert mask_suggestion(false, confirmed) is None  # type: ignore[arg-type]
