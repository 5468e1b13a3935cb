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
    reflection: bool  # "saved": a reflection also gets Share
    switch: str  # the closeness check-in: offer to turn scheduled check-ins "off" or "on"
    proposer: int  # a proposed change of relationship kind: who asked
    relationship: str  # ... and the kind they proposed
    options: list[str]  # a pick prompt: the choices its menu offers, in order


class FileSpec(TypedDict, total=False):
    """A picture to attach, drawn when the message is sent (see `bot.ui.pictures`)."""

    filename: str
    draw: str  # closeness_scale | card | feelings_wheel
    alt: str  # what it shows, in words; also said in the message itself
    data: dict[str, Any]


class MessagePayload(TypedDict, total=False):
    content: str
    embed: dict[str, Any]
    # Several embeds in one message, when one would cut words short (an embed's description
    # holds 4,096 characters and a message's embeds 6,000 in all).
    embeds: list[dict[str, Any]]
    view: ViewSpec
    files: list[FileSpec]


ACCENT = 0xE8A87C


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
