"""Stable seeds: the same inputs give the same seed in every process and Python version.

Seeds only spread choices out (which prompt, which rotation order); they are not secrets. Deriving
them from what identifies a pair or circle makes runs reproducible, the offline demo included.
"""

from __future__ import annotations

import hashlib


def stable_seed(*parts: object) -> int:
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return 1 + int.from_bytes(digest, "big") % (2**31 - 1)
