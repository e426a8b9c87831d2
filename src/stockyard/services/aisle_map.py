"""The aisle map: a warehouse's locations placed by their coordinates, and pick trips walked over it.

Locations stacked at one spot (the levels of a bay) share a cell, so the map is one aggregate query: a cell per
distinct (x, y) with how many locations it holds, how many hold stock and how many are blocked."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, func, select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import Principal
from stockyard.domain.errors import NotFound
from stockyard.services import masterdata as md
from stockyard.services import picking, putaway, waves
from stockyard.services.browse import View


@dataclass(frozen=True)
class Cell:
    x: Decimal
    y: Decimal
    first_code: str
    last_code: str
    locations: int
    stocked: int
    blocked: int
    zone: str | None


@dataclass(frozen=True)
class Stop:
    sequence: int
    location_id: int
    code: str
    x: Decimal | None
    y: Decimal | None


def cells(db: Database, principal: Principal, warehouse_id: int) -> list[Cell]:
    """The map of one warehouse in the principal's scope (locations without coordinates are not drawn)."""
    loc, b = t.location, t.balance
    stocked = select(b.c.location_id).where(b.c.on_hand > 0, ~b.c.is_virtual).distinct().subquery()
    query: Select[Any] = (
        select(loc.c.x, loc.c.y, func.min(loc.c.code), func.max(loc.c.code), func.count(),
               func.count(stocked.c.location_id), func.sum(case((loc.c.status == "blocked", 1), else_=0)),
               func.min(t.zone.c.code))
        .select_from(loc.outerjoin(stocked, stocked.c.location_id == loc.c.id)
                     .outerjoin(t.zone, t.zone.c.id == loc.c.zone_id))
        .where(loc.c.warehouse_id == warehouse_id, loc.c.active, loc.c.virtual_kind.is_(None),
               and_(loc.c.x.is_not(None), loc.c.y.is_not(None)))
        .group_by(loc.c.x, loc.c.y).order_by(loc.c.y, loc.c.x))
    clause = md.scope_filter(md.LOCATION, principal)
    if clause is not None:
        query = query.where(clause)
    rows = db.read(lambda conn: conn.execute(query).all())
    return [Cell(r[0], r[1], r[2], r[3], int(r[4]), int(r[5]), int(r[6] or 0), r[7]) for r in rows]


def trip_view(principal: Principal) -> View:
    """Pick trips for the console's list, newest first, scoped like :func:`picking.list_trips`."""
    p, w = t.pick_trip, t.warehouse
    stops = (select(t.task.c.trip_id, func.count().label("stops"),
                    func.sum(case((t.task.c.status == putaway.OPEN, 1), else_=0)).label("open_stops"))
             .where(t.task.c.kind == waves.PICK).group_by(t.task.c.trip_id).subquery())
    query: Select[Any] = (
        select(p.c.id, p.c.wave_id, p.c.trip_no, w.c.code.label("warehouse"), p.c.warehouse_id, p.c.mode,
               p.c.status, p.c.assigned_to, func.coalesce(stops.c.stops, 0).label("stops"),
               func.coalesce(stops.c.open_stops, 0).label("open_stops"), p.c.route_length, p.c.s_shape_length,
               p.c.created_at)
        .join(w, w.c.id == p.c.warehouse_id).outerjoin(stops, stops.c.trip_id == p.c.id))
    clause = picking.trip_scope_clause(principal)
    if clause is not None:
        query = query.where(clause)
    return View(query, filters=("status", "wave_id", "warehouse_id", "assigned_to", "mode"),
                search=("assigned_to", "warehouse"),
                sortable=("id", "wave_id", "warehouse", "status", "assigned_to", "route_length", "created_at"),
                default_sort="id", default_desc=True)


def route(db: Database, principal: Principal, trip_id: int) -> tuple[dict[str, Any], list[Stop]]:
    """A trip in the principal's scope (else 404) and the locations of its route in walking order."""
    def work(conn: Any) -> tuple[dict[str, Any], list[Stop]]:
        trip = picking.visible_trip(conn, principal, trip_id)
        ids = [int(i) for i in trip["route"] or []]
        found = {r.id: r for r in conn.execute(select(t.location.c.id, t.location.c.code, t.location.c.x,
                                                      t.location.c.y).where(t.location.c.id.in_(ids)))}
        if len(found) != len(set(ids)):
            raise NotFound(f"trip {trip_id} walks past a location that no longer exists", field="trip_id")
        return trip, [Stop(n, i, found[i].code, found[i].x, found[i].y) for n, i in enumerate(ids, 1)]
    result: tuple[dict[str, Any], list[Stop]] = db.read(work)
    return result
