"""Great-circle distance between WGS-84 points, for checking a claimed location against a registered one.

Example:
    >>> round(metres_between(118.700, 32.000, 118.701, 32.000))
    94
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG); the haversine error against the ellipsoid stays under 0.5 %."""


def metres_between(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Haversine distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
