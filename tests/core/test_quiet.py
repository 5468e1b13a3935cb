"""Quiet hours: a daily local window that prompts are moved out of."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.cadence import QUIET_EQUAL_MESSAGE, QuietHours, local_date, move_out_of_quiet

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
NIGHT = QuietHours(dt.time(22), dt.time(7))  # wraps midnight
LUNCH = QuietHours(dt.time(12), dt.time(13, 30))

ZONE_NAMES = (
    "Europe/Berlin",
    "America/New_York",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "Pacific/Apia",
    "America/St_Johns",
    "UTC",
)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)  # type: ignore[arg-type, misc]


def local(tz: ZoneInfo, *args: int, fold: int = 0) -> dt.datetime:
    return dt.datetime(*args, tzinfo=tz, fold=fold)  # type: ignore[arg-type, misc]


@pytest.mark.parametrize(
    ("quiet", "wall", "inside"),
    [
        (NIGHT, dt.time(21, 59, 59), False),
        (NIGHT, dt.time(22), True),  # start is inside
        (NIGHT, dt.time(23, 59), True),
        (NIGHT, dt.time(0), True),
        (NIGHT, dt.time(6, 59, 59), True),
        (NIGHT, dt.time(7), False),  # end is outside
        (NIGHT, dt.time(12), False),
        (LUNCH, dt.time(11, 59), False),
        (LUNCH, dt.time(12), True),
        (LUNCH, dt.time(13, 29), True),
        (LUNCH, dt.time(13, 30), False),
        (LUNCH, dt.time(0), False),
    ],
)
def test_contains_wall(quiet: QuietHours, wall: dt.time, inside: bool) -> None:
    assert quiet.contains_wall(wall) is inside


def test_contains_reads_the_members_wall_clock() -> None:
    instant = utc(2026, 5, 11, 21)  # 23:00 in Berlin, 17:00 in New York
    assert NIGHT.contains(instant, BERLIN)
    assert not NIGHT.contains(instant, NEW_YORK)
    assert NIGHT.wraps_midnight
    assert not LUNCH.wraps_midnight


def test_equal_start_and_end_is_rejected() -> None:
    with pytest.raises(ValueError) as info:
        QuietHours(dt.time(22), dt.time(22))
    assert str(info.value) == QUIET_EQUAL_MESSAGE


def test_outside_quiet_hours_nothing_moves() -> None:
    instant = local(BERLIN, 2026, 5, 11, 19, 30)
    moved = move_out_of_quiet(instant, BERLIN, NIGHT)
    assert moved == instant
    assert moved.tzinfo is UTC
    assert move_out_of_quiet(instant, BERLIN, None) == instant


def test_evening_part_of_a_wrapping_window_moves_to_next_morning() -> None:
    moved = move_out_of_quiet(local(BERLIN, 2026, 5, 11, 23), BERLIN, NIGHT)
    assert moved == local(BERLIN, 2026, 5, 12, 7)
    assert local_date(moved, BERLIN) == dt.date(2026, 5, 12)


def test_morning_part_of_a_wrapping_window_moves_to_same_morning() -> None:
    moved = move_out_of_quiet(local(BERLIN, 2026, 5, 12, 5, 45), BERLIN, NIGHT)
    assert moved == local(BERLIN, 2026, 5, 12, 7)


def test_non_wrapping_window() -> None:
    assert move_out_of_quiet(local(NEW_YORK, 2026, 1, 5, 12, 10), NEW_YORK, LUNCH) == local(
        NEW_YORK, 2026, 1, 5, 13, 30
    )


def test_end_in_a_spring_forward_gap_moves_forward_by_the_gap() -> None:
    quiet = QuietHours(dt.time(22), dt.time(2, 30))
    # 23:00 CET on 28 March; 02:30 on 29 March does not exist in Berlin → 03:30 CEST.
    moved = move_out_of_quiet(local(BERLIN, 2026, 3, 28, 23), BERLIN, quiet)
    assert moved == utc(2026, 3, 29, 1, 30)
    assert moved.astimezone(BERLIN).strftime("%H:%M%z") == "03:30+0200"
    assert not quiet.contains(moved, BERLIN)


def test_end_in_a_thirty_minute_gap() -> None:
    quiet = QuietHours(dt.time(1), dt.time(2, 10))
    # Lord Howe springs from 02:00 to 02:30 on 4 October 2026.
    moved = move_out_of_quiet(local(LORD_HOWE, 2026, 10, 4, 1, 30), LORD_HOWE, quiet)
    assert moved.astimezone(LORD_HOWE).strftime("%H:%M%z") == "02:40+1100"


def test_end_in_a_fall_back_repeat() -> None:
    quiet = QuietHours(dt.time(22), dt.time(2, 30))
    # Before the repeat: the first 02:30 (CEST).
    first = move_out_of_quiet(local(BERLIN, 2026, 10, 24, 23), BERLIN, quiet)
    assert first == utc(2026, 10, 25, 0, 30)
    # Inside the repeated hour, past the first 02:30: the second 02:30 (CET), never backwards.
    # (Compared in UTC: PEP 495 makes a cross-zone == with an ambiguous time always False.)
    second_pass = local(BERLIN, 2026, 10, 25, 2, 15, fold=1).astimezone(UTC)
    assert second_pass == utc(2026, 10, 25, 1, 15)
    assert quiet.contains(second_pass, BERLIN)
    assert move_out_of_quiet(second_pass, BERLIN, quiet) == utc(2026, 10, 25, 1, 30)


def test_window_that_spans_a_dst_change_is_longer_or_shorter_in_real_time() -> None:
    quiet = QuietHours(dt.time(22), dt.time(7))
    spring = move_out_of_quiet(local(BERLIN, 2026, 3, 28, 22), BERLIN, quiet)
    assert spring - local(BERLIN, 2026, 3, 28, 22) == dt.timedelta(hours=8)
    autumn = move_out_of_quiet(local(BERLIN, 2026, 10, 24, 22), BERLIN, quiet)
    assert autumn - local(BERLIN, 2026, 10, 24, 22) == dt.timedelta(hours=10)


def test_bad_inputs() -> None:
    naive = dt.datetime(2026, 5, 11, 23)  # noqa: DTZ001 - deliberately naive
    with pytest.raises(ValueError, match="timezone-aware"):
        NIGHT.contains(naive, BERLIN)
    with pytest.raises(ValueError, match="timezone-aware"):
        move_out_of_quiet(naive, BERLIN, NIGHT)
    with pytest.raises(ValueError, match="without tzinfo"):
        QuietHours(dt.time(22), dt.time(7, tzinfo=UTC))


wall_times = st.one_of(
    st.builds(dt.time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
    st.builds(dt.time, st.integers(0, 3), st.integers(0, 59)),
)


@st.composite
def windows(draw: st.DrawFn) -> QuietHours:
    start = draw(wall_times)
    return QuietHours(start, draw(wall_times.filter(lambda t: t != start)))


@st.composite
def instants(draw: st.DrawFn) -> dt.datetime:
    # Half of the draws land within a day of a DST change of the drawn zone's year.
    if draw(st.booleans()):
        # Hypothesis wants naive bounds plus a `timezones` strategy; what it draws is aware.
        lo, hi = dt.datetime(2020, 1, 1), dt.datetime(2035, 12, 31)  # noqa: DTZ001
        return draw(st.datetimes(lo, hi, timezones=st.just(UTC)))
    year = draw(st.integers(2020, 2035))
    anchor = draw(
        st.sampled_from(
            [
                dt.datetime(year, 3, 8, tzinfo=UTC),  # US / Canada
                dt.datetime(year, 3, 29, tzinfo=UTC),  # EU (last Sunday of March, roughly)
                dt.datetime(year, 4, 5, tzinfo=UTC),  # southern hemisphere end
                dt.datetime(year, 9, 28, tzinfo=UTC),  # Chatham / Apia start
                dt.datetime(year, 10, 4, tzinfo=UTC),  # Lord Howe start
                dt.datetime(year, 10, 26, tzinfo=UTC),  # EU end
                dt.datetime(year, 11, 2, tzinfo=UTC),  # US end
            ]
        )
    )
    return anchor + dt.timedelta(minutes=draw(st.integers(-7 * 24 * 60, 7 * 24 * 60)))


@settings(max_examples=250, deadline=None)
@given(st.sampled_from(ZONE_NAMES), windows(), instants())
def test_move_out_of_quiet_properties(name: str, quiet: QuietHours, instant: dt.datetime) -> None:
    tz = ZoneInfo(name)
    moved = move_out_of_quiet(instant, tz, quiet)
    assert moved.tzinfo is UTC
    assert not quiet.contains(moved, tz)
    if quiet.contains(instant, tz):
        # At most a day and an hour, unless a spring-forward gap swallowed the only non-quiet
        # minutes of that day (quiet 02:15–02:00 on a night without 02:00): then the next day's.
        assert instant < moved <= instant + dt.timedelta(hours=49)
        # It is the end of the window: a minute earlier is still quiet, unless the end time did
        # not exist that day and was moved forward by the gap like any other wall time.
        just_before = moved - dt.timedelta(minutes=1)
        moved_wall = moved.astimezone(tz).time()
        assert quiet.contains(just_before, tz) or moved_wall > quiet.end
    else:
        assert moved == instant


def test_an_end_swallowed_by_a_gap_moves_to_the_next_real_end() -> None:
    tz = ZoneInfo("America/New_York")
    quiet = QuietHours(dt.time(2, 15), dt.time(2, 0))
    instant = dt.datetime(2020, 3, 8, 0, 0, tzinfo=UTC)
    moved = move_out_of_quiet(instant, tz, quiet)
    assert not quiet.contains(moved, tz)
    assert moved == dt.datetime(2020, 3, 9, 6, 0, tzinfo=UTC)
