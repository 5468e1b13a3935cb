"""Tests for the OpenAPI contract validator (tests/contract/openapi.py).

Two kinds of good bodies are checked: hand-written realistic ones, and ones produced by
discord.py's own payload builders (the exact code paths the bot's requests go through).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any, Literal

import pytest

from tests.contract.openapi import ContractValidator, RecordedRequest, spec_path

SPEC = spec_path()

import discord  # noqa: E402
from discord import app_commands  # noqa: E402
from discord.http import handle_message_parameters  # noqa: E402
from discord.webhook.async_ import (  # noqa: E402
    interaction_message_response_params,
    interaction_response_params,
)

JSON = "application/json"
MULTIPART = "multipart/form-data; boundary=----closer"
CALLBACK = "/api/v10/interactions/111/aW50ZXJhY3Rpb246MTExOnRva2Vu/callback"
WEBHOOK = "/api/v10/webhooks/222/aW50ZXJhY3Rpb246MTExOnRva2Vu"


@pytest.fixture(scope="module")
def validator() -> ContractValidator:
    return ContractValidator.from_file(SPEC)


@pytest.fixture(scope="module")
def strict() -> ContractValidator:
    return ContractValidator.from_file(SPEC, strict_snowflakes=True, reject_undeclared=True)


def req(
    method: str,
    path: str,
    body: Any = None,
    *,
    query: dict[str, str] | None = None,
    content_type: str | None = None,
) -> RecordedRequest:
    if content_type is None and body is not None:
        content_type = JSON
    return RecordedRequest(method, path, query or {}, content_type, body)


# --------------------------------------------------------------------------- routing


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("POST", "/api/v10/users/@me/channels", "/users/@me/channels"),
        ("GET", "/api/v10/users/@me", "/users/@me"),
        ("GET", "/api/v9/users/80351110224678912", "/users/{user_id}"),
        ("GET", "/oauth2/applications/@me", "/oauth2/applications/@me"),
        ("POST", "/channels/1/messages", "/channels/{channel_id}/messages"),
        ("PATCH", "/channels/1/messages/2", "/channels/{channel_id}/messages/{message_id}"),
        ("GET", "/channels/1/messages/pins", "/channels/{channel_id}/messages/pins"),
        ("POST", CALLBACK, "/interactions/{interaction_id}/{interaction_token}/callback"),
        ("POST", WEBHOOK, "/webhooks/{webhook_id}/{webhook_token}"),
        (
            "PATCH",
            WEBHOOK + "/messages/@original",
            "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
        ),
        (
            "PATCH",
            WEBHOOK + "/messages/333",
            "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
        ),
        ("PUT", "/api/v10/applications/9/commands", "/applications/{application_id}/commands"),
        (
            "PUT",
            "/api/v10/applications/9/guilds/8/commands",
            "/applications/{application_id}/guilds/{guild_id}/commands",
        ),
        (
            "PUT",
            "/channels/1/messages/2/reactions/%F0%9F%91%8D/@me",
            "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me",
        ),
        ("GET", "/api/v10/users/@me/", "/users/@me"),
    ],
)
def test_route_for_prefers_most_literal_template(
    validator: ContractValidator, method: str, path: str, template: str
) -> None:
    assert validator.route_for(method, path) == template


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v10/no/such/route"), ("GET", "/users/@me/channels"), ("POST", "/users/@me")],
)
def test_route_for_unknown_route_or_method(
    validator: ContractValidator, method: str, path: str
) -> None:
    assert validator.route_for(method, path) is None


# --------------------------------------------------------------------------- good bodies

EMBED = {
    "title": "Today's prompt",
    "description": "What made you smile this week?",
    "color": 0x5865F2,
    "timestamp": "2026-01-02T03:04:05+00:00",
    "footer": {"text": "Closer · day 12"},
    "fields": [{"name": "Streak", "value": "12 days", "inline": True}],
}
BUTTONS = [
    {
        "type": 1,
        "components": [
            {"type": 2, "style": 1, "label": "Answer", "custom_id": "prompt:answer:42"},
            {"type": 2, "style": 2, "label": "Skip", "custom_id": "prompt:skip:42"},
            {"type": 2, "style": 5, "label": "Help", "url": "https://example.com/help"},
        ],
    }
]
MODAL_DATA = {
    "custom_id": "prompt:modal:42",
    "title": "Your answer",
    "components": [
        {
            "type": 1,
            "components": [
                {
                    "type": 4,
                    "custom_id": "answer",
                    "style": 2,
                    "label": "Answer",
                    "placeholder": "Take your time…",
                    "required": True,
                    "min_length": 1,
                    "max_length": 1000,
                }
            ],
        }
    ],
}
SLASH_COMMANDS: list[dict[str, Any]] = [
    {
        "name": "pair",
        "description": "Manage your pairing",
        "type": 1,
        "default_member_permissions": 32,
        "dm_permission": False,
        "contexts": [0],
        "integration_types": [0],
        "options": [
            {
                "type": 1,
                "name": "invite",
                "description": "Invite someone to pair with you",
                "options": [
                    {"type": 6, "name": "user", "description": "Who", "required": True},
                    {"type": 3, "name": "note", "description": "A note", "max_length": 200},
                ],
            },
            {
                "type": 1,
                "name": "cadence",
                "description": "How often prompts arrive",
                "options": [
                    {
                        "type": 4,
                        "name": "days",
                        "description": "Every N days",
                        "required": True,
                        "choices": [{"name": "daily", "value": 1}, {"name": "weekly", "value": 7}],
                    },
                    {
                        "type": 7,
                        "name": "channel",
                        "description": "Where to post",
                        "channel_types": [0, 5],
                    },
                    {"type": 5, "name": "paused", "description": "Pause prompts"},
                ],
            },
        ],
    },
    {
        "name": "prompt",
        "description": "Get a prompt now",
        "type": 1,
        "name_localizations": {"fr": "question"},
        "description_localizations": {"fr": "Obtenir une question"},
        "default_member_permissions": None,
        "dm_permission": True,
        "contexts": [0, 1, 2],
        "integration_types": [0, 1],
        "options": [
            {
                "type": 3,
                "name": "topic",
                "description": "Topic",
                "required": True,
                "autocomplete": True,
                "min_length": 1,
                "max_length": 50,
            },
            {
                "type": 4,
                "name": "depth",
                "description": "How deep",
                "min_value": 1,
                "max_value": 5,
            },
            {
                "type": 3,
                "name": "mood",
                "description": "Mood",
                "choices": [
                    {"name": "light", "value": "light", "name_localizations": {"fr": "léger"}},
                    {"name": "deep", "value": "deep"},
                ],
            },
        ],
    },
]

GOOD: list[tuple[str, RecordedRequest]] = [
    ("open DM", req("POST", "/api/v10/users/@me/channels", {"recipient_id": "80351110224678912"})),
    (
        "send message",
        req(
            "POST",
            "/api/v10/channels/123/messages",
            {
                "content": "Here's today's prompt 💬",
                "embeds": [EMBED],
                "components": BUTTONS,
                "nonce": "1700000000000000000-00001",
                "enforce_nonce": True,
                "tts": False,
                "allowed_mentions": {"parse": [], "users": ["80351110224678912"]},
            },
        ),
    ),
    (
        "edit message",
        req(
            "PATCH",
            "/api/v10/channels/123/messages/456",
            {"content": "Answered ✅", "embeds": [EMBED], "components": []},
        ),
    ),
    (
        "callback 4",
        req(
            "POST",
            CALLBACK,
            {"type": 4, "data": {"content": "Saved!", "flags": 64, "embeds": [EMBED]}},
            query={"with_response": "true"},
        ),
    ),
    (
        "callback 5",
        req("POST", CALLBACK, {"type": 5, "data": {"flags": 64}}, query={"with_response": "true"}),
    ),
    ("callback 6", req("POST", CALLBACK, {"type": 6}, query={"with_response": "true"})),
    (
        "callback 7",
        req(
            "POST",
            CALLBACK,
            {"type": 7, "data": {"content": "Thanks!", "components": BUTTONS}},
            query={"with_response": "true"},
        ),
    ),
    (
        "callback 9 modal",
        req("POST", CALLBACK, {"type": 9, "data": MODAL_DATA}, query={"with_response": "true"}),
    ),
    (
        "followup",
        req(
            "POST",
            WEBHOOK,
            {"content": "Follow-up", "embeds": [EMBED], "components": BUTTONS, "flags": 64},
            query={"wait": "true"},
        ),
    ),
    (
        "edit original",
        req("PATCH", WEBHOOK + "/messages/@original", {"content": "Edited", "components": []}),
    ),
    ("global commands", req("PUT", "/api/v10/applications/999/commands", SLASH_COMMANDS)),
    (
        "guild commands",
        req("PUT", "/api/v10/applications/999/guilds/888/commands", SLASH_COMMANDS),
    ),
    ("get me", req("GET", "/api/v10/users/@me")),
    ("get application", req("GET", "/api/v10/oauth2/applications/@me")),
]


@pytest.mark.parametrize("request_", [r for _, r in GOOD], ids=[name for name, _ in GOOD])
def test_realistic_bodies_pass(validator: ContractValidator, request_: RecordedRequest) -> None:
    assert validator.validate(request_) == []


def test_multipart_payload_json_is_validated_against_json_schema(
    validator: ContractValidator,
) -> None:
    payload = {"content": "a file", "attachments": [{"id": "0", "filename": "answers.txt"}]}
    assert (
        validator.validate(req("POST", "/channels/1/messages", payload, content_type=MULTIPART))
        == []
    )
    bad = {"content": 5, "attachments": [{"filename": "answers.txt"}]}
    problems = validator.validate(req("POST", "/channels/1/messages", bad, content_type=MULTIPART))
    assert problems == [
        "POST /channels/{channel_id}/messages: body.content: 5 is not of type 'string', 'null'",
        "POST /channels/{channel_id}/messages: body.attachments[0]: 'id' is a required property",
    ]


def test_integer_snowflakes_accepted_unless_strict(
    validator: ContractValidator, strict: ContractValidator
) -> None:
    request = req("POST", "/users/@me/channels", {"recipient_id": 80351110224678912})
    assert validator.validate(request) == []
    assert strict.validate(request) == [
        "POST /users/@me/channels: body.recipient_id: 80351110224678912 is not of type "
        "'null' or 'string'"
    ]


# --------------------------------------------------------------------------- bad bodies

MSG = "POST /channels/{channel_id}/messages"
CB = "POST /interactions/{interaction_id}/{interaction_token}/callback"


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        pytest.param(
            req("POST", "/channels/1/messages", {"content": "hi", "nonce": "x" * 26}),
            [f"{MSG}: body.nonce: '{'x' * 26}' is too long"],
            id="nonce too long",
        ),
        pytest.param(
            req("POST", "/channels/1/messages", {"content": 5}),
            [f"{MSG}: body.content: 5 is not of type 'string', 'null'"],
            id="content not a string",
        ),
        pytest.param(
            req("POST", "/channels/1/messages", {"embeds": {"title": "x"}}),
            [f"{MSG}: body.embeds: {{'title': 'x'}} is not of type 'array', 'null'"],
            id="embeds not a list",
        ),
        pytest.param(
            req("POST", "/channels/1/messages", {"embeds": [{"title": 5}]}),
            [f"{MSG}: body.embeds[0].title: 5 is not of type 'string', 'null'"],
            id="embed title not a string",
        ),
        pytest.param(
            req(
                "POST",
                "/channels/1/messages",
                {"components": [{"type": 1, "components": [{"type": 2, "style": 9}]}]},
            ),
            [f"{MSG}: body.components[0].components[0].style: 9 is not one of [1, 2, 3, 4, 5, 6]"],
            id="bad button style",
        ),
        pytest.param(
            req("POST", "/api/v10/no/such/route", {"a": 1}),
            ["POST /no/such/route: route not in Discord's spec"],
            id="unknown route",
        ),
        pytest.param(
            req("DELETE", "/api/v10/users/@me/channels"),
            [
                "DELETE /users/@me/channels: route not in Discord's spec "
                "(/users/@me/channels only allows POST)"
            ],
            id="unknown method",
        ),
        pytest.param(
            req("POST", CALLBACK, {"type": 42}, query={"with_response": "true"}),
            [f"{CB}: body.type: 42 is not one of [1, 4, 5, 6, 7, 8, 9, 12, 13]"],
            id="invalid callback type",
        ),
        pytest.param(
            req("POST", CALLBACK, {"type": 4, "data": {"embeds": [{"title": 5}]}}),
            [f"{CB}: body.data.embeds[0].title: 5 is not of type 'string', 'null'"],
            id="callback nested error",
        ),
        pytest.param(
            req("POST", CALLBACK, {"type": 9, "data": {"title": "Answer"}}),
            [
                f"{CB}: body.data: 'custom_id' is a required property",
                f"{CB}: body.data: 'components' is a required property",
            ],
            id="modal missing fields",
        ),
        pytest.param(
            req("GET", "/api/v10/users/@me", {"a": 1}),
            ["GET /users/@me: body: operation takes no request body, got {'a': 1}"],
            id="body on GET",
        ),
        pytest.param(
            req("POST", "/channels/1/messages", None, content_type=JSON),
            [f"{MSG}: body: request body is required but none was sent"],
            id="missing body",
        ),
        pytest.param(
            req("POST", "/channels/1/messages", {"content": "x"}, content_type="text/plain"),
            [
                f"{MSG}: body: content type 'text/plain' not accepted (spec lists: "
                "application/json, application/x-www-form-urlencoded, multipart/form-data)"
            ],
            id="unsupported content type",
        ),
        pytest.param(
            req("POST", "/channels/abc/messages", {"content": "x"}),
            [f"{MSG}: path.channel_id: 'abc' does not match '^(0|[1-9][0-9]*)$'"],
            id="bad path snowflake",
        ),
        pytest.param(
            req("PUT", "/applications/1/commands", [{"name": "x" * 33, "description": "d"}]),
            [
                "PUT /applications/{application_id}/commands: body[0].name: "
                f"'{'x' * 33}' is too long"
            ],
            id="command name too long",
        ),
        pytest.param(
            req(
                "PUT",
                "/applications/1/commands",
                [{"name": "x", "description": "d", "options": [{"type": 99, "name": "o"}]}],
            ),
            [
                "PUT /applications/{application_id}/commands: body[0].options[0].type: "
                "99 is not one of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]"
            ],
            id="bad option type",
        ),
    ],
)
def test_bad_requests_fail_readably(
    validator: ContractValidator, request_: RecordedRequest, expected: list[str]
) -> None:
    assert validator.validate(request_) == expected


# --------------------------------------------------------------------------- query params


@pytest.mark.parametrize("value", ["true", "false", "True", "1", "0"])
def test_boolean_query_values_accepted(validator: ContractValidator, value: str) -> None:
    request = req("POST", CALLBACK, {"type": 6}, query={"with_response": value})
    assert validator.validate(request) == []


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        (
            CALLBACK,
            {"with_response": "maybe"},
            f"{CB}: query.with_response: 'maybe' is not a boolean (expected true/false/1/0)",
        ),
        (
            CALLBACK,
            {"wait": "true"},
            f"{CB}: query.wait: unknown query parameter (spec declares: with_response)",
        ),
        (
            WEBHOOK,
            {"thread_id": "general"},
            "POST /webhooks/{webhook_id}/{webhook_token}: query.thread_id: "
            "'general' does not match '^(0|[1-9][0-9]*)$'",
        ),
        (
            "/channels/1/messages?limit=500",
            {},
            "GET /channels/{channel_id}/messages: query.limit: 500 is greater than the "
            "maximum of 100",
        ),
        (
            "/channels/1/messages",
            {"limit": "ten"},
            "GET /channels/{channel_id}/messages: query.limit: 'ten' is not an integer",
        ),
    ],
)
def test_bad_query_params(
    validator: ContractValidator, path: str, query: dict[str, str], expected: str
) -> None:
    method = "POST" if "callback" in path or path == WEBHOOK else "GET"
    body = {"type": 6} if "callback" in path else ({"content": "x"} if method == "POST" else None)
    assert validator.validate(req(method, path, body, query=query)) == [expected]


# --------------------------------------------------------------------------- discord.py itself
#
# Build payloads with discord.py's own builders so the test tracks what the library really
# sends (including fields a hand-written body would forget).

FIXED_TS = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


class _Translator(app_commands.Translator):
    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        return f"{string.message}-fr"[:32] if locale is discord.Locale.french else None


def _build_tree() -> app_commands.CommandTree[discord.Client]:
    client = discord.Client(intents=discord.Intents.default())
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
    pair = app_commands.Group(
        name="pair",
        description="Manage your pairing",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    @pair.command(name="invite", description="Invite someone")
    @app_commands.describe(user="Who to pair with", note="A note for them")
    async def invite(i: discord.Interaction, user: discord.User, note: str | None = None) -> None:
        """Invite."""

    @pair.command(name="cadence", description="Set how often prompts arrive")
    @app_commands.choices(
        days=[
            app_commands.Choice(name="daily", value=1),
            app_commands.Choice(name="weekly", value=7),
        ]
    )
    async def cadence(
        i: discord.Interaction,
        days: app_commands.Choice[int],
        channel: discord.TextChannel,
        paused: bool = False,
    ) -> None:
        """Cadence."""

    tree.add_command(pair)

    @tree.command(name="prompt", description="Get a prompt now")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.allowed_installs(guilds=True, users=True)
    async def prompt(
        i: discord.Interaction,
        topic: app_commands.Range[str, 1, 50],
        depth: app_commands.Range[int, 1, 5] = 3,
        mood: Literal["light", "deep"] = "light",
    ) -> None:
        """Prompt."""

    @prompt.autocomplete("topic")
    async def topic_autocomplete(
        i: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return []

    @tree.context_menu(name="Share prompt")
    async def share(i: discord.Interaction, message: discord.Message) -> None:
        """Share."""

    return tree


async def _command_payloads() -> dict[str, list[dict[str, Any]]]:
    tree = _build_tree()
    commands = tree.get_commands()
    plain = [c.to_dict(tree) for c in commands]
    await tree.set_translator(_Translator())
    assert tree.translator is not None
    translated = [await c.get_translated_payload(tree, tree.translator) for c in commands]
    return {"plain": plain, "translated": translated}


def _view() -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(label="Answer", custom_id="answer:1", style=discord.ButtonStyle.primary)
    )
    view.add_item(discord.ui.Button(label="Help", url="https://example.com/help"))
    return view


def _embed() -> discord.Embed:
    embed = discord.Embed(title="Prompt", description="d", colour=0x5865F2, timestamp=FIXED_TS)
    return embed.add_field(name="Streak", value="3").set_footer(text="Closer")


class _Modal(discord.ui.Modal, title="Your answer"):
    answer: discord.ui.TextInput[discord.ui.Modal] = discord.ui.TextInput(
        label="Answer", style=discord.TextStyle.paragraph, max_length=1000, custom_id="answer"
    )


async def _library_requests() -> list[tuple[str, RecordedRequest]]:
    commands = await _command_payloads()
    send = handle_message_parameters(
        content="hi",
        embed=_embed(),
        view=_view(),
        nonce="1700000000000000000",
        allowed_mentions=discord.AllowedMentions(users=[discord.Object(42)], everyone=False),
        message_reference=discord.MessageReference(message_id=5, channel_id=6).to_dict(),
        mention_author=True,
    )
    with_file = handle_message_parameters(
        content="file", file=discord.File(io.BytesIO(b"x"), filename="a.txt", description="d")
    )
    assert with_file.multipart is not None
    payload_json = json.loads(with_file.multipart[0]["value"])
    edit = handle_message_parameters(content="edited", embeds=[], view=None)
    followup = handle_message_parameters(content="follow", embed=_embed(), view=_view())
    respond = interaction_message_response_params(
        type=4,
        content="hi",
        embed=_embed(),
        view=_view(),
        flags=discord.MessageFlags(ephemeral=True),
    )
    update = interaction_message_response_params(type=7, content="upd", view=None)
    modal = interaction_response_params(9, _Modal(custom_id="modal:1").to_dict())
    q = {"with_response": "1"}  # what discord.py sends
    return [
        ("global sync", req("PUT", "/applications/9/commands", commands["plain"])),
        (
            "guild sync i18n",
            req("PUT", "/applications/9/guilds/8/commands", commands["translated"]),
        ),
        ("open DM", req("POST", "/users/@me/channels", {"recipient_id": 42})),
        ("send", req("POST", "/channels/1/messages", send.payload)),
        ("send file", req("POST", "/channels/1/messages", payload_json, content_type=MULTIPART)),
        ("edit", req("PATCH", "/channels/1/messages/2", edit.payload)),
        ("respond", req("POST", CALLBACK, respond.payload, query=q)),
        (
            "defer",
            req("POST", CALLBACK, interaction_response_params(5, {"flags": 64}).payload, query=q),
        ),
        ("ack", req("POST", CALLBACK, interaction_response_params(6).payload, query=q)),
        ("update", req("POST", CALLBACK, update.payload, query=q)),
        ("modal", req("POST", CALLBACK, modal.payload, query=q)),
        (
            "followup",
            req("POST", WEBHOOK, followup.payload, query={"wait": "1", "with_components": "1"}),
        ),
        (
            "edit original",
            req(
                "PATCH",
                WEBHOOK + "/messages/@original",
                edit.payload,
                query={"with_components": "0"},
            ),
        ),
    ]


async def test_discord_py_payloads_validate(validator: ContractValidator) -> None:
    problems = {name: validator.validate(r) for name, r in await _library_requests()}
    assert problems == {name: [] for name in problems}


# Everything discord.py 2.7.1 sends that the spec doesn't *declare* (the spec never forbids
# extra properties, so these pass by default; Discord ignores them today). Integer snowflakes
# are likewise outside the letter of the spec (SnowflakeType is a string) but accepted by
# Discord. Run with strict_snowflakes/reject_undeclared to see them; any *new* deviation fails.
KNOWN_STRICT_DEVIATIONS = {
    # `nsfw` on every top-level command: not in ApplicationCommandUpdateRequest.
    "PUT /applications/{application_id}/commands: body[0]: "
    "Unevaluated properties are not allowed ('nsfw' was unexpected)",
    "PUT /applications/{application_id}/commands: body[1]: "
    "Unevaluated properties are not allowed ('nsfw' was unexpected)",
    "PUT /applications/{application_id}/commands: body[2]: "
    "Unevaluated properties are not allowed ('nsfw' was unexpected)",
    "PUT /applications/{application_id}/guilds/{guild_id}/commands: body[0]: "
    "Unevaluated properties are not allowed ('nsfw' was unexpected)",
    "PUT /applications/{application_id}/guilds/{guild_id}/commands: body[1]: "
    "Unevaluated properties are not allowed ('nsfw' was unexpected)",
    "PUT /applications/{application_id}/guilds/{guild_id}/commands: body[2]: "
    "Unevaluated properties are not allowed ('nsfw' was unexpected)",
    # Integer snowflakes.
    "POST /users/@me/channels: body.recipient_id: 42 is not of type 'null' or 'string'",
    "POST /channels/{channel_id}/messages: body.allowed_mentions.users[0]: "
    "42 is not of type 'null' or 'string'",
    "POST /channels/{channel_id}/messages: body.message_reference.channel_id: "
    "6 is not of type 'null' or 'string'",
    "POST /channels/{channel_id}/messages: body.message_reference.message_id: "
    "5 is not of type 'string'",
    "POST /channels/{channel_id}/messages: body.attachments[0].id: 0 is not of type 'string'",
    # Embed.to_dict() includes `flags`; RichEmbed doesn't declare it.
    "POST /channels/{channel_id}/messages: body.embeds[0]: "
    "Unevaluated properties are not allowed ('flags' was unexpected)",
    f"{CB}: body.data.embeds[0]: Unevaluated properties are not allowed ('flags' was unexpected)",
    "POST /webhooks/{webhook_id}/{webhook_token}: body.embeds[0]: "
    "Unevaluated properties are not allowed ('flags' was unexpected)",
    # `tts` on edits (always sent by discord.py) isn't declared for edit/update schemas.
    "PATCH /channels/{channel_id}/messages/{message_id}: body: "
    "Unevaluated properties are not allowed ('tts' was unexpected)",
    f"{CB}: body.data: Unevaluated properties are not allowed ('tts' was unexpected)",
    "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original: body: "
    "Unevaluated properties are not allowed ('tts' was unexpected)",
}


async def test_discord_py_strict_deviations_are_known(strict: ContractValidator) -> None:
    found = {p for _, r in await _library_requests() for p in strict.validate(r)}
    assert found - KNOWN_STRICT_DEVIATIONS == set()


def test_reject_undeclared_catches_typos(
    validator: ContractValidator, strict: ContractValidator
) -> None:
    request = req("POST", "/channels/1/messages", {"content": "x", "embed": {"title": "t"}})
    assert validator.validate(request) == []
    assert strict.validate(request) == [
        f"{MSG}: body: Unevaluated properties are not allowed ('embed' was unexpected)"
    ]


def test_validators_are_compiled_once_per_operation(validator: ContractValidator) -> None:
    request = req("POST", "/channels/1/messages", {"content": "x"})
    validator.validate(request)
    compiled = validator._body_validators[
        ("/channels/{channel_id}/messages", "post", "application/json")
    ]
    validator.validate(request)
    assert (
        validator._body_validators[("/channels/{channel_id}/messages", "post", "application/json")]
        is compiled
    )
