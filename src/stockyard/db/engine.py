"""Engines and transactions.

SQLite: WAL, synchronous=FULL for the ledger, foreign keys on, a busy timeout, and ``BEGIN IMMEDIATE`` for every
writing transaction so that writers queue instead of failing half-way. PostgreSQL: READ COMMITTED with atomic
conditional updates and rows locked in key order; a transaction that meets a serialization failure or a
deadlock is retried a bounded number of times.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from stockyard.config import Settings, get_settings

T = TypeVar("T")

# 40001 serialization_failure, 40P01 deadlock_detected, 55P03 lock_not_available
RETRYABLE_PG_CODES = {"40001", "40P01", "55P03"}


def make_engine(url: str, settings: Settings | None = None, **kwargs: Any) -> Engine:
    settings = settings or get_settings()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    kwargs.setdefault("pool_size", settings.pool_size)
    kwargs.setdefault("max_overflow", settings.pool_size)
    if kwargs.get("poolclass") is NullPool:
        kwargs.pop("pool_size")
        kwargs.pop("max_overflow")
    # No pre-ping (a round trip per checkout): ``Database.write`` retries work that met a dropped connection
    # before its commit, and idle connections are recycled before servers or proxies cut them.
    kwargs.setdefault("pool_recycle", 1800)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's begin event below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=60000"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = "DEFERRED" if connection.get_execution_options().get("read_only") else "IMMEDIATE"
        connection.exec_driver_sql(f"BEGIN {mode}")


def is_retryable(error: BaseException) -> bool:
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    code = getattr(error.orig, "sqlstate", None)
    if code in RETRYABLE_PG_CODES:
        return True
    # SQLite reports a lock it waited too long for as "database is locked".
    return isinstance(error, OperationalError) and "database is locked" in str(error.orig)


def insert_missing(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], key: Sequence[str]) -> None:
    """Insert the rows whose ``key`` columns are not taken yet, leaving existing (or concurrently inserted)
    rows alone: ``INSERT ... ON CONFLICT (key) DO NOTHING`` on both databases."""
    if not rows:
        return
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(module.insert(table).on_conflict_do_nothing(index_elements=list(key)), list(rows))


def is_unique_violation(error: DBAPIError) -> bool:
    code = getattr(error.orig, "sqlstate", None)
    return code == "23505" or "UNIQUE constraint failed" in str(error.orig)


class Database:
    """One engine and the way every service runs a transaction on it."""

    def __init__(self, engine: Engine, retries: int | None = None) -> None:
        self.engine = engine
        self.retries = retries if retries is not None else get_settings().transaction_retries

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        return cls(make_engine(url, **kwargs))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def begin(self, read_only: bool = False) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            if read_only:
                connection = connection.execution_options(read_only=True)
            with connection.begin():
                yield connection

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one writing transaction, retried on serialization failures, deadlocks and a
        connection found dropped before the commit (never after: that commit may have happened)."""
        for attempt in range(1, self.retries + 1):
            with self.engine.connect() as connection:
                try:
                    transaction = connection.begin()
                    result = work(connection)
                except DBAPIError as error:
                    if connection.in_transaction() and not connection.invalidated:
                        connection.rollback()
                    if attempt == self.retries or not is_retryable(error):
                        raise
                else:
                    transaction.commit()
                    return result
            time.sleep(random.uniform(0, 0.005 * 2**attempt))
        raise AssertionError("unreachable")

    def read(self, work: Callable[[Connection], T]) -> T:
        with self.begin(read_only=True) as connection:
            return work(connection)

    def dispose(self) -> None:
        self.engine.dispose()
