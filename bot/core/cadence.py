"""Local-time arithmetic: prompt slots, quiet hours and circle rounds.

Pure: no I/O and no clock reads; `now`/`after` are always arguments, every datetime taken or
returned is timezone-aware (a naive one raises ValueError) and every returned instant is in UTC.

Local-time rules (see tests/core/test_cadence.py for worked examples):

* A *slot* is the instant a wall time `at` occurs on a local calendar date in the member's zone.
* Nonexistent wall time (spring-forward gap): moved forward by the length of the gap, so 02:30 on
  the Europe/Berlin spring day becomes 03:30 CEST. This is what a person whose clock skipped an
  hour expects ("half an hour after the clock would have said 02:00").
* Repeated wall time (fall-back): the first occurrence (fold=0) only, so a day never gets two
  slots; the delivery key (pair, member, local date) absorbs any double-fire anyway.
* A local date with no usable instant at all has no slot: the day Pacific/Apia skipped
  (2011-12-30), or a gap that runs past midnight so the moved time would land on the next date.
* Quiet hours move a slot to the end of the window (the first instant after it whose wall clock
  reads `end`, moved forward the same way if `end` falls in a gap). The slot keeps its *slot date*
  (`Slot.day`): the local date it was scheduled for, even when quiet hours push it past midnight.
  Use `Slot.day` for delivery keys, never `local_date(slot.due)`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from dataclasses import dataclass
from typing import assert_never
from zoneinfo import ZoneInfo

from bot.core.models import Cadence, CircleCadence

__all__ = [
    "TIME_FORMAT_MESSAGE",
    "TOO_LATE",
    "ZONE_MESSAGE",
    "QuietHours",
    "Slot",
    "format_hhmm",
    "is_cadence_day",
    "is_round_day",
    "latest_slot_at_or_before",
    "local_date",
    "local_slot",
    "move_out_of_quiet",
    "next_round_at",
    "next_slot",
    "parse_hhmm",
    "parse_zone",
    "zone_choices",
]

UTC = dt.UTC
_DAY = dt.timedelta(days=1)

TIME_FORMAT_MESSAGE = "Time must look like 19:30 (24-hour HH:MM)."
ZONE_MESSAGE = "Unknown time zone. Pick one from the list, like Europe/Berlin."
QUIET_EQUAL_MESSAGE = "Quiet hours need different start and end times."
QUIET_MAX = dt.timedelta(hours=20)
# A scheduled DM more than this late (the bot was down, a member's slot passed) is skipped
# rather than arriving at 3 am.
TOO_LATE = dt.timedelta(hours=3)
QUIET_TOO_LONG_MESSAGE = (
    "Quiet hours can be up to 20 hours long, so there's still a little time each day for prompts."
)

# [0-9], not \d: \d also matches Arabic-Indic, fullwidth and other Unicode digits.
_HHMM = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")

# Longest real IANA name is 32 characters; anything much longer is garbage, so refuse it before
# doing any lookups.
_MAX_ZONE_LEN = 64
# Present in some tzdata installs but not places a person lives in: "localtime" is the host's own
# zone, "posixrules" an internal template, "Factory" reports "-00".
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})

# How far next_slot/next_round_at look ahead: the next weekly date can be 14 days away when the
# one in between was skipped (Pacific/Apia 2011), the next biweekly one 28.
_SLOT_SEARCH_DAYS = 17
_ROUND_SEARCH_DAYS = 30
# How many local dates latest_slot_at_or_before looks back: one full weekly cycle plus margin.
_LOOKBACK_DAYS = 8


# --- validation helpers ---------------------------------------------------------------------


def _require_aware(value: dt.datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")


def _require_wall_time(value: dt.time, name: str) -> None:
    # A wall time is interpreted in the member's zone; a tzinfo on it would contradict that.
    if value.tzinfo is not None:
        raise ValueError(f"{name} must be a local wall time without tzinfo, got {value!r}")


# --- parsing --------------------------------------------------------------------------------


def parse_hhmm(text: str) -> dt.time:
    """Parse a 24-hour "HH:MM" (or "H:MM") time; surrounding whitespace is ignored."""
    candidate = text.strip()
    match = _HHMM.fullmatch(candidate)
    if match is None:
        raise ValueError(TIME_FORMAT_MESSAGE)
    return dt.time(int(match[1]), int(match[2]))


def format_hhmm(at: dt.time) -> str:
    """The canonical "HH:MM" form that parse_hhmm accepts back."""
    return f"{at.hour:02d}:{at.minute:02d}"


@functools.cache
def _zone_names() -> tuple[str, ...]:
    # Region/City names first, legacy aliases ("US/Eastern", "EST5EDT", "Japan") after them.
    names = (n for n in zoneinfo.available_timezones() if n not in _NOT_ZONES)
    return tuple(sorted(names, key=lambda n: ("/" not in n, n)))


@functools.cache
def _zone_index() -> dict[str, str]:
    return {name.lower(): name for name in _zone_names()}


def parse_zone(name: str) -> ZoneInfo:
    """Look up an IANA zone by name, case-insensitively; only names tzdata lists are accepted.

    Checking against the list (rather than handing the string to ZoneInfo) also rules out file
    paths such as "../../etc/passwd", which ZoneInfo would otherwise try to open.
    """
    key = name.strip()
    if not key or len(key) > _MAX_ZONE_LEN:
        raise ValueError(ZONE_MESSAGE)
    canonical = _zone_index().get(key.lower())
    if canonical is None:
        raise ValueError(ZONE_MESSAGE)
    try:
        return ZoneInfo(canonical)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:  # broken tzdata install
        raise ValueError(ZONE_MESSAGE) from exc


def zone_choices(query: str, limit: int = 25) -> list[str]:
    """Autocomplete: zone names matching `query`, best first (Discord allows 25 choices).

    Case-insensitive; spaces count as underscores ("new york" finds America/New_York). Ranking:
    exact name, exact city, name prefix, city (or any path segment) prefix, then substring;
    Region/City names before legacy aliases, then alphabetical.
    """
    if limit <= 0:
        return []
    q = query.strip().lower().replace(" ", "_")[:_MAX_ZONE_LEN]
    return list(_zone_choices(q, limit))


@functools.lru_cache(maxsize=1024)
def _zone_choices(q: str, limit: int) -> tuple[str, ...]:
    names = _zone_names()
    if not q:
        return ("UTC", *[n for n in names if n != "UTC"][: limit - 1])
    ranked: list[tuple[int, int, str]] = []
    for order, name in enumerate(names):
        lowered = name.lower()
        if q not in lowered:
            continue
        segments = lowered.split("/")
        if q == lowered:
            rank = 0
        elif q == segments[-1]:
            rank = 1
        elif lowered.startswith(q):
            rank = 2
        elif any(segment.startswith(q) for segment in segments):
            rank = 3
        else:
            rank = 4
        ranked.append((rank, order, name))
    ranked.sort()
    return tuple(name for _, _, name in ranked[:limit])


# --- local wall time --------------------------------------------------------------------------


def local_date(instant: dt.datetime, tz: ZoneInfo) -> dt.date:
    """The calendar date `instant` falls on in `tz`."""
    _require_aware(instant, "instant")
    return instant.astimezone(tz).date()


def _occurrences(day: dt.date, at: dt.time, tz: ZoneInfo) -> list[dt.datetime]:
    """Every UTC instant whose wall clock in `tz` reads `day at`: none (gap), one, or two."""
    naive = dt.datetime.combine(day, at)
    found: list[dt.datetime] = []
    for fold in (0, 1):
        instant = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        # Round-trip check: in a gap neither fold maps back to the same wall time.
        if instant.astimezone(tz).replace(tzinfo=None) == naive and instant not in found:
            found.append(instant)
    return sorted(found)


def _wall_to_utc(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    """First occurrence of `day at`, or, in a gap, that wall time moved forward by the gap."""
    found = _occurrences(day, at, tz)
    if found:
        return found[0]
    naive = dt.datetime.combine(day, at)
    # In a gap the two folds use the offsets before and after the transition; the later instant
    # is the one read with the pre-transition offset, i.e. the wall time pushed forward by the gap.
    # Taking max() avoids depending on which fold zoneinfo assigns to which offset.
    return max(naive.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1))


def local_slot(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime | None:
    """The UTC instant of wall time `at` on local date `day` (gap: forward; repeat: first).

    None when `day` has no such instant: the date was skipped entirely, or `at` sits in a gap
    that runs past midnight so moving it forward would leave the date.
    """
    _require_wall_time(at, "at")
    instant = _wall_to_utc(day, at, tz)
    return instant if instant.astimezone(tz).date() == day else None


# --- quiet hours ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily window [start, end) in the member's local time; wraps midnight when start > end.

    start == end is rejected rather than meaning "none" or "all day": "no quiet hours" is spelled
    `None`, and a window covering the whole day would leave nowhere to move a prompt to. Members
    may set at most `QUIET_MAX` (see `allows_a_slot_each_day`); the maths here takes any window.
    """

    start: dt.time
    end: dt.time

    def __post_init__(self) -> None:
        _require_wall_time(self.start, "start")
        _require_wall_time(self.end, "end")
        if self.start == self.end:
            raise ValueError(QUIET_EQUAL_MESSAGE)

    @property
    def allows_a_slot_each_day(self) -> bool:
        """With less than `24h - QUIET_MAX` open, a day's only open minutes can fall inside a
        daylight-saving gap, and two days' prompts would land on the same instant."""
        return self.length <= QUIET_MAX

    @property
    def length(self) -> dt.timedelta:
        start = dt.timedelta(hours=self.start.hour, minutes=self.start.minute)
        end = dt.timedelta(hours=self.end.hour, minutes=self.end.minute)
        return (end - start) % dt.timedelta(days=1)

    @property
    def wraps_midnight(self) -> bool:
        return self.start > self.end

    def contains_wall(self, wall: dt.time) -> bool:
        """Whether a local wall-clock reading is inside the window."""
        if self.wraps_midnight:
            return wall >= self.start or wall < self.end
        return self.start <= wall < self.end

    def contains(self, instant: dt.datetime, tz: ZoneInfo) -> bool:
        """Whether `instant` is inside the window, read on the wall clock of `tz`."""
        _require_aware(instant, "instant")
        return self.contains_wall(instant.astimezone(tz).time())


def move_out_of_quiet(instant: dt.datetime, tz: ZoneInfo, quiet: QuietHours | None) -> dt.datetime:
    """`instant` (as UTC) if outside quiet hours, else the end of the quiet time it is in (UTC).

    An end pushed forward by a spring-forward gap can land inside the *next* window (quiet
    02:15–02:00 on a night whose 02:00 does not exist): then it moves on to that window's end.
    """
    moved = _end_of_window(instant, tz, quiet)
    for _ in range(3):
        if quiet is None or not quiet.contains(moved, tz):
            return moved
        moved = _end_of_window(moved, tz, quiet)
    return moved


def _end_of_window(instant: dt.datetime, tz: ZoneInfo, quiet: QuietHours | None) -> dt.datetime:
    """`instant` (as UTC) if outside quiet hours, else the end of the window it is in (UTC).

    The end is the first instant after `instant` whose wall clock reads `quiet.end` (so on a
    fall-back night, an instant in the repeated hour moves to the *second* occurrence if the first
    is already past); if `end` falls in a spring-forward gap it moves forward by the gap.
    """
    _require_aware(instant, "instant")
    utc_instant = instant.astimezone(UTC)
    if quiet is None:
        return utc_instant
    local = instant.astimezone(tz)
    wall = local.time()
    if not quiet.contains_wall(wall):
        return utc_instant
    end_day = local.date()
    if quiet.wraps_midnight and wall >= quiet.start:
        end_day += _DAY  # in the evening part of the window: it ends tomorrow morning
    later = [u for u in _occurrences(end_day, quiet.end, tz) if u > utc_instant]
    if later:
        return later[0]
    moved = _wall_to_utc(end_day, quiet.end, tz)
    if moved > utc_instant:
        return moved
    # Unreachable with real tzdata (it would take a gap and a fall-back stacked on the same end
    # time); step forward rather than return an instant that is still quiet.
    step = utc_instant
    for _ in range(24 * 4 + 8):
        step += dt.timedelta(minutes=15)
        if not quiet.contains(step, tz):
            return step
    raise RuntimeError(f"quiet hours {quiet} never end after {instant!r} in {tz}")


# --- prompt cadence ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    """One scheduled prompt for one member.

    `due` is when to send (UTC, already moved out of quiet hours); `day` is the local date in the
    member's zone the slot was scheduled for, kept even when quiet hours push `due` onto the next
    date. `day` is what delivery keys use.
    """

    due: dt.datetime
    day: dt.date


def is_cadence_day(day: dt.date, cadence: Cadence, anchor: dt.date) -> bool:
    """Daily: every date; weekdays: Monday–Friday; weekly: the weekday of `anchor`."""
    match cadence:
        case Cadence.DAILY:
            return True
        case Cadence.WEEKDAYS:
            return day.weekday() < 5
        case Cadence.WEEKLY:
            return day.weekday() == anchor.weekday()
        case _:
            assert_never(cadence)


def _slot_on(
    day: dt.date,
    at: dt.time,
    tz: ZoneInfo,
    cadence: Cadence,
    anchor: dt.date,
    quiet: QuietHours | None,
) -> Slot | None:
    if not is_cadence_day(day, cadence, anchor):
        return None
    instant = local_slot(day, at, tz)
    if instant is None:
        return None
    return Slot(due=move_out_of_quiet(instant, tz, quiet), day=day)


def next_slot(
    after: dt.datetime,
    at: dt.time,
    tz: ZoneInfo,
    cadence: Cadence,
    anchor: dt.date,
    quiet: QuietHours | None = None,
) -> Slot:
    """The first slot whose `due` is strictly after `after`."""
    _require_aware(after, "after")
    _require_wall_time(at, "at")
    # Start a day early: quiet hours can push yesterday's slot past `after` today.
    first_day = local_date(after, tz) - _DAY
    candidates = (
        _slot_on(first_day + i * _DAY, at, tz, cadence, anchor, quiet)
        for i in range(_SLOT_SEARCH_DAYS)
    )
    # min() rather than "first found": robust even if quiet hours ever reordered two dates.
    best = min((s for s in candidates if s is not None and s.due > after), default=None)
    if best is None:  # pragma: no cover - every cadence has a date within the window
        raise RuntimeError(f"no {cadence} slot within {_SLOT_SEARCH_DAYS} days after {after!r}")
    return best


def latest_slot_at_or_before(
    now: dt.datetime,
    at: dt.time,
    tz: ZoneInfo,
    cadence: Cadence,
    anchor: dt.date,
    quiet: QuietHours | None = None,
) -> Slot | None:
    """The most recent slot with `due <= now`, looking back about a week; None if there is none.

    Several missed slots coalesce into this one; the caller decides whether it is too late.
    """
    _require_aware(now, "now")
    _require_wall_time(at, "at")
    today = local_date(now, tz)
    candidates = (
        _slot_on(today - i * _DAY, at, tz, cadence, anchor, quiet)
        for i in range(-1, _LOOKBACK_DAYS + 1)
    )
    return max((s for s in candidates if s is not None and s.due <= now), default=None)


# --- circle rounds ----------------------------------------------------------------------------


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def is_round_day(day: dt.date, cadence: CircleCadence, weekday: int, anchor: dt.date) -> bool:
    """Weekly: every `weekday`; biweekly: `weekday` in even weeks counted from `anchor`'s week."""
    if day.weekday() != weekday:
        return False
    match cadence:
        case CircleCadence.WEEKLY:
            return True
        case CircleCadence.BIWEEKLY:
            # Python's % is non-negative, so dates before the anchor alternate the same way.
            return ((_monday(day) - _monday(anchor)).days // 7) % 2 == 0
        case _:
            assert_never(cadence)


def next_round_at(
    after: dt.datetime,
    cadence: CircleCadence,
    weekday: int,
    at: dt.time,
    tz: ZoneInfo,
    anchor: dt.date,
) -> dt.datetime:
    """When a circle next forms a round: the first round instant strictly after `after` (UTC).

    `weekday` is 0 = Monday … 6 = Sunday in `tz`; the same gap/repeat rules as slots apply, and
    quiet hours do not (a round is a circle event, its prompts then go through next_slot).
    """
    _require_aware(after, "after")
    _require_wall_time(at, "at")
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday!r}")
    start = local_date(after, tz)
    for i in range(_ROUND_SEARCH_DAYS):
        day = start + i * _DAY
        if not is_round_day(day, cadence, weekday, anchor):
            continue
        instant = local_slot(day, at, tz)
        if instant is not None and instant > after:
            return instant
    raise RuntimeError(  # pragma: no cover - a round date always exists within 30 days
        f"no {cadence} round within {_ROUND_SEARCH_DAYS} days after {after!r}"
    )
