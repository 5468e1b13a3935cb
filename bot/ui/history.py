"""`/closer history` laid out in pages that show every answer whole.

Discord caps an embed description at 4,096 characters and a message's embeds at 6,000 in all
(10 embeds at most), so pages are filled by size, not by count: a page holds up to five prompts,
and an answer never gets cut — a very long prompt's answers continue on the next page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.ui.payload import MessagePayload, embed

ENTRIES_PER_PAGE = 5
PAGE_BUDGET = 5600  # under 6,000 with room for the page footer and titles' ellipses
DESCRIPTION_LIMIT = 4096
EMBEDS_PER_MESSAGE = 10
INTRO = "Your answers, and your partners' once you'd both answered. Only you can see this."
EMPTY = "Nothing here yet. Your prompts and answers will collect here as you go."


@dataclass(frozen=True)
class Entry:
    when: str
    prompt: str
    said: list[tuple[str, str]]


@dataclass
class _Page:
    embeds: list[dict[str, Any]] = field(default_factory=list)
    size: int = 0
    entries: int = 0


def _title(entry: Entry, continued: bool) -> str:
    name = f"{entry.when} · {entry.prompt}"
    name = name if len(name) <= 200 else name[:199] + "…"
    return f"{name} (continued)" if continued else name


def paginate(entries: list[Entry]) -> list[list[dict[str, Any]]]:
    """Embeds for each page, newest entry first; every answer appears whole exactly once."""
    pages: list[_Page] = [_Page()]
    for entry in entries:
        lines = [f"**{who}:** {what}" for who, what in entry.said] or ["*No answer.*"]
        page = pages[-1]
        if page.entries >= ENTRIES_PER_PAGE:
            page = _Page()
            pages.append(page)
        page.entries += 1
        continued = False
        current: list[str] = []
        for line in lines:
            title = _title(entry, continued)
            body = "\n".join([*current, line])
            fits_embed = len(body) <= DESCRIPTION_LIMIT
            fits_page = page.size + len(title) + len(body) <= PAGE_BUDGET
            if current and not (fits_embed and fits_page):
                _close(page, title, current)
                continued = True
                current = []
                if page.size + len(_title(entry, True)) + len(line) > PAGE_BUDGET or (
                    len(page.embeds) >= EMBEDS_PER_MESSAGE
                ):
                    page = _Page(entries=1)
                    pages.append(page)
            elif (
                not current
                and (
                    page.size + len(title) + len(line) > PAGE_BUDGET
                    or len(page.embeds) >= EMBEDS_PER_MESSAGE
                )
                and page.embeds
            ):
                page.entries -= 1
                page = _Page(entries=1)
                pages.append(page)
            current.append(line)
        _close(page, _title(entry, continued), current)
    return [p.embeds for p in pages if p.embeds]


def _close(page: _Page, title: str, lines: list[str]) -> None:
    description = "\n".join(lines)
    page.embeds.append(embed(title, description))
    page.size += len(title) + len(description)


def history_message(entries: list[Entry], page: int) -> tuple[MessagePayload, int, int]:
    """The payload for one page (clamped), with the page shown and the page count."""
    pages = paginate(entries)
    if not pages:
        return {"content": EMPTY}, 1, 1
    page = min(max(page, 1), len(pages))
    embeds = [dict(e) for e in pages[page - 1]]
    embeds[-1]["footer"] = {"text": f"Page {page} of {len(pages)}"}
    return {"content": INTRO, "embeds": embeds}, page, len(pages)
