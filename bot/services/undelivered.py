"""An invite whose DM finds the invitee's DMs closed after the command stopped waiting for it.

`/pair invite` waits a few seconds for its DM (`Outbox.send_now`) so the inviter hears at once
when the invitee's DMs are closed. When it could not wait long enough (the sender was busy, or
the invitee's quiet hours held the DM), the failure comes later, in the sender: then the invite
is cancelled and the inviter told by DM. The DM is queued a little after the failure and keyed
per invite, so a command that was still waiting and told the inviter itself calls it off
(`cancel_told_in_command`), whichever of the two comes first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.storage import members as member_store
from bot.storage import outbox as outbox_store
from bot.storage import pairs as pair_store
from bot.storage.db import Database
from bot.storage.outbox import Claimed, NewDelivery
from bot.storage.pairs import InviteRow
from bot.ui import messages

# Longer than a command waits for its invite's DM (`SEND_NOW_WAIT`), so one still waiting has
# told the inviter and called this off before it is due.
TELL_AFTER = timedelta(seconds=30)
KIND = "invite"


def invite_id_of(c: Claimed) -> int | None:
    prefix, _, rest = c.dedupe_key.partition(":")
    return int(rest) if prefix == KIND and rest.isdigit() else None


def _telling(invite: InviteRow, invitee_name: str, due: datetime) -> NewDelivery:
    [notice] = outbox_store.notices(
        [invite.inviter_id],
        f"invite-undelivered:{invite.id}",
        messages.invite_undelivered_message(invitee_name, invite.relationship),
        due,
        guild_id=invite.guild_id,
        named=(invite.invitee_id,),
    )
    return notice


@dataclass(frozen=True)
class UndeliveredInvites:
    db: Database
    now: Callable[[], datetime]

    async def tell_inviter(self, c: Claimed) -> None:
        """The invite's DM cannot reach the invitee: cancel the invite, tell the inviter."""
        invite_id = invite_id_of(c)
        invite = await pair_store.get_invite(self.db, invite_id) if invite_id is not None else None
        if invite is None:
            return
        invitee = await member_store.get_member(self.db, invite.invitee_id)
        name = invitee.display_name if invitee is not None else "them"
        now = self.now()
        async with self.db.transaction() as conn:
            if await pair_store.cancel_pending_invite(conn, invite.id):
                await outbox_store.insert_deliveries(
                    conn, [_telling(invite, name, now + TELL_AFTER)], now
                )


async def cancel_told_in_command(
    db: Database, invite: InviteRow, invitee_name: str, now: datetime
) -> None:
    """The command heard of the closed DMs in time and tells the inviter itself: cancel the
    invite and call off the DM about it, whether or not the sender has queued it yet."""
    notice = _telling(invite, invitee_name, now)
    async with db.transaction() as conn:
        await pair_store.cancel_pending_invite(conn, invite.id)
        await outbox_store.insert_deliveries(conn, [notice], now)
        await outbox_store.skip_pending(conn, notice.dedupe_key, "told in the command")
