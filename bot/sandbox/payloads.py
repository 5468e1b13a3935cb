"""Builders for the JSON Discord sends, shaped by Discord's OpenAPI spec.

Every object carries the fields the spec marks required (nullable ones as null), so a client
other than discord.py, which may read any of them, parses them as it would Discord's. The e2e
contract test validates every REST answer against the spec's response schemas.
"""

from __future__ import annotations

import base64
import itertools
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Discord's epoch; snowflakes encode milliseconds since it in their top bits.
DISCORD_EPOCH_MS = 1_420_070_400_000


# A fixed moment for the ids' time bits, so a sandbox run is reproducible (the demo's --seed).
SANDBOX_EPOCH_MS = 1_772_323_200_000  # 2026-03-01T00:00:00Z


class Snowflakes:
    """Monotonic, unique ids shaped like Discord's (a timestamp in the high bits)."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._ms = SANDBOX_EPOCH_MS - DISCORD_EPOCH_MS

    def next(self) -> int:
        # Time moves on between ids, by an uneven step, as ids made over time differ in their
        # timestamp bits; sharding reads those bits (`(guild_id >> 22) % shards`), so guilds
        # spread over shards as on Discord. The low bits are a counter: ids stay unique,
        # increasing and reproducible.
        n = next(self._counter)
        self._ms += 1 + n % 3
        return (self._ms << 22) | (n & 0xFFF)


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

    def payload(self) -> dict[str, Any]:
        """A user object (the spec's UserResponse)."""
        return {
            "id": str(self.id),
            "username": self.name.lower().replace(" ", "_"),
            "discriminator": "0",
            "avatar": None,
            "global_name": self.name,
            "public_flags": 0,
            "flags": 0,
            "bot": self.bot,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "collectibles": None,
            "primary_guild": None,
        }

    def private_payload(self) -> dict[str, Any]:
        """The user as `/users/@me` and READY show it to itself (the spec's UserPIIResponse)."""
        return {
            **self.payload(),
            "mfa_enabled": False,
            "locale": "en-US",
            "verified": True,
            "email": None,
            "premium_type": 0,
        }


def bot_token(bot_id: int) -> str:
    """A token shaped like Discord's: base64 of the bot id, a timestamp part, an HMAC part."""
    head = base64.urlsafe_b64encode(str(bot_id).encode()).decode().rstrip("=")
    return f"{head}.{secrets.token_urlsafe(5)[:6]}.{secrets.token_urlsafe(28)[:38]}"


def bot_id_of_token(token: str) -> int | None:
    head = token.split(".", 1)[0]
    try:
        return int(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except ValueError:
        return None


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


def member_payload(
    user: SandboxUser, joined_at: str, guild_id: int | None = None
) -> dict[str, Any]:
    """A guild member (the spec's GuildMemberResponse) with the permissions an interaction adds;
    `nick` is the member's nickname in that server, if any."""
    member: dict[str, Any] = {
        "user": user.payload(),
        "nick": None,
        "avatar": None,
        "banner": None,
        "roles": [],
        "joined_at": joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
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

    def channel_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.text_channel_id),
            "type": 0,
            "flags": 0,
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
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "application_id": None,
            "region": "deprecated",
            "widget_enabled": False,
            "widget_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_members": 500000,
            "max_presences": None,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "premium_subscription_count": 0,
            "incidents_data": None,
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
            "home_header": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw": False,
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
                    "colors": {
                        "primary_color": 0,
                        "secondary_color": None,
                        "tertiary_color": None,
                    },
                    "icon": None,
                    "unicode_emoji": None,
                    "description": None,
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


def dm_channel_payload(channel_id: int, recipient: SandboxUser) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 1,
        "flags": 0,
        "last_message_id": None,
        "last_pin_timestamp": None,
        "recipients": [recipient.payload()],
    }


def message_payload(
    *,
    message_id: int,
    channel_id: int,
    author: SandboxUser,
    body: dict[str, Any],
    guild_id: int | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {
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
        "embeds": [rich_embed(e) for e in body.get("embeds") or []],
        "pinned": False,
        "type": 0,
        "components": with_component_ids(body.get("components") or []),
        "stickers": [],
        "sticker_items": [],
        "flags": int(body.get("flags") or 0),
    }
    if guild_id is not None:
        message["guild_id"] = str(guild_id)
    nonce = body.get("nonce")
    if nonce is not None:
        message["nonce"] = nonce
    return message


def rich_embed(embed: Any) -> Any:
    """Discord fills in an embed's type (``rich``) when the sender leaves it out."""
    if not isinstance(embed, dict):
        return embed
    return {"type": "rich", **embed}


def with_component_ids(components: Any) -> list[Any]:
    """Discord numbers every component in a message (depth first, from 1) when the sender
    gives no `id`, and answers with those numbers."""
    counter = itertools.count(1)
    taken: set[int] = set()

    def collect(items: list[Any]) -> None:
        for item in items:
            if isinstance(item, dict):
                if isinstance(item.get("id"), int):
                    taken.add(item["id"])
                collect(list(item.get("components") or []))

    def number(items: list[Any]) -> list[Any]:
        out: list[Any] = []
        for item in items:
            if not isinstance(item, dict):
                out.append(item)
                continue
            copy = dict(item)
            if not isinstance(copy.get("id"), int):
                n = next(counter)
                while n in taken:
                    n = next(counter)
                copy["id"] = n
            if "components" in copy:
                copy["components"] = number(list(copy["components"] or []))
            out.append(copy)
        return out

    collect(list(components))
    return number(list(components))


def ready_payload(
    *,
    bot: SandboxUser,
    application_id: int,
    session_id: str,
    resume_url: str,
    guild_ids: list[int],
    shard: tuple[int, int] = (0, 1),
) -> dict[str, Any]:
    return {
        "v": 10,
        "user": bot.private_payload(),
        "user_settings": {},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": [],
        "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_url,
        "shard": list(shard),
        "application": {"id": str(application_id), "flags": 0},
        "_trace": ['["sandbox"]'],
    }


def app_info_payload(
    application_id: int, owner: SandboxUser, bot: SandboxUser, guild_count: int
) -> dict[str, Any]:
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
        "flags_new": "0",
        "type": None,
        "team": None,
        "summary": "",
        "bot": bot.payload(),
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "approximate_guild_count": guild_count,
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "eligible_oauth2_scopes": ["bot", "applications.commands"],
        "integration_types_config": {"0": {}},
    }
