"""Logging: one line per event with key=value context, and secrets scrubbed on the way out.

Context such as `delivery_id` or `interaction_id` is passed with `extra=` and printed as fields, so
a line can be followed through the outbox without parsing prose.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

# The shape of a Discord bot token: base64 user id, timestamp, HMAC.
TOKEN_PATTERN = re.compile(r"[A-Za-z\d_-]{23,28}\.[A-Za-z\d_-]{6,7}\.[A-Za-z\d_-]{27,}")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class RedactingFormatter(logging.Formatter):
    """Formats `ts level logger: message key=value …` and removes any known secret."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._secrets = [s for s in (secrets or []) if s]

    def add_secret(self, secret: str) -> None:
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if fields:
            text += " " + " ".join(f"{k}={v}" for k, v in sorted(fields.items()))
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return TOKEN_PATTERN.sub("[redacted-token]", text)


_formatter = RedactingFormatter()


def configure(level: str = "INFO", stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_formatter)
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # discord.py's gateway chatter at DEBUG would include payloads; keep it at INFO at most.
    logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLevelName(level)))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def register_secret(secret: str) -> None:
    """Make sure this exact string never reaches a log line (e.g. the bot token)."""
    _formatter.add_secret(secret)
