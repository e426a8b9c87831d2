"""Prove the five ledger invariants on demand by replaying the ledger against the balance projection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Connection, func, literal, select, type_coerce, union_all

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.db.types import from_units
from stockyard.domain.stock import Bucket, StockItem, StockStatus, bucket_key


@dataclass(frozen=True)
class Violation:
    invariant: int
    key: str
    message: str


@dataclass
class VerifyReport:
    movements: int = 0
    balances: int = 0
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


Progress = Callable[[str], None]


def verify(db: Database, progress: Progress | None = None) -> VerifyReport:
    """Replay every movement and allocation entry and report each violation of the five invariants:
    1 physical buckets never negative nor over-allocated; 2 balances equal the replay; 3 each stock item
    sums to zero over all locations; 4 a serial is in one place with quantity 1; 5 only available stock
    is allocated."""
    say = progress or (lambda _: None)
    return db.read(lambda conn: _verify(conn, say))


def _verify(conn: Connection, say: Progress) -> VerifyReport:
    report = VerifyReport()
    report.movements = int(conn.execute(select(func.count()).select_from(t.movement)).scalar_one())
    say(f"replaying {report.movements} movements")
    expected = _replay(conn)
    say("reading balances")
    actual = {r.key: r for r in conn.execute(select(t.balance, t.location.c.virtual_kind,
                                                    t.location.c.warehouse_id.label("location_warehouse"))
                                             .join(t.location, t.location.c.id == t.balance.c.location_id))}
    report.balances = len(actual)
    add = report.violations.append
    for key, row in actual.items():
        _check_row(key, row, add)
        on_hand, allocated = expected.pop(key, (Decimal(0), Decimal(0)))
        if (row.on_hand, row.allocated) != (on_hand, allocated):
            add(Violation(2, key, f"balance says on-hand {row.on_hand} / allocated {row.allocated}, "
                                  f"the ledger says {on_hand} / {allocated}"))
    for key, (on_hand, allocated) in expected.items():
        if on_hand or allocated:
            add(Violation(2, key, f"no balance row, the ledger says on-hand {on_hand} / allocated {allocated}"))
    say("checking sums per stock item and serials")
    _check_sums(conn, add)
    _check_serials(conn, add)
    return report


def _check_row(key: str, row: Any, add: Callable[[Violation], None]) -> None:
    is_virtual = row.virtual_kind is not None
    if not is_virtual and row.on_hand < 0:
        add(Violation(1, key, f"physical bucket has negative on-hand {row.on_hand}"))
    if not is_virtual and row.allocated > row.on_hand:
        add(Violation(1, key, f"allocated {row.allocated} exceeds on-hand {row.on_hand}"))
    if row.allocated < 0:
        add(Violation(1, key, f"negative allocation {row.allocated}"))
    if row.allocated and row.status != StockStatus.AVAILABLE.value:
        add(Violation(5, key, f"{row.status} stock is allocated ({row.allocated})"))
    if row.serial is not None and not is_virtual and row.on_hand not in (0, 1):
        add(Violation(4, key, f"serial {row.serial} has quantity {row.on_hand}"))
    item = StockItem(row.owner_id, row.sku_id, row.lot_id, row.serial)
    own_key = bucket_key(item, Bucket(row.location_id, row.container_id, StockStatus(row.status)))
    if own_key != key or row.is_virtual != is_virtual or row.warehouse_id != row.location_warehouse:
        add(Violation(2, key, "balance row does not describe its own bucket"))


def units(column: ColumnElement[Any]) -> ColumnElement[int]:
    """A quantity column as its stored integer of millionths, so sums stay exact and are converted once."""
    return type_coerce(column, BigInteger())


def _replay(conn: Connection) -> dict[str, tuple[Decimal, Decimal]]:
    """On-hand and allocated per bucket from the ledger alone, summed by the database."""
    m, a = t.movement, t.allocation_entry
    parts = [
        select(m.c.owner_id, m.c.sku_id, m.c.lot_id, m.c.serial, m.c.from_location_id.label("loc"),
               m.c.from_container_id.label("cont"), m.c.from_status.label("st"),
               (-units(m.c.quantity)).label("oh"), literal(0).label("al")),
        select(m.c.owner_id, m.c.sku_id, m.c.lot_id, m.c.serial, m.c.to_location_id, m.c.to_container_id,
               m.c.to_status, units(m.c.quantity), literal(0)),
        select(a.c.owner_id, a.c.sku_id, a.c.lot_id, a.c.serial, a.c.location_id, a.c.container_id, a.c.status,
               literal(0), units(a.c.quantity)),
    ]
    u = union_all(*parts).subquery()
    grouped = select(u.c.owner_id, u.c.sku_id, u.c.lot_id, u.c.serial, u.c.loc, u.c.cont, u.c.st,
                     func.sum(u.c.oh), func.sum(u.c.al)).group_by(
        u.c.owner_id, u.c.sku_id, u.c.lot_id, u.c.serial, u.c.loc, u.c.cont, u.c.st)
    result: dict[str, tuple[Decimal, Decimal]] = {}
    for owner_id, sku_id, lot_id, serial, loc, cont, status, on_hand, allocated in conn.execute(grouped):
        key = bucket_key(StockItem(owner_id, sku_id, lot_id, serial), Bucket(loc, cont, StockStatus(status)))
        result[key] = (from_units(int(on_hand)), from_units(int(allocated)))
    return result


def _check_sums(conn: Connection, add: Callable[[Violation], None]) -> None:
    b = t.balance
    rows = conn.execute(select(b.c.owner_id, b.c.sku_id, b.c.lot_id, b.c.serial,
                               func.sum(units(b.c.on_hand)).label("total"))
                        .group_by(b.c.owner_id, b.c.sku_id, b.c.lot_id, b.c.serial)
                        .having(func.sum(units(b.c.on_hand)) != 0))
    for r in rows:
        add(Violation(3, f"{r.owner_id}|{r.sku_id}|{r.lot_id or ''}|{r.serial or ''}",
                      f"stock item sums to {from_units(int(r.total))} over all locations instead of zero"))


def _check_serials(conn: Connection, add: Callable[[Violation], None]) -> None:
    b = t.balance
    rows = conn.execute(select(b.c.owner_id, b.c.sku_id, b.c.serial, func.count().label("places"),
                               func.sum(units(b.c.on_hand)).label("total"))
                        .where(b.c.serial.is_not(None), ~b.c.is_virtual, b.c.on_hand != 0)
                        .group_by(b.c.owner_id, b.c.sku_id, b.c.serial)
                        .having(func.count() > 1))
    for r in rows:
        add(Violation(4, f"{r.owner_id}|{r.sku_id}|||{r.serial}",
                      f"serial {r.serial} is in {r.places} places"))
