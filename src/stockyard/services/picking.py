"""Picking (拣货): picker trips in route order, picks confirmed by scan, and short picks.

A confirmed pick moves the stock from its shelf to the wave's staging location in one posting, and the order's
reservation moves with it (released on the shelf, reserved again in staging), so picked goods stay the order's
until they ship or are put back. A short pick flags the location for a count, tries other stock and otherwise
leaves the line short for the owner's shortage policy to settle at shipping."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import Principal
from stockyard.domain.allocation import OrderStatus
from stockyard.domain.errors import Conflict, InvalidInput, NotFound
from stockyard.domain.stock import AllocationChange, Bucket, Movement, PostingRequest, StockItem, StockStatus
from stockyard.domain.waves import PickScanned, PickTarget, WaveStatus, check_pick
from stockyard.services import audit, counts, ledger, orders
from stockyard.services import masterdata as md
from stockyard.services.putaway import advance_task
from stockyard.services.scanning import scanned_item
from stockyard.services.waves import PICK, TripRouter, metres

Row = dict[str, Any]
DOC_TYPE = "pick_task"
AVAILABLE = StockStatus.AVAILABLE


@dataclass(frozen=True)
class PickScan:
    location: str  # the scanned location code
    scan: str  # the item's barcode: SKU code, GTIN or a GS1 string (which may carry lot and serial)
    quantity: Decimal = Decimal(1)
    lot_number: str | None = None
    serial: str | None = None
    tote: str | None = None  # the tote label scanned on the cart; checked against the task's tote when given


@dataclass(frozen=True)
class ShortPick:
    location: str  # scanned: the picker stands at the location
    found_quantity: Decimal = Decimal(0)  # what was there and is picked; needs ``scan`` when above zero
    scan: str | None = None
    lot_number: str | None = None
    serial: str | None = None


# ---------------------------------------------------------------- reading


def _trip_scope(principal: Principal, trip: Any) -> bool:
    return principal.scope.allows_warehouse(trip.warehouse_id) and (
        trip.zone_id is None or principal.zone_ids is None or trip.zone_id in principal.zone_ids)


def visible_trip(conn: Connection, principal: Principal, trip_id: int, *, lock: bool = False) -> Row:
    """The trip's row, or 404 outside the principal's warehouses (and zones, for a zone trip)."""
    query = select(t.pick_trip).where(t.pick_trip.c.id == trip_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None or not _trip_scope(principal, row):
        raise NotFound(f"trip {trip_id} not found", field="trip_id")
    return dict(row._mapping)


def read_trip(conn: Connection, trip_id: int, owner_ids: frozenset[int] | None = None) -> Row:
    """A trip with its tasks in walking order (no scope check: see ``visible_trip``)."""
    trip = dict(conn.execute(select(t.pick_trip).where(t.pick_trip.c.id == trip_id)).one()._mapping)
    k, loc, sku, lot, o = t.task, t.location, t.sku, t.lot, t.shipment_order
    query = (select(k.c.id, k.c.status, k.c.sequence, k.c.order_id, o.c.external_ref.label("order_ref"), k.c.line_id,
                    k.c.tote, k.c.owner_id, k.c.sku_id, sku.c.code.label("sku_code"), sku.c.name.label("sku_name"),
                    sku.c.base_uom, k.c.lot_id, lot.c.number.label("lot_number"), lot.c.expiry_date, k.c.serial,
                    k.c.from_location_id.label("location_id"), loc.c.code.label("location_code"),
                    k.c.from_container_id.label("container_id"), k.c.quantity, k.c.done_quantity,
                    k.c.short_quantity, k.c.waits_for_task_id)
             .join(loc, loc.c.id == k.c.from_location_id).join(sku, sku.c.id == k.c.sku_id)
             .join(o, o.c.id == k.c.order_id).outerjoin(lot, lot.c.id == k.c.lot_id)
             .where(k.c.trip_id == trip_id, k.c.kind == PICK).order_by(k.c.sequence, k.c.id))
    if owner_ids is not None:
        query = query.where(k.c.owner_id.in_(sorted(owner_ids)))
    trip["tasks"] = [dict(r._mapping) for r in conn.execute(query)]
    trip["next_task"] = next((task for task in trip["tasks"] if task["status"] == "open"), None)
    return trip


def get_trip(db: Database, principal: Principal, trip_id: int) -> Row:
    def work(conn: Connection) -> Row:
        visible_trip(conn, principal, trip_id)
        return read_trip(conn, trip_id, principal.owner_ids)
    return db.read(work)


def list_trips(db: Database, principal: Principal, *, wave_id: int | None = None, warehouse_id: int | None = None,
               status: str | None = None, assigned_to: str | None = None, limit: int = 100) -> list[Row]:
    p = t.pick_trip
    query = select(p).order_by(p.c.id).limit(limit)
    for column, value in ((p.c.wave_id, wave_id), (p.c.warehouse_id, warehouse_id), (p.c.status, status),
                          (p.c.assigned_to, assigned_to)):
        if value is not None:
            query = query.where(column == value)
    scope = trip_scope_clause(principal)
    if scope is not None:
        query = query.where(scope)
    return db.read(lambda conn: [dict(r._mapping) for r in conn.execute(query)])


def trip_scope_clause(principal: Principal) -> md.Clause | None:
    """The trips a principal sees: of its warehouses, and for a principal of some zones, those zones' trips and
    the trips of no single zone (as :func:`visible_trip` decides for one)."""
    p = t.pick_trip
    return md.all_of(md.within(p.c.warehouse_id, principal.warehouse_ids),
                     None if principal.zone_ids is None
                     else p.c.zone_id.is_(None) | p.c.zone_id.in_(sorted(principal.zone_ids)))


def start_trip(db: Database, principal: Principal, trip_id: int) -> Row:
    """The picker takes the trip: it is theirs until done (another picker gets 409)."""
    def work(conn: Connection) -> Row:
        trip = visible_trip(conn, principal, trip_id, lock=True)
        if trip["status"] != "open":
            raise Conflict(f"the trip is {trip['status']}", field="trip_id", code="trip_not_open")
        if trip["assigned_to"] not in (None, principal.name):
            raise Conflict(f"{trip['assigned_to']} is picking this trip", field="trip_id", code="trip_taken")
        conn.execute(update(t.pick_trip).where(t.pick_trip.c.id == trip_id)
                     .values(assigned_to=principal.name, updated_at=datetime.now(UTC)))
        audit.record(conn, principal, "trip.start", "pick_trip", trip_id, after={"assigned_to": principal.name})
        return read_trip(conn, trip_id, principal.owner_ids)
    return db.write(work)


# ---------------------------------------------------------------- confirming


def visible_pick(conn: Connection, principal: Principal, task_id: int) -> Row:
    """An open pick task the principal may work on, locked; 404 outside scope, 409 when not open.

    Its order's row is locked first, as cancelling and shipping do, so a pick and a cancellation of the same order
    take turns (and always in the same order: no deadlock)."""
    k = t.task
    order_id = conn.execute(select(k.c.order_id).where(k.c.id == task_id, k.c.kind == PICK)).scalar()
    if order_id is not None:
        conn.execute(select(t.shipment_order.c.id).where(t.shipment_order.c.id == order_id).with_for_update())
    task = conn.execute(select(k).where(k.c.id == task_id, k.c.kind == PICK).with_for_update()).first()
    if task is None or task.trip_id is None:
        raise NotFound(f"pick task {task_id} not found", field="task_id")
    trip = visible_trip(conn, principal, task.trip_id)
    if not principal.scope.allows_owner(task.owner_id) or not principal.scope.allows_zone(
            _zone_of(conn, task.from_location_id)):
        raise NotFound(f"pick task {task_id} not found", field="task_id")
    if task.status != "open":
        raise Conflict(f"the task is {task.status}", field="task_id", code="task_not_open")
    if trip["assigned_to"] not in (None, principal.name):
        raise Conflict(f"{trip['assigned_to']} is picking this trip", field="task_id", code="trip_taken")
    if task.waits_for_task_id is not None:
        waiting = conn.execute(select(t.task.c.status).where(t.task.c.id == task.waits_for_task_id)).scalar_one()
        if waiting == "open":
            raise Conflict(f"replenishment task {task.waits_for_task_id} brings this stock to the pick face first",
                           field="task_id", code="waiting_for_replenishment")
    return dict(task._mapping)


def _zone_of(conn: Connection, location_id: int) -> int | None:
    zone: int | None = conn.execute(select(t.location.c.zone_id).where(t.location.c.id == location_id)).scalar()
    return zone


def confirm_pick(db: Database, principal: Principal, task_id: int, scan: PickScan) -> Row:
    """Confirm a pick by scan: the location, the item (and its lot / serial where controlled) and the quantity
    must match the task; then the stock moves to staging with its reservation."""
    def work(conn: Connection) -> Row:
        task = visible_pick(conn, principal, task_id)
        check_pick(_target(conn, task), _scanned(conn, task, scan.location, scan.scan, scan.quantity,
                                                 scan.lot_number, scan.serial, scan.tote))
        posting_id = _pick(conn, principal, task, scan.quantity)
        _after_task(conn, task)
        after = _task_view(conn, task_id)
        audit.record(conn, principal, "pick.confirm", "task", task_id,
                     before={"quantity": task["quantity"]},
                     after={"picked": scan.quantity, "posting_id": posting_id, "status": after["status"]})
        return {**after, "posting_id": posting_id}
    return db.write(work)


def _target(conn: Connection, task: Row) -> PickTarget:
    location = conn.execute(select(t.location.c.code).where(t.location.c.id == task["from_location_id"])).scalar_one()
    lot = None
    if task["lot_id"] is not None:
        lot = conn.execute(select(t.lot.c.number).where(t.lot.c.id == task["lot_id"])).scalar_one()
    return PickTarget(location, task["sku_id"], lot, task["serial"], task["quantity"], task["tote"])


def _scanned(conn: Connection, task: Row, location: str, scan: str, quantity: Decimal, lot_number: str | None,
             serial: str | None, tote: str | None = None) -> PickScanned:
    item = scanned_item(conn, task["owner_id"], scan)
    return PickScanned(location.strip(), item.sku_id, lot_number or item.lot_number, serial or item.serial, quantity,
                       tote)


def _pick(conn: Connection, principal: Principal, task: Row, quantity: Decimal) -> int:
    """Shelf → staging with the reservation, and the order's books of it."""
    item = StockItem(task["owner_id"], task["sku_id"], task["lot_id"], task["serial"])
    shelf = Bucket(task["from_location_id"], task["from_container_id"], AVAILABLE)
    staging = Bucket(task["to_location_id"], None, AVAILABLE)
    posting_id = ledger.post_in(conn, PostingRequest(
        "PICK", movements=[Movement(item, shelf, staging, quantity)],
        allocations=[AllocationChange(item, shelf, -quantity), AllocationChange(item, staging, quantity)],
        doc_type=DOC_TYPE, doc_ref=str(task["id"]), user=principal.name)).posting_id
    a, now = t.shipment_allocation, datetime.now(UTC)
    shelf_row = conn.execute(select(a).where(a.c.id == task["allocation_id"])).one()
    conn.execute(update(a).where(a.c.id == shelf_row.id).values(quantity=a.c.quantity - quantity))
    conn.execute(insert(t.shipment_allocation).values(
        line_id=task["line_id"], owner_id=item.owner_id, sku_id=item.sku_id, lot_id=item.lot_id, serial=item.serial,
        location_id=staging.location_id, container_id=None, status="picked", quantity=quantity,
        posting_id=posting_id, reason=f"picked by task {task['id']} from {shelf_row.reason}", created_at=now))
    line = t.shipment_line
    conn.execute(update(line).where(line.c.id == task["line_id"])
                 .values(picked_quantity=line.c.picked_quantity + quantity))
    advance_task(conn, task["id"], quantity)
    counts.count_on_touch(conn, principal, task["warehouse_id"], [
        (shelf.location_id, item.owner_id, item.sku_id, item.lot_id, item.serial, shelf.container_id,
         AVAILABLE.value)])
    return posting_id


def _after_task(conn: Connection, task: Row) -> None:
    """Close what the task finished: the order's picking, the trip, the wave."""
    k, now = t.task, datetime.now(UTC)
    if _open(conn, k.c.order_id == task["order_id"]) == 0:
        o = t.shipment_order
        conn.execute(update(o).where(o.c.id == task["order_id"], o.c.status == OrderStatus.PICKING.value)
                     .values(status=OrderStatus.PICKED.value, updated_at=now))
    if _open(conn, k.c.trip_id == task["trip_id"]) == 0:
        p = t.pick_trip
        conn.execute(update(p).where(p.c.id == task["trip_id"]).values(status="done", updated_at=now))
        wave_id = conn.execute(select(p.c.wave_id).where(p.c.id == task["trip_id"])).scalar_one()
        still = conn.execute(select(func.count()).select_from(p).where(p.c.wave_id == wave_id,
                                                                        p.c.status == "open")).scalar_one()
        if still == 0:
            conn.execute(update(t.wave).where(t.wave.c.id == wave_id, t.wave.c.status == WaveStatus.RELEASED.value)
                         .values(status=WaveStatus.DONE.value, updated_at=now))


def open_picks(conn: Connection, order_ids: Iterable[int]) -> dict[int, int]:
    """Open pick tasks per order (orders without any are left out)."""
    k = t.task
    ids = sorted(set(order_ids))
    if not ids:
        return {}
    rows = conn.execute(select(k.c.order_id, func.count()).where(
        k.c.order_id.in_(ids), k.c.kind == PICK, k.c.status == "open").group_by(k.c.order_id))
    return {int(order_id): int(n) for order_id, n in rows}


def _open(conn: Connection, where: Any) -> int:
    k = t.task
    return int(conn.execute(select(func.count()).select_from(k).where(where, k.c.kind == PICK,
                                                                      k.c.status == "open")).scalar_one())


def _task_view(conn: Connection, task_id: int) -> Row:
    k = t.task
    row = conn.execute(select(k.c.id, k.c.status, k.c.trip_id, k.c.order_id, k.c.line_id, k.c.sequence, k.c.tote,
                              k.c.quantity, k.c.done_quantity, k.c.short_quantity).where(k.c.id == task_id)).one()
    view = dict(row._mapping)
    view["next_task_id"] = conn.execute(select(k.c.id).where(k.c.trip_id == row.trip_id, k.c.kind == PICK,
                                                             k.c.status == "open")
                                        .order_by(k.c.sequence, k.c.id).limit(1)).scalar()
    return view


# ---------------------------------------------------------------- short picks


def short_pick(db: Database, principal: Principal, task_id: int, report: ShortPick, *,
               today: date | None = None) -> Row:
    """The location holds less than the task says: pick what is there, flag the location for a count, release
    the rest and try to allocate it elsewhere (a new task in the same trip); otherwise the line stays short."""
    def work(conn: Connection) -> Row:
        task = visible_pick(conn, principal, task_id)
        target = _target(conn, task)
        if report.location.strip() != target.location_code:
            raise InvalidInput(f"this is not the pick location: go to {target.location_code}", field="location",
                               code="wrong_location")
        if report.found_quantity < 0 or report.found_quantity >= task["quantity"]:
            raise InvalidInput(f"must be from 0 to less than {task['quantity']}", field="found_quantity")
        posting_id = None
        if report.found_quantity > 0:
            if report.scan is None:
                raise InvalidInput("scan the item you found", field="scan")
            check_pick(target, _scanned(conn, task, report.location, report.scan, report.found_quantity,
                                        report.lot_number, report.serial))
            posting_id = _pick(conn, principal, task, report.found_quantity)
        missing = task["quantity"] - report.found_quantity
        _release_missing(conn, principal, task, missing)
        count = counts.flag_location(conn, principal, task["warehouse_id"], task["from_location_id"], "short_pick")
        new_tasks = _reallocate(conn, principal, task, today or datetime.now(UTC).date())
        _after_task(conn, task)
        after = _task_view(conn, task_id)
        result = {**after, "posting_id": posting_id, "missing": missing, "count_id": count,
                  "replacement_task_ids": new_tasks,
                  "line_short": not new_tasks}
        audit.record(conn, principal, "pick.short", "task", task_id, before={"quantity": task["quantity"]},
                     after={"found": report.found_quantity, "missing": missing, "count_id": count,
                            "replacement_task_ids": new_tasks})
        return result
    return db.write(work)


def _release_missing(conn: Connection, principal: Principal, task: Row, missing: Decimal) -> None:
    item = StockItem(task["owner_id"], task["sku_id"], task["lot_id"], task["serial"])
    shelf = Bucket(task["from_location_id"], task["from_container_id"], AVAILABLE)
    ledger.post_in(conn, PostingRequest("RELEASE", allocations=[AllocationChange(item, shelf, -missing)],
                                        doc_type=DOC_TYPE, doc_ref=str(task["id"]), user=principal.name))
    a, line, k, now = t.shipment_allocation, t.shipment_line, t.task, datetime.now(UTC)
    conn.execute(update(a).where(a.c.id == task["allocation_id"]).values(quantity=a.c.quantity - missing))
    conn.execute(update(line).where(line.c.id == task["line_id"])
                 .values(allocated_quantity=line.c.allocated_quantity - missing))
    conn.execute(update(k).where(k.c.id == task["id"]).values(
        quantity=0, short_quantity=k.c.short_quantity + missing, status="done", updated_at=now))


def _reallocate(conn: Connection, principal: Principal, task: Row, today: date) -> list[int]:
    o, line, a = t.shipment_order, t.shipment_line, t.shipment_allocation
    order = dict(conn.execute(select(o).where(o.c.id == task["order_id"])).one()._mapping)
    the_line = dict(conn.execute(select(line).where(line.c.id == task["line_id"])).one()._mapping)
    before = set(conn.execute(select(a.c.id).where(a.c.line_id == task["line_id"])).scalars())
    orders.allocate_in(conn, principal.name, [order], {order["id"]: [the_line]}, today,
                       avoid=frozenset({task["from_location_id"]}), set_status=False)
    fresh = conn.execute(select(a).where(a.c.line_id == task["line_id"], a.c.status == "allocated",
                                         a.c.id.not_in(before) if before else a.c.id > 0)).all()
    if not fresh:
        return []
    now = datetime.now(UTC)
    ids = [int(conn.execute(insert(t.task).values(
        warehouse_id=task["warehouse_id"], kind=PICK, status="open", owner_id=r.owner_id, sku_id=r.sku_id,
        lot_id=r.lot_id, serial=r.serial, stock_status=AVAILABLE.value, from_location_id=r.location_id,
        from_container_id=r.container_id, quantity=r.quantity, done_quantity=0,
        to_location_id=task["to_location_id"], trip_id=task["trip_id"], order_id=task["order_id"],
        line_id=task["line_id"], allocation_id=r.id, sequence=0, tote=task["tote"], short_quantity=0,
        created_at=now, updated_at=now).returning(t.task.c.id)).scalar_one()) for r in fresh]
    _reroute(conn, task["trip_id"])
    return ids


def _reroute(conn: Connection, trip_id: int) -> None:
    """Walk the trip's open tasks again in the best order from where the picker stands now (the last stop done);
    the route and its lengths are those of the open part."""
    trip = conn.execute(select(t.pick_trip).where(t.pick_trip.c.id == trip_id)).one()
    wave = conn.execute(select(t.wave).where(t.wave.c.id == trip.wave_id)).one()
    k, loc = t.task, t.location
    rows = conn.execute(select(k.c.id, k.c.from_location_id, k.c.order_id, loc.c.aisle, loc.c.x, loc.c.y)
                        .join(loc, loc.c.id == k.c.from_location_id)
                        .where(k.c.trip_id == trip_id, k.c.kind == PICK, k.c.status == "open")).all()
    done = conn.execute(select(func.coalesce(func.max(k.c.sequence), 0)).where(
        k.c.trip_id == trip_id, k.c.kind == PICK, k.c.status != "open")).scalar_one()
    plan = TripRouter.for_warehouse(conn, wave.warehouse_id, wave.staging_location_id).route(
        [(r.from_location_id, r.aisle, r.x, r.y) for r in rows])
    rank = {stop: i for i, stop in enumerate(plan.route.stops)}
    for sequence, r in enumerate(sorted(rows, key=lambda r: (rank[r.from_location_id], r.order_id, r.id)),
                                 start=done + 1):
        conn.execute(update(k).where(k.c.id == r.id).values(sequence=sequence))
    conn.execute(update(t.pick_trip).where(t.pick_trip.c.id == trip_id).values(
        route=list(plan.route.stops), route_length=metres(plan.route.length), route_method=plan.route.method,
        s_shape_length=metres(plan.s_shape), largest_gap_length=metres(plan.largest_gap),
        updated_at=datetime.now(UTC)))


# ---------------------------------------------------------------- the handheld's questions


def next_stop(db: Database, principal: Principal, trip_id: int) -> Row:
    """Where the trip's picker goes next: the first open pick in route order (``task``, None when the trip is
    done), how many open picks are left (``remaining``), the trip's totes and the staging location the picked
    goods are dropped at (``staging_code``)."""
    def work(conn: Connection) -> Row:
        visible_trip(conn, principal, trip_id)
        trip = read_trip(conn, trip_id, principal.owner_ids)
        staging = conn.execute(select(t.location.c.code).join(t.wave, t.wave.c.staging_location_id == t.location.c.id)
                               .where(t.wave.c.id == trip["wave_id"])).scalar()
        return {"trip": trip, "task": trip["next_task"], "staging_code": staging,
                "remaining": sum(1 for k in trip["tasks"] if k["status"] == "open"),
                "totes": sorted({k["tote"] for k in trip["tasks"] if k["tote"]})}
    return db.read(work)


def check_pick_step(db: Database, principal: Principal, task_id: int, location: str, scan: str | None = None,
                    lot_number: str | None = None, serial: str | None = None,
                    quantity: Decimal | None = None) -> Row:
    """Check the part of a pick scanned so far (the location, then the item, then its lot and serial, then the
    quantity), changing nothing, so a handheld refuses a wrong scan at once rather than at the end. The answer
    says the lot and serial the scans carried, whether the task still needs one scanned (``needs_lot``,
    ``needs_serial``), and the tote the pick goes into (``tote``, None when the trip has no totes)."""
    def work(conn: Connection) -> Row:
        task = visible_pick(conn, principal, task_id)
        target = _target(conn, task)
        item = scanned_item(conn, task["owner_id"], scan) if scan is not None else None
        lot = lot_number or (item.lot_number if item else None)
        given = serial or (item.serial if item else None)
        check_pick(target, PickScanned(location.strip(), item.sku_id if item else target.sku_id,
                                       lot if lot is not None else target.lot_number,
                                       given if given is not None else target.serial,
                                       quantity if quantity is not None else target.open_quantity))
        return {"lot_number": lot, "needs_lot": target.lot_number is not None and lot is None,
                "serial": given, "needs_serial": target.serial is not None and given is None, "tote": target.tote}
    return db.write(work)  # writing only for the row locks ``visible_pick`` takes; nothing is written
