"""Prompt slots, circle rounds, parsing and the clock.

The property tests draw dates biased towards each zone's DST transition days, because uniformly
random dates almost never hit the two days a year where local time is interesting.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.cadence import (
    QUIET_MAX,
    QUIET_TOO_LONG_MESSAGE,
    TIME_FORMAT_MESSAGE,
    ZONE_MESSAGE,
    QuietHours,
    Slot,
    format_hhmm,
    is_cadence_day,
    is_round_day,
    latest_slot_at_or_before,
    local_date,
    local_slot,
    move_out_of_quiet,
    next_round_at,
    next_slot,
    parse_hhmm,
    parse_zone,
    zone_choices,
)
from bot.core.clock import FakeClock, SystemClock
from bot.core.models import Cadence, CircleCadence

UTC = dt.UTC
DAY = dt.timedelta(days=1)
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
APIA = ZoneInfo("Pacific/Apia")

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
FIRST_DAY = dt.date(2020, 1, 1)
LAST_DAY = dt.date(2035, 12, 31)
# Hypothesis wants naive bounds plus a `timezones` strategy; the values it draws are aware.
NAIVE_MIN = dt.datetime(2020, 1, 1)  # noqa: DTZ001
NAIVE_MAX = dt.datetime(2035, 12, 31)  # noqa: DTZ001


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)  # type: ignore[arg-type, misc]


def wall(instant: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


@functools.cache
def transition_days(name: str) -> tuple[dt.date, ...]:
    """Local dates in 2020–2035 on which the zone's UTC offset changes (noon-to-noon)."""
    tz = ZoneInfo(name)
    days: list[dt.date] = []
    day = FIRST_DAY
    previous = dt.datetime.combine(day - DAY, dt.time(12), tz).utcoffset()
    while day <= LAST_DAY:
        offset = dt.datetime.combine(day, dt.time(12), tz).utcoffset()
        if offset != previous:
            days.append(day)
        previous = offset
        day += DAY
    return tuple(days)


@functools.cache
def critical_windows(name: str) -> tuple[tuple[dt.date, dt.time, int], ...]:
    """Per transition day, the skipped or repeated wall-time range as (day, start, minutes)."""
    tz = ZoneInfo(name)
    windows: list[tuple[dt.date, dt.time, int]] = []
    for day in transition_days(name):
        start = dt.datetime.combine(day, dt.time(0), tzinfo=UTC) - dt.timedelta(hours=15)
        steps = [start + i * dt.timedelta(minutes=15) for i in range(54 * 4)]
        for a, b in itertools.pairwise(steps):
            before, after = a.astimezone(tz).utcoffset(), b.astimezone(tz).utcoffset()
            assert before is not None and after is not None
            if before != after:  # `b` is the transition instant
                walls = sorted(
                    [(b + before).replace(tzinfo=None), (b + after).replace(tzinfo=None)]
                )
                minutes = (walls[1] - walls[0]) // dt.timedelta(minutes=1)
                windows.append((walls[0].date(), walls[0].time(), minutes))
                break
    return tuple(windows)


minute_times = st.builds(dt.time, st.integers(0, 23), st.integers(0, 59))
# DST changes happen between midnight and 04:00 in every zone listed; weight that range.
wall_times = st.one_of(minute_times, st.builds(dt.time, st.integers(0, 3), st.integers(0, 59)))


@st.composite
def local_moments(draw: st.DrawFn) -> tuple[ZoneInfo, dt.date, dt.time]:
    """(zone, local date, wall time): a third inside a skipped or repeated range, a third near a
    transition day, a third anywhere — uniform draws almost never meet a DST change."""
    name = draw(st.sampled_from(ZONE_NAMES))
    windows = critical_windows(name)
    mode = draw(st.integers(0, 2))
    if mode == 0 and windows:
        day, start, minutes = draw(st.sampled_from(windows))
        offset = dt.timedelta(minutes=draw(st.integers(0, minutes - 1)))
        return ZoneInfo(name), day, (dt.datetime.combine(day, start) + offset).time()
    if mode == 1 and windows:
        day = draw(st.sampled_from(windows))[0] + draw(st.integers(-1, 1)) * DAY
        return ZoneInfo(name), day, draw(wall_times)
    return ZoneInfo(name), draw(st.dates(FIRST_DAY, LAST_DAY)), draw(wall_times)


cadences = st.sampled_from(list(Cadence))


@st.composite
def quiet_hours(draw: st.DrawFn) -> QuietHours | None:
    """Windows a member can set (at most QUIET_MAX; the maths itself takes any, see test_quiet)."""
    if draw(st.booleans()):
        return None
    start = draw(wall_times)
    end = draw(
        wall_times.filter(
            lambda t: (
                t != start
                and (
                    dt.timedelta(hours=t.hour, minutes=t.minute)
                    - dt.timedelta(hours=start.hour, minutes=start.minute)
                )
                % dt.timedelta(days=1)
                <= QUIET_MAX
            )
        )
    )
    return QuietHours(start, end)


# --- local_slot -----------------------------------------------------------------------------


def scan_oracle(day: dt.date, tz: ZoneInfo) -> functools.partial[dt.datetime | None]:
    """local_slot by brute force: walk UTC in 15-minute steps across the local date.

    Exact for times on a quarter hour, since every offset and transition in the zones tested is
    quarter-hour aligned. Returns a function of the wall time, so one walk serves a whole day.
    """
    start = dt.datetime.combine(day, dt.time(0), tzinfo=UTC) - dt.timedelta(hours=15)
    steps = [start + i * dt.timedelta(minutes=15) for i in range(54 * 4)]
    walls = [wall(u, tz) for u in steps]
    return functools.partial(_oracle_slot, day, tz, steps, walls)


def _oracle_slot(
    day: dt.date, tz: ZoneInfo, steps: list[dt.datetime], walls: list[dt.datetime], at: dt.time
) -> dt.datetime | None:
    target = dt.datetime.combine(day, at)
    hits = [u for u, w in zip(steps, walls, strict=True) if w == target]
    if hits:
        return hits[0]  # first occurrence
    for i in range(len(steps) - 1):
        if walls[i] < target < walls[i + 1]:  # the jump over `target`
            before = steps[i].astimezone(tz).utcoffset()
            assert before is not None
            moved = (target - before).replace(tzinfo=UTC)  # read with the pre-jump offset
            return moved if moved.astimezone(tz).date() == day else None
    raise AssertionError("scan window too small")


def test_local_slot_matches_brute_force_on_every_transition_day() -> None:
    quarter_hours = [dt.time(h, m) for h in range(5) for m in (0, 15, 30, 45)]
    checked = 0
    for name in ZONE_NAMES:
        tz = ZoneInfo(name)
        for day in transition_days(name):
            oracle = scan_oracle(day, tz)
            for at in quarter_hours:
                assert local_slot(day, at, tz) == oracle(at), (name, day, at)
                checked += 1
    assert checked > 1500  # the zones really do have transitions in range


def test_brute_force_agrees_on_the_skipped_samoan_date() -> None:
    oracle = scan_oracle(dt.date(2011, 12, 30), APIA)
    assert oracle(dt.time(10)) is None
    assert local_slot(dt.date(2011, 12, 30), dt.time(10), APIA) is None


@settings(max_examples=300, deadline=None)
@given(local_moments())
def test_local_slot_is_on_its_date_at_its_time_or_pushed_forward_by_the_gap(
    moment: tuple[ZoneInfo, dt.date, dt.time],
) -> None:
    tz, day, at = moment
    slot = local_slot(day, at, tz)
    # No zone in the list skips a date or has a gap across midnight in 2020–2035.
    assert slot is not None
    assert slot.tzinfo is UTC
    assert local_date(slot, tz) == day
    target = dt.datetime.combine(day, at)
    if wall(slot, tz) == target:
        # First occurrence: no earlier instant (DST shifts are ≤ 1 h, quarter-hour aligned)
        # shows the same wall time.
        for k in range(1, 9):
            assert wall(slot - k * dt.timedelta(minutes=15), tz) != target
    else:
        # Nonexistent: moved forward by exactly the size of the offset jump just before it.
        gap = wall(slot, tz) - target
        assert dt.timedelta(0) < gap <= dt.timedelta(hours=1)
        after_offset = slot.astimezone(tz).utcoffset()
        before_offset = (slot - gap).astimezone(tz).utcoffset()
        assert after_offset is not None and before_offset is not None
        assert after_offset - before_offset == gap


@pytest.mark.parametrize(
    ("tz", "day", "at", "expected", "local"),
    [
        # Europe/Berlin spring forward 02:00 → 03:00: 02:30 does not exist, becomes 03:30 CEST.
        (BERLIN, dt.date(2026, 3, 29), dt.time(2, 30), utc(2026, 3, 29, 1, 30), "03:30+0200"),
        # Europe/Berlin fall back 03:00 → 02:00: 02:30 happens twice, the first (CEST) counts.
        (BERLIN, dt.date(2026, 10, 25), dt.time(2, 30), utc(2026, 10, 25, 0, 30), "02:30+0200"),
        (BERLIN, dt.date(2026, 10, 25), dt.time(3, 30), utc(2026, 10, 25, 2, 30), "03:30+0100"),
        (NEW_YORK, dt.date(2026, 3, 8), dt.time(2, 30), utc(2026, 3, 8, 7, 30), "03:30-0400"),
        (NEW_YORK, dt.date(2026, 3, 8), dt.time(3, 0), utc(2026, 3, 8, 7, 0), "03:00-0400"),
        (NEW_YORK, dt.date(2026, 11, 1), dt.time(1, 30), utc(2026, 11, 1, 5, 30), "01:30-0400"),
        # Lord Howe's DST is 30 minutes: 02:15 moves to 02:45.
        (LORD_HOWE, dt.date(2026, 10, 4), dt.time(2, 15), utc(2026, 10, 3, 15, 45), "02:45+1100"),
        (LORD_HOWE, dt.date(2026, 4, 5), dt.time(1, 45), utc(2026, 4, 4, 14, 45), "01:45+1100"),
    ],
)
def test_local_slot_examples(
    tz: ZoneInfo, day: dt.date, at: dt.time, expected: dt.datetime, local: str
) -> None:
    slot = local_slot(day, at, tz)
    assert slot == expected
    assert slot.astimezone(tz).strftime("%H:%M%z") == local


def test_a_skipped_local_date_has_no_slot() -> None:
    # Samoa jumped from 2011-12-29 23:59:59 (-10) straight to 2011-12-31 00:00 (+14).
    assert local_slot(dt.date(2011, 12, 30), dt.time(10), APIA) is None
    assert local_slot(dt.date(2011, 12, 29), dt.time(10), APIA) == utc(2011, 12, 29, 20)
    assert local_slot(dt.date(2011, 12, 31), dt.time(10), APIA) == utc(2011, 12, 30, 20)
    first = next_slot(utc(2011, 12, 29, 21), dt.time(10), APIA, Cadence.DAILY, dt.date(2011, 1, 1))
    assert first == Slot(due=utc(2011, 12, 30, 20), day=dt.date(2011, 12, 31))


# --- cadence ----------------------------------------------------------------------------------


def test_is_cadence_day() -> None:
    anchor = dt.date(2026, 5, 6)  # a Wednesday
    week = [dt.date(2026, 5, 11) + i * DAY for i in range(7)]  # Monday … Sunday
    assert [is_cadence_day(d, Cadence.DAILY, anchor) for d in week] == [True] * 7
    assert [is_cadence_day(d, Cadence.WEEKDAYS, anchor) for d in week] == [True] * 5 + [False] * 2
    assert [is_cadence_day(d, Cadence.WEEKLY, anchor) for d in week] == [
        False,
        False,
        True,
        False,
        False,
        False,
        False,
    ]


def cadence_days(first: dt.date, last: dt.date, cadence: Cadence, anchor: dt.date) -> list[dt.date]:
    days = [first + i * DAY for i in range((last - first).days + 1)]
    return [d for d in days if is_cadence_day(d, cadence, anchor)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    local_moments(),
    cadences,
    st.dates(FIRST_DAY, LAST_DAY),
    quiet_hours(),
    st.integers(0, 24 * 60 - 1),
)
def test_next_slot_walks_every_cadence_day_once_in_order(
    moment: tuple[ZoneInfo, dt.date, dt.time],
    cadence: Cadence,
    anchor: dt.date,
    quiet: QuietHours | None,
    start_minute: int,
) -> None:
    tz, day, at = moment
    after = dt.datetime.combine(day - DAY, dt.time(0), tzinfo=tz) + dt.timedelta(
        minutes=start_minute
    )
    slots: list[Slot] = []
    cursor = after
    for _ in range(6):
        slot = next_slot(cursor, at, tz, cadence, anchor, quiet)
        assert slot.due > cursor  # strictly after
        assert slot.due.tzinfo is UTC
        slots.append(slot)
        cursor = slot.due

    # Strictly increasing, and exactly the cadence days in between, each once.
    assert [s.due for s in slots] == sorted({s.due for s in slots})
    assert [s.day for s in slots] == cadence_days(slots[0].day, slots[-1].day, cadence, anchor)

    for slot in slots:
        base = local_slot(slot.day, at, tz)
        assert base is not None
        assert local_date(base, tz) == slot.day  # the slot belongs to its requested date
        assert slot.due == move_out_of_quiet(base, tz, quiet)
        assert slot.due >= base
        if quiet is not None:
            assert not quiet.contains(slot.due, tz)
            if not quiet.contains(base, tz):
                assert slot.due == base
        else:
            assert slot.due == base

    # Nothing was skipped before the first one: the previous cadence day's slot is not after.
    previous = slots[0].day - DAY
    while not is_cadence_day(previous, cadence, anchor):
        previous -= DAY
    previous_base = local_slot(previous, at, tz)
    assert previous_base is not None
    assert move_out_of_quiet(previous_base, tz, quiet) <= after

    # latest_slot_at_or_before is the inverse: at a slot's due time it finds that slot, a moment
    # earlier it finds the one before.
    for earlier, later in itertools.pairwise(slots):
        assert latest_slot_at_or_before(later.due, at, tz, cadence, anchor, quiet) == later
        tick = later.due - dt.timedelta(microseconds=1)
        assert latest_slot_at_or_before(tick, at, tz, cadence, anchor, quiet) == earlier


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(ZONE_NAMES),
    st.datetimes(NAIVE_MIN, NAIVE_MAX, timezones=st.just(UTC)),
    wall_times,
    cadences,
    quiet_hours(),
)
def test_next_slot_is_never_at_or_before_after(
    name: str, after: dt.datetime, at: dt.time, cadence: Cadence, quiet: QuietHours | None
) -> None:
    tz = ZoneInfo(name)
    slot = next_slot(after, at, tz, cadence, dt.date(2024, 1, 3), quiet)
    assert after < slot.due <= after + dt.timedelta(days=8, hours=2)
    latest = latest_slot_at_or_before(after, at, tz, cadence, dt.date(2024, 1, 3), quiet)
    assert latest is not None
    assert latest.due <= after
    assert next_slot(latest.due, at, tz, cadence, dt.date(2024, 1, 3), quiet) == slot


def test_next_slot_accepts_any_aware_zone_for_after() -> None:
    in_berlin = dt.datetime(2026, 5, 11, 9, 0, tzinfo=BERLIN)
    slot = next_slot(in_berlin, dt.time(19, 30), NEW_YORK, Cadence.DAILY, dt.date(2026, 1, 1))
    assert slot == Slot(due=utc(2026, 5, 11, 23, 30), day=dt.date(2026, 5, 11))


def test_weekdays_skip_the_weekend() -> None:
    friday = next_slot(
        utc(2026, 5, 15, 12), dt.time(19, 30), BERLIN, Cadence.WEEKDAYS, dt.date(2026, 1, 1)
    )
    assert friday == Slot(due=utc(2026, 5, 15, 17, 30), day=dt.date(2026, 5, 15))
    monday = next_slot(friday.due, dt.time(19, 30), BERLIN, Cadence.WEEKDAYS, dt.date(2026, 1, 1))
    assert monday == Slot(due=utc(2026, 5, 18, 17, 30), day=dt.date(2026, 5, 18))


def test_weekly_follows_the_anchor_weekday() -> None:
    anchor = dt.date(2026, 3, 4)  # Wednesday
    first = next_slot(utc(2026, 3, 20), dt.time(8), NEW_YORK, Cadence.WEEKLY, anchor)
    assert first.day == dt.date(2026, 3, 25)
    assert first.due == utc(2026, 3, 25, 12)  # EDT by now
    second = next_slot(first.due, dt.time(8), NEW_YORK, Cadence.WEEKLY, anchor)
    assert second.day == dt.date(2026, 4, 1)
    # The slot on the anchor date itself counts, if it is still ahead.
    on_anchor = next_slot(utc(2026, 3, 4, 12), dt.time(8), NEW_YORK, Cadence.WEEKLY, anchor)
    assert on_anchor == Slot(due=utc(2026, 3, 4, 13), day=anchor)


def test_fall_back_gives_one_slot_at_the_first_occurrence() -> None:
    slots = [next_slot(utc(2026, 10, 24, 12), dt.time(2, 30), BERLIN, Cadence.DAILY, FIRST_DAY)]
    for _ in range(2):
        slots.append(next_slot(slots[-1].due, dt.time(2, 30), BERLIN, Cadence.DAILY, FIRST_DAY))
    assert [s.day for s in slots] == [dt.date(2026, 10, 25 + i) for i in range(3)]
    assert [s.due for s in slots] == [
        utc(2026, 10, 25, 0, 30),  # 02:30 CEST, not again at 02:30 CET
        utc(2026, 10, 26, 1, 30),
        utc(2026, 10, 27, 1, 30),
    ]


def test_quiet_hours_move_a_slot_past_midnight_but_it_keeps_its_date() -> None:
    quiet = QuietHours(dt.time(22), dt.time(7))
    slot = next_slot(utc(2026, 5, 11, 12), dt.time(23), BERLIN, Cadence.DAILY, FIRST_DAY, quiet)
    assert slot == Slot(due=utc(2026, 5, 12, 5), day=dt.date(2026, 5, 11))  # 07:00 CEST next day
    following = next_slot(slot.due, dt.time(23), BERLIN, Cadence.DAILY, FIRST_DAY, quiet)
    assert following == Slot(due=utc(2026, 5, 13, 5), day=dt.date(2026, 5, 12))


def test_latest_slot_coalesces_missed_slots() -> None:
    # Down for three days: only the most recent slot is reported, with its own date and time.
    now = utc(2026, 5, 14, 6)  # 08:00 in Berlin
    latest = latest_slot_at_or_before(now, dt.time(9), BERLIN, Cadence.DAILY, FIRST_DAY)
    assert latest == Slot(due=utc(2026, 5, 13, 7), day=dt.date(2026, 5, 13))
    assert now - latest.due > dt.timedelta(hours=3)  # the caller will skip this one


def test_latest_slot_looks_back_about_a_week_only() -> None:
    anchor = dt.date(2026, 5, 13)  # Wednesday
    now = utc(2026, 5, 12, 12)
    weekly = latest_slot_at_or_before(now, dt.time(9), BERLIN, Cadence.WEEKLY, anchor)
    assert weekly == Slot(due=utc(2026, 5, 6, 7), day=dt.date(2026, 5, 6))
    # Across a skipped date there can be nothing in the window.
    apia_anchor = dt.date(2011, 12, 30)
    assert (
        latest_slot_at_or_before(utc(2012, 1, 5), dt.time(10), APIA, Cadence.WEEKLY, apia_anchor)
        is None
    )
    assert (
        latest_slot_at_or_before(utc(2011, 12, 31), dt.time(10), APIA, Cadence.WEEKLY, apia_anchor)
        is not None
    )


# --- circle rounds ----------------------------------------------------------------------------


def test_weekly_rounds() -> None:
    anchor = dt.date(2026, 5, 4)
    after = utc(2026, 5, 6)
    first = next_round_at(after, CircleCadence.WEEKLY, 4, dt.time(18), BERLIN, anchor)
    assert first == utc(2026, 5, 8, 16)  # Friday 18:00 CEST
    second = next_round_at(first, CircleCadence.WEEKLY, 4, dt.time(18), BERLIN, anchor)
    assert second == utc(2026, 5, 15, 16)


def test_biweekly_rounds_alternate_weeks_from_the_anchor_week() -> None:
    anchor = dt.date(2026, 5, 6)  # Wednesday; its week (from Monday 4 May) is week 0
    rounds = [next_round_at(utc(2026, 5, 1), CircleCadence.BIWEEKLY, 0, dt.time(9), BERLIN, anchor)]
    for _ in range(3):
        rounds.append(
            next_round_at(rounds[-1], CircleCadence.BIWEEKLY, 0, dt.time(9), BERLIN, anchor)
        )
    assert [local_date(r, BERLIN) for r in rounds] == [
        dt.date(2026, 5, 4),
        dt.date(2026, 5, 18),
        dt.date(2026, 6, 1),
        dt.date(2026, 6, 15),
    ]
    # Weeks before the anchor alternate the same way.
    assert is_round_day(dt.date(2026, 4, 20), CircleCadence.BIWEEKLY, 0, anchor)
    assert not is_round_day(dt.date(2026, 4, 27), CircleCadence.BIWEEKLY, 0, anchor)
    assert not is_round_day(dt.date(2026, 5, 5), CircleCadence.BIWEEKLY, 0, anchor)


def test_rounds_cross_dst_at_local_time() -> None:
    anchor = dt.date(2026, 3, 2)
    before = next_round_at(
        utc(2026, 3, 20), CircleCadence.WEEKLY, 6, dt.time(2, 30), BERLIN, anchor
    )
    assert before == utc(2026, 3, 22, 1, 30)  # 02:30 CET
    gap = next_round_at(before, CircleCadence.WEEKLY, 6, dt.time(2, 30), BERLIN, anchor)
    assert gap == utc(2026, 3, 29, 1, 30)  # 02:30 does not exist: 03:30 CEST


@settings(max_examples=100, deadline=None)
@given(
    local_moments(),
    st.sampled_from(list(CircleCadence)),
    st.integers(0, 6),
    st.dates(FIRST_DAY, LAST_DAY),
)
def test_rounds_land_on_their_weekday_spaced_by_their_cadence(
    moment: tuple[ZoneInfo, dt.date, dt.time],
    cadence: CircleCadence,
    weekday: int,
    anchor: dt.date,
) -> None:
    tz, day, at = moment
    after = dt.datetime.combine(day, dt.time(12), tzinfo=UTC)
    rounds = [next_round_at(after, cadence, weekday, at, tz, anchor)]
    rounds.append(next_round_at(rounds[-1], cadence, weekday, at, tz, anchor))
    assert after < rounds[0] < rounds[1]
    days = [local_date(r, tz) for r in rounds]
    assert all(d.weekday() == weekday for d in days)
    assert all(is_round_day(d, cadence, weekday, anchor) for d in days)
    step = 7 if cadence is CircleCadence.WEEKLY else 14
    assert (days[1] - days[0]).days == step
    assert days[0] - local_date(after, tz) <= dt.timedelta(days=step)


# --- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19:30", dt.time(19, 30)),
        ("00:00", dt.time(0, 0)),
        ("23:59", dt.time(23, 59)),
        ("7:05", dt.time(7, 5)),
        ("07:05", dt.time(7, 5)),
        (" 08:15 ", dt.time(8, 15)),
        ("19:30\n", dt.time(19, 30)),
    ],
)
def test_parse_hhmm_accepts(text: str, expected: dt.time) -> None:
    assert parse_hhmm(text) == expected
    assert parse_hhmm(format_hhmm(expected)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "noon",
        "24:00",
        "12:60",
        "25:00",
        "7:5",
        "007:00",
        "19.30",
        "1930",
        "19:30:00",
        "19:30 pm",
        "-1:00",
        "+7:00",
        "19 : 30",
        "19:3O",
        "\u0661\u0669:\u0663\u0660",  # Arabic-Indic digits "١٩:٣٠"
        "\uff11\uff19:\uff13\uff10",  # fullwidth "１９：３０" digits
        "19\uff1a30",  # fullwidth colon
        "9" * 10_000,
    ],
)
def test_parse_hhmm_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"24-hour HH:MM") as info:
        parse_hhmm(text)
    assert str(info.value) == TIME_FORMAT_MESSAGE


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        (" America/Sao_Paulo ", "America/Sao_Paulo"),
        ("UTC", "UTC"),
        ("Pacific/Chatham", "Pacific/Chatham"),
    ],
)
def test_parse_zone_accepts(name: str, key: str) -> None:
    assert parse_zone(name) == ZoneInfo(key)
    assert parse_zone(name).key == key


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "Mars/Olympus_Mons",
        "Europe/Berlin/",
        "Europe//Berlin",
        "Europe",
        "../../etc/passwd",
        "/usr/share/zoneinfo/Europe/Berlin",
        "Europe/../Europe/Berlin",
        "..",
        "localtime",
        "posixrules",
        "Factory",
        "Europe/Berlin\x00",
        "A" * 10_000,
        "UTC+2",
    ],
)
def test_parse_zone_rejects(name: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_zone(name)
    assert str(info.value) == ZONE_MESSAGE


def test_zone_choices_ranking() -> None:
    assert zone_choices("berlin")[0] == "Europe/Berlin"
    assert zone_choices("New York")[0] == "America/New_York"
    europe = zone_choices("europe/", limit=10)
    assert len(europe) == 10
    assert all(name.startswith("Europe/") for name in europe)
    assert zone_choices("utc")[:2] == ["UTC", "Etc/UTC"]  # exact name, then exact city
    # A city prefix beats a match in the middle of a name ("Asia/Kolkata" has no "par").
    assert zone_choices("par")[:2] == ["America/Paramaribo", "Europe/Paris"]
    assert zone_choices("kolk") == ["Asia/Kolkata"]
    # Region/City names come before legacy aliases without a slash.
    chat = zone_choices("chat")
    assert chat.index("Pacific/Chatham") < chat.index("NZ-CHAT")


def test_zone_choices_edges() -> None:
    empty = zone_choices("")
    assert empty[0] == "UTC"
    assert len(empty) == 25
    assert len(zone_choices("a")) == 25
    assert zone_choices("a", limit=3) == zone_choices("a")[:3]
    assert zone_choices("x", limit=0) == []
    assert zone_choices("../etc") == []
    assert zone_choices("no such place") == []
    assert zone_choices("z" * 5000) == []
    assert "localtime" not in zone_choices("local")
    every_choice_parses = {parse_zone(n).key for n in zone_choices("america/")}
    assert len(every_choice_parses) == 25


# --- naive datetimes and bad arguments --------------------------------------------------------

NAIVE = dt.datetime(2026, 5, 11, 12)  # noqa: DTZ001 - deliberately naive, must be rejected


def test_naive_datetimes_are_rejected_everywhere() -> None:
    calls: list[Callable[[], object]] = [
        lambda: local_date(NAIVE, BERLIN),
        lambda: next_slot(NAIVE, dt.time(9), BERLIN, Cadence.DAILY, FIRST_DAY),
        lambda: latest_slot_at_or_before(NAIVE, dt.time(9), BERLIN, Cadence.DAILY, FIRST_DAY),
        lambda: next_round_at(NAIVE, CircleCadence.WEEKLY, 0, dt.time(9), BERLIN, FIRST_DAY),
        lambda: move_out_of_quiet(NAIVE, BERLIN, QuietHours(dt.time(22), dt.time(7))),
        lambda: move_out_of_quiet(NAIVE, BERLIN, None),
        lambda: QuietHours(dt.time(22), dt.time(7)).contains(NAIVE, BERLIN),
        lambda: FakeClock(NAIVE),
        lambda: FakeClock(utc(2026, 1, 1)).set(NAIVE),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="timezone-aware"):
            call()


def test_wall_times_must_not_carry_a_zone() -> None:
    aware_time = dt.time(9, tzinfo=UTC)
    with pytest.raises(ValueError, match="without tzinfo"):
        local_slot(dt.date(2026, 1, 1), aware_time, BERLIN)
    with pytest.raises(ValueError, match="without tzinfo"):
        next_slot(utc(2026, 1, 1), aware_time, BERLIN, Cadence.DAILY, FIRST_DAY)
    with pytest.raises(ValueError, match="without tzinfo"):
        QuietHours(aware_time, dt.time(7))


@pytest.mark.parametrize("weekday", [-1, 7, 100])
def test_round_weekday_out_of_range(weekday: int) -> None:
    with pytest.raises(ValueError, match="weekday"):
        next_round_at(utc(2026, 1, 1), CircleCadence.WEEKLY, weekday, dt.time(9), BERLIN, FIRST_DAY)


# --- clock ------------------------------------------------------------------------------------


def test_system_clock_is_utc_aware() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert now.year >= 2024


def test_fake_clock() -> None:
    clock = FakeClock(dt.datetime(2026, 3, 29, 3, 0, tzinfo=BERLIN))
    assert clock.now() == utc(2026, 3, 29, 1)
    assert clock.now().tzinfo is UTC
    assert clock.advance(dt.timedelta(minutes=90)) == utc(2026, 3, 29, 2, 30)
    assert clock.now() == utc(2026, 3, 29, 2, 30)
    clock.set(utc(2020, 1, 1))
    assert clock.now() == utc(2020, 1, 1)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(dt.timedelta(seconds=-1))


def test_quiet_hours_leave_some_open_time_each_day() -> None:
    assert QuietHours(dt.time(2), dt.time(22)).length == QUIET_MAX
    assert QuietHours(dt.time(2), dt.time(22)).allows_a_slot_each_day
    assert not QuietHours(dt.time(2, 1), dt.time(2, 0)).allows_a_slot_each_day
    assert QUIET_TOO_LONG_MESSAGE.startswith("Quiet hours can be up to 20 hours")


def test_the_dst_gap_day_keeps_its_own_slot_under_the_longest_quiet_hours() -> None:
    # Berlin skips 02:00-03:00 on 2020-03-29; quiet 06:00-02:00 leaves 02:00-06:00 open.
    berlin = ZoneInfo("Europe/Berlin")
    quiet = QuietHours(dt.time(6), dt.time(2))
    after = dt.datetime(2020, 3, 28, 12, 0, tzinfo=berlin)
    days = []
    for _ in range(3):
        slot = next_slot(after, dt.time(2), berlin, Cadence.DAILY, dt.date(2020, 1, 1), quiet)
        days.append(slot.day)
        after = slot.due
    assert days == [dt.date(2020, 3, 29), dt.date(2020, 3, 30), dt.date(2020, 3, 31)]
