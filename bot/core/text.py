"""What counts as words in an answer, and how a prompt is named in a short choice."""

from __future__ import annotations

import unicodedata

# The most a member may write for one answer (Discord's own message limit, and the modal's).
ANSWER_LIMIT = 2000

# Format characters (zero-width space/joiners, word joiner, BOM), controls, separators and
# combining marks on their own show nothing: an "answer" of only these would reveal a blank.
_INVISIBLE = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me", "Co", "Cn"})


def has_visible_text(text: str) -> bool:
    return any(unicodedata.category(ch) not in _INVISIBLE for ch in text)


def opening_words(text: str, limit: int = 40) -> str:
    """The start of a prompt, cut at a word boundary, for a button that must name it."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:—-")
    return f"{cut}…"
