"""Inventory control: moves, freezes and their release, ownership transfer."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stockyard.api.deps import DbDep, InventoryFreeze, InventoryMove, InventoryOwnership, StockRead
from stockyard.api.schemas import MAX_ID
from stockyard.api.schemas import plain_json as _json
from stockyard.domain.stock import StockStatus
from stockyard.services import inventory as svc

router = APIRouter(prefix="/stock", tags=["inventory"])

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Qty = Annotated[Decimal, Field(gt=0, max_digits=19, decimal_places=6)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoveIn(Strict):
    from_location_id: Id
    to_location_id: Id | None = None
    to_location_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                       max_length=64)] | None = None
    container_id: Id | None = None
    whole_container: bool = False
    owner_id: Id | None = None
    sku_id: Id | None = None
    lot_id: Id | None = None
    serial: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    status: Literal["available", "qc", "damaged", "return_to_vendor", "frozen"] = "available"
    quantity: Qty | None = None
    to_container_id: Id | None = None


class FreezeIn(Strict):
    warehouse_id: Id
    reason: Reason
    owner_id: Id | None = None
    sku_id: Id | None = None
    lot_id: Id | None = None
    location_id: Id | None = None


class ReleaseIn(Strict):
    reason: Reason


class OwnershipIn(Strict):
    from_owner_id: Id
    to_owner_id: Id
    sku_id: Id
    location_id: Id
    quantity: Qty
    to_sku_id: Id | None = None
    lot_id: Id | None = None
    serial: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    container_id: Id | None = None
    reason: Reason


@router.post("/moves", operation_id="move_stock", status_code=status.HTTP_201_CREATED)
def move(body: MoveIn, principal: InventoryMove, db: DbDep) -> Any:
    """Move an item (or part of it) or a whole container to another location, checked for room and mixing."""
    data = body.model_dump()
    data["status"] = StockStatus(data["status"])
    return _json(svc.move(db, principal, svc.Move(**data)))


@router.post("/freezes", operation_id="freeze_stock", status_code=status.HTTP_201_CREATED)
def freeze(body: FreezeIn, principal: InventoryFreeze, db: DbDep) -> Any:
    """Freeze available stock by owner, SKU, lot or location, with a reason."""
    return _json(svc.freeze(db, principal, svc.Freeze(**body.model_dump())))


@router.get("/freezes", operation_id="list_freezes")
def list_freezes(principal: StockRead, db: DbDep, warehouse_id: int | None = None,
                 status: Literal["active", "released"] | None = "active") -> Any:
    return _json(svc.list_freezes(db, principal, warehouse_id=warehouse_id, status=status))


@router.post("/freezes/{freeze_id}/release", operation_id="release_freeze")
def release(freeze_id: int, body: ReleaseIn, principal: InventoryFreeze, db: DbDep) -> Any:
    """Release a freeze: the stock it froze is available again."""
    return _json(svc.release(db, principal, freeze_id, body.reason))


@router.post("/ownership-transfers", operation_id="transfer_ownership", status_code=status.HTTP_201_CREATED)
def transfer_ownership(body: OwnershipIn, principal: InventoryOwnership, db: DbDep) -> Any:
    """Hand stock to another owner where it stands (货权转移)."""
    return _json(svc.transfer_ownership(db, principal, svc.OwnershipTransfer(**body.model_dump())))
