"""`gridwatch doctor`: what a box or a centre needs, checked, with the command that fixes each problem.

Each check is a small function returning a `Check` (ok, warn, fail or skip, what was found, the fix).
`machine` checks this computer (Python, packages, execution providers, models), `centre` a centre's
database and config, `box` an edge config (cameras, broker, centre API and token, disk).
"""

from gridwatch.doctor.check import Check, Status

__all__ = ["Check", "Status"]
