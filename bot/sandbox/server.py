"""A local Discord: REST v10 and a gateway on 127.0.0.1 that the unmodified discord.py client uses.

It implements only what Closer touches, but implements it the way Discord behaves where a bot can
get it wrong: rate limits and 429s, nonce de-duplication, DMs closed (50007), the 3-second
interaction deadline (10062), 5xx faults and dropped gateways. Every REST request is recorded so
tests can check the bot's calls against Discord's OpenAPI contract.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import yarl
from aiohttp import web

from bot.sandbox.gateway import GatewayHub, Session, shard_of
from bot.sandbox.limits import Faults, GlobalLimit, RouteBuckets
from bot.sandbox.payloads import (
    SandboxGuild,
    SandboxUser,
    Snowflakes,
    app_info_payload,
    bot_token,
    dm_channel_payload,
    iso_now,
    message_payload,
    ready_payload,
    rich_embed,
    with_component_ids,
)

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
INTERACTION_DEADLINE = 3.0
NONCE_WINDOW = 300.0
# Per file, as Discord applies it; interactions carry it as `attachment_size_limit`.
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10  # files in one message
EPHEMERAL = 1 << 6

JSON_BODY = web.RequestKey("closer_json_body", object)
FILES = web.RequestKey("closer_files", list)


def raw_body(request: web.Request) -> Any:
    return request.get(JSON_BODY)


def body_dict(request: web.Request) -> dict[str, Any]:
    body = request.get(JSON_BODY)
    return dict(body) if isinstance(body, dict) else {}


def files_of(request: web.Request) -> list[dict[str, Any]]:
    return list(request.get(FILES) or [])


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # without the /api/v10 prefix
    route: str  # the matched template, e.g. "/channels/{channel_id}/messages"
    query: dict[str, str]
    content_type: str | None
    json: Any | None
    status: int
    at: float
    # What the sandbox answered, parsed, so tests can hold the answers to Discord's contract too.
    response: Any | None = None
    response_content_type: str | None = None


@dataclass
class InteractionRecord:
    id: int
    token: str
    type: int
    user_id: int
    channel_id: int
    guild_id: int | None
    created: float
    payload: dict[str, Any]
    response_type: int | None = None
    response_data: dict[str, Any] | None = None
    responded_at: float | None = None
    original_message_id: int | None = None
    followups: list[dict[str, Any]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    # aiohttp's json_response appends "; charset=utf-8" and discord.py then treats the body as text.
    out = {"Content-Type": "application/json"}
    out.update(headers or {})
    return web.Response(body=json.dumps(data).encode(), status=status, headers=out)


def error(status: int, code: int, message: str) -> web.Response:
    return json_response({"code": code, "message": message}, status)


class Sandbox:
    """The local Discord. `await start()`, point a client at `api_base`/`gateway_url`."""

    def __init__(self, *, global_rate: float = 50.0, faults: Faults | None = None) -> None:
        self.ids = Snowflakes()
        self.application_id = self.ids.next()
        self.bot_token = bot_token(self.application_id)
        self.bot_user = SandboxUser(self.application_id, "Closer", bot=True)
        self.owner = SandboxUser(self.ids.next(), "Sandbox Owner")
        self.users: dict[int, SandboxUser] = {self.bot_user.id: self.bot_user}
        self.guilds: dict[int, SandboxGuild] = {}
        self.dm_channels: dict[int, int] = {}  # user id -> channel id
        self.channel_owner: dict[int, int] = {}  # DM channel id -> user id
        self.messages: dict[int, dict[str, Any]] = {}
        self.inboxes: dict[int, list[dict[str, Any]]] = {}
        self.inbox_changed: dict[int, asyncio.Event] = {}
        self.nonces: dict[tuple[int, str], tuple[float, int]] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.interactions: dict[str, InteractionRecord] = {}
        self.requests: list[RecordedRequest] = []
        self.faults = faults or Faults()
        self.attachment_size_limit = ATTACHMENT_SIZE_LIMIT
        self.global_limit = GlobalLimit(global_rate)
        self.buckets = RouteBuckets()
        self.global_429s = 0
        self.route_429s = 0
        # Discord allows a shard at most 2500 guilds; tests lower this to exercise sharding.
        self.guilds_per_shard = 2500
        self.gateway = GatewayHub(
            self._on_identify,
            token=lambda: self.bot_token,
            too_many_guilds=lambda shard: len(self._guilds_on(shard)) > self.guilds_per_shard,
        )
        self._runner: web.AppRunner | None = None
        self.port = 0

    # Lifecycle -----------------------------------------------------------------------------
    async def start(self, *, port: int = 0) -> None:
        app = web.Application(middlewares=[self._middleware], client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway/", self.gateway.handle)
        self._add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert server is not None and hasattr(server, "sockets")  # noqa: S101
        self.port = int(server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def configure_discord_py(self) -> None:
        """Point discord.py's module-level URLs here (the bot does the same from settings)."""
        import discord.gateway
        import discord.http

        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    # World building ------------------------------------------------------------------------
    def add_guild(self, name: str = "Sandbox Server") -> SandboxGuild:
        guild = SandboxGuild(self.ids.next(), name, self.ids.next(), self.owner.id)
        self.guilds[guild.id] = guild
        return guild

    def add_user(
        self,
        name: str,
        guild: SandboxGuild | None = None,
        *,
        manage_guild: bool = False,
        bot: bool = False,
    ) -> SandboxUser:
        user = SandboxUser(self.ids.next(), name, bot=bot, manage_guild=manage_guild)
        self.users[user.id] = user
        self.inboxes[user.id] = []
        self.inbox_changed[user.id] = asyncio.Event()
        if guild is not None:
            guild.member_ids.append(user.id)
        return user

    async def remove_bot_from_guild(self, guild: SandboxGuild) -> None:
        """An admin kicks the bot: GUILD_DELETE without `unavailable`, and the server is gone
        from later READYs (until `add_bot_to_guild`)."""
        self.guilds.pop(guild.id, None)
        await self.gateway.dispatch("GUILD_DELETE", {"id": str(guild.id)})

    async def add_bot_to_guild(self, guild: SandboxGuild) -> None:
        """The bot is (re-)invited: the server is back, announced with GUILD_CREATE."""
        self.guilds[guild.id] = guild
        payload = guild.create_payload(self.bot_user)
        # A join carries no `unavailable` key; `unavailable: false` means "back from an outage".
        payload.pop("unavailable", None)
        await self.gateway.dispatch("GUILD_CREATE", payload)

    @property
    def recommended_shards(self) -> int:
        return max(1, -(-len(self.guilds) // self.guilds_per_shard))

    def _guilds_on(self, shard: tuple[int, int]) -> list[SandboxGuild]:
        shard_id, count = shard
        return [g for g in self.guilds.values() if shard_of(g.id, count) == shard_id]

    def _on_identify(self, session: Session) -> list[tuple[str, Any]]:
        guilds = self._guilds_on(session.shard)
        events: list[tuple[str, Any]] = [
            (
                "READY",
                ready_payload(
                    bot=self.bot_user,
                    application_id=self.application_id,
                    session_id=session.id,
                    resume_url=self.gateway_url,
                    guild_ids=[g.id for g in guilds],
                    shard=session.shard,
                ),
            )
        ]
        events += [("GUILD_CREATE", g.create_payload(self.bot_user)) for g in guilds]
        return events

    def commands_for(self, guild_id: int | None) -> list[dict[str, Any]]:
        scoped = self.guild_commands.get(guild_id, []) if guild_id is not None else []
        return scoped + self.global_commands

    # Middleware: recording, auth, faults, limits --------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/gateway"):
            return await handler(request)
        route = request.match_info.route.resource
        template = route.canonical.removeprefix(API_PREFIX) if route is not None else request.path
        body = await self._parse_body(request)
        request[JSON_BODY] = body
        response = await self._guarded(request, handler, template)
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path.removeprefix(API_PREFIX),
                route=template,
                query=dict(request.query),
                content_type=request.headers.get("Content-Type"),
                json=body,
                status=response.status,
                at=time.monotonic(),
                response=self._response_json(response),
                response_content_type=response.headers.get("Content-Type"),
            )
        )
        return response

    @staticmethod
    def _response_json(response: web.StreamResponse) -> Any | None:
        body = response.body if isinstance(response, web.Response) else None
        if not isinstance(body, bytes) or not body:
            return None
        try:
            return json.loads(body)
        except ValueError:
            return {"__not_json__": body[:200].decode(errors="replace")}

    async def _guarded(
        self, request: web.Request, handler: Handler, template: str
    ) -> web.StreamResponse:
        is_webhook = template.startswith(("/webhooks/", "/interactions/"))
        if not is_webhook and request.headers.get("Authorization") != f"Bot {self.bot_token}":
            return error(401, 0, "401: Unauthorized")
        if request.match_info.http_exception is not None:
            return error(404, 0, "404: Not Found")
        files = files_of(request)
        if len(files) > MAX_ATTACHMENTS:
            return error(400, 50035, "Invalid Form Body: at most 10 attachments")
        if any(len(f["data"]) > self.attachment_size_limit for f in files):
            return error(413, 40005, "Request entity too large")
        if self.faults.roll(self.faults.server_error_rate):
            return error(503, 0, "Service Unavailable (sandbox fault)")
        if self.faults.roll(self.faults.rate_limit_storm):
            self.route_429s += 1
            return self._too_many(self.faults.storm_retry_after, is_global=False)
        # Interaction callbacks and their follow-up webhooks are outside the global limit, as
        # on Discord ("interaction endpoints are not bound to the bot's global rate limit").
        if not is_webhook:
            wait = self.global_limit.try_acquire()
            if wait:
                self.global_429s += 1
                return self._too_many(wait, is_global=True)
        major = request.match_info.get("channel_id") or request.match_info.get("guild_id") or ""
        bucket, wait = self.buckets.take(f"{request.method} {template}", major)
        if wait:
            self.route_429s += 1
            return self._too_many(wait, is_global=False, headers=RouteBuckets.headers(bucket))
        response = await handler(request)
        if self.faults.roll(self.faults.lost_response_rate):
            return error(502, 0, "Bad Gateway (sandbox fault, request was applied)")
        # Discord sends no bucket headers for interaction callbacks (clients treat the route as
        # unlimited and complain when one appears).
        if not template.startswith("/interactions/"):
            response.headers.update(RouteBuckets.headers(bucket))
        return response

    @staticmethod
    def _too_many(
        retry_after: float, *, is_global: bool, headers: dict[str, str] | None = None
    ) -> web.Response:
        out = dict(headers or {})
        out["Via"] = "1.1 google"
        out["Retry-After"] = str(max(1, round(retry_after)))
        out["X-RateLimit-Scope"] = "global" if is_global else "user"
        if is_global:
            out["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": round(retry_after, 3),
            "global": is_global,
            "code": 0,
        }
        return json_response(body, 429, out)

    @staticmethod
    async def _parse_body(request: web.Request) -> Any | None:
        if not request.can_read_body:
            return None
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            form = await request.post()
            raw = form.get("payload_json")
            payload: dict[str, Any] = json.loads(str(raw)) if raw is not None else {}
            files = [
                {"name": name, "filename": getattr(v, "filename", None), "data": v.file.read()}
                for name, v in form.items()
                if hasattr(v, "file")
            ]
            request[FILES] = files
            return payload
        raw_bytes = await request.read()
        if not raw_bytes:
            return None
        try:
            return json.loads(raw_bytes)
        except json.JSONDecodeError:
            return {"__invalid_json__": raw_bytes.decode(errors="replace")}

    # REST ----------------------------------------------------------------------------------
    def _add_routes(self, app: web.Application) -> None:
        p = API_PREFIX
        r = app.router
        r.add_get(p + "/users/@me", self._get_me)
        r.add_get(p + "/oauth2/applications/@me", self._get_app)
        r.add_get(p + "/applications/@me", self._get_app)
        r.add_get(p + "/gateway", self._get_gateway)
        r.add_get(p + "/gateway/bot", self._get_gateway_bot)
        r.add_get(p + "/users/{user_id}", self._get_user)
        r.add_post(p + "/users/@me/channels", self._create_dm)
        r.add_get(p + "/channels/{channel_id}", self._get_channel)
        r.add_post(p + "/channels/{channel_id}/messages", self._create_message)
        r.add_get(p + "/channels/{channel_id}/messages/{message_id}", self._get_message)
        r.add_patch(p + "/channels/{channel_id}/messages/{message_id}", self._edit_message)
        r.add_delete(p + "/channels/{channel_id}/messages/{message_id}", self._delete_message)
        r.add_get(p + "/guilds/{guild_id}/members/{user_id}", self._get_member)
        r.add_get(p + "/applications/{app_id}/commands", self._get_global_commands)
        r.add_put(p + "/applications/{app_id}/commands", self._put_global_commands)
        r.add_get(p + "/applications/{app_id}/guilds/{guild_id}/commands", self._get_guild_commands)
        r.add_put(p + "/applications/{app_id}/guilds/{guild_id}/commands", self._put_guild_commands)
        r.add_post(p + "/interactions/{interaction_id}/{token}/callback", self._callback)
        r.add_post(p + "/webhooks/{app_id}/{token}", self._followup)
        r.add_get(p + "/webhooks/{app_id}/{token}/messages/{message_id}", self._get_webhook_message)
        r.add_patch(
            p + "/webhooks/{app_id}/{token}/messages/{message_id}", self._edit_webhook_message
        )
        r.add_delete(
            p + "/webhooks/{app_id}/{token}/messages/{message_id}", self._delete_webhook_message
        )

    async def _get_me(self, request: web.Request) -> web.Response:
        return json_response(self.bot_user.private_payload())

    async def _get_app(self, request: web.Request) -> web.Response:
        return json_response(
            app_info_payload(self.application_id, self.owner, self.bot_user, len(self.guilds))
        )

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "url": self.gateway_url,
                "shards": self.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def _get_user(self, request: web.Request) -> web.Response:
        user = self.users.get(int(request.match_info["user_id"]))
        if user is None:
            return error(404, 10013, "Unknown User")
        return json_response(user.payload())

    async def _get_member(self, request: web.Request) -> web.Response:
        guild = self.guilds.get(int(request.match_info["guild_id"]))
        uid = int(request.match_info["user_id"])
        if guild is None:
            return error(404, 10004, "Unknown Guild")
        if uid not in guild.member_ids:
            return error(404, 10007, "Unknown Member")
        from bot.sandbox.payloads import member_payload

        return json_response(member_payload(self.users[uid], guild.joined_at, guild.id))

    def dm_channel_for(self, user_id: int) -> int:
        channel_id = self.dm_channels.get(user_id)
        if channel_id is None:
            channel_id = self.ids.next()
            self.dm_channels[user_id] = channel_id
            self.channel_owner[channel_id] = user_id
        return channel_id

    async def _create_dm(self, request: web.Request) -> web.Response:
        body = body_dict(request)
        try:
            user = self.users[int(body["recipient_id"])]
        except (KeyError, ValueError, TypeError):
            return error(400, 50035, "Invalid Form Body: recipient_id")
        return json_response(dm_channel_payload(self.dm_channel_for(user.id), user))

    async def _get_channel(self, request: web.Request) -> web.Response:
        cid = int(request.match_info["channel_id"])
        owner = self.channel_owner.get(cid)
        if owner is not None:
            return json_response(dm_channel_payload(cid, self.users[owner]))
        for guild in self.guilds.values():
            if guild.text_channel_id == cid:
                return json_response(guild.channel_payload())
        return error(404, 10003, "Unknown Channel")

    def _validate_message_body(self, body: Any) -> web.Response | None:
        if not isinstance(body, dict):
            return error(400, 50035, "Invalid Form Body")
        nonce = body.get("nonce")
        if nonce is not None and len(str(nonce)) > 25:
            return error(400, 50035, "Invalid Form Body: nonce must be 25 or fewer in length")
        has_content = body.get("content") or body.get("embeds") or body.get("components")
        if not has_content and not body.get("attachments") and not body.get("__files__"):
            return error(400, 50006, "Cannot send an empty message")
        if len(str(body.get("content") or "")) > 2000:
            return error(400, 50035, "Invalid Form Body: content must be 2000 or fewer in length")
        return None

    async def _create_message(self, request: web.Request) -> web.Response:
        cid = int(request.match_info["channel_id"])
        body = body_dict(request)
        if files_of(request):
            body = {**body, "__files__": True}
        problem = self._validate_message_body(body)
        if problem is not None:
            return problem
        recipient = self.channel_owner.get(cid)
        guild_id = next((g.id for g in self.guilds.values() if g.text_channel_id == cid), None)
        if recipient is None and guild_id is None:
            return error(404, 10003, "Unknown Channel")
        if recipient is not None and self.users[recipient].dms_closed:
            return error(403, 50007, "Cannot send messages to this user")
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            seen = self.nonces.get((cid, str(nonce)))
            if seen is not None and time.monotonic() - seen[0] < NONCE_WINDOW:
                return json_response(self._public(self.messages[seen[1]]))
        message = self._store_message(cid, self.bot_user, body, guild_id, files_of(request))
        if nonce is not None and body.get("enforce_nonce"):
            self.nonces[(cid, str(nonce))] = (time.monotonic(), int(message["id"]))
        # The uploaded bytes are the sandbox's record, not part of Discord's answer.
        return json_response(self._public(message))

    def _attach(self, message: dict[str, Any], files: list[dict[str, Any]]) -> None:
        """The uploaded files as attachments of `message` (the bytes kept aside, as `_files`).
        Discord always sends url and proxy_url; discord.py's Attachment requires them."""
        message["attachments"] = [
            {
                "id": str(self.ids.next()),
                "filename": f.get("filename") or "file",
                "size": len(f["data"]),
                "url": f"{self.base_url}/attachments/{message['id']}/{f.get('filename')}",
                "proxy_url": f"{self.base_url}/attachments/{message['id']}/{f.get('filename')}",
            }
            for f in files
        ]
        message["_files"] = files

    def _store_message(
        self,
        channel_id: int,
        author: SandboxUser,
        body: dict[str, Any],
        guild_id: int | None,
        files: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        mid = self.ids.next()
        message: dict[str, Any] = dict(
            message_payload(
                message_id=mid, channel_id=channel_id, author=author, body=body, guild_id=guild_id
            )
        )
        if files:
            self._attach(message, files)
        self.messages[mid] = message
        recipient = self.channel_owner.get(channel_id)
        if recipient is not None and author.id == self.bot_user.id:
            self._deliver_to_inbox(recipient, message)
        return message

    def _deliver_to_inbox(self, user_id: int, message: dict[str, Any]) -> None:
        self.inboxes.setdefault(user_id, []).append(message)
        event = self.inbox_changed.setdefault(user_id, asyncio.Event())
        event.set()

    def _public(self, message: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in message.items() if not k.startswith("_")}

    async def _get_message(self, request: web.Request) -> web.Response:
        message = self.messages.get(int(request.match_info["message_id"]))
        if message is None or message["channel_id"] != request.match_info["channel_id"]:
            return error(404, 10008, "Unknown Message")
        return json_response(self._public(message))

    def _apply_edit(self, message: dict[str, Any], body: dict[str, Any]) -> None:
        for key in ("content", "embeds", "components", "flags"):
            if key in body:
                message[key] = (
                    body[key] if body[key] is not None else ([] if key != "content" else "")
                )
        message["embeds"] = [rich_embed(e) for e in message["embeds"]]
        message["components"] = with_component_ids(message["components"])
        message["edited_timestamp"] = iso_now()
        owner = self.channel_owner.get(int(message["channel_id"]))
        if owner is not None:
            self.inbox_changed.setdefault(owner, asyncio.Event()).set()

    async def _edit_message(self, request: web.Request) -> web.Response:
        message = self.messages.get(int(request.match_info["message_id"]))
        if message is None or message["channel_id"] != request.match_info["channel_id"]:
            return error(404, 10008, "Unknown Message")
        if message["author"]["id"] != str(self.bot_user.id):
            return error(403, 50005, "Cannot edit a message authored by another user")
        self._apply_edit(message, body_dict(request))
        return json_response(self._public(message))

    async def _delete_message(self, request: web.Request) -> web.Response:
        message = self.messages.pop(int(request.match_info["message_id"]), None)
        if message is None:
            return error(404, 10008, "Unknown Message")
        return web.Response(status=204)

    # Commands ------------------------------------------------------------------------------
    def _with_ids(self, commands: Any, guild_id: int | None) -> list[dict[str, Any]]:
        out = []
        for raw in commands or []:
            cmd = dict(raw)
            cmd.setdefault("type", 1)
            cmd["id"] = str(self.ids.next())
            cmd["application_id"] = str(self.application_id)
            cmd["version"] = str(self.ids.next())
            permissions = cmd.get("default_member_permissions")
            cmd["default_member_permissions"] = None if permissions is None else str(permissions)
            cmd.setdefault("description", "")
            # Discord fills in the defaults a client left out or sent as null.
            if cmd.get("integration_types") is None:
                cmd["integration_types"] = [0]
            cmd.setdefault("contexts", None)
            cmd.setdefault("nsfw", False)
            if guild_id is not None:
                cmd["guild_id"] = str(guild_id)
            out.append(cmd)
        return out

    def _check_app(self, request: web.Request) -> web.Response | None:
        if request.match_info["app_id"] != str(self.application_id):
            return error(404, 10002, "Unknown Application")
        return None

    async def _get_global_commands(self, request: web.Request) -> web.Response:
        return self._check_app(request) or json_response(self.global_commands)

    async def _put_global_commands(self, request: web.Request) -> web.Response:
        if (problem := self._check_app(request)) is not None:
            return problem
        self.global_commands = self._with_ids(raw_body(request), None)
        return json_response(self.global_commands)

    async def _get_guild_commands(self, request: web.Request) -> web.Response:
        if (problem := self._check_app(request)) is not None:
            return problem
        return json_response(self.guild_commands.get(int(request.match_info["guild_id"]), []))

    async def _put_guild_commands(self, request: web.Request) -> web.Response:
        if (problem := self._check_app(request)) is not None:
            return problem
        gid = int(request.match_info["guild_id"])
        if gid not in self.guilds:
            return error(403, 50001, "Missing Access")
        self.guild_commands[gid] = self._with_ids(raw_body(request), gid)
        return json_response(self.guild_commands[gid])

    # Interactions --------------------------------------------------------------------------
    def register_interaction(self, record: InteractionRecord) -> None:
        self.interactions[record.token] = record

    async def _callback(self, request: web.Request) -> web.Response:
        record = self.interactions.get(request.match_info["token"])
        if record is None or str(record.id) != request.match_info["interaction_id"]:
            return error(404, 10062, "Unknown interaction")
        if time.monotonic() - record.created > INTERACTION_DEADLINE:
            return error(404, 10062, "Unknown interaction")
        if record.response_type is not None:
            return error(400, 40060, "Interaction has already been acknowledged.")
        body = body_dict(request)
        rtype = int(body.get("type", 0))
        data = dict(body.get("data") or {})
        if rtype not in (1, 4, 5, 6, 7, 8, 9):
            return error(400, 50035, "Invalid Form Body: type")
        record.response_type = rtype
        record.response_data = data
        record.responded_at = time.monotonic()
        resource: dict[str, Any] = {"type": rtype}
        interaction_info: dict[str, Any] = {"id": str(record.id), "type": record.type}
        if rtype in (4, 5):
            message = self._interaction_message(record, data if rtype == 4 else {"content": ""})
            record.original_message_id = int(message["id"])
            interaction_info["response_message_id"] = message["id"]
            interaction_info["response_message_loading"] = rtype == 5
            interaction_info["response_message_ephemeral"] = bool(
                int(data.get("flags") or 0) & EPHEMERAL
            )
            if rtype == 4:
                resource["message"] = self._public(message)
        elif rtype == 7:
            source = record.payload.get("message")
            if source is not None and int(source["id"]) in self.messages:
                target = self.messages[int(source["id"])]
                self._apply_edit(target, data)
                resource["message"] = self._public(target)
        record.changed.set()
        # Discord answers 204 with no body unless the client asked for the callback's resource.
        if request.query.get("with_response", "").lower() not in ("true", "1"):
            return web.Response(status=204)
        answer: dict[str, Any] = {"interaction": interaction_info}
        # Discord names a resource only when the response made or changed a message.
        if "message" in resource:
            answer["resource"] = resource
        return json_response(answer)

    def _interaction_message(
        self, record: InteractionRecord, body: dict[str, Any]
    ) -> dict[str, Any]:
        ephemeral = bool(int(body.get("flags") or 0) & EPHEMERAL)
        author = self.bot_user
        mid = self.ids.next()
        message: dict[str, Any] = dict(
            message_payload(
                message_id=mid,
                channel_id=record.channel_id,
                author=author,
                body=body,
                guild_id=record.guild_id,
            )
        )
        message["application_id"] = str(self.application_id)
        message["webhook_id"] = str(self.application_id)
        message["_interaction_token"] = record.token
        message["_ephemeral"] = ephemeral
        self.messages[mid] = message
        return message

    def _record_for_webhook(self, request: web.Request) -> InteractionRecord | web.Response:
        if request.match_info["app_id"] != str(self.application_id):
            return error(404, 10015, "Unknown Webhook")
        record = self.interactions.get(request.match_info["token"])
        if record is None:
            return error(404, 10015, "Unknown Webhook")
        if time.monotonic() - record.created > 15 * 60:
            return error(401, 50027, "Invalid Webhook Token")
        return record

    async def _followup(self, request: web.Request) -> web.Response:
        record = self._record_for_webhook(request)
        if isinstance(record, web.Response):
            return record
        if record.response_type is None:
            return error(404, 10015, "Unknown Webhook")
        body = body_dict(request)
        if files_of(request):
            body["__files__"] = True
        problem = self._validate_message_body(body)
        if problem is not None:
            return problem
        message = self._interaction_message(record, body)
        if files_of(request):
            self._attach(message, files_of(request))
        record.followups.append(message)
        record.changed.set()
        return json_response(self._public(message))

    def _webhook_target(self, record: InteractionRecord, message_id: str) -> dict[str, Any] | None:
        if message_id == "@original":
            if record.original_message_id is not None:
                return self.messages.get(record.original_message_id)
            source = record.payload.get("message")
            if record.response_type in (6, 7) and source is not None:
                return self.messages.get(int(source["id"]))
            return None
        message = self.messages.get(int(message_id))
        if message is not None and message.get("_interaction_token") == record.token:
            return message
        return None

    def _webhook_message(
        self, request: web.Request
    ) -> tuple[InteractionRecord, dict[str, Any]] | web.Response:
        """The interaction and the message a webhook message route names, or the error."""
        record = self._record_for_webhook(request)
        if isinstance(record, web.Response):
            return record
        target = self._webhook_target(record, request.match_info["message_id"])
        if target is None:
            return error(404, 10008, "Unknown Message")
        return record, target

    async def _get_webhook_message(self, request: web.Request) -> web.Response:
        found = self._webhook_message(request)
        if isinstance(found, web.Response):
            return found
        return json_response(self._public(found[1]))

    async def _edit_webhook_message(self, request: web.Request) -> web.Response:
        found = self._webhook_message(request)
        if isinstance(found, web.Response):
            return found
        record, target = found
        self._apply_edit(target, body_dict(request))
        if files_of(request):
            target["_files"] = files_of(request)
        record.changed.set()
        return json_response(self._public(target))

    async def _delete_webhook_message(self, request: web.Request) -> web.Response:
        found = self._webhook_message(request)
        if isinstance(found, web.Response):
            return found
        record, target = found
        target["_deleted"] = True
        record.changed.set()
        return web.Response(status=204)

    # Used by the driver --------------------------------------------------------------------
    async def user_sends_dm(
        self, user: SandboxUser, content: str, attachments: int = 0, reply_to: int | None = None
    ) -> dict[str, Any]:
        """A member writes to the bot in DMs: the bot sees MESSAGE_CREATE. `reply_to`: a
        Discord reply to that message (type 19 with a message_reference, as the client sends)."""
        cid = self.dm_channel_for(user.id)
        message = self._store_message(cid, user, {"content": content}, None)
        if reply_to is not None:
            message["type"] = 19
            message["message_reference"] = {
                "type": 0,
                "message_id": str(reply_to),
                "channel_id": str(cid),
            }
            referenced = self.messages.get(reply_to)
            message["referenced_message"] = self._public(referenced) if referenced else None
        if attachments:
            message["attachments"] = [
                {
                    "id": str(self.ids.next()),
                    "filename": f"photo{i}.png",
                    "size": 1024,
                    "url": f"{self.base_url}/attachments/{i}.png",
                    "proxy_url": f"{self.base_url}/attachments/{i}.png",
                }
                for i in range(attachments)
            ]
        await self.gateway.dispatch("MESSAGE_CREATE", self._public(message))
        return message
