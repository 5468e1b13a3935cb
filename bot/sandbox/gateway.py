"""The sandbox gateway: HELLO, heartbeats, IDENTIFY → READY, RESUME, and forced reconnects.

Events are numbered per session and kept, so a client that RESUMEs after a dropped socket gets
exactly what it missed, as with Discord.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_MS = 41_250


@dataclass
class Session:
    id: str
    seq: int = 0
    backlog: list[dict[str, Any]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    valid: bool = True


class GatewayHub:
    def __init__(self, on_identify: Callable[[Session], list[tuple[str, Any]]]) -> None:
        self._on_identify = on_identify
        self.sessions: dict[str, Session] = {}
        self.connects = 0
        self.resumes = 0
        self.identifies = 0
        self.connected = asyncio.Event()

    @property
    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.valid]

    async def dispatch(self, event: str, data: Any) -> None:
        for session in self.live_sessions:
            await self._send_dispatch(session, event, data)

    async def _send_dispatch(self, session: Session, event: str, data: Any) -> None:
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.backlog.append(frame)
        # Keep the backlog bounded; a client that missed more than this must re-identify.
        if len(session.backlog) > 5000:
            del session.backlog[:1000]
        ws = session.ws
        if ws is not None and not ws.closed:
            try:
                await ws.send_str(json.dumps(frame))
            except (ConnectionError, RuntimeError):
                session.ws = None

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        self.connects += 1
        await ws.send_str(
            json.dumps({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
        )
        session: Session | None = None
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11}))
                elif op == 2:
                    session = await self._identify(ws)
                elif op == 6:
                    session = await self._resume(ws, frame.get("d") or {})
                # Presence updates, voice state and member requests are accepted and ignored.
        finally:
            if session is not None and session.ws is ws:
                session.ws = None
        return ws

    async def _identify(self, ws: web.WebSocketResponse) -> Session:
        self.identifies += 1
        session = Session(id=secrets.token_hex(16), ws=ws)
        self.sessions[session.id] = session
        for event, data in self._on_identify(session):
            await self._send_dispatch(session, event, data)
        self.connected.set()
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or not session.valid:
            await ws.send_str(json.dumps({"op": 9, "d": False}))
            return None
        self.resumes += 1
        seq = int(data.get("seq") or 0)
        oldest = session.backlog[0]["s"] if session.backlog else session.seq + 1
        if seq + 1 < oldest:
            session.valid = False
            await ws.send_str(json.dumps({"op": 9, "d": False}))
            return None
        session.ws = ws
        for frame in session.backlog:
            if frame["s"] > seq:
                await ws.send_str(json.dumps(frame))
        await self._send_dispatch(session, "RESUMED", {})
        return session

    # Faults -------------------------------------------------------------------------------
    async def drop(self) -> None:
        """Cut every socket without a goodbye, as a network failure would; sessions survive."""
        for session in self.live_sessions:
            ws, session.ws = session.ws, None
            if ws is not None:
                await ws.close(code=4000, message=b"sandbox dropped the connection")

    async def request_reconnect(self) -> None:
        """op 7: the client should reconnect and RESUME."""
        for session in self.live_sessions:
            if session.ws is not None:
                await session.ws.send_str(json.dumps({"op": 7, "d": None}))

    async def invalidate(self) -> None:
        """op 9 (not resumable): the client must IDENTIFY afresh."""
        for session in self.live_sessions:
            session.valid = False
            if session.ws is not None:
                await session.ws.send_str(json.dumps({"op": 9, "d": False}))

    async def close(self) -> None:
        for session in list(self.sessions.values()):
            if session.ws is not None:
                await session.ws.close(code=1001)
            session.valid = False
