"""Couples by consent, end to end: invites, acceptance, refusals, and the pair's settings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import CloserBot
from bot.sandbox.driver import Member
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e


async def invite_and_accept(harness: Harness, a: Member, b: Member, **options: str) -> None:
    reply = await (
        await a.slash("pair invite", member=b, relationship="partners", **options)
    ).reply()
    assert "Invite sent" in reply.text, reply.text
    invite = await b.next_dm()
    assert "would like to pair with you" in invite.text
    accepted = await (await b.click(invite, "Accept")).reply()
    assert "are paired" in accepted.text


async def test_invite_accept_then_status(harness: Harness, bot: CloserBot) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    reply = await (
        await ada.slash(
            "pair invite", member=sam, relationship="partners", time="20:30", cadence="weekdays"
        )
    ).reply()
    assert reply.ephemeral and "Invite sent to Sam" in reply.text
    invite = await sam.next_dm()
    assert "Ada" in invite.text and "weekdays at 20:30" in invite.text
    assert {"Accept", "Decline"} <= {c.get("label") for c in _buttons(invite)}
    accepted = await (await sam.click(invite, "Accept")).reply()
    assert "You and **Ada** are paired" in accepted.text
    await harness.tick()
    told = await ada.next_dm()
    assert "Sam" in told.text and "paired" in told.text
    status = await (await ada.slash("pair status")).reply()
    assert status.ephemeral
    assert "You and Sam" in status.text
    assert "on weekdays at 20:30" in status.text
    assert "light" in status.text and "Next prompt" in status.text


async def test_decline_tells_the_inviter_only_that_it_was_not_accepted(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await (await ada.slash("pair invite", member=sam, relationship="partners")).reply()
    invite = await sam.next_dm()
    declined = await (await sam.click(invite, "Decline")).reply()
    assert "declined" in declined.text
    await harness.tick()
    told = await ada.next_dm()
    assert told.text == "Your invite to Sam wasn't accepted this time. That's okay."
    status = await (await ada.slash("pair status")).reply()
    assert "not in a pair here yet" in status.text


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("self", "You can't invite yourself. Pick someone else in this server."),
        ("bot", "Bots can't pair. Invite a person from this server."),
        ("stranger", "That member isn't in this server. Closer pairs people who share a server."),
        ("time", "Time must look like 19:30 (24-hour HH:MM), in your own time zone."),
        ("late", "Time must look like 19:30 (24-hour HH:MM), in your own time zone."),
        ("cadence", "Cadence must be daily, weekdays or weekly."),
    ],
)
async def test_invite_refusals(harness: Harness, bot: CloserBot, case: str, expected: str) -> None:
    ada = harness.member("Ada")
    sam = harness.member("Sam")
    options: dict[str, object] = {"member": sam, "relationship": "partners"}
    if case == "self":
        options["member"] = ada
    elif case == "bot":
        options["member"] = harness.sandbox.add_user("Helper Bot", harness.guild, bot=True)
    elif case == "stranger":
        options["member"] = harness.member("Stranger", in_guild=False)
    elif case == "time":
        options["time"] = "7pm"
    elif case == "late":
        options["time"] = "24:00"
    elif case == "cadence":
        options["cadence"] = "hourly"
    reply = await (await ada.slash("pair invite", **options)).reply()
    assert reply.ephemeral
    assert reply.text == expected
    assert sam.unread() == []


async def test_an_invite_that_finds_closed_dms_later_is_cancelled_and_the_inviter_told(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await (await sam.slash("closer quiet-hours", start="07:00", end="09:30")).reply()
    sam.close_dms()
    reply = await (await ada.slash("pair invite", member=sam, relationship="partners")).reply()
    assert reply.text.startswith("Your invite is on its way to Sam")
    # Sam's quiet hours end; the invite's DM finds their DMs closed.
    harness.clock.set(harness.clock.now().replace(hour=9, minute=31))
    await harness.tick()
    assert ada.unread() == []  # told a little later: a command still waiting tells it itself
    harness.clock.advance(timedelta(minutes=1))
    await harness.tick()
    [told] = ada.unread()
    assert told.text == (
        "About your invite to Sam to pair as partners: I couldn't send Sam a DM: their DMs are "
        "closed to me. They can turn on Direct Messages for this server (server name → Privacy "
        "Settings), then invite them again. I've cancelled this one."
    )
    sam.close_dms(False)
    again = await (await ada.slash("pair invite", member=sam, relationship="partners")).reply()
    assert again.text.startswith("Invite sent to Sam")  # the old one no longer stands between


async def test_refuses_duplicates_and_second_couples(harness: Harness, bot: CloserBot) -> None:
    ada, sam, kim = harness.member("Ada"), harness.member("Sam"), harness.member("Kim")
    await (await ada.slash("pair invite", member=sam, relationship="partners")).reply()
    again = await (await ada.slash("pair invite", member=sam, relationship="partners")).reply()
    assert again.text.startswith("There's already an invite waiting between you and Sam.")
    reverse = await (await sam.slash("pair invite", member=ada, relationship="partners")).reply()
    assert reverse.text.startswith("There's already an invite waiting between you and Ada.")
    invite = await sam.next_dm()
    await (await sam.click(invite, "Accept")).reply()
    mine = await (await ada.slash("pair invite", member=kim, relationship="partners")).reply()
    assert mine.text.startswith("You're already in a pair you chose here.")
    theirs = await (await kim.slash("pair invite", member=sam, relationship="partners")).reply()
    assert theirs.text == "Sam is already in a pair they chose here."


async def test_closed_dms_tell_the_inviter_how_to_fix_it(harness: Harness, bot: CloserBot) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    sam.close_dms()
    reply = await (await ada.slash("pair invite", member=sam, relationship="partners")).reply()
    assert reply.text.startswith("I couldn't send Sam a DM: their DMs are closed to me.")
    assert "Privacy Settings" in reply.text
    # The invite was withdrawn, so once DMs are open a fresh invite works.
    sam.close_dms(False)
    again = await (await ada.slash("pair invite", member=sam, relationship="partners")).reply()
    assert "Invite sent" in again.text
    # Told once, in the command: no DM about it follows.
    harness.clock.advance(timedelta(minutes=5))
    await harness.tick()
    assert ada.unread() == []


async def test_an_invite_held_by_quiet_hours_is_on_its_way_not_sent(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await (await sam.slash("closer quiet-hours", start="07:00", end="09:30")).reply()
    reply = await (await ada.slash("pair invite", member=sam, relationship="partners")).reply()
    assert reply.text == (
        "Your invite is on its way to Sam to pair as partners. I'll let you know when they "
        "answer; it stays open for 7 days."
    )
    assert sam.unread() == []


async def test_only_the_invitee_can_accept(harness: Harness, bot: CloserBot) -> None:
    ada, sam, eve = harness.member("Ada"), harness.member("Sam"), harness.member("Eve")
    await (await ada.slash("pair invite", member=sam, relationship="partners")).reply()
    invite = await sam.next_dm()
    forged = await (await eve.click(invite, "Accept")).reply()
    assert forged.text == "This button was sent to someone else, so it can't act for you."
    status = await (await sam.slash("pair status")).reply()
    assert "not in a pair here yet" in status.text


async def test_invite_expires_after_seven_days(harness: Harness, bot: CloserBot) -> None:
    from datetime import timedelta

    ada, sam = harness.member("Ada"), harness.member("Sam")
    await (await ada.slash("pair invite", member=sam, relationship="partners")).reply()
    invite = await sam.next_dm()
    harness.clock.advance(timedelta(days=7, minutes=1))
    late = await (await sam.click(invite, "Accept")).reply()
    assert late.text.startswith("This invite has expired.")


async def test_buttons_survive_a_restart(harness: Harness, bot: CloserBot) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await (await ada.slash("pair invite", member=sam, relationship="partners")).reply()
    invite = await sam.next_dm()
    await harness.stop_bot()
    await harness.start_bot()
    accepted = await (await sam.click(invite, "Accept")).reply()
    assert "are paired" in accepted.text


async def test_pause_resume_end(harness: Harness, bot: CloserBot) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await invite_and_accept(harness, ada, sam)
    await harness.tick()
    ada.unread()
    paused = await (await sam.slash("pair pause", days=3)).reply()
    assert paused.text.startswith("Paused until")
    await harness.tick()
    told = await ada.next_dm()
    assert "Sam paused your prompts for 3 days" in told.text
    status = await (await ada.slash("pair status")).reply()
    assert "Paused until" in status.text
    resumed = await (await ada.slash("pair resume")).reply()
    assert resumed.text.startswith("Welcome back")
    again = await (await ada.slash("pair resume")).reply()
    assert again.text == "Your prompts aren't paused, so there's nothing to resume."
    confirm = await (await ada.slash("pair end")).reply()
    assert "End your pair with Sam?" in confirm.text
    ended = await (await ada.click(confirm, "End the pair")).reply()
    assert "has ended" in ended.text
    await harness.tick()
    sam.unread()
    status = await (await sam.slash("pair status")).reply()
    assert "not in a pair here yet" in status.text


@pytest.mark.parametrize("days", [0, 91, -1])
async def test_pause_days_out_of_range(harness: Harness, bot: CloserBot, days: int) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await invite_and_accept(harness, ada, sam)
    reply = await (await ada.slash("pair pause", days=days)).reply()
    assert reply.ephemeral
    assert "90" in reply.text


def _buttons(reply: object) -> list[dict[str, object]]:
    from bot.sandbox.driver import Reply, walk_components

    assert isinstance(reply, Reply)
    return [c for c in walk_components(reply.components) if c.get("type") == 2]
