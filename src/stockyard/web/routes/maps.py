"""Console pages: the aisle map of a warehouse, and pick trips with their route drawn over it."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from stockyard.api.deps import get_db
from stockyard.domain.access import Principal
from stockyard.services import aisle_map, picking
from stockyard.services import masterdata as md
from stockyard.web import core, lists
from stockyard.web.deps import page
from stockyard.web.i18n import N_
from stockyard.web.routes.outbound import PICK_MODE

router = APIRouter(include_in_schema=False)

TRIP_STATUS = {"open": N_("To do"), "done": N_("Done"), "cancelled": N_("Cancelled")}
ROUTE_METHOD = {"exact": N_("shortest route"), "largest_gap": N_("largest-gap route"),
                "s_shape": N_("S-shape route")}
TRIPS = lists.Listing(
    columns=(lists.Column("id", N_("No."), "number", link=lambda r: f"/outbound/trips/{r['id']}"),
             lists.Column("wave_id", N_("Wave"), "number", link=lambda r: f"/outbound/waves/{r['wave_id']}"),
             lists.Column("trip_no", N_("Trip"), "number", sortable=False),
             lists.Column("warehouse", N_("Warehouse")),
             lists.Column("mode", N_("Mode"), sortable=False, label_of=PICK_MODE),
             lists.Column("status", N_("Status"), label_of=TRIP_STATUS),
             lists.Column("assigned_to", N_("Assigned to")),
             lists.Column("stops", N_("Stops"), "number", sortable=False),
             lists.Column("open_stops", N_("Open stops"), "number", sortable=False),
             lists.Column("route_length", N_("Route (m)"), "number"),
             lists.Column("s_shape_length", N_("S-shape (m)"), "number", sortable=False),
             lists.Column("created_at", N_("Created"), "datetime")),
    filters=(lists.Filter("status", N_("Status"), tuple(TRIP_STATUS.items())), lists.Filter("wave_id", N_("Wave"))),
)


def _frame(cells: list[aisle_map.Cell], points: list[tuple[Decimal, Decimal]]) -> dict[str, Any]:
    """The SVG viewBox around everything drawn, in the locations' own units (metres), with a margin."""
    xs = [c.x for c in cells] + [p[0] for p in points] or [Decimal(0)]
    ys = [c.y for c in cells] + [p[1] for p in points] or [Decimal(0)]
    left, top = min(xs) - 2, min(ys) - 2
    return {"box": f"{left} {top} {max(xs) - left + 3} {max(ys) - top + 3}"}


@router.get("/masterdata/map")
def warehouse_map(request: Request, principal: Annotated[Principal, page("masterdata.read")],
                  warehouse_id: int | None = None) -> Response:
    db = get_db(request)
    warehouses = md.list_records(db, md.WAREHOUSE, {"active": True}, limit=200, principal=principal).items
    chosen = warehouse_id or (warehouses[0]["id"] if warehouses else None)
    cells = aisle_map.cells(db, principal, chosen) if chosen else []
    return core.render(request, "desktop/map.html", {
        "title": N_("Aisle map"), "warehouses": warehouses, "warehouse_id": chosen, "cells": cells,
        "frame": _frame(cells, []), "stops": []}, principal=principal)


@router.get("/outbound/trips")
def trips(request: Request, principal: Annotated[Principal, page("outbound.wave")]) -> Response:
    return lists.show(request, get_db(request), principal, aisle_map.trip_view(principal), TRIPS,
                      title=N_("Pick trips"), export_name="trips")


@router.get("/outbound/trips/{trip_id}")
def trip(request: Request, trip_id: int, principal: Annotated[Principal, page("outbound.wave")]) -> Response:
    """A trip's stops in walking order and its route over the aisle map, with the S-shape length beside it."""
    db = get_db(request)
    found, stops = aisle_map.route(db, principal, trip_id)
    detail = picking.get_trip(db, principal, trip_id)
    cells = aisle_map.cells(db, principal, int(found["warehouse_id"]))
    placed = [(s.x, s.y) for s in stops if s.x is not None and s.y is not None]
    return core.render(request, "desktop/trip.html", {
        "title": N_("Pick trip"), "trip": found, "tasks": detail["tasks"], "cells": cells, "stops": stops,
        "points": " ".join(f"{x},{y}" for x, y in placed), "frame": _frame(cells, placed),
        "statuses": TRIP_STATUS, "methods": ROUTE_METHOD}, principal=principal)
