"""A heartbeat file for container health checks.

The bot touches it on every outbox tick while its gateway connection is up; `python -m bot
health` (the Docker HEALTHCHECK) fails when the file is older than a few tick intervals, i.e.
when the bot has lost Discord or stopped ticking.
"""

from __future__ import annotations

import time
from pathlib import Path

STALE_AFTER_TICKS = 4
MIN_STALE_SECONDS = 90.0


def heartbeat_path(database_path: Path) -> Path:
    return database_path.parent / "heartbeat"


def touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def is_fresh(path: Path, tick_seconds: float, now: float | None = None) -> bool:
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except OSError:
        return False
    return age <= max(MIN_STALE_SECONDS, STALE_AFTER_TICKS * tick_seconds)
