"""Friend circles end to end: create, join, rounds by command and by clock, refusals, status."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

import pytest

from bot.app import CloserBot
from bot.sandbox.driver import Member, Reply
from bot.storage import circles as circle_store
from bot.storage import guilds as guild_store
from bot.storage import members as member_store
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e

# Distinct names no notice could contain by accident.
NAMES = ("Ada", "Bram", "Cleo", "Dov", "Esme")


def channel_posts(harness: Harness) -> list[str]:
    channel = str(harness.guild.text_channel_id)
    # What Closer posted there itself (not the replies to commands, which are ephemeral).
    return [
        Reply.of(m).text
        for m in harness.sandbox.messages.values()
        if m.get("channel_id") == channel and "_interaction_token" not in m
    ]


def intros(member: Member, round_no: int) -> list[Reply]:
    return [r for r in member.unread() if f"Round {round_no} of Book Club" in r.text]


async def create_circle(admin: Member, **options: str) -> Reply:
    values = {"name": "Book Club", "cadence": "weekly", "day": "wednesday", "time": "18:00"}
    values.update(options)
    return await (await admin.slash("circle create", **values)).reply()


async def check_round(
    harness: Harness, members: list[Member], round_no: int
) -> set[frozenset[int]]:
    """Every member got exactly one intro naming exactly their partners; returns the groups."""
    assert harness.bot is not None
    by_name = {m.name: m for m in members}
    groups: set[frozenset[int]] = set()
    for m in members:
        got = intros(m, round_no)
        assert len(got) == 1, (m.name, [r.text for r in got])
        text = got[0].text
        partners = {n for n in by_name if n != m.name and f"**{n}**" in text}
        assert partners, text
        assert "you're paired with" in text if len(partners) == 1 else "trio with" in text
        assert "only ever see counts" in text
        groups.add(frozenset({m.id} | {by_name[n].id for n in partners}))
    # Consistent: everyone's view of their group agrees, and it is what the database holds.
    assert sum(len(g) for g in groups) == len(members)
    circle = (await circle_store.circles_of_guild(harness.bot.db, harness.guild.id))[0]
    stored = await circle_store.live_groups(harness.bot.db, circle.id)
    assert {frozenset(g.member_ids) for g in stored} == groups
    return groups


def fewest_repeats(previous: set[frozenset[int]], in_trio: frozenset[int]) -> int:
    """Brute force over every pair + trio split of the members whose trio holds `in_trio`."""
    people = sorted(set().union(*previous))
    best = len(people) ** 2
    for trio in itertools.combinations(people, 3):
        if not in_trio <= set(trio):
            continue
        split = {frozenset(trio), frozenset(set(people) - set(trio))}
        best = min(best, len(met(previous) & met(split)))
    return best


def met(groups: set[frozenset[int]]) -> set[frozenset[int]]:
    return {frozenset(p) for g in groups for p in itertools.combinations(sorted(g), 2)}


async def test_a_circle_of_five_rotates_by_command_then_by_clock(
    harness: Harness, bot: CloserBot
) -> None:
    admin = harness.member("Moss", manage_guild=True)
    members = [harness.member(n) for n in NAMES]
    await guild_store.set_announce_channel(
        bot.db, harness.guild.id, harness.guild.text_channel_id, harness.clock.now()
    )

    created = await create_circle(admin)
    assert created.ephemeral
    assert created.text.startswith(
        "**Book Club** is ready: new pairs every Wednesday at 18:00 (UTC), the first <t:"
    )
    assert created.text.endswith(
        "Members opt in with /circle join; nobody is added without asking."
    )
    first = int(datetime(2026, 3, 4, 18, 0, tzinfo=UTC).timestamp())
    for m in members:
        joined = await (await m.slash("circle join", name="book club")).reply()
        assert joined.ephemeral
        assert joined.text == (
            f"You're in **Book Club**. The next round is <t:{first}:f> (<t:{first}:R>); "
            "I'll DM you who you're paired with then."
        )

    status = await (await members[0].slash("circle status", name="Book Club")).reply()
    assert status.text == (
        "**Book Club**: 5 members, new pairs every Wednesday at 18:00 (UTC)\n"
        f"Next rotation: <t:{first}:f> (<t:{first}:R>)\n"
        "You're in; you'll be paired at the next rotation."
    )

    # Round 1, by command, two days early.
    rotated = await (await admin.slash("circle rotate", name="Book Club")).reply()
    second = int(datetime(2026, 3, 11, 18, 0, tzinfo=UTC).timestamp())
    assert rotated.text == (
        "Round 1 of **Book Club** is formed: 1 pair and 1 trio. Everyone paired gets a DM "
        f"naming their partner. Next rotation: <t:{second}:f> (<t:{second}:R>)."
    )
    await harness.tick()
    round1 = await check_round(harness, members, 1)
    assert sorted(len(g) for g in round1) == [2, 3]

    # Someone in round 1 sees their partner in /circle status and /pair status.
    ada = members[0]
    mine = next(g for g in round1 if ada.id in g)
    partner_names = sorted(m.name for m in members if m.id in mine and m.id != ada.id)
    status = await (await ada.slash("circle status")).reply()
    assert f"Your partner this round: {', '.join(partner_names)}" in status.text
    assert f"Next rotation: <t:{second}:f>" in status.text
    pair_status = await (await ada.slash("pair status")).reply()
    assert "Circle round" in pair_status.text and "on weekdays at 18:00" in pair_status.text

    # Circle pairs are pairs: the first prompt comes at the circle's time, to everyone.
    harness.clock.set(datetime(2026, 3, 2, 18, 0, tzinfo=UTC))
    await harness.tick()
    for m in members:
        prompts = m.unread()
        assert len(prompts) == 1, (m.name, [r.text for r in prompts])
        assert prompts[0].button("Later")  # a question or an activity, both can wait

    # Round 2, by the clock: nothing happens a minute early, then the round forms once.
    harness.clock.set(datetime(2026, 3, 11, 17, 59, tzinfo=UTC))
    await harness.tick()
    assert all(intros(m, 2) == [] for m in members)
    harness.clock.set(datetime(2026, 3, 11, 18, 0, tzinfo=UTC))
    await harness.tick()
    round2 = await check_round(harness, members, 2)
    assert sorted(len(g) for g in round2) == [2, 3]
    # The trio seat rotates (the pairing core's fairness rule): round 1's pair is in it now.
    pair1 = next(g for g in round1 if len(g) == 2)
    trio2 = next(g for g in round2 if len(g) == 3)
    assert pair1 < trio2
    assert round1.isdisjoint(round2)  # nobody has the same group twice
    # No more repeats than unavoidable: with five people some repeat is forced (round 1's trio
    # must be split over two groups); the fewest possible, given the trio seat, is what we get.
    assert len(met(round1) & met(round2)) == fewest_repeats(round1, pair1)
    await harness.tick()
    assert all(intros(m, 2) == [] for m in members)  # not doubled by another tick

    posts = channel_posts(harness)
    assert posts == [
        "Round 1 of Book Club: 1 pair and 1 trio",
        "Round 2 of Book Club: 1 pair and 1 trio",
    ]
    for text in posts:
        for name in (*NAMES, admin.name):
            assert name not in text


async def test_a_restart_neither_skips_nor_doubles_a_round(
    harness: Harness, bot: CloserBot
) -> None:
    admin = harness.member("Moss", manage_guild=True)
    members = [harness.member(n) for n in NAMES[:4]]
    await create_circle(admin)
    for m in members:
        await (await m.slash("circle join", name="Book Club")).reply()
    await harness.stop_bot()
    harness.clock.set(datetime(2026, 3, 5, 9, 0, tzinfo=UTC))  # down over Wednesday 18:00
    await harness.start_bot()
    await harness.tick()
    await harness.tick()
    await check_round(harness, members, 1)


async def test_who_paused_sits_out_and_their_partner_is_re_paired(
    harness: Harness, bot: CloserBot
) -> None:
    admin = harness.member("Moss", manage_guild=True)
    members = [harness.member(n) for n in NAMES[:4]]
    await create_circle(admin)
    for m in members:
        await (await m.slash("circle join", name="Book Club")).reply()
    await (await admin.slash("circle rotate", name="Book Club")).reply()
    await harness.tick()
    round1 = await check_round(harness, members, 1)
    ada = members[0]
    partner_id = next(iter(next(g for g in round1 if ada.id in g) - {ada.id}))
    partner = next(m for m in members if m.id == partner_id)
    paused = await (await ada.slash("pair pause", days=14, **{"with": str(partner_id)})).reply()
    assert paused.text.startswith("Paused until")
    await harness.tick()
    assert any("paused your prompts" in r.text for r in partner.unread())

    await (await admin.slash("circle rotate", name="Book Club")).reply()
    await harness.tick()
    others = [m for m in members if m is not ada]
    round2 = await check_round(harness, others, 2)
    assert round2 == {frozenset(m.id for m in others)}  # the three who are around: one trio
    assert intros(ada, 2) == []


async def test_leaving_ends_the_group_kindly_and_deleting_tells_everyone(
    harness: Harness, bot: CloserBot
) -> None:
    admin = harness.member("Moss", manage_guild=True)
    members = [harness.member(n) for n in NAMES[:4]]
    await create_circle(admin)
    for m in members:
        await (await m.slash("circle join", name="Book Club")).reply()
    await (await admin.slash("circle rotate", name="Book Club")).reply()
    await harness.tick()
    round1 = await check_round(harness, members, 1)
    ada = members[0]
    partner_id = next(iter(next(g for g in round1 if ada.id in g) - {ada.id}))
    partner = next(m for m in members if m.id == partner_id)

    left = await (await ada.slash("circle leave", name="Book Club")).reply()
    assert left.text == (
        "You've left **Book Club**. If you had a partner this round, they've been told kindly "
        "and will be paired again next round."
    )
    await harness.tick()
    assert [r.text for r in partner.unread()] == [
        "Ada has stepped out of Book Club, so your group for this round has ended. Nothing you "
        "need to do: you'll be paired with someone at the next round."
    ]
    gone = await (await partner.slash("pair status")).reply()
    assert "not in a pair here yet" in gone.text
    status = await (await partner.slash("circle status", name="Book Club")).reply()
    assert "3 members" in status.text
    assert "You're in; you'll be paired at the next rotation." in status.text

    deleted = await (await admin.slash("circle delete", name="Book Club")).reply()
    assert deleted.text == (
        "**Book Club** is deleted and its pairs have ended. Its 3 members were told kindly."
    )
    await harness.tick()
    for m in members[1:]:
        assert [r.text for r in m.unread()] == [
            "Book Club has been closed by the server's admins, so its pairs have ended. Thank "
            "you for taking part. Your history stays until you choose /closer forget."
        ]
    assert ada.unread() == []
    empty = await (await ada.slash("circle status")).reply()
    assert empty.text == (
        "There are no circles here yet. Someone with Manage Server can start one with "
        "/circle create."
    )
    again = await create_circle(admin)  # the name is free again
    assert again.text.startswith("**Book Club** is ready")


async def test_autocomplete_lists_the_servers_circles(harness: Harness, bot: CloserBot) -> None:
    admin = harness.member("Moss", manage_guild=True)
    await create_circle(admin)
    await create_circle(admin, name="Run Club")
    ada = harness.member("Ada")
    choices = await (await ada.autocomplete("circle join", "name", name="club")).choices()
    assert [c["value"] for c in choices] == ["Book Club", "Run Club"]
    await (await ada.slash("circle join", name="Run Club")).reply()
    mine = await (await ada.autocomplete("circle leave", "name", name="")).choices()
    assert [c["value"] for c in mine] == ["Run Club"]


MANAGE = "That command needs the Manage Server permission."
BAD_NAME = "Circle names need 1 to 40 characters."


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"name": "   "}, BAD_NAME),
        ({"name": "x" * 41}, BAD_NAME),
        ({"day": "someday"}, "Day must be a day of the week, like monday."),
        ({"time": "6pm"}, "Time must look like 19:30 (24-hour HH:MM), in your own time zone."),
        ({"time": "24:00"}, "Time must look like 19:30 (24-hour HH:MM), in your own time zone."),
        ({"cadence": "daily"}, "Cadence must be weekly or biweekly."),
        (
            {"name": "BOOK  club"},
            'There\'s already a circle called "BOOK club" here. Pick another name.',
        ),
    ],
)
async def test_create_refusals(
    harness: Harness, bot: CloserBot, options: dict[str, str], expected: str
) -> None:
    admin = harness.member("Moss", manage_guild=True)
    await create_circle(admin)
    reply = await create_circle(admin, **options)
    assert reply.ephemeral
    assert reply.text == expected
    assert len(await circle_store.circles_of_guild(bot.db, harness.guild.id)) == 1


async def test_refusals_for_members(harness: Harness, bot: CloserBot) -> None:
    admin = harness.member("Moss", manage_guild=True)
    ada = harness.member("Ada")

    async def says(member: Member, path: str, **options: str | bool) -> str:
        reply = await (await member.slash(path, **options)).reply()
        assert reply.ephemeral, reply.text
        return reply.text

    circle = {"name": "Book Club", "cadence": "weekly", "day": "wednesday", "time": "18:00"}
    assert await says(ada, "circle create", _bypass=True, **circle) == MANAGE
    assert await circle_store.circles_of_guild(bot.db, harness.guild.id) == []
    await create_circle(admin)
    assert await says(ada, "circle rotate", name="Book Club", _bypass=True) == MANAGE
    assert await says(ada, "circle delete", name="Book Club", _bypass=True) == MANAGE

    unknown = "There's no circle called \"Chess\" here. /circle status lists this server's circles."
    assert await says(ada, "circle join", name="Chess") == unknown
    assert await says(ada, "circle leave", name="Chess") == unknown
    assert await says(ada, "circle status", name="Chess") == unknown
    assert await says(admin, "circle rotate", name="Chess") == unknown

    assert await says(ada, "circle leave", name="Book Club") == (
        "You're not in Book Club, so there's nothing to leave."
    )
    await says(ada, "circle join", name="Book Club")
    assert await says(ada, "circle join", name="Book Club") == (
        "You're already in Book Club. You'll be paired at its next round."
    )
    too_few = (
        "Book Club needs at least 2 members who can be paired (joined, not paused, DMs open) "
        "to form a round."
    )
    assert await says(admin, "circle rotate", name="Book Club") == too_few
    # Closed DMs count as not around: a round would only send them into the void.
    sam = harness.member("Sam")
    await says(sam, "circle join", name="Book Club")
    await member_store.mark_unreachable(bot.db, sam.id, harness.clock.now())
    assert await says(admin, "circle rotate", name="Book Club") == too_few
    (circle,) = await circle_store.circles_of_guild(bot.db, harness.guild.id)
    assert [r.status for r in await circle_store.rounds_of(bot.db, circle.id)] == ["pending"]
    assert ada.unread() == [] and sam.unread() == []


async def test_a_due_round_without_enough_members_waits(harness: Harness, bot: CloserBot) -> None:
    admin = harness.member("Moss", manage_guild=True)
    await create_circle(admin)
    ada = harness.member("Ada")
    await (await ada.slash("circle join", name="Book Club")).reply()
    harness.clock.set(datetime(2026, 3, 4, 18, 0, tzinfo=UTC))
    await harness.tick()
    (circle,) = await circle_store.circles_of_guild(bot.db, harness.guild.id)
    rounds = await circle_store.rounds_of(bot.db, circle.id)
    assert [(r.round_no, r.status) for r in rounds] == [(1, "pending")]
    assert rounds[0].due_at == datetime(2026, 3, 11, 18, 0, tzinfo=UTC)
    assert ada.unread() == []


async def test_joining_opens_the_dm_channel_ahead_of_the_first_round(
    harness: Harness, bot: CloserBot
) -> None:
    admin = harness.member("Moss", manage_guild=True)
    newcomer = harness.member("Ivy")
    await create_circle(admin)
    await (await newcomer.slash("circle join", name="Book Club")).reply()
    for _ in range(100):
        member = await member_store.get_member(bot.db, newcomer.id)
        if member is not None and member.dm_channel_id is not None:
            break
        await asyncio.sleep(0.02)
    # Opened while nothing else was going on, so the round's fan-out need not wait for it.
    assert member is not None
    assert member.dm_channel_id == harness.sandbox.dm_channel_for(newcomer.id)
    assert not newcomer.unread()  # opening a channel sends nothing
