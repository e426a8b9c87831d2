"""Stock use cases before the flows exist: opening stock, manual adjustments, allocations, reversals, balances and
movement history.

Each acts for a principal and within its data scope: a record outside it is named in an error exactly as a
missing one, lists leave its rows out, and every command writes its audit entry in the posting's transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, or_, select, type_coerce

from stockyard.config import get_settings
from stockyard.db import ledger as repo
from stockyard.db import tables as t
from stockyard.db.engine import Database, insert_missing
from stockyard.db.ledger import WrittenPosting
from stockyard.db.types import Exact
from stockyard.domain.access import Principal
from stockyard.domain.adjustment import OPENING_REASON, Direction, adjustment_reason
from stockyard.domain.audit import canonical_json
from stockyard.domain.errors import DomainError, InvalidInput, NotFound
from stockyard.domain.master import check_lot_dates
from stockyard.domain.stock import Bucket, Movement, PostingRequest, StockItem, StockStatus, VirtualKind
from stockyard.services import approvals, audit, ledger
from stockyard.services import masterdata as md
from stockyard.services.browse import View


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


# A reference in a command, checked against the principal's scope: (field, entity, id).
Reference = tuple[str, md.Entity, int | None]


def post_opening_stock(db: Database, lines: Sequence[StockLine], *, principal: Principal,
                       doc_ref: str | None = None) -> WrittenPosting:
    """Load stock at go-live: each line comes from the warehouse's adjustment location, all in one posting.

    Every line's owner, SKU, location and container must lie in the principal's scope; audited as
    ``stock.opening``."""
    return db.write(lambda conn: _post_lines(conn, lines, Direction.GAIN, OPENING_REASON, principal,
                                             "opening", doc_ref))


def post_adjustment(db: Database, reason_code: str, lines: Sequence[StockLine], *, principal: Principal,
                    doc_ref: str | None = None) -> WrittenPosting:
    """Write stock on (报溢) or off (报损) with a reason code, all lines or none; scoped and audited (as
    ``stock.adjust``) like opening stock."""
    reason = adjustment_reason(reason_code)
    return db.write(lambda conn: _post_lines(conn, lines, reason.direction, reason.code, principal,
                                             "adjustment", doc_ref))


@dataclass(frozen=True)
class AdjustmentOutcome:
    """Either the posting, or the approval request the adjustment now waits on."""

    posting: WrittenPosting | None = None
    approval: dict[str, Any] | None = None


def adjust(db: Database, reason_code: str, lines: Sequence[StockLine], *, principal: Principal,
           doc_ref: str | None = None, ask_approval: bool = False) -> AdjustmentOutcome:
    """Post an adjustment, or file it for approval when asked to, when a line exceeds the configured quantity
    (``STOCKYARD_ADJUSTMENT_APPROVAL_QUANTITY``) or when its value, quantity × the SKU's unit cost over all
    lines, exceeds ``STOCKYARD_ADJUSTMENT_APPROVAL_VALUE`` (a SKU without a unit cost adds nothing). A filed
    adjustment is checked by posting it and rolling that back, so a request that could never be carried out is
    refused now, not at approval."""
    reason = adjustment_reason(reason_code)
    if not ask_approval and not db.read(lambda conn: _needs_approval(conn, lines)):
        return AdjustmentOutcome(posting=post_adjustment(db, reason_code, lines, principal=principal,
                                                         doc_ref=doc_ref))

    def work(conn: Connection) -> dict[str, Any]:
        trial = conn.begin_nested()
        _post_lines(conn, lines, reason.direction, reason.code, principal, "adjustment", doc_ref, audited=False)
        trial.rollback()
        payload = {"reason_code": reason.code, "doc_ref": doc_ref, "lines": [_line_json(line) for line in lines]}
        total = sum((line.quantity for line in lines), Decimal(0))
        return approvals.request_in(
            conn, principal, ADJUSTMENT_APPROVAL, payload,
            summary=f"{reason.code} adjustment, {len(lines)} line(s), {total} in base units",
            warehouse_id=_only(conn, "warehouse", lines), owner_id=_only(conn, "owner", lines))
    return AdjustmentOutcome(approval=db.write(work))


ADJUSTMENT_APPROVAL = "stock_adjustment"


def _needs_approval(conn: Connection, lines: Sequence[StockLine]) -> bool:
    settings = get_settings()
    limit, value_limit = settings.adjustment_approval_quantity, settings.adjustment_approval_value
    if limit is not None and any(line.quantity > limit for line in lines):
        return True
    if value_limit is None:
        return False
    costs = dict(conn.execute(select(t.sku.c.id, t.sku.c.unit_cost).where(
        t.sku.c.id.in_(sorted({line.sku_id for line in lines})))).all())
    value = sum((line.quantity * (costs.get(line.sku_id) or 0) for line in lines), Decimal(0))
    return value > value_limit


def _apply_adjustment(conn: Connection, requester: Principal, payload: Mapping[str, Any]) -> dict[str, Any]:
    reason = adjustment_reason(payload["reason_code"])
    lines = [_line_from_json(line) for line in payload["lines"]]
    written = _post_lines(conn, lines, reason.direction, reason.code, requester, "adjustment", payload["doc_ref"])
    return {"posting_id": written.posting_id, "movements": written.movements}


approvals.register(ADJUSTMENT_APPROVAL, approvals.ApprovalKind("stock.adjust", _apply_adjustment))


def _line_json(line: StockLine) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Decimal | date | StockStatus) else v) for k, v in vars(line).items()}


def _line_from_json(data: Mapping[str, Any]) -> StockLine:
    values = dict(data)
    values["quantity"] = Decimal(values["quantity"])
    values["status"] = StockStatus(values["status"])
    for name in ("production_date", "expiry_date"):
        if values.get(name):
            values[name] = date.fromisoformat(values[name])
    return StockLine(**values)


def _only(conn: Connection, kind: str, lines: Sequence[StockLine]) -> int | None:
    """The one warehouse (or owner) all lines are in, which scopes who sees the request; None if several."""
    if kind == "owner":
        owners = {line.owner_id for line in lines}
        return owners.pop() if len(owners) == 1 else None
    found = repo.load_locations(conn, sorted({line.location_id for line in lines}))
    warehouses = {location.warehouse_id for location in found.values()}
    return warehouses.pop() if len(warehouses) == 1 else None


def allocate_stock(db: Database, item: StockItem, bucket: Bucket, quantity: Decimal, *, principal: Principal,
                   doc_type: str | None = None, doc_ref: str | None = None) -> WrittenPosting:
    """Reserve available stock in one bucket of the principal's scope; audited as ``stock.allocate``."""
    def work(conn: Connection) -> WrittenPosting:
        check_in_scope(conn, principal, _item_bucket_refs(item, bucket))
        written = ledger.allocate_in(conn, item, bucket, quantity, user=principal.name, doc_type=doc_type,
                                     doc_ref=doc_ref)
        _audit_posting(conn, principal, "stock.allocate", written)
        return written
    return db.write(work)


def release_stock(db: Database, item: StockItem, bucket: Bucket, quantity: Decimal, *, principal: Principal,
                  doc_type: str | None = None, doc_ref: str | None = None) -> WrittenPosting:
    """Give back allocated stock in one bucket of the principal's scope; audited as ``stock.release``."""
    def work(conn: Connection) -> WrittenPosting:
        check_in_scope(conn, principal, _item_bucket_refs(item, bucket))
        written = ledger.release_in(conn, item, bucket, quantity, user=principal.name, doc_type=doc_type,
                                    doc_ref=doc_ref)
        _audit_posting(conn, principal, "stock.release", written)
        return written
    return db.write(work)


def reverse_posting(db: Database, posting_id: int, *, principal: Principal) -> WrittenPosting:
    """Correct a posting by its exact opposite (at most once); audited as ``stock.reverse``.

    A posting answers 404, like a missing one, unless every movement and allocation entry in it lies wholly in
    the principal's scope: the reversal moves stock in each of those places."""
    def work(conn: Connection) -> WrittenPosting:
        if not _posting_in_scope(conn, posting_id, principal):
            raise NotFound(f"posting {posting_id} does not exist", field="posting_id")
        written = ledger.reverse_in(conn, posting_id, user=principal.name)
        _audit_posting(conn, principal, "stock.reverse", written)
        return written
    return db.write(work)


def check_in_scope(conn: Connection, principal: Principal, refs: Sequence[Reference]) -> None:
    """Refuse the first reference outside the principal's scope with the error of a missing record
    (``unknown_sku``, "SKU 7 does not exist"), so the answer never tells that it exists. One query per kind."""
    if principal.scope.unrestricted:
        return
    wanted: dict[str, set[int]] = {}
    entities: dict[str, md.Entity] = {}
    for _, entity, value in refs:
        if value is not None:
            wanted.setdefault(entity.kind, set()).add(value)
            entities[entity.kind] = entity
    visible = {kind: md.visible_ids(conn, entities[kind], principal, ids) for kind, ids in wanted.items()}
    for field_name, entity, value in refs:
        if value is not None and value not in visible[entity.kind]:
            raise InvalidInput(f"{entity.name} {value} does not exist", field=field_name,
                               code=f"unknown_{entity.kind}")


def _line_refs(lines: Sequence[StockLine]) -> list[Reference]:
    refs: list[Reference] = []
    for index, line in enumerate(lines):
        at = f"lines[{index}]."
        refs += [(at + "owner_id", md.OWNER, line.owner_id), (at + "sku_id", md.SKU, line.sku_id),
                 (at + "location_id", md.LOCATION, line.location_id),
                 (at + "container_id", md.CONTAINER, line.container_id)]
    return refs


def _item_bucket_refs(item: StockItem, bucket: Bucket) -> list[Reference]:
    # The lot needs no check of its own: the ledger refuses a lot that is not the (in-scope) SKU's.
    return [("owner_id", md.OWNER, item.owner_id), ("sku_id", md.SKU, item.sku_id),
            ("location_id", md.LOCATION, bucket.location_id), ("container_id", md.CONTAINER, bucket.container_id)]


def _posting_in_scope(conn: Connection, posting_id: int, principal: Principal) -> bool:
    if principal.scope.unrestricted:
        return True
    m, a = t.movement, t.allocation_entry
    owners: set[int] = set()
    locations: set[int] = set()
    for r in conn.execute(select(m.c.owner_id, m.c.from_location_id, m.c.to_location_id)
                          .where(m.c.posting_id == posting_id)):
        owners.add(r.owner_id)
        locations |= {r.from_location_id, r.to_location_id}
    for e in conn.execute(select(a.c.owner_id, a.c.location_id).where(a.c.posting_id == posting_id)):
        owners.add(e.owner_id)
        locations.add(e.location_id)
    # A movement's SKU always belongs to its owner, so the owners stand for the SKUs too.
    return (all(principal.scope.allows_owner(o) for o in owners)
            and md.visible_ids(conn, md.LOCATION, principal, locations) == locations)


AUDITED_LINES = 50  # postings up to this size carry their lines in the audit entry; bigger ones a digest


def _audit_posting(conn: Connection, principal: Principal, action: str, written: WrittenPosting) -> None:
    """The audit entry of a stock command: the posting as written, read back in its own transaction."""
    audit.record(conn, principal, action, "posting", written.posting_id, after=_posting_summary(conn, written))


def _posting_summary(conn: Connection, written: WrittenPosting) -> dict[str, Any]:
    p, m, a = t.posting, t.movement, t.allocation_entry
    posting = conn.execute(select(p).where(p.c.id == written.posting_id)).one()
    movements = conn.execute(
        select(m.c.owner_id, m.c.sku_id, m.c.lot_id, m.c.serial, m.c.quantity, m.c.from_location_id,
               m.c.from_container_id, m.c.from_status, m.c.to_location_id, m.c.to_container_id, m.c.to_status)
        .where(m.c.posting_id == written.posting_id).order_by(m.c.id))
    allocations = conn.execute(
        select(a.c.owner_id, a.c.sku_id, a.c.lot_id, a.c.serial, a.c.location_id, a.c.container_id, a.c.status,
               a.c.quantity).where(a.c.posting_id == written.posting_id).order_by(a.c.id))
    moved = [dict(r._mapping) for r in movements]
    reserved = [dict(r._mapping) for r in allocations]
    summary = {"posting_id": written.posting_id, "reason": posting.reason, "doc_type": posting.doc_type,
               "doc_ref": posting.doc_ref, "reverses_posting_id": posting.reverses_posting_id,
               "movement_count": len(moved), "allocation_count": len(reserved),
               # The ledger keeps the lines; the digest binds them to this entry, so an edited movement shows.
               "lines_sha256": hashlib.sha256(canonical_json([moved, reserved]).encode()).hexdigest()}
    if len(moved) + len(reserved) <= AUDITED_LINES:
        summary.update(movements=moved, allocations=reserved)
    return summary


def _post_lines(conn: Connection, lines: Sequence[StockLine], direction: Direction, reason: str,
                principal: Principal, doc_type: str, doc_ref: str | None, *, audited: bool = True) -> WrittenPosting:
    check_in_scope(conn, principal, _line_refs(lines))
    locations = repo.load_locations(conn, sorted({line.location_id for line in lines}))
    virtuals = repo.virtual_locations(conn, {loc.warehouse_id for loc in locations.values()},
                                      VirtualKind.ADJUSTMENT)
    lots = resolve_lots(conn, lines)
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
        written = ledger.post_in(conn, PostingRequest(reason, movements, doc_type=doc_type, doc_ref=doc_ref,
                                                      user=principal.name))
    except DomainError as error:
        raise _as_line_error(error) from None
    if audited:
        _audit_posting(conn, principal, "stock.opening" if doc_type == "opening" else "stock.adjust", written)
    return written


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


def resolve_lots(conn: Connection, lines: Sequence[StockLine]) -> list[int | None]:
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
    scope = balance_scope(principal)
    if scope is not None:
        query = query.where(scope)
    if cursor is not None:
        query = query.where(b.c.id > cursor)
    rows = db.read(lambda conn: [dict(r._mapping) for r in conn.execute(query)])
    for row in rows:
        row["available"] = row["on_hand"] - row["allocated"]
    return _page(rows, limit)


def balance_scope(principal: Principal) -> md.Clause | None:
    """The balance's location (warehouse, zone; virtual ones with their warehouse) and owner in scope."""
    return md.all_of(md.scope_filter(md.LOCATION, principal), _owner_in_scope(t.balance.c.owner_id, principal))


def balance_view(principal: Principal) -> View:
    """The console's balances browser: physical stock by location, SKU, lot, serial and status, in scope."""
    b, loc, w, o = t.balance, t.location, t.warehouse, t.owner
    query: Select[Any] = (
        select(b.c.id, w.c.code.label("warehouse"), loc.c.code.label("location"), b.c.location_id,
               o.c.code.label("owner"), t.sku.c.code.label("sku"), t.sku.c.name.label("sku_name"), b.c.sku_id,
               t.lot.c.number.label("lot"), t.lot.c.expiry_date, b.c.serial, b.c.status, b.c.on_hand,
               b.c.allocated, type_coerce(b.c.on_hand - b.c.allocated, Exact()).label("available"), b.c.updated_at,
               b.c.warehouse_id, b.c.owner_id)
        .join(loc, loc.c.id == b.c.location_id).join(w, w.c.id == b.c.warehouse_id)
        .join(o, o.c.id == b.c.owner_id).join(t.sku, t.sku.c.id == b.c.sku_id)
        .outerjoin(t.lot, t.lot.c.id == b.c.lot_id)
        .where(~b.c.is_virtual, or_(b.c.on_hand != 0, b.c.allocated != 0)))
    scope = balance_scope(principal)
    if scope is not None:
        query = query.where(scope)
    return View(query, filters=("warehouse_id", "owner_id", "status", "location", "sku", "lot", "serial"),
                search=("location", "sku", "sku_name", "lot", "serial"),
                sortable=("warehouse", "location", "owner", "sku", "lot", "expiry_date", "status", "on_hand",
                          "allocated", "available", "updated_at"), default_sort="location")


def movement_view(principal: Principal, location_code: str | None = None, doc_type: str | None = None) -> View:
    """The console's movement history, newest first; visible as in :func:`list_movements`. With
    ``location_code``: the movements into or out of that location; with ``doc_type``: of those documents."""
    m, p = t.movement, t.posting
    src, dst = t.location.alias("src"), t.location.alias("dst")
    query: Select[Any] = (
        select(m.c.id, m.c.created_at, p.c.reason, p.c.doc_type, p.c.doc_ref, p.c.user_name,
               t.sku.c.code.label("sku"), t.lot.c.number.label("lot"), m.c.serial, m.c.quantity,
               src.c.code.label("from_location"), m.c.from_status, dst.c.code.label("to_location"),
               m.c.to_status, m.c.posting_id)
        .join(p, p.c.id == m.c.posting_id).join(t.sku, t.sku.c.id == m.c.sku_id)
        .outerjoin(t.lot, t.lot.c.id == m.c.lot_id)
        .join(src, src.c.id == m.c.from_location_id).join(dst, dst.c.id == m.c.to_location_id))
    if location_code:
        query = query.where(or_(src.c.code == location_code, dst.c.code == location_code))
    if doc_type:
        query = query.where(p.c.doc_type == doc_type)
    places = _movement_places(principal)
    if places is not None:
        here = select(t.location.c.id).where(places)
        query = query.where(or_(m.c.from_location_id.in_(here), m.c.to_location_id.in_(here)))
    owned = _owner_in_scope(m.c.owner_id, principal)
    if owned is not None:
        query = query.where(owned)
    return View(query, filters=("sku", "lot", "serial", "from_location", "to_location", "doc_type", "doc_ref",
                                "reason", "posting_id"),
                search=("sku", "lot", "serial", "from_location", "to_location", "doc_ref", "user_name"),
                sortable=("created_at", "reason", "doc_type", "sku", "quantity", "user_name"),
                default_sort="id", default_desc=True)


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
    """Movement history, newest first, for an item, a location, a lot, a serial or a document.

    A movement is visible when its owner is in the principal's scope and its source or target location is (for a
    principal limited to zones, its physical one: see ``_movement_places``)."""
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
    places = _movement_places(principal)
    if places is not None:
        here = select(t.location.c.id).where(places)
        query = query.where(or_(m.c.from_location_id.in_(here), m.c.to_location_id.in_(here)))
    owned = _owner_in_scope(m.c.owner_id, principal)
    if owned is not None:
        query = query.where(owned)
    if cursor is not None:
        query = query.where(m.c.id < cursor)
    rows = db.read(lambda conn: [dict(r._mapping) for r in conn.execute(query)])
    return _page(rows, limit)


def _movement_places(principal: Principal) -> md.Clause | None:
    """The locations whose movements a principal sees: those of its scope, a virtual one with its warehouse.

    Except for a principal limited to some zones: every receipt or adjustment in any zone of the warehouse
    passes through the warehouse's virtual locations, so counting them would show it every other zone's
    movements (and those zones' location ids). For it, only the physical side in its zones counts."""
    if principal.zone_ids is None:
        return md.scope_filter(md.LOCATION, principal)
    return md.all_of(md.within(t.location.c.warehouse_id, principal.warehouse_ids),
                     md.within(t.location.c.zone_id, principal.zone_ids))


def _owner_in_scope(column: Any, principal: Principal) -> md.Clause | None:
    """Stock rows carry their owner: the owner rule of ``md.OWNER`` applied to that column."""
    return None if principal.scope.unrestricted else md.within(column, principal.owner_ids)


def _page(rows: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], int | None]:
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (int(rows[-1]["id"]) if more else None)
