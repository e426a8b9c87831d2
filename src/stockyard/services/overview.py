"""The dashboard's figures: stock by status, today's receipts and shipments, open tasks by kind and age.

Each figure is one aggregate query over the principal's scope (a handful per page, never one per row), so the
home page costs the same with ten locations or a hundred thousand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select, type_coerce

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.db.types import Exact
from stockyard.domain.access import Principal
from stockyard.domain.stock import StockStatus, VirtualKind
from stockyard.services import masterdata as md
from stockyard.services import stock
from stockyard.services.verify import units

ZERO = Decimal(0)
# Age buckets of open tasks, in hours: up to 1, 1 to 4, 4 to 24, over 24.
AGES = ((1, "under_1h"), (4, "1h_4h"), (24, "4h_24h"))
OLDEST = "over_24h"
OPEN_ORDER = ("created", "partially_allocated", "allocated", "picking", "picked", "packed")


@dataclass(frozen=True)
class StockFigures:
    on_hand: Decimal = ZERO
    allocated: Decimal = ZERO
    available: Decimal = ZERO
    frozen: Decimal = ZERO
    qc: Decimal = ZERO
    in_transit: Decimal = ZERO


@dataclass(frozen=True)
class Progress:
    """Documents of the day: how many, how many done, and the units expected against those done."""

    documents: int = 0
    done: int = 0
    expected: Decimal = ZERO
    completed: Decimal = ZERO


@dataclass
class Dashboard:
    stock: StockFigures
    receipts: Progress
    shipments: Progress
    tasks: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> age bucket -> count
    stock_by_zone: list[dict[str, Any]] = field(default_factory=list)


def dashboard(db: Database, principal: Principal, *, warehouse_id: int | None = None,
              today: date | None = None, now: datetime | None = None) -> Dashboard:
    """The figures of one warehouse, or of every warehouse in the principal's scope when ``warehouse_id`` is None
    (a warehouse outside the scope shows nothing, like any other query). ``today`` is the console's day."""
    now = now or datetime.now(UTC)
    today = today or now.date()

    def work(conn: Any) -> Dashboard:
        return Dashboard(
            stock=_stock(conn, principal, warehouse_id),
            receipts=_receipts(conn, principal, warehouse_id, today),
            shipments=_shipments(conn, principal, warehouse_id, today),
            tasks=_tasks(conn, principal, warehouse_id, now),
            stock_by_zone=_by_zone(conn, principal, warehouse_id))
    result: Dashboard = db.read(work)
    return result


def _in_scope(query: Select[Any], principal: Principal, warehouse: Any, owner: Any,
              warehouse_id: int | None) -> Select[Any]:
    clause = md.all_of(md.within(warehouse, principal.warehouse_ids), md.within(owner, principal.owner_ids),
                       None if warehouse_id is None else warehouse == warehouse_id)
    return query if clause is None else query.where(clause)


def _sum(condition: Any, value: Any) -> Any:
    """The sum of a quantity over the rows meeting ``condition``, exact: summed as stored, converted once."""
    return type_coerce(func.coalesce(func.sum(case((condition, units(value)), else_=0)), 0), Exact())


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _total(column: Any) -> Any:
    return type_coerce(func.coalesce(func.sum(units(column)), 0), Exact())


def _stock(conn: Any, principal: Principal, warehouse_id: int | None) -> StockFigures:
    b, loc = t.balance, t.location
    physical = ~b.c.is_virtual
    query = select(
        _sum(physical, b.c.on_hand), _sum(physical, b.c.allocated),
        _sum(and_(physical, b.c.status == StockStatus.AVAILABLE.value), b.c.on_hand),
        _sum(and_(physical, b.c.status == StockStatus.FROZEN.value), b.c.on_hand),
        _sum(and_(physical, b.c.status == StockStatus.QC.value), b.c.on_hand),
        _sum(loc.c.virtual_kind == VirtualKind.IN_TRANSIT.value, b.c.on_hand),
    ).select_from(b.join(loc, loc.c.id == b.c.location_id))
    scope = stock.balance_scope(principal)
    if scope is not None:
        query = query.where(scope)
    if warehouse_id is not None:
        query = query.where(b.c.warehouse_id == warehouse_id)
    on_hand, allocated, available, frozen, qc, in_transit = conn.execute(query).one()
    # Only available stock is ever allocated (a constraint of the balance table).
    return StockFigures(on_hand, allocated, available - allocated, frozen, qc, in_transit)


def _receipts(conn: Any, principal: Principal, warehouse_id: int | None, today: date) -> Progress:
    r, line = t.receipt, t.receipt_line
    due = and_(r.c.status != "cancelled", or_(r.c.expected_date == today, r.c.status == "receiving"))
    docs = _in_scope(select(func.count(), _count(r.c.status == "closed")).where(due), principal,
                     r.c.warehouse_id, r.c.owner_id, warehouse_id)
    units = _in_scope(select(_total(line.c.expected_quantity), _total(line.c.received_quantity))
                      .select_from(line.join(r, r.c.id == line.c.receipt_id)).where(due), principal,
                      r.c.warehouse_id, r.c.owner_id, warehouse_id)
    count, closed = conn.execute(docs).one()
    expected, received = conn.execute(units).one()
    return Progress(int(count), int(closed), expected, received)


def _shipments(conn: Any, principal: Principal, warehouse_id: int | None, today: date) -> Progress:
    o, line = t.shipment_order, t.shipment_line
    start = datetime(today.year, today.month, today.day, tzinfo=UTC)
    shipped_today = and_(o.c.shipped_at >= start, o.c.shipped_at < start + timedelta(days=1))
    due = or_(shipped_today, and_(o.c.status.in_(OPEN_ORDER),
                                  or_(o.c.requested_ship_date <= today, o.c.requested_ship_date.is_(None))))
    docs = _in_scope(select(func.count(), _count(o.c.status == "shipped")).where(due), principal,
                     o.c.warehouse_id, o.c.owner_id, warehouse_id)
    units = _in_scope(select(_total(line.c.quantity), _sum(o.c.status == "shipped", line.c.packed_quantity))
                      .select_from(line.join(o, o.c.id == line.c.order_id)).where(due), principal,
                      o.c.warehouse_id, o.c.owner_id, warehouse_id)
    count, shipped = conn.execute(docs).one()
    expected, done = conn.execute(units).one()
    return Progress(int(count), int(shipped), expected, done)


def _tasks(conn: Any, principal: Principal, warehouse_id: int | None, now: datetime) -> dict[str, dict[str, int]]:
    k = t.task
    age = case(*((k.c.created_at > now - timedelta(hours=hours), name) for hours, name in AGES), else_=OLDEST)
    query = _in_scope(select(k.c.kind, age.label("age"), func.count()).where(k.c.status == "open")
                      .group_by(k.c.kind, age), principal, k.c.warehouse_id, k.c.owner_id, warehouse_id)
    if principal.zone_ids is not None:
        query = query.where(k.c.from_location_id.in_(select(t.location.c.id).where(
            t.location.c.zone_id.in_(sorted(principal.zone_ids)))))
    found: dict[str, dict[str, int]] = {}
    for kind, bucket, count in conn.execute(query):
        found.setdefault(str(kind), {})[str(bucket)] = int(count)
    return found


def _by_zone(conn: Any, principal: Principal, warehouse_id: int | None) -> list[dict[str, Any]]:
    b, loc, z = t.balance, t.location, t.zone
    query = (select(z.c.code, b.c.status, _total(b.c.on_hand))
             .select_from(b.join(loc, loc.c.id == b.c.location_id).join(z, z.c.id == loc.c.zone_id))
             .where(~b.c.is_virtual, b.c.on_hand != 0).group_by(z.c.code, b.c.status).order_by(z.c.code))
    scope = stock.balance_scope(principal)
    if scope is not None:
        query = query.where(scope)
    if warehouse_id is not None:
        query = query.where(b.c.warehouse_id == warehouse_id)
    return [{"zone": str(code), "status": str(status), "on_hand": total}
            for code, status, total in conn.execute(query)]
