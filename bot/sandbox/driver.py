"""Act as a member: run slash commands, click buttons, fill modals, write DMs, read what arrives.

The driver builds the same INTERACTION_CREATE payloads Discord would, including `resolved` data
for user and channel options, so the bot under test cannot tell it from a person.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.payloads import (
    SandboxGuild,
    SandboxUser,
    dm_channel_payload,
    member_payload,
    member_permissions,
)
from bot.sandbox.server import EPHEMERAL, InteractionRecord, Sandbox

DEFAULT_TIMEOUT = 5.0

OPTION_STRING = 3
OPTION_INTEGER = 4
OPTION_BOOLEAN = 5
OPTION_USER = 6
OPTION_CHANNEL = 7
OPTION_NUMBER = 10


class DriverError(AssertionError):
    """The bot did not do what the driver waited for (an assertion failure in a test)."""


@dataclass
class Reply:
    """What a member sees: a message's content, embeds and components."""

    content: str
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    ephemeral: bool
    message_id: int | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, message: dict[str, Any]) -> Reply:
        flags = int(message.get("flags") or 0)
        return cls(
            content=str(message.get("content") or ""),
            embeds=list(message.get("embeds") or []),
            components=list(message.get("components") or []),
            ephemeral=bool(message.get("_ephemeral")) or bool(flags & EPHEMERAL),
            message_id=int(message["id"]) if "id" in message else None,
            files=list(message.get("_files") or []),
            raw=message,
        )

    @property
    def text(self) -> str:
        """Everything readable, flattened: content, embed titles, descriptions, fields, footers."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [str(embed.get("title") or ""), str(embed.get("description") or "")]
            for f in embed.get("fields") or []:
                parts += [str(f.get("name") or ""), str(f.get("value") or "")]
            footer = embed.get("footer") or {}
            parts.append(str(footer.get("text") or ""))
            author = embed.get("author") or {}
            parts.append(str(author.get("name") or ""))
        return "\n".join(p for p in parts if p)

    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]

    def button(self, label: str) -> dict[str, Any]:
        for c in walk_components(self.components):
            if c.get("type") == 2 and c.get("label") == label:
                return c
        labels = [c.get("label") for c in walk_components(self.components) if c.get("type") == 2]
        raise DriverError(f"no button {label!r} on this message; buttons: {labels}")


def walk_components(components: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for c in components:
        yield c
        yield from walk_components(c.get("components") or [])
        if isinstance(c.get("component"), dict):
            yield from walk_components([c["component"]])


@dataclass
class InteractionHandle:
    sandbox: Sandbox
    record: InteractionRecord

    async def _wait(self, predicate: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DriverError(f"timed out after {timeout}s waiting for {what}")
            self.record.changed.clear()
            if predicate():
                return
            try:
                await asyncio.wait_for(self.record.changed.wait(), remaining)
            except TimeoutError:
                continue

    async def acknowledged(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        """The callback type the bot answered with (4 message, 5 deferred, 6/7 update, 9 modal)."""
        await self._wait(lambda: self.record.response_type is not None, timeout, "a response")
        assert self.record.response_type is not None  # noqa: S101
        return self.record.response_type

    @property
    def ack_latency(self) -> float | None:
        if self.record.responded_at is None:
            return None
        return self.record.responded_at - self.record.created

    async def reply(self, timeout: float = DEFAULT_TIMEOUT) -> Reply:
        """The message the member ends up seeing for this interaction."""
        rtype = await self.acknowledged(timeout)
        record = self.record
        if rtype == 4:
            assert record.original_message_id is not None  # noqa: S101
            return Reply.of(self.sandbox.messages[record.original_message_id])
        if rtype == 5:

            def ready() -> bool:
                original = self.sandbox.messages.get(record.original_message_id or 0)
                edited = original is not None and original.get("edited_timestamp") is not None
                return edited or bool(record.followups)

            await self._wait(ready, timeout, "the deferred reply")
            original = self.sandbox.messages[record.original_message_id or 0]
            if original.get("edited_timestamp") is not None:
                return Reply.of(original)
            return Reply.of(record.followups[0])
        if rtype in (6, 7):
            source = record.payload.get("message") or {}
            if rtype == 6:
                await self._wait(
                    lambda: (
                        bool(record.followups)
                        or self.sandbox.messages.get(int(source.get("id", 0)), {}).get(
                            "edited_timestamp"
                        )
                        is not None
                    ),
                    timeout,
                    "an update or followup",
                )
            if record.followups:
                return Reply.of(record.followups[-1])
            return Reply.of(self.sandbox.messages[int(source["id"])])
        raise DriverError(f"interaction answered with type {rtype}, which shows no message")

    async def followup(self, index: int = 0, timeout: float = DEFAULT_TIMEOUT) -> Reply:
        await self._wait(lambda: len(self.record.followups) > index, timeout, f"followup #{index}")
        return Reply.of(self.record.followups[index])

    async def modal(self, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        rtype = await self.acknowledged(timeout)
        if rtype != 9:
            raise DriverError(f"expected a modal, the bot answered with type {rtype}")
        assert self.record.response_data is not None  # noqa: S101
        return self.record.response_data

    async def choices(self, timeout: float = DEFAULT_TIMEOUT) -> list[dict[str, Any]]:
        rtype = await self.acknowledged(timeout)
        if rtype != 8:
            raise DriverError(f"expected autocomplete choices, got type {rtype}")
        return list((self.record.response_data or {}).get("choices") or [])


class Member:
    """A scripted person in the sandbox."""

    def __init__(self, sandbox: Sandbox, user: SandboxUser, guild: SandboxGuild | None) -> None:
        self.sandbox = sandbox
        self.user = user
        self.guild = guild
        self._cursor = 0

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.name

    def close_dms(self, closed: bool = True) -> None:
        self.user.dms_closed = closed

    # Reading DMs ---------------------------------------------------------------------------
    @property
    def inbox(self) -> list[dict[str, Any]]:
        return self.sandbox.inboxes.setdefault(self.user.id, [])

    def dms(self) -> list[Reply]:
        return [Reply.of(m) for m in self.inbox]

    def unread(self) -> list[Reply]:
        out = [Reply.of(m) for m in self.inbox[self._cursor :]]
        self._cursor = len(self.inbox)
        return out

    async def next_dm(self, timeout: float = DEFAULT_TIMEOUT) -> Reply:
        event = self.sandbox.inbox_changed.setdefault(self.user.id, asyncio.Event())
        deadline = time.monotonic() + timeout
        while len(self.inbox) <= self._cursor:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DriverError(f"{self.name} received no DM within {timeout}s")
            event.clear()
            if len(self.inbox) > self._cursor:
                break
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                continue
        message = self.inbox[self._cursor]
        self._cursor += 1
        return Reply.of(message)

    async def no_dm(self, wait: float = 0.3) -> None:
        await asyncio.sleep(wait)
        if len(self.inbox) > self._cursor:
            got = Reply.of(self.inbox[self._cursor]).text
            raise DriverError(f"{self.name} got an unexpected DM: {got[:200]!r}")

    # Sending -------------------------------------------------------------------------------
    async def send_dm(
        self, content: str, *, attachments: int = 0, reply_to: int | None = None
    ) -> int:
        """Write to the bot; `reply_to` makes it a Discord reply to that message. Returns the
        new message's id."""
        message = await self.sandbox.user_sends_dm(self.user, content, attachments, reply_to)
        return int(message["id"])

    def _base_payload(self, itype: int, *, in_dm: bool) -> tuple[InteractionRecord, dict[str, Any]]:
        sandbox = self.sandbox
        token = "itok." + secrets.token_urlsafe(32)
        iid = sandbox.ids.next()
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(sandbox.application_id),
            "type": itype,
            "token": token,
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": sandbox.attachment_size_limit,
            "app_permissions": str(1 << 11 | 1 << 14 | 1 << 15),
        }
        if in_dm or self.guild is None:
            cid = sandbox.dm_channel_for(self.user.id)
            payload["channel"] = dm_channel_payload(cid, self.user)
            payload["channel_id"] = str(cid)
            payload["user"] = self.user.payload()
            payload["context"] = 1
            payload["authorizing_integration_owners"] = {"0": "0"}
            guild_id = None
        else:
            guild = self.guild
            cid = guild.text_channel_id
            payload["guild_id"] = str(guild.id)
            payload["guild"] = {"id": str(guild.id), "locale": "en-US", "features": []}
            payload["guild_locale"] = "en-US"
            payload["channel"] = dict(guild.channel_payload())
            payload["channel_id"] = str(cid)
            payload["member"] = member_payload(self.user, guild.joined_at, guild.id)
            payload["context"] = 0
            payload["authorizing_integration_owners"] = {"0": str(guild.id)}
            guild_id = guild.id
        record = InteractionRecord(
            id=iid,
            token=token,
            type=itype,
            user_id=self.user.id,
            channel_id=cid,
            guild_id=guild_id,
            created=time.monotonic(),
            payload=payload,
        )
        return record, payload

    async def _fire(self, record: InteractionRecord, payload: dict[str, Any]) -> InteractionHandle:
        record.created = time.monotonic()
        self.sandbox.register_interaction(record)
        await self.sandbox.gateway.dispatch("INTERACTION_CREATE", payload)
        return InteractionHandle(self.sandbox, record)

    def _find_command(self, name: str) -> dict[str, Any]:
        gid = self.guild.id if self.guild else None
        for cmd in self.sandbox.commands_for(gid):
            if cmd["name"] == name and cmd.get("type", 1) == 1:
                return cmd
        known = sorted(c["name"] for c in self.sandbox.commands_for(gid))
        raise DriverError(f"no slash command /{name} registered; registered: {known}")

    def _build_command_data(
        self, path: str, options: dict[str, Any], focused: str | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        names = path.split()
        cmd = self._find_command(names[0])
        if not self.sandbox.users[self.user.id].manage_guild and not options.pop("_bypass", False):
            required = cmd.get("default_member_permissions")
            if required is not None and int(required) & ~member_permissions(self.user):
                raise DriverError(f"/{names[0]} is hidden from {self.name} (permissions)")
        options.pop("_bypass", None)
        level_defs: list[dict[str, Any]] = list(cmd.get("options") or [])
        resolved: dict[str, Any] = {}
        built = self._build_options(level_defs, names[1:], options, resolved, focused)
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": built}
        if resolved:
            data["resolved"] = resolved
        if self.guild is not None:
            data["guild_id"] = str(self.guild.id)
        return data, cmd

    def _build_options(
        self,
        defs: list[dict[str, Any]],
        path: list[str],
        values: dict[str, Any],
        resolved: dict[str, Any],
        focused: str | None,
    ) -> list[dict[str, Any]]:
        if path:
            sub = next((d for d in defs if d["name"] == path[0] and d["type"] in (1, 2)), None)
            if sub is None:
                raise DriverError(f"no subcommand {path[0]!r}; have {[d['name'] for d in defs]}")
            inner = self._build_options(
                list(sub.get("options") or []), path[1:], values, resolved, focused
            )
            return [{"name": sub["name"], "type": sub["type"], "options": inner}]
        out: list[dict[str, Any]] = []
        by_name = {d["name"]: d for d in defs}
        for name, value in values.items():
            definition = by_name.get(name)
            otype = definition["type"] if definition else OPTION_STRING
            option: dict[str, Any] = {"name": name, "type": otype}
            option["value"] = self._option_value(otype, value, resolved)
            if focused == name:
                option["focused"] = True
            out.append(option)
        return out

    def _option_value(self, otype: int, value: Any, resolved: dict[str, Any]) -> Any:
        if otype == OPTION_USER:
            target = value.user if isinstance(value, Member) else value
            if isinstance(target, SandboxUser):
                resolved.setdefault("users", {})[str(target.id)] = target.payload()
                guild = self.guild
                if guild is not None and target.id in guild.member_ids:
                    member = dict(member_payload(target, guild.joined_at, guild.id))
                    member.pop("user", None)
                    resolved.setdefault("members", {})[str(target.id)] = member
                return str(target.id)
            return value
        if otype == OPTION_CHANNEL and isinstance(value, SandboxGuild):
            channel = dict(value.channel_payload())
            resolved.setdefault("channels", {})[channel["id"]] = {
                "id": channel["id"],
                "type": 0,
                "name": channel["name"],
                "permissions": str(1 << 11 | 1 << 10),
                "parent_id": None,
            }
            return channel["id"]
        return value

    async def slash(self, path: str, **options: Any) -> InteractionHandle:
        """Run `/path` (e.g. "pair invite") with options by name. User options take a Member."""
        data, _ = self._build_command_data(path, dict(options))
        record, payload = self._base_payload(2, in_dm=False)
        payload["data"] = data
        return await self._fire(record, payload)

    async def autocomplete(self, path: str, focused: str, **options: Any) -> InteractionHandle:
        data, _ = self._build_command_data(path, dict(options), focused=focused)
        record, payload = self._base_payload(4, in_dm=False)
        payload["data"] = data
        return await self._fire(record, payload)

    async def click(
        self,
        message: Reply,
        label_or_id: str,
        *,
        forge: bool = False,
        values: list[str] | None = None,
    ) -> InteractionHandle:
        """Press a button (by label or custom_id) or choose in a select menu on a message.

        `forge=True` sends a custom_id the message does not carry, as a malicious client might.
        """
        component = None
        for c in walk_components(message.components):
            if c.get("label") == label_or_id or c.get("custom_id") == label_or_id:
                component = c
                break
        if component is None and not forge:
            raise DriverError(f"no component {label_or_id!r}; have {message.custom_ids()}")
        custom_id = component["custom_id"] if component else label_or_id
        ctype = int(component["type"]) if component else 2
        in_dm = int(message.raw.get("channel_id", 0)) in self.sandbox.channel_owner
        record, payload = self._base_payload(3, in_dm=in_dm)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": ctype}
        if values is not None:
            data["values"] = values
        payload["data"] = data
        payload["message"] = {k: v for k, v in message.raw.items() if not k.startswith("_")}
        return await self._fire(record, payload)

    async def submit_modal(
        self,
        modal: dict[str, Any],
        values: dict[str, str],
        *,
        in_dm: bool = True,
        source: Reply | None = None,
    ) -> InteractionHandle:
        """Submit a modal the bot opened; `values` maps text-input custom_ids (or labels)."""
        rows: list[dict[str, Any]] = []
        for top in modal.get("components") or []:
            inputs = [c for c in walk_components([top]) if c.get("type") == 4]
            for text_input in inputs:
                key = text_input["custom_id"]
                label = text_input.get("label") or top.get("label")
                value = values.get(key, values.get(str(label), text_input.get("value", "")))
                submitted = {"type": 4, "custom_id": key, "value": value}
                if top.get("type") == 18:
                    rows.append({"type": 18, "id": top.get("id", 0), "component": submitted})
                else:
                    rows.append({"type": 1, "components": [submitted]})
        record, payload = self._base_payload(5, in_dm=in_dm)
        payload["data"] = {"custom_id": modal["custom_id"], "components": rows}
        if source is not None:
            payload["message"] = {k: v for k, v in source.raw.items() if not k.startswith("_")}
        return await self._fire(record, payload)


def member(sandbox: Sandbox, name: str, guild: SandboxGuild | None, **kwargs: Any) -> Member:
    return Member(sandbox, sandbox.add_user(name, guild, **kwargs), guild)
