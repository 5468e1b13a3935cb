"""Both database engines for every test that asks for one.

A test (or fixture) that takes `backend` runs twice, once on SQLite and once on PostgreSQL,
unless it is marked `sqlite_only` (it reads SQLite's files or its file lock). PostgreSQL comes
from `CLOSER_TEST_POSTGRES_URL` (`.ci/run` starts a server and sets it) or, failing that, a
private server this session starts from the machine's PostgreSQL binaries. Each test gets a
fresh database copied from a migrated template, so tests never see each other's rows.
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
TEMPLATE = "closer_template"
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


@pytest.fixture
async def postgres_url(postgres_server: str, postgres_template: str) -> AsyncIterator[str]:
    """A fresh, migrated, empty database of this test's own."""
    name = f"closer_t{os.getpid()}_{next(_numbers)}"
    admin = await asyncpg.connect(_with_database(postgres_server, "postgres"))
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {postgres_template}")
    finally:
        await admin.close()
    try:
        yield _with_database(postgres_server, name)
    finally:
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
