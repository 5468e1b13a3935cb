"""The sandbox gateway: HELLO, heartbeats, IDENTIFY → READY, RESUME, sharding, forced reconnects.

Events are numbered per session and kept, so a client that RESUMEs after a dropped socket gets
exactly what it missed, as with Discord. A connection asked for `compress=zlib-stream` gets one
zlib stream of binary frames, each ending in a sync flush (00 00 ff ff); without it, text frames.
Clients may send text or binary frames. Guild events go to the shard `(guild_id >> 22) % count`
names; everything without a guild (DMs and their interactions) goes to shard 0.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_MS = 41_250

# Close codes Discord uses (https://discord.com/developers/docs/topics/opcodes-and-status-codes).
DECODE_ERROR = 4002
AUTHENTICATION_FAILED = 4004
INVALID_SHARD = 4010
SHARDING_REQUIRED = 4011


class GatewayClose(Exception):
    """Closes the connection with a Discord close code."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def shard_of(guild_id: int, shard_count: int) -> int:
    return (guild_id >> 22) % shard_count


class Connection:
    """One socket, speaking JSON text or one zlib stream, as the client asked when it connected."""

    def __init__(self, ws: web.WebSocketResponse, *, zlib_stream: bool) -> None:
        self.ws = ws
        self._deflate = zlib.compressobj() if zlib_stream else None

    @property
    def closed(self) -> bool:
        return self.ws.closed

    async def send(self, frame: dict[str, Any]) -> None:
        text = json.dumps(frame)
        if self._deflate is None:
            await self.ws.send_str(text)
            return
        data = self._deflate.compress(text.encode()) + self._deflate.flush(zlib.Z_SYNC_FLUSH)
        await self.ws.send_bytes(data)

    async def close(self, code: int, message: str) -> None:
        await self.ws.close(code=code, message=message.encode())


@dataclass
class Session:
    id: str
    shard: tuple[int, int] = (0, 1)
    seq: int = 0
    backlog: list[dict[str, Any]] = field(default_factory=list)
    ws: Connection | None = None
    valid: bool = True

    def receives(self, guild_id: int | None) -> bool:
        shard_id, count = self.shard
        if guild_id is None:
            return shard_id == 0
        return shard_of(guild_id, count) == shard_id


def _guild_of(event: str, data: Any) -> int | None:
    if not isinstance(data, dict):
        return None
    raw = data.get("id") if event.startswith("GUILD_") and "guild_id" not in data else None
    raw = data.get("guild_id", raw)
    return int(raw) if raw is not None else None


class GatewayHub:
    def __init__(
        self,
        on_identify: Callable[[Session], list[tuple[str, Any]]],
        *,
        token: Callable[[], str] | None = None,
        too_many_guilds: Callable[[tuple[int, int]], bool] | None = None,
    ) -> None:
        self._on_identify = on_identify
        self._token = token
        self._too_many_guilds = too_many_guilds or (lambda shard: False)
        self.sessions: dict[str, Session] = {}
        self.connects = 0
        self.resumes = 0
        self.identifies = 0
        self.connected = asyncio.Event()

    @property
    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.valid]

    async def dispatch(self, event: str, data: Any, *, guild_id: int | None = None) -> None:
        """Send an event to the sessions whose shard it belongs to (guild id from the data if
        not given; none means a DM, which goes to shard 0)."""
        target = guild_id if guild_id is not None else _guild_of(event, data)
        for session in self.live_sessions:
            if session.receives(target):
                await self._send_dispatch(session, event, data)

    async def _send_dispatch(self, session: Session, event: str, data: Any) -> None:
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.backlog.append(frame)
        # Keep the backlog bounded; a client that missed more than this must re-identify.
        if len(session.backlog) > 5000:
            del session.backlog[:1000]
        conn = session.ws
        if conn is not None and not conn.closed:
            try:
                await conn.send(frame)
            except (ConnectionError, RuntimeError):
                session.ws = None

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        conn = Connection(ws, zlib_stream=request.query.get("compress") == "zlib-stream")
        self.connects += 1
        await conn.send({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
        session: Session | None = None
        try:
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                try:
                    frame = json.loads(msg.data)
                    if not isinstance(frame, dict):
                        raise ValueError("a gateway payload is a JSON object")
                except ValueError:
                    raise GatewayClose(DECODE_ERROR, "Error while decoding payload.") from None
                op = frame.get("op")
                data = frame.get("d")
                if op == 1:
                    await conn.send({"op": 11})
                elif op == 2:
                    session = await self._identify(conn, data if isinstance(data, dict) else {})
                elif op == 6:
                    session = await self._resume(conn, data if isinstance(data, dict) else {})
                # Presence updates, voice state and member requests are accepted and ignored.
        except GatewayClose as close:
            await conn.close(close.code, close.reason)
        finally:
            if session is not None and session.ws is conn:
                session.ws = None
        return ws

    def _check_token(self, data: dict[str, Any]) -> None:
        if self._token is None:
            return
        token = str(data.get("token") or "").removeprefix("Bot ")
        if not secrets.compare_digest(token, self._token()):
            raise GatewayClose(AUTHENTICATION_FAILED, "Authentication failed.")

    def _shard(self, data: dict[str, Any]) -> tuple[int, int]:
        raw = data.get("shard")
        if raw is None:
            shard = (0, 1)
        else:
            try:
                shard_id, count = (int(v) for v in raw)
            except (TypeError, ValueError):
                raise GatewayClose(INVALID_SHARD, "Invalid shard.") from None
            if count < 1 or not 0 <= shard_id < count:
                raise GatewayClose(INVALID_SHARD, "Invalid shard.")
            shard = (shard_id, count)
        if self._too_many_guilds(shard):
            raise GatewayClose(SHARDING_REQUIRED, "Sharding required.")
        return shard

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> Session:
        self._check_token(data)
        shard = self._shard(data)
        self.identifies += 1
        session = Session(id=secrets.token_hex(16), shard=shard, ws=conn)
        self.sessions[session.id] = session
        for event, payload in self._on_identify(session):
            await self._send_dispatch(session, event, payload)
        self.connected.set()
        return session

    async def _resume(self, conn: Connection, data: dict[str, Any]) -> Session | None:
        self._check_token(data)
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or not session.valid:
            await conn.send({"op": 9, "d": False})
            return None
        self.resumes += 1
        seq = int(data.get("seq") or 0)
        oldest = session.backlog[0]["s"] if session.backlog else session.seq + 1
        if seq + 1 < oldest:
            session.valid = False
            await conn.send({"op": 9, "d": False})
            return None
        session.ws = conn
        for frame in session.backlog:
            if frame["s"] > seq:
                await conn.send(frame)
        await self._send_dispatch(session, "RESUMED", {})
        return session

    # Faults -------------------------------------------------------------------------------
    async def drop(self) -> None:
        """Cut every socket without a goodbye, as a network failure would; sessions survive."""
        for session in self.live_sessions:
            conn, session.ws = session.ws, None
            if conn is not None:
                await conn.close(4000, "sandbox dropped the connection")

    async def request_reconnect(self) -> None:
        """op 7: the client should reconnect and RESUME."""
        for session in self.live_sessions:
            if session.ws is not None:
                await session.ws.send({"op": 7, "d": None})

    async def invalidate(self) -> None:
        """op 9 (not resumable): the client must IDENTIFY afresh."""
        for session in self.live_sessions:
            session.valid = False
            if session.ws is not None:
                await session.ws.send({"op": 9, "d": False})

    async def close(self) -> None:
        for session in list(self.sessions.values()):
            if session.ws is not None:
                await session.ws.close(1001, "")
            session.valid = False
