"""DMs name people by their global display name, never by a nickname from one server."""

from __future__ import annotations

import pytest

from bot.app import CloserBot
from bot.sandbox.driver import Reply
from bot.storage import members
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e


def everything(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


async def test_a_server_nickname_never_reaches_a_partner_s_dms(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    ada.user.nicks[harness.guild.id] = "Captain Spreadsheet"
    sam.user.nicks[harness.guild.id] = "Sammy the Shark"
    handle = await ada.slash("pair invite", member=sam, relationship="partners", time="20:00")
    # Discord sends nicknames on member objects: the inviter's and the invitee's resolved one.
    sent = handle.record.payload
    assert sent["member"]["nick"] == "Captain Spreadsheet"
    assert sent["data"]["resolved"]["members"][str(sam.id)]["nick"] == "Sammy the Shark"
    invited = await handle.reply()
    assert "Invite sent" in invited.text, invited.text
    invite = await sam.next_dm()
    assert "Ada" in invite.text and "Captain" not in invite.text
    accepted = await (await sam.click(invite, "Accept")).reply()
    assert "You and **Ada** are paired" in accepted.text
    await harness.tick()
    told = await ada.next_dm()
    assert "Sam" in told.text and "Shark" not in told.text and "Sammy" not in told.text
    # Settings record the name too, after the invite did: the prompt below shows what they kept.
    await (await ada.slash("closer timezone", zone="Europe/Berlin")).reply()
    await (await sam.slash("closer quiet-hours", start="23:00", end="06:00")).reply()
    await (await ada.slash("prompt now")).reply()
    await harness.tick()
    to_ada, to_sam = everything(ada.unread()), everything(sam.unread())
    # The prompt names the partner ("Only Sam will see…" or "Something to do with Sam…").
    assert "Sam" in to_ada and "Sammy" not in to_ada, to_ada
    assert "Ada" in to_sam and "Captain" not in to_sam, to_sam
    rows = await members.get_members(bot.db, [ada.id, sam.id])
    assert (rows[ada.id].display_name, rows[sam.id].display_name) == ("Ada", "Sam")
