"""Time, behind a small protocol so tests and replay can substitute their own clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

_ZERO = timedelta(0)


class Clock(Protocol):
    def now(self) -> datetime: ...

    def now_iso(self) -> str:
        """`iso_utc(self.now())`, which a clock may compute faster."""
        ...

    def monotonic(self) -> float: ...


class SystemClock:
    """Wall-clock UTC time and the process's monotonic clock."""

    def __init__(self) -> None:
        self._cached: tuple[int, str] = (-1, "")

    def now(self) -> datetime:
        return datetime.now(UTC)

    def now_iso(self) -> str:
        # Formatting a datetime costs microseconds on the hot path; the seconds part changes once a
        # second, so it is cached (as a %-template) and only the microseconds are formatted.
        second, fraction = divmod(time.time_ns() // 1000, 1_000_000)
        cached = self._cached  # one tuple, swapped whole, so threads never mix two seconds
        if cached[0] != second:
            stamp = datetime.fromtimestamp(second, UTC).replace(tzinfo=None)
            cached = self._cached = (second, stamp.isoformat(timespec="seconds") + ".%06dZ")
        return cached[1] % fraction

    def monotonic(self) -> float:
        return time.monotonic()


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds and a `Z`, the one timestamp form the ledger uses.

    The fields formatted directly: what `isoformat(timespec="microseconds")` writes of the naive
    moment, at about half the cost (every proposal and grant takes two)."""
    if moment.tzinfo is not UTC and moment.utcoffset() != _ZERO:
        moment = moment.astimezone(UTC)
    return _ISO % (
        moment.year, moment.month, moment.day,
        moment.hour, moment.minute, moment.second, moment.microsecond,
    )  # fmt: skip


_ISO = "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ"


def parse_iso_utc(text: str) -> datetime:
    """Inverse of `iso_utc`; rejects anything that is not a UTC timestamp."""
    if not isinstance(text, str) or not text.endswith("Z"):
        raise ValueError(f"expected an ISO 8601 UTC timestamp ending in 'Z', got {text!r}")
    return datetime.fromisoformat(text[:-1] + "+00:00")


SYSTEM_CLOCK = SystemClock()
