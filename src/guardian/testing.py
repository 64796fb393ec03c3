"""Public test kit: a clock you can set and advance, for tests of code built on Guardian."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from guardian.core.clock import iso_utc


class FakeClock:
    """A clock that moves only when told to; starts at a fixed instant."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._monotonic = 1000.0

    def now(self) -> datetime:
        return self._now

    def now_iso(self) -> str:
        return iso_utc(self._now)

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._monotonic += seconds

    def set(self, moment: datetime) -> None:
        self._now = moment
