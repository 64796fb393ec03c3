"""Durations as people write them in policy and on the command line: `90s`, `15m`, `1h`, `30d`."""

from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")


def parse_duration(value: object) -> float:
    """Seconds in `value` (a positive number of seconds, or text like `60s`); ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like '60s' or '1h', got {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    else:
        raise ValueError(f"expected a duration like '60s', '15m', '1h' or '30d', got {value!r}")
    if not seconds > 0 or seconds > 10 * 366 * 86400:
        raise ValueError(f"duration must be positive and at most ten years, got {value!r}")
    return seconds
