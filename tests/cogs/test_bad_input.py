"""Every slash command, fed arbitrary option values through the sandbox: unicode, empty, very
long, and wrong types Discord could still deliver (a number for a string, a non-snowflake for a
user). Each run must end in an ephemeral reply that is not an apology for a crash, and a refused
run must leave every table exactly as it was.

Commands are enumerated from what the bot registered, so new commands are covered by default.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.app import CloserBot
from bot.cogs.errors import SOMETHING_WENT_WRONG
from bot.sandbox.driver import Member
from tests.e2e.harness import Harness
from tests.e2e.trust_support import snapshot

pytestmark = pytest.mark.e2e

EXAMPLES = 15  # per command: every example runs every command once

OPTION_STRING, OPTION_INTEGER, OPTION_BOOLEAN, OPTION_USER, OPTION_CHANNEL = 3, 4, 5, 6, 7
OPTION_NUMBER = 10

# Unicode of every kind, including the awkward: combining marks, RTL, emoji, NUL, surrogates
# are excluded (JSON cannot carry lone ones and Discord never sends them).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
LONG = st.builds(
    lambda c, n: c * n, st.characters(exclude_categories=("Cs",)), st.integers(101, 6000)
)
WRONG = st.one_of(
    st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.booleans(), st.none()
)


def leaves(definitions: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(path, option definitions) for every runnable command, subcommands included."""
    out: list[tuple[str, list[dict[str, Any]]]] = []

    def walk(prefix: str, options: list[dict[str, Any]]) -> None:
        subs = [o for o in options if o.get("type") in (1, 2)]
        if not subs:
            out.append((prefix, options))
        for sub in subs:
            walk(f"{prefix} {sub['name']}", list(sub.get("options") or []))

    for command in definitions:
        if command.get("type", 1) == 1:
            walk(command["name"], list(command.get("options") or []))
    return sorted(out, key=lambda leaf: leaf[0])


def value_strategy(option: dict[str, Any], people: dict[str, Any], guild: Any) -> Any:
    kind = option["type"]
    choices = [c["value"] for c in option.get("choices") or []]
    if kind == OPTION_STRING:
        base = st.one_of(TEXT, LONG, WRONG)
        return st.one_of(st.sampled_from(choices), base) if choices else base
    if kind in (OPTION_INTEGER, OPTION_NUMBER):
        return st.one_of(st.integers(-(2**60), 2**60), st.floats(), TEXT, st.booleans())
    if kind == OPTION_BOOLEAN:
        return st.one_of(st.booleans(), TEXT, st.integers())
    if kind == OPTION_USER:
        # People resolved the way Discord resolves them, or raw values Discord would not send.
        return st.one_of(
            st.sampled_from(sorted(people)).map(people.__getitem__),
            TEXT,
            st.integers(-(2**70), 2**70).map(str),
            WRONG,
        )
    if kind == OPTION_CHANNEL:
        return st.one_of(st.just(guild), TEXT, st.integers(0, 2**70).map(str), WRONG)
    return st.one_of(TEXT, WRONG)


async def settle(bot: CloserBot) -> None:
    """Let a tick woken by an earlier command finish, so it does not change rows mid-check."""
    for _ in range(300):
        if not bot.ticker.busy:
            return
        await asyncio.sleep(0.02)


class Spies:
    """Which interactions were refused: by the error handler, or by the options guard."""

    def __init__(self, bot: CloserBot) -> None:
        self.refused: set[int] = set()
        on_error, check = bot.tree.on_error, bot.tree.interaction_check

        async def spy_error(interaction: Any, error: Any) -> None:
            self.refused.add(interaction.id)
            await on_error(interaction, error)

        async def spy_check(interaction: Any) -> bool:
            ok = await check(interaction)
            if not ok:
                self.refused.add(interaction.id)
            return ok

        bot.tree.on_error = spy_error  # type: ignore[method-assign]
        bot.tree.interaction_check = spy_check  # type: ignore[method-assign]


# Hypothesis reuses the function-scoped bot across examples (one bot per test, not per example,
# keeps this under a minute); the cast and spies are set up once per bot.
_WORLDS: weakref.WeakKeyDictionary[CloserBot, tuple[Spies, Member, Member, dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)


def world(harness: Harness, bot: CloserBot) -> tuple[Spies, Member, Member, dict[str, Any]]:
    if bot not in _WORLDS:
        ada = harness.member("Ada")
        boss = harness.member("Boss", manage_guild=True)
        people: dict[str, Any] = {
            "partner": harness.member("Sam"),
            "self": ada,
            "admin": boss,
            "bot": harness.sandbox.add_user("Helper Bot", harness.guild, bot=True),
            "stranger": harness.member("Stranger", in_guild=False),
        }
        _WORLDS[bot] = (Spies(bot), ada, boss, people)
    return _WORLDS[bot]


def test_commands_are_enumerated_from_the_registry() -> None:
    registry = [
        {"name": "a", "type": 1, "options": [{"name": "x", "type": 3}]},
        {
            "name": "b",
            "type": 1,
            "options": [
                {"name": "c", "type": 1, "options": []},
                {"name": "g", "type": 2, "options": [{"name": "d", "type": 1}]},
            ],
        },
        {"name": "menu", "type": 2},
    ]
    assert [path for path, _ in leaves(registry)] == ["a", "b c", "b g d"]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    # No shrinking: each example drives a live bot, and shrinking one failure can take minutes.
    # The failing command and options are in the assertion message instead.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_every_command_survives_arbitrary_options(
    harness: Harness, bot: CloserBot, data: st.DataObject
) -> None:
    spies, ada, boss, people = world(harness, bot)
    commands = leaves(harness.sandbox.guild_commands[harness.guild.id])
    assert {"closer export", "closer forget", "closer-admin stats", "pair invite"} <= {
        path for path, _ in commands
    }
    for path, definitions in commands:
        invoker: Member = data.draw(st.sampled_from([ada, boss]), label="invoker")
        options: dict[str, Any] = {}
        for option in definitions:
            if option.get("required") or data.draw(st.booleans(), label="include"):
                strategy = value_strategy(option, people, harness.guild)
                options[option["name"]] = data.draw(strategy, label=option["name"])
        await settle(bot)
        before = await snapshot(bot.db)
        # _bypass: admin commands are hidden from Ada's client; send them anyway.
        handle = await invoker.slash(path, _bypass=True, **options)
        reply = await handle.reply(timeout=5)
        assert reply.ephemeral, (path, options, reply.text)
        assert reply.text, (path, options)
        assert SOMETHING_WENT_WRONG not in reply.text, (path, options)
        if handle.record.id in spies.refused:
            await settle(bot)
            assert await snapshot(bot.db) == before, (path, options, reply.text)
