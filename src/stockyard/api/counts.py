"""Counts (盘点): ad-hoc and planned counts, entries and recounts, finishing, plans, accuracy."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stockyard.api.deps import DbDep, InventoryCount, ReportsRead, StockRead
from stockyard.api.schemas import MAX_ID, plain_json
from stockyard.services import counts as svc

router = APIRouter(tags=["counts"])

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CountIn(Strict):
    warehouse_id: Id
    zone_id: Id | None = None
    location_ids: Annotated[list[Id], Field(max_length=5000)] | None = None
    sku_id: Id | None = None
    abc_class: Annotated[str, Field(pattern="^[ABC]$")] | None = None
    blind: bool = True


class EntryIn(Strict):
    quantity: Annotated[Decimal, Field(ge=0, max_digits=19, decimal_places=6)]
    line_id: Id | None = None
    location_id: Id | None = None
    owner_id: Id | None = None
    sku_id: Id | None = None
    lot_id: Id | None = None
    serial: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    container_id: Id | None = None


class EntriesIn(Strict):
    entries: Annotated[list[EntryIn], Field(min_length=1, max_length=5000)]


class PlanIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    every_days: Annotated[int, Field(ge=1, le=3650)]
    next_due: date
    zone_id: Id | None = None
    sku_id: Id | None = None
    abc_class: Annotated[str, Field(pattern="^[ABC]$")] | None = None
    location_ids: Annotated[list[Id], Field(max_length=5000)] | None = None
    blind: bool = True


@router.post("/counts", operation_id="start_count", status_code=status.HTTP_201_CREATED)
def start(body: CountIn, principal: InventoryCount, db: DbDep) -> Any:
    """Start an ad-hoc count of a zone, locations, a SKU or an ABC class: the books are snapshotted."""
    criteria = svc.Criteria(body.warehouse_id, body.zone_id, body.location_ids, body.sku_id, body.abc_class)
    return plain_json(svc.start(db, principal, criteria, blind=body.blind))


@router.get("/counts", operation_id="list_counts")
def list_counts(principal: StockRead, db: DbDep, warehouse_id: int | None = None,
                status: Literal["counting", "recount", "awaiting_approval", "posted", "cancelled"] | None = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Any:
    return plain_json(svc.list_counts(db, principal, warehouse_id=warehouse_id, status=status, limit=limit))


@router.get("/counts/accuracy", operation_id="count_accuracy")
def accuracy(principal: ReportsRead, db: DbDep, warehouse_id: int, since: date, until: date,
             by: Literal["zone", "owner"] = "zone") -> Any:
    """Inventory accuracy of the counts posted in a period, per zone or owner."""
    return plain_json(svc.accuracy_report(db, principal, warehouse_id=warehouse_id, since=since, until=until,
                                          by=by))


@router.get("/counts/{count_id}", operation_id="get_count")
def get_count(count_id: int, principal: StockRead, db: DbDep) -> Any:
    """A count with its lines; a blind count shows counters no book quantities."""
    return plain_json(svc.get(db, principal, count_id))


@router.post("/counts/{count_id}/entries", operation_id="enter_count")
def enter(count_id: int, body: EntriesIn, principal: InventoryCount, db: DbDep) -> Any:
    """Record what was counted (or recounted), by line or as an item found where the books have none."""
    entries = [svc.Entry(**entry.model_dump()) for entry in body.entries]
    return plain_json(svc.enter(db, principal, count_id, entries))


@router.post("/counts/{count_id}/finish", operation_id="finish_count")
def finish(count_id: int, principal: InventoryCount, db: DbDep) -> Any:
    """Recount what differs beyond the threshold, then file the variances for a supervisor's approval."""
    return plain_json(svc.finish(db, principal, count_id))


@router.post("/counts/{count_id}/cancel", operation_id="cancel_count")
def cancel(count_id: int, principal: InventoryCount, db: DbDep) -> Any:
    return plain_json(svc.cancel(db, principal, count_id))


@router.get("/warehouses/{warehouse_id}/count-plans", operation_id="list_count_plans")
def list_plans(warehouse_id: int, principal: StockRead, db: DbDep) -> Any:
    return plain_json(svc.list_plans(db, principal, warehouse_id))


@router.post("/warehouses/{warehouse_id}/count-plans", operation_id="create_count_plan",
             status_code=status.HTTP_201_CREATED)
def create_plan(warehouse_id: int, body: PlanIn, principal: InventoryCount, db: DbDep) -> Any:
    """A count plan with its frequency (e.g. A monthly, B quarterly, C yearly by ABC class)."""
    return plain_json(svc.create_plan(db, principal, warehouse_id, body.model_dump()))


@router.post("/count-plans/run-due", operation_id="run_due_count_plans")
def run_due(principal: InventoryCount, db: DbDep) -> Any:
    """Start the counts of every plan due today (what `stockyard counts run-due` does from cron)."""
    return plain_json(svc.run_due_plans(db, principal))
