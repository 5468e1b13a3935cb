"""The one place that reads the real time.

Everything else takes `now` as an argument (or a `Clock`), so tests can drive time explicitly and
no code path ever sees a naive datetime.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

__all__ = ["Clock", "FakeClock", "SystemClock"]


def _as_utc(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    return value.astimezone(dt.UTC)


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, UTC-aware."""
        ...


class SystemClock:
    """The wall clock of the machine, always UTC-aware."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FakeClock:
    """A clock that only moves when told to; for tests and simulations."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = _as_utc(start, "start")

    def now(self) -> dt.datetime:
        return self._now

    def set(self, when: dt.datetime) -> None:
        """Jump to any instant, including backwards (e.g. to replay a scenario)."""
        self._now = _as_utc(when, "when")

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move forward by `delta` and return the new time. Backwards needs an explicit `set()`."""
        if delta < dt.timedelta(0):
            raise ValueError("FakeClock.advance() only moves forward; use set() to go back")
        self._now += delta
        return self._now
