"""Outbound: shipment orders (出库单), hold and cancel, allocation (分配) and its explanation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stockyard.api.deps import DbDep, StockAllocate, StockRead
from stockyard.api.schemas import MAX_ID
from stockyard.api.schemas import plain_json as _json
from stockyard.domain.allocation import OrderStatus, OrderType, Rule
from stockyard.domain.master import PackLevel
from stockyard.services import orders

router = APIRouter()

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Qty = Annotated[Decimal, Field(gt=0, max_digits=19, decimal_places=6)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrderLineIn(Strict):
    sku_id: Id | None = None
    sku_code: Text | None = None
    quantity: Qty
    level: PackLevel = PackLevel.EACH
    lot_number: Text | None = None
    min_shelf_life_days: Annotated[int, Field(ge=0, le=36500)] | None = None


class OrderIn(Strict):
    owner_id: Id
    warehouse_id: Id
    external_ref: Text
    type: OrderType
    rule: Rule = Rule.FEFO
    priority: Annotated[int, Field(ge=0, le=1000000)] = 0
    requested_ship_date: date | None = None
    carrier_id: Id | None = None
    service_level: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)] | None = None
    ship_to: dict[str, Any] | None = None
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=5000)]


@router.post("/orders", tags=["outbound"], operation_id="create_order", status_code=status.HTTP_201_CREATED)
def create_order(body: OrderIn, principal: StockAllocate, db: DbDep) -> Any:
    """Take in a shipment order. The same order sent again answers 200 with the one already taken in; the same
    external reference with other content answers 409."""
    lines = [orders.NewOrderLine(**line.model_dump()) for line in body.lines]
    intake = orders.create_order(db, principal, orders.NewOrder(**{**body.model_dump(), "lines": lines}))
    code = status.HTTP_201_CREATED if intake.created else status.HTTP_200_OK
    return JSONResponse(_json(intake.order), status_code=code)


@router.get("/orders", tags=["outbound"], operation_id="list_orders")
def list_orders(principal: StockRead, db: DbDep, warehouse_id: int | None = None, owner_id: int | None = None,
                status: OrderStatus | None = None, type: OrderType | None = None, on_hold: bool | None = None,
                cursor: int | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> Any:
    items, next_cursor = orders.list_orders(db, principal, warehouse_id=warehouse_id, owner_id=owner_id,
                                            status=status.value if status else None,
                                            order_type=type.value if type else None, on_hold=on_hold,
                                            cursor=cursor, limit=limit)
    return {"items": _json(items), "next_cursor": next_cursor}


@router.get("/orders/{order_id}", tags=["outbound"], operation_id="get_order")
def get_order(order_id: int, principal: StockRead, db: DbDep) -> Any:
    """The order with its lines and each line's allocations."""
    return _json(orders.get_order(db, principal, order_id))


@router.post("/orders/{order_id}/hold", tags=["outbound"], operation_id="hold_order")
def hold_order(order_id: int, principal: StockAllocate, db: DbDep) -> Any:
    """Put the order on hold: it is not allocated until the hold is released."""
    return _json(orders.hold(db, principal, order_id, True))


@router.post("/orders/{order_id}/release-hold", tags=["outbound"], operation_id="release_order_hold")
def release_hold(order_id: int, principal: StockAllocate, db: DbDep) -> Any:
    return _json(orders.hold(db, principal, order_id, False))


@router.post("/orders/{order_id}/cancel", tags=["outbound"], operation_id="cancel_order")
def cancel_order(order_id: int, principal: StockAllocate, db: DbDep) -> Any:
    """Cancel the order, releasing every allocation it holds in one posting."""
    return _json(orders.cancel(db, principal, order_id))


@router.post("/orders/{order_id}/allocate", tags=["outbound"], operation_id="allocate_order")
def allocate_order(order_id: int, principal: StockAllocate, db: DbDep) -> Any:
    """Allocate what the lines still need by the order's rule (FEFO, FIFO or LIFO), in one posting; what cannot
    be found stays open (partially_allocated). The answer says per line what was taken and what skipped, and why."""
    done = orders.allocate(db, principal, order_id)
    return _json({"order": done.order, "explanation": done.explanation, "posting_id": done.posting_id})


@router.get("/orders/{order_id}/allocation-explanation", tags=["outbound"],
            operation_id="order_allocation_explanation")
def allocation_explanation(order_id: int, principal: StockRead, db: DbDep) -> Any:
    """What the last allocation run took per line and why, and which candidates it skipped and why."""
    return _json(orders.get_explanation(db, principal, order_id))
