"""Command line: `python -m bot run | sandbox [serve] | prompts check|stats [DIR] | backup PATH |
db copy --to URL`.

The only module that prints: everything an operator reads on a terminal goes through here, and
every expected failure is one line on stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

EXIT_USAGE = 2


class CliError(Exception):
    """An expected failure: printed as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Closer: a Discord bot that helps two people grow emotionally closer.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sub.add_parser("run", help="connect to Discord with DISCORD_TOKEN and serve")
    demo = sub.add_parser(
        "sandbox", help="offline demo: a local Discord, the bot and scripted members"
    )
    demo.add_argument("--days", type=int, default=7, help="days to simulate (default 7)")
    demo.add_argument("--seed", type=int, default=7, help="seed for the scripted members")
    demo.add_argument("--quiet", action="store_true", help="print only the summary")
    demo.add_argument(
        "action", nargs="?", choices=["serve"], help="serve: run only the local Discord"
    )
    demo.add_argument("--port", type=int, default=0, help="serve: port (default: any free one)")
    prompts = sub.add_parser("prompts", help="work with the prompt library")
    prompts_sub = prompts.add_subparsers(dest="prompts_command", metavar="ACTION", required=True)
    check = prompts_sub.add_parser("check", help="validate prompt packs and challenges")
    check.add_argument("directory", nargs="?", type=Path, help="default: PROMPTS_DIR")
    stats = prompts_sub.add_parser(
        "stats", help="what each relationship kind can receive, by depth and kind"
    )
    stats.add_argument("directory", nargs="?", type=Path, help="default: PROMPTS_DIR")
    sub.add_parser(
        "health", help="exit 0 if the running bot is connected and ticking (for health checks)"
    )
    backup = sub.add_parser("backup", help="a consistent copy of the database, safe while running")
    backup.add_argument("path", type=Path, help="where to write the copy")
    db = sub.add_parser("db", help="move the database to another engine")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    copy = db_sub.add_parser(
        "copy", help="copy the SQLite database (DATABASE_PATH) into an empty PostgreSQL one"
    )
    copy.add_argument("--to", required=True, metavar="URL", help="postgresql://user@host/db")
    return parser


def configure_logging(level: str) -> None:
    from bot.logs import configure

    configure(level)


def _settings() -> Settings:
    from bot.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        raise CliError(str(exc)) from None


def cmd_prompts(action: str, directory: Path | None) -> int:
    from bot.library.check import run_check
    from bot.library.stats import run_stats

    target = directory if directory is not None else _settings().prompts_dir
    run = run_stats if action == "stats" else run_check
    return run(target, sys.stdout, sys.stderr)


def cmd_run() -> int:
    from bot.runner import StartupError, run_bot

    settings = _settings()
    try:
        settings.require_token()
    except Exception as exc:
        raise CliError(str(exc)) from None
    configure_logging(settings.log_level)
    try:
        return asyncio.run(run_bot(settings))
    except StartupError as exc:
        raise CliError(str(exc)) from None


def cmd_sandbox(days: int, seed: int, quiet: bool) -> int:
    from bot.playground.demo import run_demo

    if not 1 <= days <= 28:
        raise CliError("--days must be between 1 and 28")
    from bot.library.problems import LibraryError

    prompts_dir = _settings().prompts_dir
    try:
        return asyncio.run(
            run_demo(days=days, seed=seed, quiet=quiet, out=sys.stdout, prompts_dir=prompts_dir)
        )
    except LibraryError as exc:
        raise CliError(f"PROMPTS_DIR: {exc}") from None


def cmd_sandbox_serve(port: int) -> int:
    from bot.sandbox.serve import serve

    asyncio.run(serve(sys.stdout, port=port, stop=None))
    return 0


def cmd_health() -> int:
    from bot.health import heartbeat_path, is_fresh

    settings = _settings()
    path = heartbeat_path(settings.database_path)
    if is_fresh(path, settings.tick_interval.total_seconds()):
        print("healthy")
        return 0
    print(f"unhealthy: no recent heartbeat at {path}", file=sys.stderr)
    return 1


def cmd_backup(path: Path) -> int:
    from bot.storage.backup import backup_database

    settings = _settings()
    if settings.postgres_url is not None:
        raise CliError(
            "DATABASE_URL is set: back up PostgreSQL with its own tools (pg_dump); "
            "this command copies the SQLite file"
        )
    try:
        asyncio.run(backup_database(settings.database_path, path))
    except Exception as exc:
        raise CliError(f"backup failed: {exc}") from None
    print(f"Backed up {settings.database_path} to {path}")
    return 0


def _redacted(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def cmd_db_copy(url: str) -> int:
    from bot.storage.copy import copy_database
    from bot.storage.errors import StorageError

    if not url.startswith(("postgresql://", "postgres://")):
        raise CliError("--to must be a PostgreSQL URL such as postgresql://user@host/closer")
    settings = _settings()
    if not settings.database_path.is_file():
        raise CliError(f"no SQLite database at {settings.database_path} (DATABASE_PATH)")
    try:
        report = asyncio.run(copy_database(settings.database_path, url))
    except (StorageError, OSError) as exc:
        raise CliError(f"copy failed: {exc}") from None
    where = _redacted(url)
    if report.already_there:
        print(
            f"Nothing to do: {where} already holds the same {report.total} rows as "
            f"{settings.database_path} (row counts match in all {len(report.rows)} tables)."
        )
    else:
        print(
            f"Copied {report.total} rows in {len(report.rows)} tables from "
            f"{settings.database_path} to {where}; every table's row count matches."
        )
    print("Next: set DATABASE_URL to that URL and start Closer.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return cmd_run()
        if args.command == "sandbox" and args.action == "serve":
            return cmd_sandbox_serve(args.port)
        if args.command == "sandbox":
            return cmd_sandbox(args.days, args.seed, args.quiet)
        if args.command == "prompts":
            return cmd_prompts(args.prompts_command, args.directory)
        if args.command == "health":
            return cmd_health()
        if args.command == "backup":
            return cmd_backup(args.path)
        if args.command == "db":
            return cmd_db_copy(args.to)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return EXIT_USAGE


if __name__ == "__main__":
    logging.captureWarnings(True)
    sys.exit(main())
