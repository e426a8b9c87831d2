"""Transfers between warehouses (调拨): create, ship, receive at the destination, close; lists and in-transit."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stockyard.api.deps import DbDep, InboundReceive, InventoryTransfer, StockRead
from stockyard.api.schemas import MAX_ID
from stockyard.api.schemas import plain_json as _json
from stockyard.services import transfers as svc

router = APIRouter(prefix="/transfers", tags=["transfers"])

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Qty = Annotated[Decimal, Field(gt=0, max_digits=19, decimal_places=6)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Serial = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TransferLineIn(Strict):
    sku_id: Id
    quantity: Qty
    from_location_id: Id
    lot_id: Id | None = None
    serial: Serial | None = None


class TransferIn(Strict):
    owner_id: Id
    from_warehouse_id: Id
    to_warehouse_id: Id
    external_ref: Text
    lines: Annotated[list[TransferLineIn], Field(min_length=1, max_length=5000)]


class TransferReceiveIn(Strict):
    location_id: Id
    line_no: Id | None = None
    sku_id: Id | None = None
    quantity: Qty | None = None
    lot_id: Id | None = None
    serial: Serial | None = None
    container_id: Id | None = None
    lpn: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)] | None = None


@router.post("", operation_id="create_transfer", status_code=status.HTTP_201_CREATED)
def create_transfer(body: TransferIn, principal: InventoryTransfer, db: DbDep) -> Any:
    """Take in a transfer order between two warehouses of one owner. The same order sent again answers 200 with
    the one already taken in; the same external reference with other content answers 409."""
    lines = [svc.NewTransferLine(**line.model_dump()) for line in body.lines]
    intake = svc.create_transfer(db, principal, svc.NewTransfer(**{**body.model_dump(), "lines": lines}))
    code = status.HTTP_201_CREATED if intake.created else status.HTTP_200_OK
    return JSONResponse(_json(intake.transfer), status_code=code)


@router.get("", operation_id="list_transfers")
def list_transfers(principal: StockRead, db: DbDep, warehouse_id: int | None = None, owner_id: int | None = None,
                   status: Literal["created", "shipped", "received", "closed", "cancelled"] | None = None,
                   cursor: int | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> Any:
    """Transfers, newest first; ``warehouse_id`` matches either end."""
    items, next_cursor = svc.list_transfers(db, principal, warehouse_id=warehouse_id, owner_id=owner_id,
                                            status=status, cursor=cursor, limit=limit)
    return {"items": _json(items), "next_cursor": next_cursor}


@router.get("/in-transit", operation_id="list_in_transit")
def list_in_transit(principal: StockRead, db: DbDep, warehouse_id: int | None = None) -> Any:
    """Per transfer line, what is shipped and not yet received, of open transfers from or to the warehouse."""
    return _json(svc.list_in_transit(db, principal, warehouse_id=warehouse_id))


@router.get("/{transfer_id}", operation_id="get_transfer")
def get_transfer(transfer_id: int, principal: StockRead, db: DbDep) -> Any:
    """A transfer with its lines, in-transit quantities and discrepancies."""
    return _json(svc.get_transfer(db, principal, transfer_id))


@router.post("/{transfer_id}/ship", operation_id="ship_transfer")
def ship(transfer_id: int, principal: InventoryTransfer, db: DbDep) -> Any:
    """Ship every line to the source warehouse's in-transit location and write the destination's receipt."""
    return _json(svc.ship(db, principal, transfer_id))


@router.post("/{transfer_id}/receive", operation_id="receive_transfer", status_code=status.HTTP_201_CREATED)
def receive(transfer_id: int, body: TransferReceiveIn, principal: InboundReceive, db: DbDep) -> Any:
    """Receive at a dock of the destination, out of in-transit; never more than was shipped."""
    return _json(svc.receive(db, principal, transfer_id, svc.Receive(**body.model_dump())))


@router.post("/{transfer_id}/close", operation_id="close_transfer")
def close(transfer_id: int, principal: InventoryTransfer, db: DbDep) -> Any:
    """Close with discrepancies recorded: what was lost in transit is written off; writes transfer.closed to the
    outbox."""
    return _json(svc.close(db, principal, transfer_id))
