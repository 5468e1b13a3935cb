"""The command tree, with one guard in front of every slash command: option values must have
the types their options declare.

discord.py trusts the payload's values: a user option that is not a snowflake raises
`ValueError` while it builds the namespace, before any error handler runs, so the member would
see "The application did not respond" and we would log an unhandled task exception. Discord
validates types itself, but stale clients, other API consumers and our own sandbox can still send
them, so we refuse politely here, in one place, instead of in every command.
"""

from __future__ import annotations

import contextlib
import logging
import math
from typing import Any, cast

import discord
from discord import app_commands
from discord.enums import AppCommandOptionType as T

from bot.cogs.errors import reply_ephemeral

log = logging.getLogger(__name__)

MALFORMED_OPTIONS = (
    "I couldn't read one of those options. Please run the command again and pick from the lists."
)

_SNOWFLAKE_TYPES = {T.user, T.channel, T.role, T.mentionable, T.attachment}
# Where Discord puts the object behind each snowflake option. Without it discord.py hands the
# command a bare `discord.Object`, which has no name, no `bot` flag, no permissions.
_RESOLVED_IN: dict[T, tuple[str, ...]] = {
    T.user: ("users",),
    T.channel: ("channels",),
    T.role: ("roles",),
    T.mentionable: ("users", "roles"),
    T.attachment: ("attachments",),
}
_MAX_SNOWFLAKE = 2**64 - 1


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _value_fits(kind: T, value: Any) -> bool:
    if kind is T.string:
        return isinstance(value, str)
    if kind is T.integer:
        return _is_int(value)
    if kind is T.boolean:
        return isinstance(value, bool)
    if kind is T.number:
        return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)
    if kind in _SNOWFLAKE_TYPES:
        text = str(value) if _is_int(value) or isinstance(value, str) else ""
        return text.isascii() and text.isdigit() and int(text) <= _MAX_SNOWFLAKE
    return True


def option_problem(
    command: app_commands.Command[Any, ..., Any],
    options: list[dict[str, Any]],
    resolved: dict[str, Any] | None = None,
) -> str | None:
    """The first option whose value cannot be what its parameter declares, or None."""
    # By the name Discord shows (`with`), not the Python one (`with_`).
    params = {p.display_name: p for p in command.parameters}
    for option in options:
        name = str(option.get("name", ""))
        param = params.get(name)
        if param is None:
            # An option we no longer declare (a client with stale commands): discord.py ignores it.
            continue
        if "value" not in option:
            return name
        if option.get("focused"):
            # Autocomplete sends what the member has typed so far, whatever the option's type.
            continue
        if not _value_fits(param.type, option["value"]):
            return name
        kinds = _RESOLVED_IN.get(param.type)
        if kinds and not any(
            str(option["value"]) in ((resolved or {}).get(kind) or {}) for kind in kinds
        ):
            return name
    return None


class CloserTree(app_commands.CommandTree[discord.Client]):
    async def _call(self, interaction: discord.Interaction, /) -> None:
        # discord.py's one place where a command's end is known, failures included: it sets
        # the public `command_failed` flag before handing errors to `on_error`.
        try:
            await super()._call(interaction)
        finally:
            observe = getattr(self.client, "observe_interaction", None)
            if observe is not None:
                observe(interaction)

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if interaction.type not in (
            discord.InteractionType.application_command,
            discord.InteractionType.autocomplete,
        ):
            return True
        data = cast(dict[str, Any], interaction.data or {})
        if data.get("type", 1) != 1:
            return True
        try:
            command, options = self._get_app_command_options(cast(Any, data))
        except app_commands.AppCommandError:
            return True  # unknown command: discord.py's own handling applies
        problem = option_problem(
            command, cast(list[dict[str, Any]], options), cast(dict[str, Any], data.get("resolved"))
        )
        if problem is None:
            return True
        log.info(
            "refused malformed options",
            extra={
                "interaction_id": interaction.id,
                "command": command.qualified_name,
                "option": problem[:50],
            },
        )
        if interaction.type is discord.InteractionType.autocomplete:
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.autocomplete([])
        else:
            await reply_ephemeral(interaction, MALFORMED_OPTIONS)
        return False
