"""Fixtures: every database test runs on SQLite and, when ``STOCKYARD_TEST_PG_URL`` is set, on PostgreSQL.

Each pytest worker gets its own PostgreSQL database, created from that URL's name with a suffix and dropped at
the end, so runs never share state. Tables are emptied before each test; the schema comes from the migrations.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

from stockyard.api.app import create_app
from stockyard.db import tables
from stockyard.db.engine import Database
from stockyard.db.migrate import upgrade
from stockyard.domain.audit import GENESIS_HASH
from tests.helpers import World, bearer

PG_URL = os.environ.get("STOCKYARD_TEST_PG_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _pg_admin(url: str) -> tuple[str, str]:
    """The maintenance URL and this worker's database name."""
    parsed = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{parsed.database}_{_worker()}"
    return parsed.set(database="postgres").render_as_string(hide_password=False), name


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'stockyard.db'}"}
    admin = None
    if PG_URL:
        admin_url, name = _pg_admin(PG_URL)
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        urls["postgresql"] = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    for url in urls.values():
        database = Database.from_url(url)
        upgrade(database.engine)
        database.dispose()
    yield urls
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(urls["postgresql"]).database}" WITH (FORCE)'))
        admin.dispose()


_databases: dict[str, Database] = {}


def _empty(db: Database) -> None:
    names = [t.name for t in reversed(tables.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        # The audit log refuses DELETE by trigger; the tests step around it to start each test empty.
        triggers = _suspend_audit_triggers(conn, db.dialect)
        # DELETE is several times quicker than TRUNCATE on tables this small.
        for name in names:
            conn.execute(text(f"DELETE FROM {name}"))
        if db.dialect == "postgresql":
            for (sequence,) in conn.execute(text("SELECT sequence_name FROM information_schema.sequences")):
                conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
        for statement in triggers:
            conn.execute(text(statement))
        conn.execute(text(f"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{GENESIS_HASH}')"))


def _suspend_audit_triggers(conn: Connection, dialect: str) -> list[str]:
    """Let this transaction delete audit rows; returns the statements that restore the protection."""
    if dialect == "postgresql":
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        return []
    rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                             "AND tbl_name = 'audit_entry'")).all()
    for name, _ in rows:
        conn.execute(text(f'DROP TRIGGER "{name}"'))
    return [sql for _, sql in rows]


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, database_urls: dict[str, str]) -> Database:
    """An empty, migrated database of each backend."""
    backend = request.param
    if backend not in _databases:
        _databases[backend] = Database.from_url(database_urls[backend])
    database = _databases[backend]
    _empty(database)
    return database


@pytest.fixture
def pg_db(database_urls: dict[str, str]) -> Database:
    """PostgreSQL only: for the tests that prove behaviour under real concurrency on the production database."""
    if "postgresql" not in database_urls:
        pytest.skip("set STOCKYARD_TEST_PG_URL to run PostgreSQL tests")
    if "postgresql" not in _databases:
        _databases["postgresql"] = Database.from_url(database_urls["postgresql"])
    _empty(_databases["postgresql"])
    return _databases["postgresql"]


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    """The API, signed in as a system administrator with every scope."""
    with TestClient(create_app(db)) as test_client:
        test_client.headers.update(bearer(db, "admin", roles=["system_administrator"]))
        yield test_client


@pytest.fixture
def anonymous(db: Database) -> Iterator[TestClient]:
    """The API with nobody signed in."""
    with TestClient(create_app(db)) as test_client:
        yield test_client


@pytest.fixture
def world(db: Database) -> World:
    return World(db)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for database in _databases.values():
        database.dispose()


ROOT = Path(__file__).resolve().parent.parent
