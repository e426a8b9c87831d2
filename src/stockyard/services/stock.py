"""Stock use cases before the flows exist: opening stock, manual adjustments, balances and movement history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, or_, select

from stockyard.db import ledger as repo
from stockyard.db import tables as t
from stockyard.db.engine import Database, insert_missing
from stockyard.db.ledger import WrittenPosting
from stockyard.domain.adjustment import OPENING_REASON, Direction, adjustment_reason
from stockyard.domain.errors import DomainError, InvalidInput
from stockyard.domain.master import check_lot_dates
from stockyard.domain.stock import Bucket, Movement, PostingRequest, StockItem, StockStatus, VirtualKind
from stockyard.services import ledger
from stockyard.services.principal import Principal


@dataclass(frozen=True)
class StockLine:
    """A quantity of stock at a bucket, as a person or an import describes it (lot by number)."""

    owner_id: int
    sku_id: int
    location_id: int
    quantity: Decimal
    container_id: int | None = None
    status: StockStatus = StockStatus.AVAILABLE
    lot_number: str | None = None
    production_date: date | None = None
    expiry_date: date | None = None
    serial: str | None = None


def post_opening_stock(db: Database, lines: Sequence[StockLine], *, principal: Principal,
                       doc_ref: str | None = None) -> WrittenPosting:
    """Load stock at go-live: each line comes from the warehouse's adjustment location, all in one posting."""
    return db.write(lambda conn: _post_lines(conn, lines, Direction.GAIN, OPENING_REASON, principal,
                                             "opening", doc_ref))


def post_adjustment(db: Database, reason_code: str, lines: Sequence[StockLine], *, principal: Principal,
                    doc_ref: str | None = None) -> WrittenPosting:
    """Write stock on (报溢) or off (报损) with a reason code, all lines or none."""
    reason = adjustment_reason(reason_code)
    return db.write(lambda conn: _post_lines(conn, lines, reason.direction, reason.code, principal,
                                             "adjustment", doc_ref))


def _post_lines(conn: Connection, lines: Sequence[StockLine], direction: Direction, reason: str,
                principal: Principal, doc_type: str, doc_ref: str | None) -> WrittenPosting:
    locations = repo.load_locations(conn, sorted({line.location_id for line in lines}))
    virtuals = repo.virtual_locations(conn, {loc.warehouse_id for loc in locations.values()},
                                      VirtualKind.ADJUSTMENT)
    lots = _resolve_lots(conn, lines)
    movements: list[Movement] = []
    for index, line in enumerate(lines):
        location = locations.get(line.location_id)
        if location is None:
            raise InvalidInput(f"location {line.location_id} does not exist", field=f"lines[{index}].location_id",
                           code="unknown_location")
        if location.is_virtual:
            raise InvalidInput("stock is adjusted in a physical location", field=f"lines[{index}].location_id")
        item = StockItem(line.owner_id, line.sku_id, lots[index], line.serial)
        shelf = Bucket(line.location_id, line.container_id, line.status)
        other = Bucket(virtuals[location.warehouse_id])
        source, target = (other, shelf) if direction is Direction.GAIN else (shelf, other)
        movements.append(Movement(item, source, target, line.quantity))
    try:
        return ledger.post_in(conn, PostingRequest(reason, movements, doc_type=doc_type, doc_ref=doc_ref,
                                                   user=principal.name))
    except DomainError as error:
        raise _as_line_error(error) from None


def _as_line_error(error: DomainError) -> DomainError:
    """Name the caller's fields: ``movements[2].to_location_id`` is ``lines[2].location_id`` to them."""
    if error.field and error.field.startswith("movements["):
        head, _, rest = error.field.partition(".")
        for side in ("from_", "to_"):
            rest = rest.replace(side + "location_id", "location_id").replace(side + "container_id",
                                                                            "container_id")
        if rest == "lot_id":
            rest = "lot_number"
        error.field = "lines" + head[len("movements"):] + ("." + rest if rest else "")
    return error


def _lot_number(line: StockLine) -> str | None:
    """An expiry-controlled SKU counted without a lot number gets a lot named after its expiry date."""
    if line.lot_number is None and line.expiry_date is not None:
        return f"EXP{line.expiry_date:%Y%m%d}"
    return line.lot_number


def _resolve_lots(conn: Connection, lines: Sequence[StockLine]) -> list[int | None]:
    """Each line's lot id by number, creating the lots not seen before: a few queries for any number of lines."""
    wanted: dict[tuple[int, str], tuple[int, StockLine]] = {}
    for index, line in enumerate(lines):
        number = _lot_number(line)
        if number is None:
            continue
        try:
            check_lot_dates(line.production_date, line.expiry_date)
        except DomainError as error:
            raise error.at(f"lines[{index}]") from None
        wanted.setdefault((line.sku_id, number), (index, line))
    if not wanted:
        return [None] * len(lines)
    found = _lots_by_number(conn, wanted)
    missing = [key for key in wanted if key not in found]
    if missing:
        owners = {r.id: r.owner_id for r in conn.execute(
            select(t.sku.c.id, t.sku.c.owner_id).where(t.sku.c.id.in_({sku for sku, _ in missing})))}
        now = datetime.now(UTC)
        rows = []
        for sku_id, number in missing:
            index, line = wanted[(sku_id, number)]
            if sku_id not in owners:
                raise InvalidInput(f"SKU {sku_id} does not exist", field=f"lines[{index}].sku_id", code="unknown_sku")
            rows.append({"owner_id": owners[sku_id], "sku_id": sku_id, "number": number,
                         "production_date": line.production_date, "expiry_date": line.expiry_date,
                         "created_at": now, "updated_at": now})
        # Another request may create some of the same lots at the same moment: theirs stand, ours fill the gaps.
        insert_missing(conn, t.lot, rows, ("sku_id", "number"))
        found = _lots_by_number(conn, wanted)
    result: list[int | None] = []
    for index, line in enumerate(lines):
        number = _lot_number(line)
        if number is None:
            result.append(None)
            continue
        lot_id, expiry = found[(line.sku_id, number)]
        if line.expiry_date is not None and expiry not in (None, line.expiry_date):
            raise InvalidInput(f"lot {number} expires on {expiry}, not {line.expiry_date}",
                               field=f"lines[{index}].expiry_date", code="lot_expiry_mismatch")
        result.append(lot_id)
    return result


def _lots_by_number(conn: Connection, wanted: dict[tuple[int, str], Any]) -> dict[tuple[int, str],
                                                                               tuple[int, date | None]]:
    skus = {sku for sku, _ in wanted}
    numbers = {number for _, number in wanted}
    rows = conn.execute(select(t.lot.c.id, t.lot.c.sku_id, t.lot.c.number, t.lot.c.expiry_date)
                        .where(t.lot.c.sku_id.in_(skus), t.lot.c.number.in_(numbers)))
    return {(r.sku_id, r.number): (r.id, r.expiry_date) for r in rows if (r.sku_id, r.number) in wanted}


# ---------------------------------------------------------------- queries


@dataclass(frozen=True)
class BalanceFilter:
    warehouse_id: int | None = None
    zone_id: int | None = None
    location_id: int | None = None
    container_id: int | None = None
    owner_id: int | None = None
    sku_id: int | None = None
    lot_id: int | None = None
    serial: str | None = None
    status: StockStatus | None = None
    include_virtual: bool = False
    include_empty: bool = False


def list_balances(db: Database, f: BalanceFilter, *, principal: Principal, cursor: int | None = None,
                  limit: int = 100) -> tuple[list[dict[str, Any]], int | None]:
    """Balances (on-hand, allocated, available) by any mix of filters, read from the projection."""
    b, loc = t.balance, t.location
    query: Select[Any] = (
        select(b.c.id, b.c.warehouse_id, loc.c.zone_id, b.c.location_id, loc.c.code.label("location_code"),
               b.c.container_id, b.c.status, b.c.owner_id, b.c.sku_id, t.sku.c.code.label("sku_code"),
               b.c.lot_id, t.lot.c.number.label("lot_number"), t.lot.c.expiry_date, b.c.serial, b.c.on_hand,
               b.c.allocated, b.c.updated_at)
        .join(loc, loc.c.id == b.c.location_id).join(t.sku, t.sku.c.id == b.c.sku_id)
        .outerjoin(t.lot, t.lot.c.id == b.c.lot_id).order_by(b.c.id).limit(limit + 1))
    for column, value in ((b.c.warehouse_id, f.warehouse_id), (loc.c.zone_id, f.zone_id),
                          (b.c.location_id, f.location_id), (b.c.container_id, f.container_id),
                          (b.c.owner_id, f.owner_id), (b.c.sku_id, f.sku_id), (b.c.lot_id, f.lot_id),
                          (b.c.serial, f.serial), (b.c.status, f.status.value if f.status else None)):
        if value is not None:
            query = query.where(column == value)
    if not f.include_virtual:
        query = query.where(~b.c.is_virtual)
    if not f.include_empty:
        query = query.where(or_(b.c.on_hand != 0, b.c.allocated != 0))
    query = _scoped(query, principal, b.c.warehouse_id, b.c.owner_id)
    if cursor is not None:
        query = query.where(b.c.id > cursor)
    rows = db.read(lambda conn: [dict(r._mapping) for r in conn.execute(query)])
    for row in rows:
        row["available"] = row["on_hand"] - row["allocated"]
    return _page(rows, limit)


@dataclass(frozen=True)
class MovementFilter:
    owner_id: int | None = None
    sku_id: int | None = None
    lot_id: int | None = None
    serial: str | None = None
    location_id: int | None = None
    container_id: int | None = None
    posting_id: int | None = None
    doc_type: str | None = None
    doc_ref: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_movements(db: Database, f: MovementFilter, *, principal: Principal, cursor: int | None = None,
                   limit: int = 100) -> tuple[list[dict[str, Any]], int | None]:
    """Movement history, newest first, for an item, a location, a lot, a serial or a document."""
    m, p = t.movement, t.posting
    query: Select[Any] = (select(m, p.c.reason, p.c.doc_type, p.c.doc_ref, p.c.user_name)
                          .join(p, p.c.id == m.c.posting_id).order_by(m.c.id.desc()).limit(limit + 1))
    for column, value in ((m.c.owner_id, f.owner_id), (m.c.sku_id, f.sku_id), (m.c.lot_id, f.lot_id),
                          (m.c.serial, f.serial), (m.c.posting_id, f.posting_id), (p.c.doc_type, f.doc_type),
                          (p.c.doc_ref, f.doc_ref)):
        if value is not None:
            query = query.where(column == value)
    if f.location_id is not None:
        query = query.where(or_(m.c.from_location_id == f.location_id, m.c.to_location_id == f.location_id))
    if f.container_id is not None:
        query = query.where(or_(m.c.from_container_id == f.container_id,
                                m.c.to_container_id == f.container_id))
    if f.since is not None:
        query = query.where(m.c.created_at >= f.since)
    if f.until is not None:
        query = query.where(m.c.created_at < f.until)
    if principal.owner_ids is not None:
        query = query.where(m.c.owner_id.in_(principal.owner_ids))
    if principal.warehouse_ids is not None:
        here = select(t.location.c.id).where(t.location.c.warehouse_id.in_(principal.warehouse_ids))
        query = query.where(or_(m.c.from_location_id.in_(here), m.c.to_location_id.in_(here)))
    if cursor is not None:
        query = query.where(m.c.id < cursor)
    rows = db.read(lambda conn: [dict(r._mapping) for r in conn.execute(query)])
    return _page(rows, limit)


def _scoped(query: Select[Any], principal: Principal, warehouse: Any, owner: Any) -> Select[Any]:
    if principal.warehouse_ids is not None:
        query = query.where(warehouse.in_(principal.warehouse_ids))
    if principal.owner_ids is not None:
        query = query.where(owner.in_(principal.owner_ids))
    return query


def _page(rows: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], int | None]:
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (int(rows[-1]["id"]) if more else None)
