"""Where one delivery row stands, for a command waiting to tell a member what became of it.

A command may queue a DM and want its outcome within the same interaction (an invite: the
inviter hears at once when the invitee's DMs are closed). The row may be sent by this process,
by this process's regular tick, or by the sending process on another host, so the outcome is
read from the row itself rather than from whoever happened to claim it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.models import DeliveryStatus
from bot.storage.db import Database
from bot.storage.timecodec import from_db


@dataclass(frozen=True, slots=True)
class DeliveryState:
    status: DeliveryStatus
    due_at: datetime
    message_id: int | None
    last_error: str | None
    # The recipient is marked as not accepting DMs from us (Discord's 50007).
    unreachable: bool


async def delivery_state(db: Database, delivery_id: int) -> DeliveryState | None:
    """The row as it stands now; None when it no longer exists (forgotten, purged)."""
    row = await db.fetchone(
        "SELECT d.status, d.due_at, d.message_id, d.last_error, "
        "m.unreachable_since IS NOT NULL AS unreachable "
        "FROM deliveries AS d LEFT JOIN members AS m ON m.user_id = d.user_id "
        "WHERE d.id = ?",
        (delivery_id,),
    )
    if row is None:
        return None
    return DeliveryState(
        status=DeliveryStatus(row["status"]),
        due_at=from_db(row["due_at"]),
        message_id=int(row["message_id"]) if row["message_id"] is not None else None,
        last_error=row["last_error"],
        unreachable=bool(row["unreachable"]),
    )
