"""Services on a real database, a clock that moves only when told, and a stand-in for Discord.

Every test gets its database from the `db` fixture and its services from `services`: the one
place that builds the service graph (as `bot.app.CloserBot._build_services` does), so a change
to how services are composed is adapted here and nowhere else. The stand-in plays Discord's REST
side only; everything on our side of the port is the real code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.compose import build_services as compose
from bot.core.clock import FakeClock
from bot.core.models import Depth, Kind, Library, Prompt, Relationship
from bot.delivery.outbox import Outbox
from bot.delivery.port import Sent, Unreachable
from bot.services.answers import AnswerService
from bot.services.challenges import ChallengeService
from bot.services.circles import CircleService
from bot.services.closeness import Closeness
from bot.services.followups import FollowUps
from bot.services.guilds import GuildService
from bot.services.materialise import Materialiser
from bot.services.members import MemberService
from bot.services.pairs import PairService, Person
from bot.services.privacy import PrivacyService
from bot.services.prompting import PromptCommands, Prompting
from bot.storage.db import Database
from bot.storage.errors import IntegrityError
from bot.storage.pairs import PairRow
from bot.ui.payload import MessagePayload

# A Monday morning in UTC: far from any DST change in the zones the tests use.
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ZONE = "UTC"
NUDGE_AFTER = timedelta(hours=20)
GUILD = 500


class Discord:
    """Discord's REST side of the port: every DM channel opens, every send succeeds, unless the
    member is in `closed_dms` (Discord's 50007)."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, MessagePayload]] = []
        self.closed_dms: set[int] = set()

    async def open_dm(self, user_id: int) -> int:
        if user_id in self.closed_dms:
            raise Unreachable(f"cannot DM {user_id}")
        return user_id * 10

    async def send(self, channel_id: int, message: MessagePayload, nonce: str) -> Sent:
        self.sent.append((channel_id, message))
        return Sent(message_id=900_000 + len(self.sent))


# No generated repr: asyncio formats the fixture's task, and a repr of every prompt in the
# library (through each service) costs seconds per test.
@dataclass(repr=False)
class Services:
    """The service graph of one bot, over one database and one clock."""

    db: Database
    library: Library
    clock: FakeClock
    discord: Discord
    outbox: Outbox
    members: MemberService
    prompting: Prompting
    pairs: PairService
    answers: AnswerService
    prompt_commands: PromptCommands
    privacy: PrivacyService
    guilds: GuildService
    followups: FollowUps
    circles: CircleService
    challenges: ChallengeService
    closeness: Closeness
    materialiser: Materialiser
    wakes: list[datetime] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"Services({self.db.path})"

    def now(self) -> datetime:
        return self.clock.now()

    async def send_due(self) -> None:
        """One pass of the sender alone (no producers): every row due now goes to Discord."""
        producers, self.outbox.producers = self.outbox.producers, []
        try:
            await self.outbox.tick()
        finally:
            self.outbox.producers = producers

    async def pair(
        self,
        a: int,
        b: int,
        *,
        time: str = "19:00",
        cadence: str = "daily",
        relationship: str = "partners",
        guild_id: int = GUILD,
    ) -> PairRow:
        """A couple the way members make one: an invite, accepted."""
        outcome = await self.pairs.invite(
            guild_id, Person(a, f"m{a}"), Person(b, f"m{b}"), time, cadence, relationship
        )
        return await self.pairs.accept(outcome.invite_id, b)

    def prompt_of(self, kind: Kind, depth: Depth = Depth.LIGHT) -> Prompt:
        """A prompt of the real library, of this kind, that any pair may get."""
        return next(
            p
            for p in self.library.prompts
            if p.kind is kind and p.depth is depth and Relationship.PARTNERS in p.audience
        )

    async def give(self, pair: PairRow, kind: Kind = Kind.QUESTION) -> int:
        """The pair gets a prompt of this kind now, and it reaches them; returns the instance."""
        instance_id = await self.prompt_commands.deliver(pair, self.prompt_of(kind))
        await self.send_due()
        return instance_id


def build_services(
    db: Database, library: Library, clock: FakeClock, *, zone: str = ZONE
) -> Services:
    """The graph exactly as the bot builds it (`bot.compose.build_services`), with the stand-in
    for Discord as the port and the wake-ups recorded."""
    discord = Discord()
    wakes: list[datetime] = []

    def wake() -> None:
        wakes.append(clock.now())

    built = compose(
        db, library, zone=zone, nudge_after=NUDGE_AFTER, clock=clock, wake=wake, port=discord
    )
    return Services(
        db=db,
        library=library,
        clock=clock,
        discord=discord,
        outbox=built.outbox,
        members=built.members,
        prompting=built.prompting,
        pairs=built.pairs,
        answers=built.answers,
        prompt_commands=built.prompt_commands,
        privacy=built.privacy,
        guilds=built.guilds,
        followups=built.followups,
        circles=built.circles,
        challenges=built.challenges,
        closeness=built.closeness,
        materialiser=built.materialiser,
        wakes=wakes,
    )


@pytest.fixture
async def db(database: Database) -> Database:
    """The database every test here uses, on each engine in turn (`tests/conftest.py`)."""
    return database


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def services(db: Database, library: Library, clock: FakeClock) -> AsyncIterator[Services]:
    built = build_services(db, library, clock)
    try:
        yield built
    finally:
        await built.outbox.release()


# What the database raises when `refusing_deliveries` refuses a row.
REFUSED = IntegrityError


@asynccontextmanager
async def refusing_deliveries(db: Database, kind: str) -> AsyncIterator[None]:
    """While open, the database refuses to store a delivery of this kind (a full disk, say, at
    the last write of a use case): what else the use case wrote must not be left behind."""
    if db.engine == "postgresql":
        add = (
            f"ALTER TABLE deliveries ADD CONSTRAINT refuse_deliveries CHECK (kind <> '{kind}') "
            "NOT VALID"
        )
        drop = "ALTER TABLE deliveries DROP CONSTRAINT refuse_deliveries"
    else:
        add = (
            "CREATE TRIGGER refuse_deliveries BEFORE INSERT ON deliveries "
            f"WHEN NEW.kind = '{kind}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
        drop = "DROP TRIGGER refuse_deliveries"
    async with db.transaction() as conn:
        await conn.execute(add)
    try:
        yield
    finally:
        async with db.transaction() as conn:
            await conn.execute(drop)


async def queued(db: Database, key_prefix: str) -> list[dict[str, Any]]:
    """Deliveries whose dedupe key starts with `key_prefix`, oldest first."""
    return await rows(
        db,
        "SELECT * FROM deliveries WHERE substr(dedupe_key, 1, ?) = ? ORDER BY id",
        (len(key_prefix), key_prefix),
    )


async def rows(db: Database, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    return [dict(r) for r in await db.fetchall(sql, params)]
