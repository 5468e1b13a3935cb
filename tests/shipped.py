"""The shipped prompt library, loaded once per test run: loading checks every prompt against every
other for near-duplicates, which takes seconds."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from bot.core.models import Library
from bot.library.loader import load_library

PROMPTS = Path(__file__).resolve().parents[1] / "prompts"


@cache
def shipped_library() -> Library:
    return load_library(PROMPTS)
