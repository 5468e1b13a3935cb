"""A message as data: what the outbox stores in a delivery row and turns into a Discord message.

Views are stored as a small spec (`{"kind": "prompt", ...}`) rather than components, so a message
queued before an upgrade still gets the buttons the running code knows how to handle.
"""

from __future__ import annotations

from typing import Any, TypedDict


class ViewSpec(TypedDict, total=False):
    kind: str
    user: int
    instance: int
    invite: int
    pair: int
    depth: str
    activity: bool
    feelings: bool
    start: bool  # a timed together-activity: a Start button before the usual ones
    proposer: int  # a proposed change of relationship kind: who asked
    relationship: str  # ... and the kind they proposed


class MessagePayload(TypedDict, total=False):
    content: str
    embed: dict[str, Any]
    view: ViewSpec


ACCENT = 0xE8A87C


def text(content: str) -> MessagePayload:
    return {"content": content}


def embed(
    title: str | None,
    description: str,
    *,
    footer: str | None = None,
    fields: list[tuple[str, str]] | None = None,
    author: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "rich", "description": description, "color": ACCENT}
    if title:
        data["title"] = title
    if footer:
        data["footer"] = {"text": footer}
    if fields:
        data["fields"] = [{"name": n, "value": v, "inline": False} for n, v in fields]
    if author:
        data["author"] = {"name": author}
    return data
