"""`python -m bot sandbox`: the offline demo. A full simulated week arrives with the demo issue."""

from __future__ import annotations

from typing import TextIO


async def run_demo(*, days: int, seed: int, quiet: bool, out: TextIO) -> int:
    out.write("Closer sandbox demo: coming soon. The local Discord and the test suite run today.\n")
    return 0
