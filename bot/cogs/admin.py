"""`/closer-admin …`: where Closer posts, and how much it is used. Counts only, never content.

Discord hides the group from members without Manage Server (`default_permissions`), but that is
a client-side default a server can override and a modified client can ignore, so every command
here checks the invoking member's permissions again on our side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.interact import services_of
from bot.errors import UserFacingError
from bot.services.guilds import GuildStats
from bot.ui import closeness_messages as closeness_copy
from bot.ui import trust
from bot.ui.payload import embed

if TYPE_CHECKING:
    from bot.compose import Services


def require_manage_guild(interaction: discord.Interaction) -> int:
    """The server id, if the member may manage it; otherwise a refusal (nothing changes)."""
    if interaction.guild_id is None:
        raise UserFacingError("That command works inside a server, not in DMs.")
    if not interaction.permissions.manage_guild:
        raise UserFacingError(trust.MANAGE_SERVER_NEEDED)
    return interaction.guild_id


def _can_post(channel: Any, guild: discord.Guild | None) -> bool:
    # A resolved channel from the interaction may not be in our cache; when we can't tell,
    # let the admin choose it: a later failed post is logged and skipped, never retried forever.
    me = guild.me if guild is not None else None
    if me is None or not isinstance(channel, discord.abc.GuildChannel):
        return True
    perms = channel.permissions_for(me)
    return perms.view_channel and perms.send_messages


def stats_embed(stats: GuildStats) -> dict[str, Any]:
    rate = stats.answer_rate
    answered = (
        "No prompts given in the last 7 days."
        if rate is None
        else f"{rate:.0%} ({stats.answered_week} of {stats.asked_week})"
    )
    return embed(
        "Closer in this server",
        "How much Closer is used here. Counts only: nobody's answers or prompts are shown to "
        "admins, ever.",
        fields=[
            ("Members taking part", str(stats.members_opted_in)),
            ("Couple pairs", str(stats.couple_pairs)),
            ("Circles", f"{stats.circles} ({stats.circle_groups} groups this round)"),
            ("Prompts sent, last 7 days", str(stats.prompts_sent_week)),
            ("Answered, last 7 days", answered),
        ],
        footer="Pairs and circles that are active or paused.",
    )


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AdminCog(
    commands.GroupCog,
    group_name="closer-admin",
    group_description="Set up Closer for this server (Manage Server)",
):
    def __init__(self, services: Services) -> None:
        self.services = services

    @app_commands.command(
        name="setup", description="Where Closer posts circle rounds and challenge summaries"
    )
    @app_commands.describe(channel="A text channel members can read")
    async def setup(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        guild_id = require_manage_guild(interaction)
        if not _can_post(channel, interaction.guild):
            raise UserFacingError(
                f"I can't post in <#{channel.id}>. Let Closer view and send messages there, "
                "then try again."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.services.guilds.set_announce_channel(guild_id, channel.id)
        await interaction.followup.send(
            f"Closer will post circle rounds and challenge summaries in <#{channel.id}>. "
            "Those posts hold counts and names only, never anyone's answers.",
            ephemeral=True,
        )

    @app_commands.command(name="stats", description="How much Closer is used here (counts only)")
    async def stats(self, interaction: discord.Interaction) -> None:
        guild_id = require_manage_guild(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        stats = await self.services.guilds.stats(guild_id)
        data = stats_embed(stats)
        # Check-ins are a distribution only, and only with enough members behind it.
        data["fields"].append(
            {
                "name": closeness_copy.STATS_NAME,
                "value": await self.services.closeness.guild_summary(guild_id),
                "inline": False,
            },
        )
        await interaction.followup.send(embed=discord.Embed.from_dict(data), ephemeral=True)


class GuildLifecycle(commands.Cog):
    """Joins and removals: a removal schedules the server's purge, a return cancels it."""

    def __init__(self, bot: commands.Bot, services: Services) -> None:
        self.bot = bot
        self.services = services

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.services.guilds.left(guild.id)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.services.guilds.joined(guild.id)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # READY follows every fresh IDENTIFY (start-up, invalidated sessions), so removals that
        # happened while we were away are caught here.
        try:
            await self.services.guilds.reconcile(g.id for g in self.bot.guilds)
        except Exception:
            if not self.bot.is_closed():
                raise
            # Shutting down right after READY: storage closed under us; the next start redoes it.


async def setup(bot: commands.Bot) -> None:
    services = services_of(bot)
    await bot.add_cog(AdminCog(services))
    await bot.add_cog(GuildLifecycle(bot, services))
