"""Replenishment: rules per pick face, the run that creates replenish tasks, and their confirmation."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stockyard.api.deps import DbDep, InventoryMove, MasterdataWrite, StockRead
from stockyard.api.schemas import MAX_ID
from stockyard.api.schemas import plain_json as _json
from stockyard.services import replenishment as svc

router = APIRouter(tags=["replenishment"])

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Qty = Annotated[Decimal, Field(gt=0, max_digits=19, decimal_places=6)]
Level = Annotated[Decimal, Field(ge=0, max_digits=19, decimal_places=6)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleIn(Strict):
    location_id: Id
    owner_id: Id
    sku_id: Id
    min_quantity: Level
    max_quantity: Qty
    active: bool = True


class RuleUpdate(Strict):
    min_quantity: Level | None = None
    max_quantity: Qty | None = None
    active: bool | None = None


class ReplenishIn(Strict):
    quantity: Qty | None = None
    location_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = None


@router.get("/warehouses/{warehouse_id}/replenishment-rules", operation_id="list_replenishment_rules")
def list_rules(warehouse_id: int, principal: StockRead, db: DbDep) -> Any:
    return _json(svc.list_rules(db, principal, warehouse_id))


@router.post("/warehouses/{warehouse_id}/replenishment-rules", operation_id="create_replenishment_rule",
             status_code=status.HTTP_201_CREATED)
def create_rule(warehouse_id: int, body: RuleIn, principal: MasterdataWrite, db: DbDep) -> Any:
    """A pick face's rule: top the owner's SKU up to max_quantity once it falls to min_quantity."""
    return _json(svc.create_rule(db, principal, warehouse_id, body.model_dump()))


@router.patch("/replenishment-rules/{replenishment_rule_id}", operation_id="update_replenishment_rule")
def update_rule(replenishment_rule_id: int, body: RuleUpdate, principal: MasterdataWrite, db: DbDep) -> Any:
    """Change a rule's limits, or switch it on or off."""
    return _json(svc.update_rule(db, principal, replenishment_rule_id, body.model_dump(exclude_unset=True)))


@router.post("/warehouses/{warehouse_id}/replenishment/run", operation_id="run_replenishment")
def run(warehouse_id: int, principal: InventoryMove, db: DbDep) -> Any:
    """Create the replenish tasks due: pick faces at or below their minimum, topped up from reserve (FEFO)."""
    return _json(svc.run(db, principal, warehouse_id))


@router.post("/tasks/{task_id}/replenish", tags=["tasks"], operation_id="confirm_replenishment")
def confirm(task_id: int, body: ReplenishIn, principal: InventoryMove, db: DbDep) -> Any:
    """Confirm a replenish task by scanning the pick face; part of the quantity leaves the rest open."""
    return _json(svc.confirm(db, principal, task_id, svc.Confirmation(**body.model_dump())))
