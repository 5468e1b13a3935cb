"""Both database engines for every test that asks for one.

A test (or fixture) that takes `backend` runs twice, once on SQLite and once on PostgreSQL,
unless it is marked `sqlite_only` (it reads SQLite's files or its file lock). PostgreSQL comes
from `CLOSER_TEST_POSTGRES_URL` (`.ci/run` starts a server and sets it) or, failing that, a
private server this session starts from the machine's PostgreSQL binaries. Each test gets a
database of its own while it runs, copied from a migrated template or emptied after an earlier
test, so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from bot.storage.db import Database, open_database
from bot.storage.postgres import PostgresDatabase
from tests import pg_cluster

BACKENDS = ("sqlite", "postgresql")
# One template per test worker (pytest-xdist), as workers may share one server.
TEMPLATE = f"closer_template_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
_numbers = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: reads SQLite's own files or lock; runs on SQLite alone"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("sqlite_only") is not None
        metafunc.parametrize("backend", BACKENDS[:1] if only else BACKENDS)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A URL of a PostgreSQL server whose user may create databases."""
    given = os.environ.get("CLOSER_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    if pg_cluster.bin_dir() is None:
        if os.environ.get("CLOSER_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is required (CLOSER_REQUIRE_POSTGRES) but not installed")
        pytest.skip("PostgreSQL server binaries not found (apt install postgresql-15)")
    folder = Path(tempfile.mkdtemp(prefix="closer-pg-"))
    url = pg_cluster.start(folder)
    try:
        yield url
    finally:
        pg_cluster.stop(folder)


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> str:
    """A database migrated once; each test's database is a copy of it (much faster)."""

    async def build() -> None:
        admin = await asyncpg.connect(_with_database(postgres_server, "postgres"))
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
            await admin.execute(f"CREATE DATABASE {TEMPLATE}")
        finally:
            await admin.close()
        db = await PostgresDatabase.open(_with_database(postgres_server, TEMPLATE), Path("."))
        await db.close()

    asyncio.run(build())
    return TEMPLATE


# Databases from earlier tests, emptied and ready again: copying the template takes ~0.5 s,
# emptying one ~20 ms.
_free: list[str] = []


async def _empty(url: str, name: str) -> bool:
    """Return the database to the template's state; False if it could not be (drop it)."""
    conn = await asyncpg.connect(url)
    try:
        # A bot a test left running (or its lead and LISTEN connections) must not reach into
        # the next test's run.
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        tables = [
            str(r[0])
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        ]
        identities = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND is_identity = 'YES'"
        )
        script = [
            "SET lock_timeout = '2s'",
            # Foreign keys are not checked while emptying, so the order of deletes is free.
            "SET session_replication_role = replica",
            *(
                f"DELETE FROM {t}"  # noqa: S608 (names from the catalog)
                + (" WHERE key <> 'schema_version'" if t == "meta" else "")
                for t in tables
            ),
            *(f"ALTER TABLE {r[0]} ALTER COLUMN {r[1]} RESTART" for r in identities),
        ]
        await conn.execute(";\n".join(script))
        return True
    except (asyncpg.PostgresError, OSError):
        return False
    finally:
        await conn.close()


@pytest.fixture
async def postgres_url(postgres_server: str, postgres_template: str) -> AsyncIterator[str]:
    """A migrated, empty database that only this test uses while it runs."""
    if _free:
        name = _free.pop()
    else:
        name = f"closer_t{os.getpid()}_{next(_numbers)}"
        admin = await asyncpg.connect(_with_database(postgres_server, "postgres"))
        try:
            await admin.execute(f"CREATE DATABASE {name} TEMPLATE {postgres_template}")
        finally:
            await admin.close()
    url = _with_database(postgres_server, name)
    try:
        yield url
    finally:
        if await _empty(url, name):
            _free.append(name)
        else:
            admin = await asyncpg.connect(_with_database(postgres_server, "postgres"))
            try:
                await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            finally:
                await admin.close()


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str | None:
    """None on SQLite; a fresh PostgreSQL database's URL on PostgreSQL."""
    if backend == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def database(database_url: str | None, tmp_path: Path) -> AsyncIterator[Database]:
    """An open, migrated, empty database on this test's backend."""
    db = await open_database(tmp_path / "closer.db", database_url)
    try:
        yield db
    finally:
        await db.close()
