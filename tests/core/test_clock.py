from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from guardian.core.clock import SystemClock, iso_utc, parse_iso_utc


def test_iso_utc_round_trips_with_z_and_microseconds() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=2)))
    text = iso_utc(moment)
    assert text == "2026-01-02T01:04:05.000006Z"
    assert parse_iso_utc(text) == moment


def test_system_clock_fast_iso_agrees_with_now() -> None:
    clock = SystemClock()
    before = clock.now()
    text = clock.now_iso()
    after = clock.now()
    assert text.endswith("Z") and len(text) == 27
    assert before - timedelta(seconds=1) <= parse_iso_utc(text) <= after + timedelta(seconds=1)


zones = st.integers(-23 * 60, 23 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(
    moment=st.datetimes(
        min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 30),
        timezones=st.none() | st.just(UTC) | zones,
    )
)  # fmt: skip
def test_iso_utc_is_isoformat_of_the_utc_moment(moment: datetime) -> None:
    reference = moment if moment.utcoffset() == timedelta(0) else moment.astimezone(UTC)
    expected = reference.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    assert iso_utc(moment) == expected
