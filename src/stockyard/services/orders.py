"""Shipment orders (出库单): idempotent intake from outside systems, hold, cancel, and allocation (分配).

Allocation reserves available stock through the ledger in one posting per call; the ledger's conditional
balance update refuses a bucket someone else took meanwhile, and then the candidates are read again."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from stockyard.db import tables as t
from stockyard.db.bulk import insert_rows, update_rows
from stockyard.db.engine import Database, is_unique_violation
from stockyard.domain.access import Principal
from stockyard.domain.allocation import (
    Candidate,
    Demand,
    OrderStatus,
    OrderType,
    Plan,
    Rule,
    check_can_allocate,
    check_can_cancel,
    check_open,
    plan,
    status_after,
)
from stockyard.domain.audit import canonical_json
from stockyard.domain.errors import Conflict, InsufficientStock, InvalidInput, NotFound
from stockyard.domain.master import PackLevel
from stockyard.domain.stock import AllocationChange, Bucket, PostingRequest, StockItem, StockStatus
from stockyard.services import audit, ledger
from stockyard.services import masterdata as md
from stockyard.services.browse import View
from stockyard.services.document_lines import base_quantity, sku_of, skus_of, uom_of

Row = dict[str, Any]

MAX_ATTEMPTS = 16  # re-reads of the candidates when a bucket was taken by someone else meanwhile
DOC_TYPE = "shipment_order"


@dataclass(frozen=True)
class NewOrderLine:
    quantity: Decimal
    sku_id: int | None = None
    sku_code: str | None = None
    level: PackLevel = PackLevel.EACH
    lot_number: str | None = None
    min_shelf_life_days: int | None = None


@dataclass(frozen=True)
class NewOrder:
    owner_id: int
    warehouse_id: int
    external_ref: str
    type: OrderType
    lines: Sequence[NewOrderLine]
    rule: Rule = Rule.FEFO
    priority: int = 0
    requested_ship_date: date | None = None
    carrier_id: int | None = None
    service_level: str | None = None
    ship_to: dict[str, Any] | None = None


@dataclass(frozen=True)
class Intake:
    order: Row
    created: bool  # False: the same order had been sent before and this is it


def create_order(db: Database, principal: Principal, new: NewOrder) -> Intake:
    """Take in a shipment order; the same (owner, external reference) with the same content is the same order,
    with different content a 409."""
    def work(conn: Connection) -> Intake:
        md.require(conn, principal, "owner_id", md.OWNER, new.owner_id)
        md.require(conn, principal, "warehouse_id", md.WAREHOUSE, new.warehouse_id)
        if new.carrier_id is not None:
            md.require(conn, principal, "carrier_id", md.CARRIER, new.carrier_id)
        lines = _lines(conn, new)
        digest = content_digest(new, lines)
        existing = _by_ref(conn, new.owner_id, new.external_ref)
        if existing is not None:
            return _same_or_conflict(conn, existing, digest)
        now = datetime.now(UTC)
        try:
            with conn.begin_nested():
                order_id = conn.execute(insert(t.shipment_order).values(
                    owner_id=new.owner_id, warehouse_id=new.warehouse_id, external_ref=new.external_ref,
                    type=new.type.value, status=OrderStatus.CREATED.value, rule=new.rule.value,
                    priority=new.priority, requested_ship_date=new.requested_ship_date, carrier_id=new.carrier_id,
                    service_level=new.service_level, ship_to=new.ship_to, on_hold=False, content_hash=digest,
                    created_by=principal.name, created_at=now, updated_at=now)
                    .returning(t.shipment_order.c.id)).scalar_one()
        except IntegrityError as error:
            if not is_unique_violation(error):
                raise
            # The same order arrived twice at the same moment: the first one stands.
            return _same_or_conflict(conn, _by_ref(conn, new.owner_id, new.external_ref), digest)
        conn.execute(insert(t.shipment_line), [{**line, "order_id": order_id} for line in lines])
        order = read(conn, order_id)
        audit.record(conn, principal, "shipment_order.create", "shipment_order", order_id, after=order)
        return Intake(order, True)
    return db.write(work)


def _lines(conn: Connection, new: NewOrder) -> list[Row]:
    if not new.lines:
        raise InvalidInput("an order has at least one line", field="lines")
    skus = skus_of(conn, new.owner_id, new.lines)
    rows = []
    for index, line in enumerate(new.lines):
        where = f"lines[{index}]"
        sku = sku_of(skus, line, where)
        base = base_quantity(sku, line.quantity, line.level, where)
        if line.lot_number is not None and not sku["lot_control"]:
            raise InvalidInput("this SKU is not lot-controlled", field=f"{where}.lot_number",
                               code="lot_not_allowed")
        rows.append({"line_no": index + 1, "sku_id": sku["id"], "quantity": base,
                     "ordered_quantity": line.quantity, "ordered_uom": uom_of(sku, line.level),
                     "lot_number": line.lot_number, "min_shelf_life_days": line.min_shelf_life_days,
                     "allocated_quantity": Decimal(0)})
    return rows


def content_digest(new: NewOrder, lines: list[Row]) -> str:
    """What makes two intakes of one (owner, external reference) the same order."""
    content = {"warehouse_id": new.warehouse_id, "type": new.type.value, "rule": new.rule.value,
               "priority": new.priority, "requested_ship_date": new.requested_ship_date,
               "carrier_id": new.carrier_id, "service_level": new.service_level, "ship_to": new.ship_to,
               "lines": [{k: v for k, v in line.items() if k not in ("ordered_uom", "allocated_quantity")}
                         for line in lines]}
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def _by_ref(conn: Connection, owner_id: int, ref: str) -> Any:
    o = t.shipment_order
    return conn.execute(select(o.c.id, o.c.content_hash).where(o.c.owner_id == owner_id,
                                                               o.c.external_ref == ref)).first()


def _same_or_conflict(conn: Connection, existing: Any, digest: str) -> Intake:
    if existing.content_hash != digest:
        # No id in the answer: the order may be in a warehouse the caller does not see.
        raise Conflict("an order with this external reference exists with other content", field="external_ref",
                       code="order_conflict")
    return Intake(read(conn, existing.id), False)


# ---------------------------------------------------------------- reading


def visible(conn: Connection, principal: Principal, order_id: int, *, lock: bool = False) -> Row:
    """The order's head row, or 404 when it does not exist or lies outside the principal's scope."""
    query = select(t.shipment_order).where(t.shipment_order.c.id == order_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None or not (principal.scope.allows_warehouse(row.warehouse_id)
                           and principal.scope.allows_owner(row.owner_id)):
        raise NotFound(f"shipment order {order_id} not found", field="order_id")
    return dict(row._mapping)


def read(conn: Connection, order_id: int) -> Row:
    """An order with its lines and their allocations (no scope check: see ``visible``)."""
    order = dict(conn.execute(select(t.shipment_order).where(t.shipment_order.c.id == order_id)).one()._mapping)
    order.pop("content_hash", None)
    order.pop("explanation", None)
    line, a, lot, loc = t.shipment_line, t.shipment_allocation, t.lot, t.location
    lines = [dict(r._mapping) for r in conn.execute(
        select(line, t.sku.c.code.label("sku_code"), t.sku.c.name.label("sku_name"), t.sku.c.base_uom)
        .join(t.sku, t.sku.c.id == line.c.sku_id).where(line.c.order_id == order_id).order_by(line.c.line_no))]
    allocations: defaultdict[int, list[Row]] = defaultdict(list)
    for r in conn.execute(
            select(a, lot.c.number.label("lot_number"), lot.c.expiry_date, loc.c.code.label("location_code"))
            .outerjoin(lot, lot.c.id == a.c.lot_id).join(loc, loc.c.id == a.c.location_id)
            .join(line, line.c.id == a.c.line_id).where(line.c.order_id == order_id).order_by(a.c.id)):
        allocations[r.line_id].append(dict(r._mapping))
    for entry in lines:
        entry["open_quantity"] = max(entry["quantity"] - entry["allocated_quantity"], Decimal(0))
        entry["allocations"] = allocations.get(entry["id"], [])
    order["lines"] = lines
    return order


def get_order(db: Database, principal: Principal, order_id: int) -> Row:
    def work(conn: Connection) -> Row:
        visible(conn, principal, order_id)
        return read(conn, order_id)
    return db.read(work)


def list_orders(db: Database, principal: Principal, *, warehouse_id: int | None = None,
                owner_id: int | None = None, status: str | None = None, order_type: str | None = None,
                on_hold: bool | None = None, cursor: int | None = None,
                limit: int = 50) -> tuple[list[Row], int | None]:
    o = t.shipment_order
    query = select(o).order_by(o.c.id.desc()).limit(limit + 1)
    for column, value in ((o.c.warehouse_id, warehouse_id), (o.c.owner_id, owner_id), (o.c.status, status),
                          (o.c.type, order_type), (o.c.on_hold, on_hold)):
        if value is not None:
            query = query.where(column == value)
    if cursor is not None:
        query = query.where(o.c.id < cursor)
    scope = md.all_of(md.within(o.c.warehouse_id, principal.warehouse_ids), md.within(o.c.owner_id,
                                                                                        principal.owner_ids))
    if scope is not None:
        query = query.where(scope)
    rows = [{k: v for k, v in row.items() if k not in ("content_hash", "explanation")}
            for row in db.read(lambda conn: [dict(x._mapping) for x in conn.execute(query)])]
    page = rows[:limit]
    return page, (page[-1]["id"] if len(rows) > limit else None)


def order_view(principal: Principal) -> View:
    """Shipment orders in the caller's scope for the console's list, with ordered and allocated totals,
    newest first by default."""
    o, line = t.shipment_order, t.shipment_line
    totals = (select(line.c.order_id, func.sum(line.c.quantity).label("quantity"),
                     func.sum(line.c.allocated_quantity).label("allocated"))
              .group_by(line.c.order_id).subquery())
    query = (select(o.c.id, o.c.external_ref, o.c.type, o.c.status, o.c.priority, o.c.on_hold, o.c.wave_id,
                    o.c.owner_id, t.owner.c.code.label("owner"), o.c.warehouse_id,
                    t.warehouse.c.code.label("warehouse"), o.c.requested_ship_date, o.c.created_at,
                    func.coalesce(totals.c.quantity, 0).label("quantity"),
                    func.coalesce(totals.c.allocated, 0).label("allocated"))
             .join(t.owner, t.owner.c.id == o.c.owner_id).join(t.warehouse, t.warehouse.c.id == o.c.warehouse_id)
             .outerjoin(totals, totals.c.order_id == o.c.id))
    scope = md.all_of(md.within(o.c.warehouse_id, principal.warehouse_ids), md.within(o.c.owner_id,
                                                                                        principal.owner_ids))
    if scope is not None:
        query = query.where(scope)
    return View(query, filters=("status", "type", "owner", "warehouse"), search=("external_ref",),
                sortable=("id", "external_ref", "type", "status", "priority", "owner", "warehouse",
                          "requested_ship_date", "created_at"),
                default_sort="id", default_desc=True)


def get_explanation(db: Database, principal: Principal, order_id: int) -> Row:
    """Per line: what the last allocation run took and why, and which candidates it skipped and why."""
    def work(conn: Connection) -> Row:
        order = visible(conn, principal, order_id)
        explained: Row = order["explanation"] or {"allocated_at": None, "lines": []}
        return {"order_id": order_id, "rule": order["rule"], "status": order["status"], **explained}
    return db.read(work)


# ---------------------------------------------------------------- hold, cancel


def hold(db: Database, principal: Principal, order_id: int, on_hold: bool) -> Row:
    """Put an order on hold (it cannot be allocated) or take it off."""
    def work(conn: Connection) -> Row:
        before = visible(conn, principal, order_id, lock=True)
        check_open(before["status"])
        conn.execute(update(t.shipment_order).where(t.shipment_order.c.id == order_id)
                     .values(on_hold=on_hold, updated_at=datetime.now(UTC)))
        after = read(conn, order_id)
        action = "shipment_order.hold" if on_hold else "shipment_order.release_hold"
        audit.record(conn, principal, action, "shipment_order", order_id,
                     before={"on_hold": before["on_hold"]}, after={"on_hold": on_hold})
        return after
    return db.write(work)


def cancel(db: Database, principal: Principal, order_id: int) -> Row:
    """Cancel the order at any stage before it ships: every reservation it holds (on shelves and in staging) is
    given back in one posting, open picks are cancelled, and what was already picked goes back to the shelf it
    came from by a putaway task."""
    def work(conn: Connection) -> Row:
        before = visible(conn, principal, order_id, lock=True)
        check_can_cancel(before["status"])
        a, line = t.shipment_allocation, t.shipment_line
        held = conn.execute(select(a).join(line, line.c.id == a.c.line_id)
                            .where(line.c.order_id == order_id, a.c.status.in_(["allocated", "picked"]),
                                   a.c.quantity > 0).order_by(a.c.id)).all()
        posting_id = None
        if held:
            changes = [AllocationChange(StockItem(r.owner_id, r.sku_id, r.lot_id, r.serial),
                                        Bucket(r.location_id, r.container_id, StockStatus.AVAILABLE), -r.quantity)
                       for r in held]
            posting_id = ledger.post_in(conn, PostingRequest(
                "RELEASE", allocations=changes, doc_type=DOC_TYPE, doc_ref=str(order_id),
                user=principal.name)).posting_id
            conn.execute(update(a).where(a.c.id.in_([r.id for r in held]))
                         .values(status="released", release_posting_id=posting_id))
        returns = _put_back_picked(conn, order_id) if any(r.status == "picked" for r in held) else []
        now = datetime.now(UTC)
        conn.execute(update(t.task).where(t.task.c.order_id == order_id, t.task.c.status == "open")
                     .values(status="cancelled", updated_at=now))
        conn.execute(update(t.package).where(t.package.c.order_id == order_id, t.package.c.status == "open")
                     .values(status="cancelled"))
        conn.execute(update(line).where(line.c.order_id == order_id).values(allocated_quantity=0))
        conn.execute(update(t.shipment_order).where(t.shipment_order.c.id == order_id)
                     .values(status=OrderStatus.CANCELLED.value, updated_at=now))
        after = read(conn, order_id)
        after["return_task_ids"] = returns
        audit.record(conn, principal, "shipment_order.cancel", "shipment_order", order_id,
                     before={"status": before["status"]},
                     after={"status": after["status"], "release_posting_id": posting_id,
                            "released": [{"allocation_id": r.id, "quantity": r.quantity} for r in held],
                            "return_task_ids": returns})
        return after
    return db.write(work)


def _put_back_picked(conn: Connection, order_id: int) -> list[int]:
    """One putaway task per pick done: from staging back to the shelf it was picked from."""
    k, now = t.task, datetime.now(UTC)
    picks = conn.execute(select(k).where(k.c.order_id == order_id, k.c.kind == "pick", k.c.done_quantity > 0)
                         .order_by(k.c.id)).all()
    ids = []
    for p in picks:
        ids.append(int(conn.execute(insert(k).values(
            warehouse_id=p.warehouse_id, kind="putaway", status="open", owner_id=p.owner_id, sku_id=p.sku_id,
            lot_id=p.lot_id, serial=p.serial, stock_status=StockStatus.AVAILABLE.value,
            from_location_id=p.to_location_id, from_container_id=None, quantity=p.done_quantity, done_quantity=0,
            to_location_id=p.from_location_id, order_id=order_id,
            explanation={"reason": f"order {order_id} cancelled: back to where pick task {p.id} took it"},
            short_quantity=0, created_at=now, updated_at=now).returning(k.c.id)).scalar_one()))
    return ids


# ---------------------------------------------------------------- allocation


@dataclass(frozen=True)
class Allocated:
    order: Row
    explanation: Row
    posting_id: int | None


def allocate(db: Database, principal: Principal, order_id: int, *, today: date | None = None) -> Allocated:
    """Allocate what the order's lines still need, by the order's rule; partial when stock is short."""
    def work(conn: Connection) -> tuple[Row, int | None]:
        # The order's row lock makes allocations of one order take turns; other orders race on the balances.
        before = visible(conn, principal, order_id, lock=True)
        check_can_allocate(before["status"], before["on_hold"])
        day = today or datetime.now(UTC).date()
        for _ in range(MAX_ATTEMPTS):
            try:
                with conn.begin_nested():
                    return _allocate_once(conn, principal, before, day)
            except InsufficientStock:
                continue  # someone took a bucket after we read it: read the candidates again
        raise Conflict("stock kept changing while allocating; try again", field="order_id",
                       code="allocation_contention")
    explanation, posting_id = db.write(work)
    # The order is read back after the commit: reading it inside would hold the hot balance rows locked for three
    # more queries (a third of the lock time under contention, bench/p4_hot_sku.py).
    return Allocated(db.read(lambda conn: read(conn, order_id)), explanation, posting_id)


def _allocate_once(conn: Connection, principal: Principal, order: Row, today: date) -> tuple[Row, int | None]:
    lines = [dict(r._mapping) for r in conn.execute(
        select(t.shipment_line).where(t.shipment_line.c.order_id == order["id"]).order_by(t.shipment_line.c.line_no))]
    run = allocate_in(conn, principal.name, [order], {order["id"]: lines}, today)[order["id"]]
    audit.record(conn, principal, "shipment_order.allocate", "shipment_order", order["id"],
                 before={"status": order["status"]},
                 after={"status": run.status.value, "posting_id": run.posting_id,
                        "taken": [{"line_no": line["line_no"], "location_id": take.candidate.bucket.location_id,
                                   "lot_id": take.candidate.item.lot_id, "quantity": take.quantity,
                                   "reason": take.reason} for line, result in run.plans for take in result.takes]})
    return {"order_id": order["id"], "rule": order["rule"], "status": run.status.value,
            **run.explanation}, run.posting_id


@dataclass(frozen=True)
class AllocationRun:
    """What one allocation run did to one order."""

    status: OrderStatus
    explanation: Row
    plans: list[tuple[Row, Plan]]
    posting_id: int | None


def allocate_in(conn: Connection, user: str, orders: Sequence[Row], lines: Mapping[int, list[Row]], today: date,
                *, avoid: frozenset[int] = frozenset(), set_status: bool = True,
                served: OrderStatus | None = None) -> dict[int, AllocationRun]:
    """Allocate what the given orders' lines still need, orders in the sequence given, in ONE posting.

    Candidates of all their SKUs are read once; earlier orders' takes are deducted before later orders plan.
    ``avoid`` names locations not to take from (a short pick just found one wrong). Raises InsufficientStock when
    a bucket was taken meanwhile: the caller retries inside a savepoint. The caller writes the audit entry.
    ``set_status`` False leaves the orders' status and explanation alone (an order being picked stays so);
    ``served`` is the status written instead for an order that got something (a wave's release: ``picking``)."""
    sku_ids = {line["sku_id"] for order_lines in lines.values() for line in order_lines}
    candidates = _candidates(conn, orders, sku_ids) if orders else {}
    cases = _case_sizes(conn, sku_ids)
    taken: defaultdict[tuple[StockItem, Bucket], Decimal] = defaultdict(Decimal)
    planned: dict[int, list[tuple[Row, Plan]]] = {}
    for order in orders:
        planned[order["id"]] = plans = []
        for line in lines.get(order["id"], []):
            needed = line["quantity"] - line["allocated_quantity"] - line.get("short_quantity", 0)
            if needed <= 0:
                plans.append((line, Plan()))
                continue
            own = [_less(c, taken[(c.item, c.bucket)]) for c in candidates.get(line["sku_id"], [])
                   if c.bucket.location_id not in avoid]
            result = plan(own, Demand(needed, today, line["lot_number"], line["min_shelf_life_days"],
                                      cases.get(line["sku_id"])), Rule(order["rule"]))
            for take in result.takes:
                taken[(take.candidate.item, take.candidate.bucket)] += take.quantity
            plans.append((line, result))
    changes = [AllocationChange(take.candidate.item, take.candidate.bucket, take.quantity)
               for plans in planned.values() for _, result in plans for take in result.takes]
    now = datetime.now(UTC)
    posting_id = None
    if changes:
        doc_ref = str(orders[0]["id"]) if len(orders) == 1 else None
        posting_id = ledger.post_in(conn, PostingRequest("ALLOCATE", allocations=changes, doc_type=DOC_TYPE,
                                                         doc_ref=doc_ref, user=user)).posting_id
        insert_rows(conn, t.shipment_allocation, [{
            "line_id": line["id"], "owner_id": take.candidate.item.owner_id, "sku_id": take.candidate.item.sku_id,
            "lot_id": take.candidate.item.lot_id, "serial": take.candidate.item.serial,
            "location_id": take.candidate.bucket.location_id, "container_id": take.candidate.bucket.container_id,
            "status": "allocated", "quantity": take.quantity, "posting_id": posting_id, "reason": take.reason,
            "created_at": now} for plans in planned.values() for line, result in plans for take in result.takes])
    return _record_runs(conn, orders, planned, posting_id, now, set_status, served)


def _case_sizes(conn: Connection, sku_ids: set[int]) -> dict[int, Decimal]:
    p = t.sku_pack
    return {r.sku_id: r.factor for r in conn.execute(
        select(p.c.sku_id, p.c.factor).where(p.c.sku_id.in_(sorted(sku_ids)), p.c.level == PackLevel.CASE.value))}


def _record_runs(conn: Connection, orders: Sequence[Row], planned: dict[int, list[tuple[Row, Plan]]],
                 posting_id: int | None, now: datetime, set_status: bool,
                 served: OrderStatus | None) -> dict[int, AllocationRun]:
    changed_lines = []
    for plans in planned.values():
        for line, result in plans:
            if result.takes:
                line["allocated_quantity"] += result.quantity
                changed_lines.append({"id": line["id"], "allocated_quantity": line["allocated_quantity"]})
    update_rows(conn, t.shipment_line, "id", changed_lines)
    runs: dict[int, AllocationRun] = {}
    for order in orders:
        plans = planned[order["id"]]
        status = status_after([line["quantity"] - line.get("short_quantity", 0) for line, _ in plans],
                              [line["allocated_quantity"] for line, _ in plans])
        runs[order["id"]] = AllocationRun(status, _explain(plans, posting_id, now), plans, posting_id)
    if not set_status:
        return runs
    update_rows(conn, t.shipment_order, "id", [
        {"id": order_id, "status": (served if served and run.status is not OrderStatus.CREATED else run.status).value,
         "explanation": run.explanation, "updated_at": now} for order_id, run in runs.items()])
    return runs


def _less(candidate: Candidate, taken: Decimal) -> Candidate:
    if not taken:
        return candidate
    return Candidate(candidate.item, candidate.bucket, candidate.available - taken, candidate.location_code,
                     candidate.location_kind, candidate.location_usable, candidate.lot_number, candidate.expiry,
                     candidate.production)


def _candidates(conn: Connection, orders: Sequence[Row], sku_ids: set[int]) -> dict[int, list[Candidate]]:
    """Every physical balance with stock of the orders' owners' SKUs in their warehouse, whatever its status (the
    rules say which may be taken; the others are explained)."""
    b, loc, lot = t.balance, t.location, t.lot
    rows = conn.execute(
        select(b.c.owner_id, b.c.sku_id, b.c.lot_id, b.c.serial, b.c.location_id, b.c.container_id, b.c.status,
               b.c.on_hand, b.c.allocated, loc.c.code, loc.c.kind, loc.c.active, loc.c.status.label("loc_status"),
               lot.c.number, lot.c.expiry_date, lot.c.production_date)
        .join(loc, loc.c.id == b.c.location_id).outerjoin(lot, lot.c.id == b.c.lot_id)
        .where(b.c.owner_id.in_(sorted({o["owner_id"] for o in orders})),
               b.c.warehouse_id == orders[0]["warehouse_id"], b.c.sku_id.in_(sorted(sku_ids)), ~b.c.is_virtual,
               b.c.on_hand > 0)
        .order_by(b.c.key)).all()
    found: defaultdict[int, list[Candidate]] = defaultdict(list)
    for r in rows:
        found[r.sku_id].append(Candidate(
            StockItem(r.owner_id, r.sku_id, r.lot_id, r.serial), Bucket(r.location_id, r.container_id,
                                                                        StockStatus(r.status)),
            r.on_hand - r.allocated, r.code, r.kind, bool(r.active) and r.loc_status == "active", r.number,
            r.expiry_date, r.production_date))
    return found


def _explain(plans: list[tuple[Row, Plan]], posting_id: int | None, now: datetime) -> Row:
    lines = []
    for line, result in plans:
        needed = line["quantity"] - (line["allocated_quantity"] - result.quantity)
        entry: Row = {
            "line_no": line["line_no"], "sku_id": line["sku_id"], "needed": needed,
            "allocated_now": result.quantity, "allocated_quantity": line["allocated_quantity"],
            "short": max(line["quantity"] - line["allocated_quantity"], Decimal(0)),
            "taken": [{**_where(take.candidate), "quantity": take.quantity, "reason": take.reason}
                      for take in result.takes],
            "skipped": [{**_where(skip.candidate), "available": skip.candidate.available, "code": skip.code,
                         "reason": skip.reason} for skip in result.skipped]}
        if entry["short"] > 0 and needed > 0:
            entry["note"] = "nothing available" if not result.takes else "not enough available"
        lines.append(entry)
    plain = {"allocated_at": now, "posting_id": posting_id, "lines": lines}
    # A JSON column: exact decimals and dates as text, as canonical JSON writes them.
    explained: Row = json.loads(canonical_json(plain))
    return explained


def _where(candidate: Candidate) -> Row:
    return {"location_id": candidate.bucket.location_id, "location_code": candidate.location_code,
            "container_id": candidate.bucket.container_id, "lot_id": candidate.item.lot_id,
            "lot_number": candidate.lot_number, "expiry_date": candidate.expiry, "serial": candidate.item.serial,
            "status": candidate.bucket.status.value}
