"""Runtime configuration from the environment or a `.env` file.

Every name here is part of Closer's public surface (operators' `.env` files depend on them), so
fields map one-to-one onto upper-case environment variables.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_PACKAGE = Path(__file__).resolve().parent


def default_prompts_dir() -> Path:
    """`prompts` in the working directory, else the library shipped with Closer.

    An installed Closer carries its library as `bot/_prompts` (see setup.py); a source checkout
    has it beside the package. Either way a command works from any working directory.
    """
    relative = Path("prompts")
    if relative.is_dir():
        return relative
    for shipped in (_PACKAGE / "_prompts", _PACKAGE.parent / "prompts"):
        if shipped.is_dir():
            return shipped
    return relative


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one line meant for an operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        case_sensitive=False,
    )

    discord_token: SecretStr | None = None
    database_path: Path = Path("data/closer.db")
    # postgresql://… to use PostgreSQL instead of the SQLite file. Secret: it may hold a password.
    database_url: SecretStr | None = None
    discord_api_base_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg"
    dev_guild_id: int | None = Field(default=None, gt=0)
    default_timezone: str = "UTC"
    prompts_dir: Path = Field(default_factory=default_prompts_dir)
    tick_interval: timedelta = timedelta(seconds=20)
    nudge_after: timedelta = timedelta(hours=24)
    log_level: str = "INFO"
    # None: ask Discord (GET /gateway/bot) and run every shard in this process.
    shard_count: int | None = Field(default=None, ge=1)
    # NoDecode: "0,1" in the environment is a comma list, not JSON.
    shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = None
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
            ("postgresql://", "postgres://")
        ):
            raise ValueError("must be a PostgreSQL URL such as postgresql://user@host/closer")
        return value

    @property
    def postgres_url(self) -> str | None:
        return self.database_url.get_secret_value() if self.database_url is not None else None

    @field_validator("discord_api_base_url")
    @classmethod
    def _api_base(cls, value: str) -> str:
        value = value.rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://discord.com/api/v10")
        return value

    @field_validator("discord_gateway_url")
    @classmethod
    def _gateway(cls, value: str) -> str:
        if not value.startswith(("ws://", "wss://")):
            raise ValueError("must be a ws(s) URL such as wss://gateway.discord.gg")
        return value.rstrip("/")

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Berlin") from None
        return value

    @field_validator("tick_interval", "nudge_after", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> Any:
        # "20" in a .env file means seconds, as documented; pydantic alone wants ISO 8601 there.
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                return value.strip()
        return value

    @field_validator("tick_interval")
    @classmethod
    def _tick(cls, value: timedelta) -> timedelta:
        if not timedelta(seconds=1) <= value <= timedelta(minutes=10):
            raise ValueError("must be between 1 second and 10 minutes")
        return value

    @field_validator("nudge_after")
    @classmethod
    def _nudge(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be a positive duration (seconds or ISO 8601, e.g. PT24H)")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _shard_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not parts:
                return None
            if not all(p.isdigit() for p in parts):
                raise ValueError("must be shard numbers separated by commas, e.g. 0,1")
            return tuple(int(p) for p in parts)
        return value

    @field_validator("shard_ids")
    @classmethod
    def _shards(cls, value: tuple[int, ...] | None, info: ValidationInfo) -> tuple[int, ...] | None:
        if value is None:
            return None
        count = info.data.get("shard_count")
        if count is None:
            # discord.py needs the total to know which guilds each listed shard owns.
            raise ValueError("needs SHARD_COUNT too, the total over every process")
        if len(set(value)) != len(value):
            raise ValueError("lists a shard twice")
        outside = [i for i in value if not 0 <= i < count]
        if outside:
            raise ValueError(f"shard {outside[0]} is not below SHARD_COUNT ({count})")
        return value

    def require_token(self) -> SecretStr:
        token = self.discord_token
        if token is None or not token.get_secret_value().strip():
            raise SettingsError(
                "DISCORD_TOKEN is not set: put your bot token in the environment or in .env "
                "(see .env.example)."
            )
        return token


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning pydantic's report into one line that names the setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None
