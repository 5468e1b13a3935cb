"""Cogs are tested where they live, through the same sandbox as the end-to-end suite: a command's
surface (its options, permissions and refusals) only exists once Discord has the synced commands.
The fixtures are the end-to-end suite's own, so a cog test starts the bot exactly as they do."""

from __future__ import annotations

from tests.e2e.conftest import bot, harness

__all__ = ["bot", "harness"]
