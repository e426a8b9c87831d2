"""Waves (波次): orders put together by hand or by rule; releasing a wave allocates its orders in one posting,
makes a pick task per allocation, groups the tasks into picker trips and routes each trip on the aisle graph."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from stockyard.db import tables as t
from stockyard.db.bulk import insert_rows, update_rows
from stockyard.db.engine import Database
from stockyard.domain.access import Principal
from stockyard.domain.allocation import OPEN_STATUSES, OrderStatus
from stockyard.domain.errors import Conflict, InsufficientStock, InvalidInput, NotFound
from stockyard.domain.master import LocationKind
from stockyard.domain.routing import Layout, RoutePlan, Spot, Stop, best_route
from stockyard.domain.waves import (
    OrderFacts,
    Pick,
    PickMode,
    Profile,
    TripPlan,
    WaveLimits,
    WaveStatus,
    check_can_release,
    check_wave_settings,
    choose_orders,
    group_trips,
    orders_to_sort,
)
from stockyard.services import audit, orders, replenishment
from stockyard.services import masterdata as md
from stockyard.services.browse import View

Row = dict[str, Any]
PICK = "pick"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class PickSettings:
    pick_mode: PickMode = PickMode.CLUSTER
    max_orders_per_trip: int = 8
    max_lines_per_trip: int = 40
    staging_location_id: int | None = None  # default: the warehouse's first active staging location


@dataclass(frozen=True)
class NewWave:
    warehouse_id: int
    order_ids: Sequence[int]
    settings: PickSettings = field(default_factory=PickSettings)


@dataclass(frozen=True)
class WaveRule:
    """Which open orders a rule-made wave takes."""

    warehouse_id: int
    owner_id: int | None = None
    carrier_id: int | None = None
    ship_by: date | None = None  # cut-off: orders requested to ship on or before this day
    profile: Profile | None = None
    zone_id: int | None = None  # only orders whose every SKU has available stock in this zone
    limits: WaveLimits = field(default_factory=WaveLimits)
    settings: PickSettings = field(default_factory=PickSettings)


def create_wave(db: Database, principal: Principal, new: NewWave) -> Row:
    """A wave of the orders named; each must be open, not held and in no other wave."""
    def work(conn: Connection) -> Row:
        md.require(conn, principal, "warehouse_id", md.WAREHOUSE, new.warehouse_id)
        if not new.order_ids:
            raise InvalidInput("a wave has at least one order", field="order_ids")
        if len(set(new.order_ids)) != len(new.order_ids):
            raise InvalidInput("an order is named twice", field="order_ids", code="duplicate_order")
        _check_wavable(conn, principal, new.warehouse_id, new.order_ids)
        wave_id = _insert_wave(conn, principal, new.warehouse_id, new.settings, None, new.order_ids)
        wave = _read(conn, wave_id)
        audit.record(conn, principal, "wave.create", "wave", wave_id, after=_summary(wave))
        return wave
    return db.write(work)


def create_wave_by_rule(db: Database, principal: Principal, rule: WaveRule) -> Row:
    """A wave of the open orders the rule matches, within its limits (none matching: 409 ``no_orders``)."""
    def work(conn: Connection) -> Row:
        md.require(conn, principal, "warehouse_id", md.WAREHOUSE, rule.warehouse_id)
        for name, entity, value in (("owner_id", md.OWNER, rule.owner_id), ("carrier_id", md.CARRIER,
                                                                            rule.carrier_id),
                                    ("zone_id", md.ZONE, rule.zone_id)):
            if value is not None:
                md.require(conn, principal, name, entity, value)
        chosen = choose_orders(_order_facts(conn, principal, rule), rule.profile, rule.limits)
        if not chosen:
            raise Conflict("no open order matches the rule", field="rule", code="no_orders")
        criteria = {"owner_id": rule.owner_id, "carrier_id": rule.carrier_id,
                    "ship_by": rule.ship_by.isoformat() if rule.ship_by else None,
                    "profile": rule.profile.value if rule.profile else None, "zone_id": rule.zone_id,
                    "max_orders": rule.limits.max_orders, "max_lines": rule.limits.max_lines,
                    "max_volume": str(rule.limits.max_volume) if rule.limits.max_volume is not None else None}
        wave_id = _insert_wave(conn, principal, rule.warehouse_id, rule.settings, criteria, chosen)
        wave = _read(conn, wave_id)
        audit.record(conn, principal, "wave.create", "wave", wave_id, after=_summary(wave))
        return wave
    return db.write(work)


def _check_wavable(conn: Connection, principal: Principal, warehouse_id: int, order_ids: Sequence[int]) -> None:
    """Every order named is visible, of the warehouse, open, not held and in no other wave; read in one query
    (a wave may name ten thousand orders), the first that fails named by its index."""
    o = t.shipment_order
    rows = {r.id: r for r in conn.execute(select(o.c.id, o.c.warehouse_id, o.c.owner_id, o.c.status, o.c.on_hold,
                                                 o.c.wave_id).where(o.c.id.in_(list(order_ids))))}
    for index, order_id in enumerate(order_ids):
        where, row = f"order_ids[{index}]", rows.get(order_id)
        if row is None or not (principal.scope.allows_warehouse(row.warehouse_id)
                               and principal.scope.allows_owner(row.owner_id)):
            raise InvalidInput(f"shipment order {order_id} does not exist", field=where, code="unknown_order")
        if row.warehouse_id != warehouse_id:
            raise InvalidInput("the order ships from another warehouse", field=where, code="other_warehouse")
        if row.status not in OPEN_STATUSES or row.on_hold:
            raise Conflict(f"the order is {'on hold' if row.on_hold else row.status}", field=where,
                           code="order_not_wavable")
        if row.wave_id is not None:
            raise Conflict(f"the order is in wave {row.wave_id}", field=where, code="order_in_wave")


def _order_facts(conn: Connection, principal: Principal, rule: WaveRule) -> list[OrderFacts]:
    o, line, sku = t.shipment_order, t.shipment_line, t.sku
    query = (select(o.c.id, o.c.priority, o.c.requested_ship_date, func.count(line.c.id).label("lines"),
                    func.coalesce(func.sum(sku.c.volume * line.c.quantity / 1_000_000), 0).label("volume"))
             .join(line, line.c.order_id == o.c.id).join(sku, sku.c.id == line.c.sku_id)
             .where(o.c.warehouse_id == rule.warehouse_id, o.c.status.in_([s.value for s in OPEN_STATUSES]),
                    ~o.c.on_hold, o.c.wave_id.is_(None))
             .group_by(o.c.id, o.c.priority, o.c.requested_ship_date))
    for column, value in ((o.c.owner_id, rule.owner_id), (o.c.carrier_id, rule.carrier_id)):
        if value is not None:
            query = query.where(column == value)
    if rule.ship_by is not None:
        query = query.where(o.c.requested_ship_date <= rule.ship_by)
    if principal.owner_ids is not None:
        query = query.where(o.c.owner_id.in_(sorted(principal.owner_ids)))
    if rule.zone_id is not None:
        query = query.where(~o.c.id.in_(_orders_not_in_zone(rule.zone_id)))
    return [OrderFacts(r.id, r.priority, r.requested_ship_date, r.lines, Decimal(r.volume) / 1_000_000)
            for r in conn.execute(query)]


def _orders_not_in_zone(zone_id: int) -> Any:
    """Orders with a line whose SKU has no available stock in the zone."""
    line, b, loc = t.shipment_line, t.balance, t.location
    in_zone = (select(b.c.id).join(loc, loc.c.id == b.c.location_id)
               .where(b.c.sku_id == line.c.sku_id, loc.c.zone_id == zone_id, b.c.status == "available",
                      b.c.on_hand > b.c.allocated).exists())
    return select(line.c.order_id).where(~in_zone)


def _insert_wave(conn: Connection, principal: Principal, warehouse_id: int, settings: PickSettings,
                 criteria: Row | None, order_ids: Sequence[int]) -> int:
    check_wave_settings(settings.max_orders_per_trip, settings.max_lines_per_trip)
    staging = _staging(conn, principal, warehouse_id, settings.staging_location_id)
    now = datetime.now(UTC)
    wave_id = int(conn.execute(insert(t.wave).values(
        warehouse_id=warehouse_id, status=WaveStatus.CREATED.value, pick_mode=settings.pick_mode.value,
        max_orders_per_trip=settings.max_orders_per_trip, max_lines_per_trip=settings.max_lines_per_trip,
        staging_location_id=staging, criteria=criteria, created_by=principal.name, created_at=now,
        updated_at=now).returning(t.wave.c.id)).scalar_one())
    o = t.shipment_order
    # The condition makes two waves racing for one order take turns: the second finds it taken.
    taken = conn.execute(update(o).where(o.c.id.in_(list(order_ids)), o.c.wave_id.is_(None),
                                         o.c.status.in_([s.value for s in OPEN_STATUSES]), ~o.c.on_hold)
                         .values(wave_id=wave_id, updated_at=now)).rowcount
    if taken != len(order_ids):
        raise Conflict("an order was put into another wave meanwhile", field="order_ids", code="order_in_wave")
    return wave_id


def _staging(conn: Connection, principal: Principal, warehouse_id: int, location_id: int | None) -> int:
    loc = t.location
    if location_id is not None:
        row = md.require(conn, principal, "staging_location_id", md.LOCATION, location_id)
        if row["warehouse_id"] != warehouse_id or row["virtual_kind"] is not None or not row["active"]:
            raise InvalidInput("must be an active physical location of the wave's warehouse",
                               field="staging_location_id")
        return location_id
    found = conn.execute(select(loc.c.id).where(
        loc.c.warehouse_id == warehouse_id, loc.c.kind == LocationKind.STAGING.value, loc.c.active,
        loc.c.status == "active").order_by(loc.c.code).limit(1)).scalar()
    if found is None:
        raise InvalidInput("the warehouse has no active staging location; name one", field="staging_location_id",
                           code="no_staging_location")
    return int(found)


# ---------------------------------------------------------------- reading


def visible_wave(conn: Connection, principal: Principal, wave_id: int, *, lock: bool = False) -> Row:
    """The wave's row, or 404 outside the principal's warehouses."""
    query = select(t.wave).where(t.wave.c.id == wave_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None or not principal.scope.allows_warehouse(row.warehouse_id):
        raise NotFound(f"wave {wave_id} not found", field="wave_id")
    return dict(row._mapping)


def _read(conn: Connection, wave_id: int, owner_ids: frozenset[int] | None = None) -> Row:
    wave = dict(conn.execute(select(t.wave).where(t.wave.c.id == wave_id)).one()._mapping)
    o = t.shipment_order
    query = (select(o.c.id, o.c.external_ref, o.c.owner_id, o.c.status, o.c.sort_slot)
             .where(o.c.wave_id == wave_id).order_by(o.c.id))
    if owner_ids is not None:
        query = query.where(o.c.owner_id.in_(sorted(owner_ids)))
    wave["orders"] = [dict(r._mapping) for r in conn.execute(query)]
    p = t.pick_trip
    wave["trips"] = [dict(r._mapping) for r in conn.execute(
        select(p.c.id, p.c.trip_no, p.c.zone_id, p.c.mode, p.c.status, p.c.route_length, p.c.route_method,
               p.c.s_shape_length, p.c.largest_gap_length, p.c.assigned_to)
        .where(p.c.wave_id == wave_id).order_by(p.c.trip_no))]
    return wave


def _summary(wave: Row) -> Row:
    return {"status": wave["status"], "pick_mode": wave["pick_mode"], "orders": [o["id"] for o in wave["orders"]],
            "stats": wave["stats"]}


def get_wave(db: Database, principal: Principal, wave_id: int) -> Row:
    def work(conn: Connection) -> Row:
        visible_wave(conn, principal, wave_id)
        return _read(conn, wave_id, principal.owner_ids)
    return db.read(work)


def list_waves(db: Database, principal: Principal, *, warehouse_id: int | None = None, status: str | None = None,
               cursor: int | None = None, limit: int = 50) -> tuple[list[Row], int | None]:
    w = t.wave
    query = select(w).order_by(w.c.id.desc()).limit(limit + 1)
    for column, value in ((w.c.warehouse_id, warehouse_id), (w.c.status, status)):
        if value is not None:
            query = query.where(column == value)
    if cursor is not None:
        query = query.where(w.c.id < cursor)
    scope = md.within(w.c.warehouse_id, principal.warehouse_ids)
    if scope is not None:
        query = query.where(scope)
    rows = db.read(lambda conn: [dict(r._mapping) for r in conn.execute(query)])
    page = rows[:limit]
    return page, (page[-1]["id"] if len(rows) > limit else None)


def wavable_orders(db: Database, principal: Principal, *, limit: int = 500) -> list[Row]:
    """Orders in the caller's scope that a new wave may take (open, not held, in no wave), the most urgent
    first, with their warehouse, for choosing a wave's orders by hand."""
    o = t.shipment_order
    query = (select(o.c.id, o.c.external_ref, o.c.status, o.c.priority, o.c.requested_ship_date, o.c.warehouse_id,
                    t.warehouse.c.code.label("warehouse"), t.owner.c.code.label("owner"))
             .join(t.warehouse, t.warehouse.c.id == o.c.warehouse_id).join(t.owner, t.owner.c.id == o.c.owner_id)
             .where(o.c.status.in_([s.value for s in OPEN_STATUSES]), ~o.c.on_hold, o.c.wave_id.is_(None))
             .order_by(o.c.priority.desc(), o.c.id).limit(limit))
    scope = md.all_of(md.within(o.c.warehouse_id, principal.warehouse_ids), md.within(o.c.owner_id,
                                                                                        principal.owner_ids))
    if scope is not None:
        query = query.where(scope)
    rows: list[Row] = db.read(lambda conn: [dict(r._mapping) for r in conn.execute(query)])
    return rows


def wave_view(principal: Principal) -> View:
    """Waves in the caller's warehouses for the console's list, with their order and trip counts and how many
    trips are done, newest first by default."""
    w, o, p = t.wave, t.shipment_order, t.pick_trip
    order_count = (select(func.count()).where(o.c.wave_id == w.c.id).correlate(w).scalar_subquery())
    trip_count = (select(func.count()).where(p.c.wave_id == w.c.id).correlate(w).scalar_subquery())
    trips_done = (select(func.count()).where(p.c.wave_id == w.c.id, p.c.status == "done")
                  .correlate(w).scalar_subquery())
    query = (select(w.c.id, w.c.status, w.c.pick_mode, w.c.warehouse_id, t.warehouse.c.code.label("warehouse"),
                    order_count.label("orders"), trip_count.label("trips"), trips_done.label("trips_done"),
                    w.c.created_by, w.c.created_at, w.c.released_at)
             .join(t.warehouse, t.warehouse.c.id == w.c.warehouse_id))
    scope = md.within(w.c.warehouse_id, principal.warehouse_ids)
    if scope is not None:
        query = query.where(scope)
    return View(query, filters=("status", "pick_mode", "warehouse"), search=("created_by",),
                sortable=("id", "status", "pick_mode", "warehouse", "created_at", "released_at"),
                default_sort="id", default_desc=True)


def cancel_wave(db: Database, principal: Principal, wave_id: int) -> Row:
    """Cancel a wave not yet released: its orders are free for another wave."""
    def work(conn: Connection) -> Row:
        wave = visible_wave(conn, principal, wave_id, lock=True)
        check_can_release(wave["status"])
        now = datetime.now(UTC)
        conn.execute(update(t.shipment_order).where(t.shipment_order.c.wave_id == wave_id)
                     .values(wave_id=None, updated_at=now))
        conn.execute(update(t.wave).where(t.wave.c.id == wave_id)
                     .values(status=WaveStatus.CANCELLED.value, updated_at=now))
        after = _read(conn, wave_id)
        audit.record(conn, principal, "wave.cancel", "wave", wave_id, before={"status": wave["status"]},
                     after={"status": after["status"]})
        return after
    return db.write(work)


# ---------------------------------------------------------------- release


def release(db: Database, principal: Principal, wave_id: int, *, today: date | None = None) -> Row:
    """Allocate the wave's orders (priority first) in one posting, make their pick tasks, group them into trips
    and route every trip. Orders that got nothing leave the wave for a later one."""
    def work(conn: Connection) -> Row:
        wave = visible_wave(conn, principal, wave_id, lock=True)
        check_can_release(wave["status"])
        day = today or datetime.now(UTC).date()
        for _ in range(orders.MAX_ATTEMPTS):
            try:
                with conn.begin_nested():
                    _release(conn, principal, wave, day)
                    break
            except InsufficientStock:
                continue  # a bucket was taken after we read it: read the candidates again
        else:
            raise Conflict("stock kept changing while allocating; try again", field="wave_id",
                           code="allocation_contention")
        after = _read(conn, wave_id)
        audit.record(conn, principal, "wave.release", "wave", wave_id, before={"status": wave["status"]},
                     after=_summary(after))
        return after
    return db.write(work)


def _release(conn: Connection, principal: Principal, wave: Row, today: date) -> Row:
    o, line = t.shipment_order, t.shipment_line
    heads = [dict(r._mapping) for r in conn.execute(
        select(o).where(o.c.wave_id == wave["id"], o.c.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(o.c.priority.desc(), o.c.requested_ship_date, o.c.id).with_for_update())]
    # An order put on hold (or cancelled) since the wave was made leaves it now.
    held = [h["id"] for h in heads if h["on_hold"]]
    heads = [h for h in heads if not h["on_hold"]]
    conn.execute(update(o).where(o.c.wave_id == wave["id"], o.c.id.not_in(
        [h["id"] for h in heads] or [0])).values(wave_id=None))
    lines: defaultdict[int, list[Row]] = defaultdict(list)
    for r in conn.execute(select(line).join(o, o.c.id == line.c.order_id).where(o.c.wave_id == wave["id"])
                          .order_by(line.c.order_id, line.c.line_no)):
        lines[r.order_id].append(dict(r._mapping))
    runs = orders.allocate_in(conn, principal.name, heads, lines, today, served=OrderStatus.PICKING)
    served = [h["id"] for h in heads if runs[h["id"]].status is not OrderStatus.CREATED]
    left_out = [h["id"] for h in heads if runs[h["id"]].status is OrderStatus.CREATED]
    now = datetime.now(UTC)
    if left_out:
        conn.execute(update(o).where(o.c.id.in_(left_out)).values(wave_id=None))
    trips = _make_trips(conn, wave, served, {h["id"]: len(lines[h["id"]]) for h in heads}, now)
    # The faces this wave drains are topped up now, from reserve by the same FEFO rules, for the next wave.
    replenish = replenishment.run_in(conn, principal, wave["warehouse_id"], today=today, after_demand=True,
                                     sku_ids={ln["sku_id"] for h in heads for ln in lines[h["id"]]}) if served else []
    stats = {"orders": len(served), "left_out": left_out, "held": held, "trips": trips["trips"],
             "picks": trips["picks"],
             "replenish_task_ids": [task["id"] for task in replenish],
             "route_length": str(trips["length"]), "s_shape_length": str(trips["s_shape"]),
             "largest_gap_length": str(trips["largest_gap"]),
             "short_lines": sum(1 for h in heads for ln, _ in runs[h["id"]].plans
                                if ln["allocated_quantity"] < ln["quantity"])}
    status = WaveStatus.RELEASED if served else WaveStatus.DONE
    conn.execute(update(t.wave).where(t.wave.c.id == wave["id"]).values(
        status=status.value, released_at=now, updated_at=now, stats=stats))
    return stats


@dataclass(frozen=True)
class _Place:
    """Where a pick happens: the allocation's own location, or the pick face its replenishment feeds."""

    location_id: int
    container_id: int | None
    zone_id: int | None
    aisle: str | None
    x: Decimal | None
    y: Decimal | None
    waits_for_task_id: int | None = None


def _make_trips(conn: Connection, wave: Row, order_ids: list[int], lines_per_order: dict[int, int],
                now: datetime) -> Row:
    a, line, loc = t.shipment_allocation, t.shipment_line, t.location
    rows = conn.execute(
        select(a, line.c.order_id, loc.c.zone_id, loc.c.aisle, loc.c.x, loc.c.y, loc.c.kind)
        .join(line, line.c.id == a.c.line_id).join(loc, loc.c.id == a.c.location_id)
        .where(line.c.order_id.in_(order_ids), a.c.status == "allocated")).all() if order_ids else []
    by_key = {r.id: r for r in rows}
    places = _places(conn, wave, rows)
    picks = [Pick(r.id, r.order_id, places[r.id].location_id, places[r.id].zone_id,
                  (places[r.id].aisle or "", places[r.id].y or Decimal(0))) for r in rows]
    mode = PickMode(wave["pick_mode"])
    plans = group_trips(picks, mode, wave["max_orders_per_trip"], wave["max_lines_per_trip"])
    router = TripRouter.for_warehouse(conn, wave["warehouse_id"], wave["staging_location_id"])
    routes = [router.route([(places[p.key].location_id, places[p.key].aisle, places[p.key].x, places[p.key].y)
                            for p in trip.picks]) for trip in plans]
    trip_ids = _insert_trips(conn, wave, mode, plans, routes, now)
    tasks: list[Row] = []
    for number, (trip, route, trip_id) in enumerate(zip(plans, routes, trip_ids, strict=True), start=1):
        tasks += _trip_tasks(wave, trip_id, number, trip, route, by_key, places, now)
    insert_rows(conn, t.task, tasks)
    slots = orders_to_sort(plans, mode, lines_per_order)
    o = t.shipment_order
    update_rows(conn, o, "id", [{"id": order_id, "sort_slot": slot} for slot, order_id in enumerate(slots, start=1)])
    return {"trips": len(plans), "picks": len(picks),
            "length": sum((metres(r.route.length) for r in routes), Decimal(0)),
            "s_shape": sum((metres(r.s_shape) for r in routes), Decimal(0)),
            "largest_gap": sum((metres(r.largest_gap) for r in routes), Decimal(0))}


def _places(conn: Connection, wave: Row, rows: Sequence[Any]) -> dict[int, _Place]:
    via = replenishment.bring_to_faces(conn, wave["warehouse_id"], wave["id"], rows)
    loc = t.location
    faces = {f.id: f for f in conn.execute(select(loc.c.id, loc.c.zone_id, loc.c.aisle, loc.c.x, loc.c.y).where(
        loc.c.id.in_(sorted({v.face_location_id for v in via.values()}))))} if via else {}
    places = {}
    for r in rows:
        if r.id in via:
            face = faces[via[r.id].face_location_id]
            places[r.id] = _Place(face.id, None, face.zone_id, face.aisle, face.x, face.y, via[r.id].task_id)
        else:
            places[r.id] = _Place(r.location_id, r.container_id, r.zone_id, r.aisle, r.x, r.y)
    return places


def _insert_trips(conn: Connection, wave: Row, mode: PickMode, plans: Sequence[TripPlan],
                  routes: Sequence[RoutePlan], now: datetime) -> list[int]:
    """All trips of the wave in one statement; their ids in the order given."""
    if not plans:
        return []
    p = t.pick_trip
    return [int(i) for i in conn.execute(insert(p).returning(p.c.id, sort_by_parameter_order=True), [{
        "wave_id": wave["id"], "warehouse_id": wave["warehouse_id"], "zone_id": trip.zone_id, "trip_no": number,
        "mode": mode.value, "status": "open", "route": list(route.route.stops),
        "route_length": metres(route.route.length), "route_method": route.route.method,
        "s_shape_length": metres(route.s_shape), "largest_gap_length": metres(route.largest_gap),
        "created_at": now, "updated_at": now}
        for number, (trip, route) in enumerate(zip(plans, routes, strict=True), start=1)]).scalars()]


def _trip_tasks(wave: Row, trip_id: int, number: int, trip: TripPlan, route: RoutePlan, by_key: dict[int, Any],
                places: dict[int, _Place], now: datetime) -> list[Row]:
    stop_rank = {stop: rank for rank, stop in enumerate(route.route.stops)}
    ordered = sorted(trip.picks, key=lambda p: (stop_rank[places[p.key].location_id], p.order_id, p.key))
    tasks = []
    for sequence, pick in enumerate(ordered, start=1):
        r, place = by_key[pick.key], places[pick.key]
        tote = trip.totes.get(pick.order_id)
        tasks.append({
            "warehouse_id": wave["warehouse_id"], "kind": PICK, "status": "open", "owner_id": r.owner_id,
            "sku_id": r.sku_id, "lot_id": r.lot_id, "serial": r.serial, "stock_status": "available",
            "from_location_id": place.location_id, "from_container_id": place.container_id, "quantity": r.quantity,
            "done_quantity": 0, "to_location_id": wave["staging_location_id"], "trip_id": trip_id,
            "order_id": pick.order_id, "line_id": r.line_id, "allocation_id": r.id, "sequence": sequence,
            "tote": f"T{number}-{tote}" if tote is not None else None, "short_quantity": 0,
            "waits_for_task_id": place.waits_for_task_id, "created_at": now, "updated_at": now})
    return tasks


def metres(value: float) -> Decimal:
    """A route length as stored: metres to the centimetre."""
    return Decimal(str(round(value, 2))).quantize(CENT)


# ---------------------------------------------------------------- routing


class TripRouter:
    """The warehouse's aisle graph, built once per release from location coordinates; the depot is the wave's
    staging location, where every trip starts and ends."""

    def __init__(self, layout: Layout, depot: tuple[float, float]) -> None:
        self.layout = layout
        self.depot = depot

    @classmethod
    def for_warehouse(cls, conn: Connection, warehouse_id: int, depot_location_id: int) -> TripRouter:
        loc = t.location
        spots = [Spot(r.aisle, float(r.x), float(r.y)) for r in conn.execute(
            select(loc.c.aisle, loc.c.x, loc.c.y).where(
                loc.c.warehouse_id == warehouse_id, loc.c.aisle.is_not(None), loc.c.x.is_not(None),
                loc.c.y.is_not(None)))]
        depot = conn.execute(select(loc.c.x, loc.c.y).where(loc.c.id == depot_location_id)).one()
        layout = Layout.from_spots(spots) if spots else Layout({}, 0.0, 0.0)
        return cls(layout, (float(depot.x or 0), float(depot.y or 0)))

    def route(self, places: Sequence[tuple[int, str | None, Decimal | None, Decimal | None]]) -> RoutePlan:
        """``places``: (location id, aisle, x, y) of each pick. A location outside the aisles (or without
        coordinates) is a stop on the front cross-aisle at its x (0 when unknown)."""
        stops = [Stop(location_id, aisle if aisle in self.layout.aisles else None, float(y or 0), float(x or 0))
                 for location_id, aisle, x, y in places]
        return best_route(self.layout, self.depot, stops)
