"""The container and CLI entry points match the package (no Docker engine needed)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import tomllib
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


def readme_command(marker: str) -> str:
    text = (REPO / "README.md").read_text()
    block = re.search(rf"\*\*{marker}\*\*.*?```sh\n(.*?)\n```", text, re.S)
    assert block, f"README lost its {marker} command"
    return block.group(1)


def test_ci_installs_once_with_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    command = readme_command("Run the tests")
    assert command in ci.splitlines(), "CI must run exactly the README's test command"
    assert ci.count("pip install") == 1, "the README's test command is CI's only install"


def test_installs_come_from_the_lock_files() -> None:
    assert "-c requirements.lock" in readme_command("See it work")
    assert "-c requirements-test.lock" in readme_command("Run the tests")
    assert "-r requirements.lock" in dockerfile()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    runtime = [re.split(r"[<>=!\[ ]", dep)[0] for dep in project["dependencies"]]
    test = [re.split(r"[<>=!\[ ]", dep)[0] for dep in project["optional-dependencies"]["test"]]
    for lock, names in (("requirements.lock", runtime), ("requirements-test.lock", runtime + test)):
        pinned = {
            line.split("==")[0].lower().replace("_", "-").replace(".", "-")
            for line in (REPO / lock).read_text().splitlines()
            if "==" in line and not line.startswith("#")
        }
        for name in names:
            assert name.lower().replace(".", "-") in pinned, f"{lock} does not pin {name}"


def test_base_image_is_pinned_by_digest() -> None:
    images = re.findall(r"^FROM (\S+)", dockerfile(), re.M)
    assert images and all(re.search(r"@sha256:[0-9a-f]{64}$", image) for image in images)


def test_every_library_file_is_shipped_in_the_package() -> None:
    # setup.py maps prompts/ to bot/_prompts; package-data decides which files go with it.
    text = (REPO / "pyproject.toml").read_text()
    patterns = json.loads(re.search(r'^"bot\._prompts" = (\[.*\])$', text, re.M).group(1))
    assert '"bot._prompts": "prompts"' in (REPO / "setup.py").read_text()
    for path in (REPO / "prompts").iterdir():
        assert any(path.match(pattern) for pattern in patterns), f"{path.name} is not shipped"


def test_commands_work_outside_the_checkout(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    def closer(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            env={**env, **extra},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    checked = closer("prompts", "check")
    assert checked.returncode == 0, checked.stderr
    assert "challenges" in checked.stdout
    missing = closer("sandbox", "--days", "1", "--quiet", PROMPTS_DIR=str(tmp_path / "none"))
    assert missing.returncode == 2 and "PROMPTS_DIR" in missing.stderr
