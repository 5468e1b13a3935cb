"""Shared set-up for the answers, follow-up and privacy end-to-end tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app import CloserBot
from bot.core.models import Cadence, Category, Kind, PairKind
from bot.sandbox.driver import Member, Reply, walk_components
from bot.services.schedule import reschedule_pair
from bot.storage import members, pairs
from tests.e2e.harness import Harness

QUESTION = "curiosity.smell-that-takes-you-back"
OTHER_QUESTIONS = (
    "curiosity.first-time-blown-away",
    "curiosity.learned-somewhere-unexpected",
    "curiosity.remembered-grown-up",
    "curiosity.nickname-story",
    "curiosity.month-apprenticeship",
    "curiosity.childhood-food",
    "curiosity.changed-mind-small",
)
ACTIVITY = "tech_free.phones-away-tea"


def running(harness: Harness) -> CloserBot:
    assert harness.bot is not None
    return harness.bot


def labels(reply: Reply) -> set[str]:
    return {str(c.get("label")) for c in walk_components(reply.components) if c.get("type") == 2}


def is_prompt(reply: Reply) -> bool:
    have = labels(reply)
    menu = any(i.startswith("closer:pick:") for i in reply.custom_ids())  # a this-or-that
    return (
        {"Answer", "Skip", "Later"} <= have
        or {"We did it", "Not this time"} <= have
        or (menu and {"Skip", "Later"} <= have)
    )


async def seed_pair(
    harness: Harness,
    people: list[Member],
    *,
    kind: PairKind = PairKind.COUPLE,
    scheduled: bool = False,
    circle_id: int | None = None,
) -> int:
    """A pair (or a trio) made in storage; without `scheduled` it gets no daily prompts, so a
    test that moves the clock sees only what it sent itself."""
    bot = running(harness)
    now = harness.clock.now()
    for m in people:
        await members.upsert_member(bot.db, m.id, m.name, now)
    async with bot.db.transaction() as conn:
        pair_id = await pairs.insert_pair(
            conn,
            guild_id=harness.guild.id,
            kind=kind,
            member_ids=tuple(m.id for m in people),
            local_time="19:00",
            cadence=Cadence.DAILY,
            anchor=now.date(),
            seed=7,
            now=now,
            circle_id=circle_id,
        )
    pair = await pairs.get_pair(bot.db, pair_id)
    assert pair is not None
    if scheduled:
        await reschedule_pair(bot.db, pair, bot.settings.default_timezone, now)
    return pair_id


async def send_prompt(harness: Harness, pair_id: int, prompt_id: str) -> int:
    """Give the pair one specific prompt now (as /prompt now would) and deliver it."""
    bot = running(harness)
    pair = await pairs.get_pair(bot.db, pair_id)
    prompt = bot.library.prompt(prompt_id)
    assert pair is not None and prompt is not None
    instance_id = await bot.services.prompt_commands.deliver(pair, prompt)
    await harness.tick()
    return instance_id


async def answer_by_modal(member: Member, dm: Reply, text: str) -> Reply:
    handle = await member.click(dm, "Answer")
    modal = await handle.modal()
    return await (await member.submit_modal(modal, {"answer": text})).reply()


async def answer_everything(bot: CloserBot, user_id: int, text: str = "Happy to.") -> None:
    """A keen member: answers every open question and does every activity delivered to them."""
    rows = await bot.db.fetchall(
        "SELECT DISTINCT i.id, i.kind FROM prompt_instances i "
        "JOIN instance_members im ON im.instance_id = i.id AND im.user_id = ? "
        "JOIN deliveries d ON d.instance_id = i.id AND d.user_id = ? AND d.kind = 'prompt' "
        "AND d.status = 'sent' WHERE i.status = 'open' AND im.state = 'open'",
        (user_id, user_id),
    )
    for row in rows:
        if row[1] == Kind.ACTIVITY.value:
            await bot.services.answers.activity_outcome(int(row[0]), user_id, True)
        elif row[1] == Kind.PICK.value:
            await bot.services.answers.submit_pick(int(row[0]), user_id, 0, text)
        else:
            await bot.services.answers.submit(int(row[0]), user_id, text, guess=text)


async def only_categories(bot: CloserBot, pair_id: int, keep: set[Category]) -> None:
    for category in Category:
        if category not in keep:
            await pairs.set_topic_muted(bot.db, pair_id, category, muted=True)


def at(day: int, hour: int, minute: int = 0, second: int = 30) -> datetime:
    """Day 0 is the harness's first day (Monday 2026-03-02), times in UTC."""
    from tests.e2e.harness import START

    base = START.replace(hour=0, minute=0, second=0, microsecond=0)
    return base + timedelta(days=day, hours=hour, minutes=minute, seconds=second)
