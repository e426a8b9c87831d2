"""Outbound: waves (波次), picker trips in route order, and picks confirmed by scan (拣货)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stockyard.api.deps import DbDep, OutboundPick, OutboundWave, StockRead
from stockyard.api.schemas import MAX_ID
from stockyard.domain.waves import MAX_TRIP_LINES, MAX_TRIP_ORDERS, PickMode, Profile, WaveLimits, WaveStatus
from stockyard.services import picking, waves

router = APIRouter()

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Qty = Annotated[Decimal, Field(gt=0, max_digits=19, decimal_places=6)]
Found = Annotated[Decimal, Field(ge=0, max_digits=19, decimal_places=6)]
Scan = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PickSettingsIn(Strict):
    pick_mode: PickMode = PickMode.CLUSTER
    max_orders_per_trip: Annotated[int, Field(ge=1, le=MAX_TRIP_ORDERS)] = 8
    max_lines_per_trip: Annotated[int, Field(ge=1, le=MAX_TRIP_LINES)] = 40
    staging_location_id: Id | None = None

    def settings(self) -> waves.PickSettings:
        return waves.PickSettings(self.pick_mode, self.max_orders_per_trip, self.max_lines_per_trip,
                                  self.staging_location_id)


class WaveIn(PickSettingsIn):
    warehouse_id: Id
    order_ids: Annotated[list[Id], Field(min_length=1, max_length=20000)]


class WaveRuleIn(PickSettingsIn):
    warehouse_id: Id
    owner_id: Id | None = None
    carrier_id: Id | None = None
    ship_by: date | None = Field(None, description="cut-off: orders requested to ship on or before this day")
    profile: Profile | None = None
    zone_id: Id | None = Field(None, description="only orders whose every SKU has available stock in this zone")
    max_orders: Annotated[int, Field(ge=1, le=20000)] | None = None
    max_lines: Annotated[int, Field(ge=1, le=100000)] | None = None
    max_volume: Annotated[Decimal, Field(gt=0, max_digits=19, decimal_places=6)] | None = None


class PickIn(Strict):
    location: Text = Field(description="the scanned location code")
    scan: Scan = Field(description="the item's barcode: SKU code, GTIN or GS1 string")
    quantity: Qty = Decimal(1)
    lot_number: Text | None = None
    serial: Text | None = None
    tote: Text | None = Field(None, description="the tote label scanned on the cart; must be the task's tote")


class ShortIn(Strict):
    location: Text
    found_quantity: Found = Decimal(0)
    scan: Scan | None = None
    lot_number: Text | None = None
    serial: Text | None = None


@router.post("/waves", tags=["outbound"], operation_id="create_wave", status_code=status.HTTP_201_CREATED)
def create_wave(body: WaveIn, principal: OutboundWave, db: DbDep) -> Any:
    """A wave of the orders named (open, not held, in no other wave)."""
    return waves.create_wave(db, principal, waves.NewWave(body.warehouse_id, body.order_ids, body.settings()))


@router.post("/waves/by-rule", tags=["outbound"], operation_id="create_wave_by_rule",
             status_code=status.HTTP_201_CREATED)
def create_wave_by_rule(body: WaveRuleIn, principal: OutboundWave, db: DbDep) -> Any:
    """A wave of the open orders matching carrier, cut-off, profile, owner and zone, within the limits."""
    rule = waves.WaveRule(body.warehouse_id, body.owner_id, body.carrier_id, body.ship_by, body.profile,
                          body.zone_id, WaveLimits(body.max_orders, body.max_lines, body.max_volume),
                          body.settings())
    return waves.create_wave_by_rule(db, principal, rule)


@router.get("/waves", tags=["outbound"], operation_id="list_waves")
def list_waves(principal: StockRead, db: DbDep, warehouse_id: Id | None = None, status: WaveStatus | None = None,
               cursor: Id | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> Any:
    rows, next_cursor = waves.list_waves(db, principal, warehouse_id=warehouse_id,
                                         status=status.value if status else None, cursor=cursor, limit=limit)
    return {"items": rows, "next_cursor": next_cursor}


@router.get("/waves/{wave_id}", tags=["outbound"], operation_id="get_wave")
def get_wave(wave_id: Id, principal: StockRead, db: DbDep) -> Any:
    return waves.get_wave(db, principal, wave_id)


@router.post("/waves/{wave_id}/release", tags=["outbound"], operation_id="release_wave")
def release_wave(wave_id: Id, principal: OutboundWave, db: DbDep) -> Any:
    """Allocate the wave's orders, make their pick tasks, group them into trips and route each trip."""
    return waves.release(db, principal, wave_id)


@router.post("/waves/{wave_id}/cancel", tags=["outbound"], operation_id="cancel_wave")
def cancel_wave(wave_id: Id, principal: OutboundWave, db: DbDep) -> Any:
    return waves.cancel_wave(db, principal, wave_id)


@router.get("/trips", tags=["outbound"], operation_id="list_trips")
def list_trips(principal: StockRead, db: DbDep, wave_id: Id | None = None, warehouse_id: Id | None = None,
               status: Annotated[str, StringConstraints(pattern="^(open|done|cancelled)$")] | None = None,
               assigned_to: Text | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Any:
    return {"items": picking.list_trips(db, principal, wave_id=wave_id, warehouse_id=warehouse_id, status=status,
                                        assigned_to=assigned_to, limit=limit)}


@router.get("/trips/{trip_id}", tags=["outbound"], operation_id="get_trip")
def get_trip(trip_id: Id, principal: StockRead, db: DbDep) -> Any:
    """The trip with its picks in walking order and the next one to do."""
    return picking.get_trip(db, principal, trip_id)


@router.post("/trips/{trip_id}/start", tags=["outbound"], operation_id="start_trip")
def start_trip(trip_id: Id, principal: OutboundPick, db: DbDep) -> Any:
    return picking.start_trip(db, principal, trip_id)


@router.post("/pick-tasks/{task_id}/confirm", tags=["outbound"], operation_id="confirm_pick")
def confirm_pick(task_id: Id, body: PickIn, principal: OutboundPick, db: DbDep) -> Any:
    """Confirm a pick by scanning the location, the item (lot / serial where controlled) and the quantity."""
    return picking.confirm_pick(db, principal, task_id, picking.PickScan(**body.model_dump()))


@router.post("/pick-tasks/{task_id}/short", tags=["outbound"], operation_id="short_pick")
def short_pick(task_id: Id, body: ShortIn, principal: OutboundPick, db: DbDep) -> Any:
    """Report less at the location than the task says: the location is counted, other stock is tried."""
    return picking.short_pick(db, principal, task_id, picking.ShortPick(**body.model_dump()))
