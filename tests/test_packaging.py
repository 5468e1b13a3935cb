"""The container and CLI entry points match the package (no Docker engine needed)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

from bot.health import heartbeat_path, is_fresh

REPO = Path(__file__).resolve().parents[1]


def dockerfile() -> str:
    return (REPO / "Dockerfile").read_text()


def test_dockerfile_runs_the_package_entry_point() -> None:
    text = dockerfile()
    cmds = re.findall(r"^CMD \[(.*)\]$", text, re.M)
    assert cmds and json.loads(f"[{cmds[-1]}]") == ["python", "-m", "bot", "run"]
    assert (REPO / "bot" / "__main__.py").exists()
    health = re.search(r"CMD \[(\"python\", \"-m\", \"bot\", \"health\")\]", text)
    assert health, "HEALTHCHECK must call `python -m bot health`"


def test_dockerfile_paths_exist_and_user_is_not_root() -> None:
    text = dockerfile()
    for source in re.findall(r"^COPY (?!--from)(\S+(?: \S+)*?) \S+$", text, re.M):
        for part in source.split():
            assert (REPO / part).exists(), f"Dockerfile copies {part}, which is missing"
    users = re.findall(r"^USER (\S+)$", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert "DATABASE_PATH=/data/closer.db" in text and 'VOLUME ["/data"]' in text


def test_compose_uses_the_volume_and_env_file() -> None:
    text = (REPO / "compose.yaml").read_text()
    assert "env_file: .env" in text and "closer-data:/data" in text


def test_health_reflects_the_heartbeat(tmp_path: Path) -> None:
    db = tmp_path / "closer.db"
    beat = heartbeat_path(db)
    assert not is_fresh(beat, 20)
    beat.touch()
    assert is_fresh(beat, 20)
    assert not is_fresh(beat, 20, now=time.time() + 600)
    env = {"DATABASE_PATH": str(db), "PATH": "/usr/bin:/bin"}
    ok = subprocess.run(
        [sys.executable, "-m", "bot", "health"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    beat.unlink()
    stale = subprocess.run(
        [sys.executable, "-m", "bot", "health"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert stale.returncode == 1 and "unhealthy" in stale.stderr
