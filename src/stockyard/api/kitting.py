"""Kits (组合品) and processing work orders (加工): kit definitions, assembling and disassembling."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stockyard.api.deps import DbDep, InventoryKitting, MasterdataRead, StockRead
from stockyard.api.schemas import MAX_ID
from stockyard.api.schemas import plain_json as _json
from stockyard.domain.kitting import Component, WorkOrderKind
from stockyard.services import kitting as svc

router = APIRouter(tags=["kitting"])

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Qty = Annotated[Decimal, Field(gt=0, max_digits=19, decimal_places=6)]
LotNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Limit = Annotated[int, Query(ge=1, le=1000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComponentIn(Strict):
    component_sku_id: Id
    quantity: Qty  # component base units in one base unit of the kit


class ComponentsIn(Strict):
    components: list[ComponentIn] = Field(max_length=500)


class WorkOrderIn(Strict):
    kind: Literal["assemble", "disassemble"]
    kit_sku_id: Id
    quantity: Qty  # kit base units
    location_id: Id
    kit_lot: LotNumber | None = None
    kit_expiry_date: date | None = None
    component_lots: dict[Id, LotNumber] = Field(default_factory=dict)


@router.get("/skus/{sku_id}/components", operation_id="get_kit_components")
def get_components(sku_id: int, principal: MasterdataRead, db: DbDep) -> Any:
    """A kit's components, each with the quantity one kit holds (an empty list: the SKU is no kit)."""
    return _json(svc.get_components(db, principal, sku_id))


@router.put("/skus/{sku_id}/components", operation_id="set_kit_components")
def set_components(sku_id: int, body: ComponentsIn, principal: InventoryKitting, db: DbDep) -> Any:
    """Replace a kit's components: SKUs of the same owner, no cycles, quantities the component's unit can count."""
    components = [Component(c.component_sku_id, c.quantity) for c in body.components]
    return _json(svc.set_components(db, principal, sku_id, components))


@router.post("/work-orders", operation_id="create_work_order", status_code=status.HTTP_201_CREATED)
def create_work_order(body: WorkOrderIn, principal: InventoryKitting, db: DbDep) -> Any:
    """Assemble kits from their components or take kits apart, at one location, in one posting (done at once)."""
    order = svc.WorkOrder(WorkOrderKind(body.kind), body.kit_sku_id, body.quantity, body.location_id,
                          body.kit_lot, body.kit_expiry_date, dict(body.component_lots))
    return _json(svc.run_work_order(db, principal, order))


@router.get("/work-orders", operation_id="list_work_orders")
def list_work_orders(principal: StockRead, db: DbDep, warehouse_id: int | None = None, owner_id: int | None = None,
                     kit_sku_id: int | None = None, kind: Literal["assemble", "disassemble"] | None = None,
                     cursor: int | None = None, limit: Limit = 100) -> Any:
    """Work orders, newest first; ``GET /work-orders/{id}`` adds what each consumed and produced."""
    rows, next_cursor = svc.list_work_orders(db, principal, warehouse_id=warehouse_id, owner_id=owner_id,
                                             kit_sku_id=kit_sku_id, kind=None if kind is None else WorkOrderKind(kind),
                                             cursor=cursor, limit=limit)
    return _json({"items": rows, "next_cursor": next_cursor})


@router.get("/work-orders/{work_order_id}", operation_id="get_work_order")
def get_work_order(work_order_id: int, principal: StockRead, db: DbDep) -> Any:
    return _json(svc.get_work_order(db, principal, work_order_id))
