"""Column types. Quantities and measures are stored as exact integers of millionths on every database.

SQLite has no exact decimal type, and a float is never good enough for a ledger; storing scaled integers keeps
sums and comparisons exact on SQLite and PostgreSQL alike, and lets SQL add and compare them directly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.types import TypeDecorator

from stockyard.domain.quantity import MAX_DECIMALS

SCALE = 10**MAX_DECIMALS


def to_units(value: Decimal | int) -> int:
    scaled = Decimal(value) * SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than {MAX_DECIMALS} decimals")
    return int(scaled)


def from_units(units: int) -> Decimal:
    return (Decimal(units) / SCALE).normalize() if units % SCALE else Decimal(units // SCALE)


class Exact(TypeDecorator[Decimal]):
    """A Decimal stored as a 64-bit count of millionths."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else to_units(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else from_units(int(value))


class UtcDateTime(TypeDecorator[datetime]):
    """A moment in UTC. SQLite keeps no time zone, so it is attached on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; Stockyard stores moments in UTC")
        moment: datetime = value.astimezone(UTC)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
