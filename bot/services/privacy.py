"""`/closer export` and `/closer forget`: the member's data, handed over or erased.

The storage layer (`bot.storage.privacy`) decides what is whose; this service adds what the
member and their partners experience: a file to download, and a kind word to anyone whose pair
ended because someone left.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.services.export_files import ExportFiles, package
from bot.storage import outbox as outbox_store
from bot.storage.db import Database, checkpoint
from bot.storage.outbox import NewDelivery
from bot.storage.privacy import EndedPair, ForgetReport, export_user, forget_user_in
from bot.ui import trust

EXPORT_FILENAME = "closer-export.json"


@dataclass(frozen=True, slots=True)
class Export:
    data: bytes
    rows: int


@dataclass
class PrivacyService:
    db: Database
    now: Callable[[], datetime]
    wake: Callable[[], None]

    async def export(self, user_id: int) -> Export:
        """Every row about the member, as UTF-8 JSON (indented: people open this in an editor)."""
        data = await export_user(self.db, user_id, now=self.now())
        rows = sum(len(table) for table in data["tables"].values())
        return Export(json.dumps(data, indent=2, ensure_ascii=False).encode(), rows)

    async def export_files(self, user_id: int, limit: int) -> tuple[Export, ExportFiles]:
        """`export`, as files of at most `limit` bytes each (the interaction's upload limit)."""
        result = await self.export(user_id)
        return result, package(result.data, limit, self.now())

    async def forget(self, user_id: int) -> ForgetReport:
        """Erase the member everywhere, then tell partners of pairs that ended, kindly.

        The notices never name the member, hold their id, or say why: the row would otherwise
        be a trace of them that outlives the erasure. Their dedupe keys use the pair and the
        partner only, so a repeated request cannot queue a second notice.
        """
        now = self.now()
        # One use case, one transaction: the erasure and the partners' notices commit together.
        async with self.db.transaction() as conn:
            report = await forget_user_in(conn, user_id, now)
            notices = [
                NewDelivery(
                    dedupe_key=f"forgotten:{pair.pair_id}:{partner}",
                    kind="notice",
                    due_at=now,
                    user_id=partner,
                    pair_id=pair.pair_id,
                    payload=dict(_notice(pair)),
                )
                for pair in report.ended_pairs
                for partner in pair.partner_ids
            ]
            await outbox_store.insert_deliveries(conn, notices, now)
        if notices:
            self.wake()
        await checkpoint(self.db)
        return report


def _notice(pair: EndedPair) -> trust.MessagePayload:
    return trust.partner_left_message(circle=pair.kind == "circle")
