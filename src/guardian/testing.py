"""Public test kit for code built on Guardian: a clock you can set and advance, and a hypothesis
strategy for the JSON values an intent accepts (hypothesis is needed only for that one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from guardian.core.clock import iso_utc
from guardian.core.intent import MAX_SAFE_INTEGER

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy


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


def json_values(
    *, width: int = 3, max_leaves: int = 8, text_size: int | None = None
) -> SearchStrategy[Any]:
    """Hypothesis strategy: nested JSON values as intents take them (exact integers, finite floats),
    lists and objects up to `width` items, strings and keys up to `text_size` characters."""
    from hypothesis import strategies as st

    text = st.text(max_size=text_size)
    scalars = (
        st.none() | st.booleans() | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER) | text
        | st.floats(allow_nan=False, allow_infinity=False)
    )  # fmt: skip
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=width) | st.dictionaries(text, inner, max_size=width)
        ),
        max_leaves=max_leaves,
    )
