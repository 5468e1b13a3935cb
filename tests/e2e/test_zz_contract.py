"""Every REST request the bot made in the end-to-end tests, checked against Discord's OpenAPI spec.

Each end-to-end test's requests are checked when its sandbox stops (tests/e2e/harness.py), in
whichever worker it ran. These tests check, in one place, the requests of every end-to-end test
that ran in this process before them (the file name sorts last); run alone, they drive a short
session themselves so they never pass vacuously.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bot.sandbox.server import RecordedRequest as SandboxRequest
from tests.contract.openapi import ContractValidator, RecordedRequest, spec_path
from tests.contract.recorded import as_contract, distinct, response_problems
from tests.e2e.harness import ALL_REQUESTS, Harness

# What the bot sends does not depend on the database engine.
pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]

SPEC = spec_path()


@pytest.fixture(scope="module")
def validator() -> ContractValidator:
    return ContractValidator.from_file(SPEC)


@pytest.fixture(scope="module")
def strict_validator() -> ContractValidator:
    # What the sandbox answers is held to the letter: snowflakes are strings, as Discord sends.
    return ContractValidator.from_file(SPEC, strict_snowflakes=True)


async def _session(harness: Harness) -> None:
    await harness.start_bot()
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await (await ada.slash("closer help")).reply()
    await (await ada.slash("pair invite", member=sam, relationship="partners")).reply()
    await sam.next_dm()  # the invite: a message the bot posts


async def _requests(harness: Harness) -> list[SandboxRequest]:
    """Every request the end-to-end tests of this process made, plus a session of our own, so
    the check never passes vacuously (run alone, or in a worker that ran few tests)."""
    await _session(harness)
    await harness.stop_bot()
    return [*ALL_REQUESTS, *harness.sandbox.requests]


async def test_every_request_the_bot_made_matches_discords_contract(
    harness: Harness, validator: ContractValidator
) -> None:
    requests = distinct(await _requests(harness))
    # The sandbox answers requests it cannot route with 404; those are bugs too.
    problems: list[str] = []
    routes: set[str] = set()
    for req in requests:
        routes.add(f"{req.method} {req.route}")
        problems += validator.validate(as_contract(req))
    assert not problems, "\n".join(sorted(set(problems))[:50])
    # At least login, command sync and an interaction callback were exercised.
    assert "GET /users/@me" in routes
    assert any(r.startswith("POST /interactions/") for r in routes)
    assert any("/commands" in r for r in routes)
    unknown = {r for r in routes if validator.route_for(*r.split(" ", 1)) is None}
    assert not unknown


def test_the_contract_check_rejects_a_body_discord_would_reject(
    validator: ContractValidator,
) -> None:
    bad = RecordedRequest(
        method="POST",
        path="/channels/123/messages",
        query={},
        content_type="application/json",
        json={"content": "hi", "nonce": "x" * 26, "embeds": {"title": 5}},
    )
    problems = validator.validate(bad)
    assert problems, "a 26-character nonce and a non-list embeds must not pass"


async def test_every_answer_the_sandbox_gave_matches_discords_contract(
    harness: Harness, strict_validator: ContractValidator
) -> None:
    requests = distinct(await _requests(harness))
    problems: list[str] = []
    for req in requests:
        # 5xx answers are the sandbox's injected faults; Discord's spec declares none.
        if req.status < 500:
            problems += response_problems(strict_validator, req)
    counts: dict[str, int] = {}
    for problem in problems:
        counts[problem] = counts.get(problem, 0) + 1
    shown = [f"{n}x {p}" for p, n in sorted(counts.items())]
    assert not problems, f"{len(problems)} violations:\n" + "\n".join(shown[:80])
    routes = {f"{r.method} {r.route}" for r in requests}
    assert {"GET /users/@me", "POST /channels/{channel_id}/messages"} <= routes
    assert any(r.startswith("POST /interactions/") for r in routes)


async def test_the_answer_check_fails_when_a_required_field_is_missing(
    harness: Harness, strict_validator: ContractValidator
) -> None:
    await harness.start_bot()
    me = next(r for r in harness.sandbox.requests if r.path == "/users/@me")
    assert response_problems(strict_validator, me) == []
    broken = dict(me.response or {})
    del broken["public_flags"]
    missing = dataclasses.replace(me, response=broken)
    assert any("public_flags" in p for p in response_problems(strict_validator, missing))


def dispatch_problems(validator: ContractValidator, frame: dict[str, Any]) -> list[str]:
    """The objects inside a gateway event checked against the spec's schemas for them."""
    event, d = frame.get("t"), frame.get("d") or {}
    checks: list[tuple[str, Any, str]] = []
    if event == "READY":
        checks.append(("UserPIIResponse", d["user"], "READY.user"))
    elif event == "GUILD_CREATE":
        checks.append(("GuildResponse", d, "GUILD_CREATE"))
        checks += [("GuildChannelResponse", c, "GUILD_CREATE.channel") for c in d["channels"]]
        checks += [("GuildMemberResponse", m, "GUILD_CREATE.member") for m in d["members"]]
    elif event == "MESSAGE_CREATE":
        checks.append(("MessageResponse", d, "MESSAGE_CREATE"))
    elif event == "INTERACTION_CREATE":
        if "user" in d:
            checks.append(("UserResponse", d["user"], "INTERACTION_CREATE.user"))
        if "member" in d:
            checks.append(("GuildMemberResponse", d["member"], "INTERACTION_CREATE.member"))
        if "message" in d:
            checks.append(("MessageResponse", d["message"], "INTERACTION_CREATE.message"))
        channel = d["channel"]
        kind = "PrivateChannelResponse" if channel["type"] == 1 else "GuildChannelResponse"
        checks.append((kind, channel, "INTERACTION_CREATE.channel"))
    out: list[str] = []
    for schema, instance, where in checks:
        out += validator.validate_object(schema, instance, where)
    return out


async def test_every_object_the_sandbox_dispatched_matches_discords_schemas(
    harness: Harness, strict_validator: ContractValidator
) -> None:
    await harness.start_bot()
    ada, sam = harness.member("Ada"), harness.member("Sam")
    reply = await (await ada.slash("pair invite", member=sam, relationship="partners")).reply()
    invite = await sam.next_dm()
    await (await sam.click(invite, "Accept")).reply()
    await sam.send_dm("hello")
    assert reply.ephemeral
    frames = [f for s in harness.sandbox.gateway.sessions.values() for f in s.backlog]
    events = {f["t"] for f in frames}
    assert {"READY", "GUILD_CREATE", "INTERACTION_CREATE", "MESSAGE_CREATE"} <= events
    problems = sorted({p for f in frames for p in dispatch_problems(strict_validator, f)})
    assert not problems, "\n".join(problems[:60])
