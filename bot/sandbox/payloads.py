"""Builders for the JSON Discord sends, typed with discord.py's own TypedDicts.

Typing them against `discord.types` means mypy tells us when a payload lacks a field the real
client reads, which is exactly the class of bug a fake server tends to hide.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    # discord.types modules import each other in a cycle; discord.py itself only reads them
    # while type checking, and so do we.
    from discord.types.channel import DMChannel, TextChannel
    from discord.types.gateway import ReadyEvent
    from discord.types.member import Member
    from discord.types.message import Message
    from discord.types.user import PartialUser, User

# Discord's epoch; snowflakes encode milliseconds since it in their top bits.
DISCORD_EPOCH_MS = 1_420_070_400_000


# A fixed moment for the ids' time bits, so a sandbox run is reproducible (the demo's --seed).
SANDBOX_EPOCH_MS = 1_772_323_200_000  # 2026-03-01T00:00:00Z


class Snowflakes:
    """Monotonic, unique ids shaped like Discord's (a timestamp in the high bits)."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def next(self) -> int:
        return ((SANDBOX_EPOCH_MS - DISCORD_EPOCH_MS) << 22) + next(self._counter)


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class SandboxUser:
    id: int
    name: str
    bot: bool = False
    dms_closed: bool = False
    manage_guild: bool = False
    # Server nicknames by guild id: Discord sends them on member objects only, never on users.
    nicks: dict[int, str] = field(default_factory=dict)

    def payload(self) -> User:
        return {
            "id": str(self.id),
            "username": self.name.lower().replace(" ", "_"),
            "discriminator": "0",
            "avatar": None,
            "global_name": self.name,
            "bot": self.bot,
        }

    def partial(self) -> PartialUser:
        return {
            "id": str(self.id),
            "username": self.name.lower().replace(" ", "_"),
            "discriminator": "0",
            "avatar": None,
            "global_name": self.name,
        }


# Permission bits the sandbox cares about.
MANAGE_GUILD = 1 << 5
BASE_MEMBER_PERMISSIONS = (
    (1 << 10)  # view channel
    | (1 << 11)  # send messages
    | (1 << 14)  # embed links
    | (1 << 15)  # attach files
    | (1 << 16)  # read message history
    | (1 << 31)  # use application commands
)


def member_permissions(user: SandboxUser) -> int:
    return BASE_MEMBER_PERMISSIONS | (MANAGE_GUILD if user.manage_guild else 0)


def member_payload(user: SandboxUser, joined_at: str, guild_id: int | None = None) -> Member:
    member: Member = {
        "user": user.payload(),
        "roles": [],
        "joined_at": joined_at,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "permissions": str(member_permissions(user)),
    }
    nick = user.nicks.get(guild_id) if guild_id is not None else None
    if nick is not None:
        member["nick"] = nick
    return member


@dataclass
class SandboxGuild:
    id: int
    name: str
    text_channel_id: int
    owner_id: int
    member_ids: list[int] = field(default_factory=list)
    joined_at: str = field(default_factory=iso_now)

    def channel_payload(self) -> TextChannel:
        return {
            "id": str(self.text_channel_id),
            "type": 0,
            "guild_id": str(self.id),
            "name": "general",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": "",
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }

    def create_payload(self, bot: SandboxUser) -> dict[str, Any]:
        # GUILD_CREATE without the privileged members intent: only the bot itself is listed.
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "roles": [
                {
                    "id": str(self.id),
                    "name": "@everyone",
                    "color": 0,
                    "hoist": False,
                    "position": 0,
                    "permissions": str(BASE_MEMBER_PERMISSIONS),
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "emojis": [],
            "stickers": [],
            "joined_at": self.joined_at,
            "large": False,
            "unavailable": False,
            "member_count": len(self.member_ids) + 1,
            "voice_states": [],
            "members": [member_payload(bot, self.joined_at)],
            "channels": [self.channel_payload()],
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


def dm_channel_payload(channel_id: int, recipient: SandboxUser) -> DMChannel:
    return {
        "id": str(channel_id),
        "type": 1,
        "name": "",
        "last_message_id": None,
        "recipients": [recipient.partial()],
    }


def message_payload(
    *,
    message_id: int,
    channel_id: int,
    author: SandboxUser,
    body: dict[str, Any],
    guild_id: int | None = None,
) -> Message:
    message: Message = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author.payload(),
        "content": str(body.get("content") or ""),
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": list(body.get("embeds") or []),
        "pinned": False,
        "type": 0,
        "components": list(body.get("components") or []),
        "flags": int(body.get("flags") or 0),
    }
    if guild_id is not None:
        message["guild_id"] = str(guild_id)
    nonce = body.get("nonce")
    if nonce is not None:
        message["nonce"] = nonce
    return message


def ready_payload(
    *, bot: SandboxUser, application_id: int, session_id: str, resume_url: str, guild_ids: list[int]
) -> ReadyEvent:
    return {
        "v": 10,
        "user": bot.payload(),
        "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
        "session_id": session_id,
        "resume_gateway_url": resume_url,
        "shard": [0, 1],
        "application": cast(Any, {"id": str(application_id), "flags": 0}),
    }


def app_info_payload(application_id: int, owner: SandboxUser, bot: SandboxUser) -> dict[str, Any]:
    return {
        "id": str(application_id),
        "name": bot.name,
        "icon": None,
        "description": "Closer, running in the local sandbox",
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": owner.payload(),
        "verify_key": "0" * 64,
        "flags": 0,
        "team": None,
        "summary": "",
        "bot": bot.payload(),
    }
