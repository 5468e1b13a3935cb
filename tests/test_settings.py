from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings

REPO = Path(__file__).resolve().parents[1]
ALL_NAMES = [
    "DISCORD_TOKEN",
    "DATABASE_PATH",
    "DATABASE_URL",
    "DISCORD_API_BASE_URL",
    "DISCORD_GATEWAY_URL",
    "DEV_GUILD_ID",
    "DEFAULT_TIMEZONE",
    "PROMPTS_DIR",
    "TICK_INTERVAL",
    "NUDGE_AFTER",
    "LOG_LEVEL",
    "SHARD_COUNT",
    "SHARD_IDS",
    "METRICS_PORT",
    "METRICS_HOST",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ALL_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout


def test_defaults_match_the_documented_surface() -> None:
    s = load_settings()
    assert s.discord_token is None
    assert s.database_path == Path("data/closer.db")
    assert s.discord_api_base_url == "https://discord.com/api/v10"
    assert s.discord_gateway_url == "wss://gateway.discord.gg"
    assert s.dev_guild_id is None
    assert s.default_timezone == "UTC"
    # No prompts/ here (a fresh tmp directory): the library that came with Closer.
    assert (s.prompts_dir / "challenges.toml").is_file() and s.prompts_dir.is_absolute()
    assert s.tick_interval == timedelta(seconds=20)
    assert s.nudge_after == timedelta(hours=24)
    assert s.log_level == "INFO"
    assert s.shard_count is None and s.shard_ids is None
    assert s.metrics_port is None and s.metrics_host == "127.0.0.1"


def test_a_prompts_directory_here_is_the_default(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    assert load_settings().prompts_dir == Path("prompts")


def test_every_setting_is_documented_in_env_example() -> None:
    example = (REPO / ".env.example").read_text()
    for name in ALL_NAMES:
        assert f"\n{name}=" in example, name
    assert set(ALL_NAMES) == {f.upper() for f in Settings.model_fields}


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("NUDGE_AFTER=PT2H\nDEV_GUILD_ID=\nTICK_INTERVAL=5\n")
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Europe/Berlin")
    s = load_settings()
    assert s.nudge_after == timedelta(hours=2)
    assert s.tick_interval == timedelta(seconds=5)
    assert s.dev_guild_id is None
    assert s.default_timezone == "Europe/Berlin"


def test_the_token_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "very-secret-token")
    s = load_settings()
    assert "very-secret-token" not in repr(s) and "very-secret-token" not in str(s)
    assert s.require_token().get_secret_value() == "very-secret-token"


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "DEFAULT_TIMEZONE: 'Mars/Olympus' is not an IANA"),
        ("DEFAULT_TIMEZONE", "../../etc/passwd", "DEFAULT_TIMEZONE:"),
        ("TICK_INTERVAL", "0", "TICK_INTERVAL: must be between"),
        ("TICK_INTERVAL", "often", "TICK_INTERVAL:"),
        ("NUDGE_AFTER", "-5", "NUDGE_AFTER: must be a positive duration"),
        ("DEV_GUILD_ID", "abc", "DEV_GUILD_ID:"),
        ("DEV_GUILD_ID", "-1", "DEV_GUILD_ID:"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL: must be one of"),
        ("DISCORD_API_BASE_URL", "discord.com", "DISCORD_API_BASE_URL: must be an http(s) URL"),
        ("DISCORD_GATEWAY_URL", "http://x", "DISCORD_GATEWAY_URL: must be a ws(s) URL"),
        ("SHARD_COUNT", "0", "SHARD_COUNT:"),
        ("SHARD_IDS", "0,x", "SHARD_IDS: must be shard numbers"),
        ("METRICS_PORT", "70000", "METRICS_PORT:"),
    ],
)
def test_invalid_settings_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value).startswith(fragment)
    assert "\n" not in str(info.value)


def test_shard_ids_are_a_comma_list_within_the_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARD_COUNT", "4")
    monkeypatch.setenv("SHARD_IDS", " 2, 3 ")
    s = load_settings()
    assert (s.shard_count, s.shard_ids) == (4, (2, 3))


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        (
            {"SHARD_COUNT": "2", "SHARD_IDS": "0,2"},
            "SHARD_IDS: shard 2 is not below SHARD_COUNT (2)",
        ),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "1,1"}, "SHARD_IDS: lists a shard twice"),
        ({"SHARD_IDS": "0"}, "SHARD_IDS: needs SHARD_COUNT too"),
    ],
)
def test_shard_ids_are_checked_against_each_other(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], fragment: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value).startswith(fragment)
    assert "\n" not in str(info.value)


def test_missing_token_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match=r"^DISCORD_TOKEN is not set"):
        load_settings().require_token()


def _run_cli(
    *args: str, env_extra: dict[str, str] | None = None, cwd: Path
) -> subprocess.CompletedProcess[str]:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ALL_NAMES}
    env.update(env_extra or {})
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_run_without_a_token_exits_2_with_one_line(tmp_path: Path) -> None:
    result = _run_cli("run", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DISCORD_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


def test_an_invalid_setting_exits_2_with_one_line(tmp_path: Path) -> None:
    result = _run_cli("run", env_extra={"TICK_INTERVAL": "never"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "TICK_INTERVAL" in result.stderr and "Traceback" not in result.stderr


def test_help_works(tmp_path: Path) -> None:
    result = _run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("run", "sandbox", "prompts", "backup"):
        assert command in result.stdout
