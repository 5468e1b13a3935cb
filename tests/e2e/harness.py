"""Start the local Discord and the real bot in the test's event loop, and tear both down.

A harness outlives bot restarts: the sandbox (Discord) and the database file stay, the bot
process comes and goes — which is what the crash and restart tests need.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from bot.playground.world import START, World
from bot.sandbox.limits import Faults
from bot.sandbox.server import RecordedRequest, Sandbox
from tests.contract.recorded import problems_in

__all__ = ["ALL_REQUESTS", "START", "Harness", "running_sandbox"]

# Every REST request the end-to-end tests of this process made (each test's are also checked
# against Discord's contract when its sandbox stops).
ALL_REQUESTS: list[RecordedRequest] = []


Harness = World


@contextlib.asynccontextmanager
async def running_sandbox(**kwargs: Any) -> AsyncIterator[Sandbox]:
    sandbox = Sandbox(faults=kwargs.pop("faults", None) or Faults(), **kwargs)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        ALL_REQUESTS.extend(sandbox.requests)
        await sandbox.stop()
    # Only after a test that passed: a failing test's own error says more.
    problems = problems_in(sandbox.requests)
    assert not problems, "Discord would not accept or send this:\n" + "\n".join(
        sorted(set(problems))[:40]
    )
