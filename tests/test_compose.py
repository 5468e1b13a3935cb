"""The composition root builds the graph docs/internals.md describes, and only builds it."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.compose import build_services
from bot.core.clock import FakeClock
from bot.core.models import Library
from bot.delivery.port import Sent
from bot.storage import closeness as store_closeness
from bot.storage.sqlite import SqliteDatabase
from bot.ui.payload import MessagePayload

ROOT = Path(__file__).resolve().parents[1] / "bot" / "compose.py"


class NoDiscord:
    async def open_dm(self, user_id: int) -> int:
        raise AssertionError("nothing is sent here")

    async def send(self, channel_id: int, message: MessagePayload, nonce: str) -> Sent:
        raise AssertionError("nothing is sent here")


async def test_the_producers_run_in_the_declared_order(tmp_path: Path) -> None:
    db = await SqliteDatabase.open(tmp_path / "closer.db")
    try:
        services = build_services(
            db,
            Library((), ()),
            zone="UTC",
            nudge_after=timedelta(hours=20),
            clock=FakeClock(datetime(2026, 3, 2, tzinfo=UTC)),
            wake=lambda: None,
            port=NoDiscord(),
        )
        assert [p.__qualname__ for p in services.outbox.producers] == [
            "CircleService.form_due_rounds",
            "PausesEnding.resume_due",
            "Materialiser.materialise",
            "GuildService.purge_due",
            "FollowUps.checkins",
            "FollowUps.nudges",
            "FollowUps.pace_defaults",
            "ChallengeService.tick",
            "Closeness.schedule",
        ]
        assert services.outbox.producers == services.producers
        assert set(services.outbox.before_send) == {store_closeness.KIND}
        # The seams: what runs inside the producer and after a reveal.
        assert services.materialiser.weeks is services.challenges
        assert services.materialiser.quiet is services.followups
        assert services.answers.after_reveal == services.followups.offer_deeper
        sharing = (services.followups, services.answers, services.challenges, services.pairs)
        assert all(s.prompting is services.prompting for s in sharing)
    finally:
        await db.close()


def test_the_root_only_constructs() -> None:
    """Nothing is assigned onto a service after it is built, nor appended to a list of one."""
    tree = ast.parse(ROOT.read_text())
    wiring = [
        ast.unparse(node)
        for node in ast.walk(tree)
        if (
            isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign)
            and any(
                isinstance(t, ast.Attribute | ast.Subscript)
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            )
        )
        or (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("append", "insert", "extend", "update", "setdefault")
        )
    ]
    assert wiring == []
