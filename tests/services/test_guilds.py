"""GuildService's own rules: a removal starts a grace period, a return cancels it, and only a
server whose grace period is over is purged."""

from __future__ import annotations

from datetime import timedelta

from bot.services.guilds import PURGE_GRACE
from bot.storage import pairs as pair_store
from tests.services.conftest import GUILD, NOW, Services

OTHER = GUILD + 1


async def test_removal_purges_only_after_the_grace_period(services: Services) -> None:
    pair = await services.pair(1, 2)
    await services.guilds.joined(GUILD)
    assert await services.guilds.left(GUILD) == NOW + PURGE_GRACE

    assert await services.guilds.purge_due(NOW + PURGE_GRACE - timedelta(seconds=1)) == 0
    assert await pair_store.get_pair(services.db, pair.id) is not None
    assert await services.guilds.purge_due(NOW + PURGE_GRACE) == 1
    assert await pair_store.get_pair(services.db, pair.id) is None
    assert await services.guilds.purge_due(NOW + 2 * PURGE_GRACE) == 0


async def test_coming_back_cancels_the_purge(services: Services) -> None:
    pair = await services.pair(1, 2)
    await services.guilds.left(GUILD)
    services.clock.advance(timedelta(days=1))
    assert await services.guilds.joined(GUILD)
    assert not await services.guilds.joined(GUILD)
    assert await services.guilds.purge_due(NOW + 2 * PURGE_GRACE) == 0
    assert await pair_store.get_pair(services.db, pair.id) is not None


async def test_reconcile_catches_up_on_what_happened_while_offline(services: Services) -> None:
    await services.guilds.joined(GUILD)
    await services.guilds.joined(OTHER)
    await services.guilds.reconcile([OTHER])
    assert await services.guilds.purge_due(NOW + PURGE_GRACE) == 1
    # The server still there is kept.
    await services.guilds.reconcile([OTHER])
    assert await services.guilds.purge_due(NOW + 3 * PURGE_GRACE) == 0


async def test_stats_are_counts_only(services: Services) -> None:
    pair = await services.pair(1, 2)
    await services.answers.submit(await services.give(pair), 1, "private words")
    stats = await services.guilds.stats(GUILD)
    assert (stats.members_opted_in, stats.couple_pairs, stats.prompts_sent_week) == (2, 1, 2)
    assert (stats.answered_week, stats.asked_week) == (1, 2)
    assert "private words" not in repr(stats)
    assert (await services.guilds.stats(OTHER)).couple_pairs == 0
