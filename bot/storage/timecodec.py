"""How instants are written to SQLite: fixed-width UTC text, so text order is time order."""

from __future__ import annotations

from datetime import UTC, datetime


def to_db(instant: datetime) -> str:
    if instant.tzinfo is None:
        raise ValueError("naive datetime given to storage")
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def from_db(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"stored time without offset: {text!r}")
    return value.astimezone(UTC)
