"""Times taken from requests: zone-less filter times, and the ends of the calendar."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def filter_time(value: datetime | None, zone: tzinfo) -> datetime | None:
    """A filter time in UTC: a time without a zone is read in `zone` (the centre's); a time that
    leaves the calendar when converted to UTC is clamped to its first or last instant.

    Example:
        >>> from zoneinfo import ZoneInfo
        >>> filter_time(datetime(2026, 11, 28), ZoneInfo("Asia/Shanghai")).isoformat()
        '2026-11-27T16:00:00+00:00'
    """
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=zone)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return EARLIEST if value.year == 1 else LATEST
