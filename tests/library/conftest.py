from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in tmp_path so problems read `prompts/<file>:<line>`, as an author would see them."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
