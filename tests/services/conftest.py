"""Services on a real database, a clock that moves only when told, and a stand-in for Discord.

Every test gets its database from the `db` fixture and its services from `services`: the one
place that builds the service graph (as `bot.app.CloserBot._build_services` does), so a change
to how services are composed is adapted here and nowhere else. The stand-in plays Discord's REST
side only; everything on our side of the port is the real code.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.clock import FakeClock
from bot.core.models import Depth, Kind, Library, Prompt, Relationship
from bot.delivery.outbox import Outbox
from bot.delivery.port import Sent, Unreachable
from bot.services import hooks
from bot.services.answers import AnswerService
from bot.services.challenges import ChallengeService
from bot.services.circles import CircleService
from bot.services.closeness import Closeness
from bot.services.followups import FollowUps
from bot.services.guilds import GuildService
from bot.services.members import MemberService
from bot.services.pairs import PairService, Person
from bot.services.privacy import PrivacyService
from bot.services.prompting import PromptCommands, Prompting
from bot.storage import closeness as store_closeness
from bot.storage.db import Database
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
    """The graph as `CloserBot._build_services` builds it (minus Discord and metrics)."""
    discord = Discord()
    wakes: list[datetime] = []

    def wake() -> None:
        wakes.append(clock.now())

    now = clock.now
    members = MemberService(db, zone, now)
    outbox = Outbox(db, discord, clock, quiet_until=members.quiet_until)
    prompting = Prompting(db, library, zone)
    pairs = PairService(db, outbox, prompting, zone, now, wake)
    answers = AnswerService(db, library, prompting, now, wake)
    prompt_commands = PromptCommands(db, prompting, now, wake)
    privacy = PrivacyService(db, now, wake)
    guilds = GuildService(db, now)
    followups = FollowUps(db, library, prompting, zone, NUDGE_AFTER, now, wake)
    circles = CircleService(db, zone, now, wake, outbox.open_ahead)
    challenges = ChallengeService(db, library, prompting, answers, zone, now, wake)
    hooks.connect(prompting, answers, followups, challenges)
    closeness = Closeness(db, prompting, zone, now, wake)
    outbox.before_send[store_closeness.KIND] = closeness.still_wanted
    return Services(
        db=db,
        library=library,
        clock=clock,
        discord=discord,
        outbox=outbox,
        members=members,
        prompting=prompting,
        pairs=pairs,
        answers=answers,
        prompt_commands=prompt_commands,
        privacy=privacy,
        guilds=guilds,
        followups=followups,
        circles=circles,
        challenges=challenges,
        closeness=closeness,
        wakes=wakes,
    )


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file with every migration applied, copied for each test: applying them takes
    longer than most tests here."""
    path = tmp_path_factory.mktemp("migrated") / "closer.db"

    async def migrate() -> None:
        await (await Database.open(path)).close()

    asyncio.run(migrate())
    return path


@pytest.fixture
async def db(migrated: Path, tmp_path: Path) -> AsyncIterator[Database]:
    """The database every test here uses: no test opens one of its own, so this fixture (and
    `migrated`) is the one place to point the suite at another engine."""
    path = tmp_path / "closer.db"
    shutil.copyfile(migrated, path)
    database = await Database.open(path)
    try:
        yield database
    finally:
        await database.close()


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
REFUSED = sqlite3.IntegrityError


@asynccontextmanager
async def refusing_deliveries(db: Database, kind: str) -> AsyncIterator[None]:
    """While open, the database refuses to store a delivery of this kind (a full disk, say, at
    the last write of a use case): what else the use case wrote must not be left behind.
    SQLite's trigger syntax; the one place to adapt for another engine."""
    async with db.transaction() as conn:
        await conn.execute(
            "CREATE TRIGGER refuse_deliveries BEFORE INSERT ON deliveries "
            f"WHEN NEW.kind = '{kind}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    try:
        yield
    finally:
        async with db.transaction() as conn:
            await conn.execute("DROP TRIGGER refuse_deliveries")


async def queued(db: Database, key_prefix: str) -> list[dict[str, Any]]:
    """Deliveries whose dedupe key starts with `key_prefix`, oldest first."""
    return await rows(
        db,
        "SELECT * FROM deliveries WHERE substr(dedupe_key, 1, ?) = ? ORDER BY id",
        (len(key_prefix), key_prefix),
    )


async def rows(db: Database, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    return [dict(r) for r in await db.fetchall(sql, params)]
