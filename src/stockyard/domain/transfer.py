"""Rules of transfers between warehouses (调拨): their life, what a line may hold, how much may still arrive,
and what was lost on the way.

A transfer ships its lines whole, from the source warehouse's shelves into that warehouse's in-transit location,
and is received at the destination out of that same in-transit location; closing it writes off what never
arrived, so in-transit keeps no phantom stock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any

from stockyard.domain.errors import Conflict, InvalidInput


class TransferStatus(StrEnum):
    CREATED = "created"
    SHIPPED = "shipped"
    RECEIVED = "received"  # everything shipped has arrived; still to be closed
    CLOSED = "closed"
    CANCELLED = "cancelled"


TRANSIT_LOSS = "TRANSIT_LOSS"


def check_warehouses(from_warehouse_id: int, to_warehouse_id: int) -> None:
    if from_warehouse_id == to_warehouse_id:
        raise InvalidInput("a transfer goes to another warehouse; within one, move the stock",
                           field="to_warehouse_id", code="same_warehouse")


def check_line(sku: Mapping[str, Any], lot_id: int | None, serial: str | None, quantity: Decimal,
               where: str) -> None:
    """What the SKU demands of a line: a lot when lot-controlled, one serial per line of one unit when
    serial-controlled, no serial otherwise."""
    if sku["lot_control"] and lot_id is None:
        raise InvalidInput("this SKU is lot-controlled: give the lot", field=f"{where}.lot_id", code="lot_required")
    if sku["serial_control"]:
        if serial is None:
            raise InvalidInput("this SKU is serial-controlled: one line per serial", field=f"{where}.serial",
                               code="serial_required")
        if quantity != 1:
            raise InvalidInput("a serial is one unit", field=f"{where}.quantity", code="serial_quantity_not_one")
    elif serial is not None:
        raise InvalidInput("this SKU is not serial-controlled", field=f"{where}.serial", code="serial_not_allowed")


def check_can_ship(status: str) -> None:
    if status != TransferStatus.CREATED:
        raise Conflict(f"the transfer is {status}; it ships once", field="transfer_id", code="transfer_not_created")


def check_can_receive(status: str) -> None:
    if status == TransferStatus.CREATED:
        raise Conflict("the transfer has not been shipped", field="transfer_id", code="transfer_not_shipped")
    if status not in (TransferStatus.SHIPPED, TransferStatus.RECEIVED):
        raise Conflict(f"the transfer is {status}; nothing more can be received", field="transfer_id",
                       code="transfer_not_open")


def check_can_close(status: str) -> None:
    if status == TransferStatus.CREATED:
        raise Conflict("the transfer has not been shipped", field="transfer_id", code="transfer_not_shipped")
    if status not in (TransferStatus.SHIPPED, TransferStatus.RECEIVED):
        raise Conflict(f"the transfer is already {status}", field="transfer_id", code="transfer_not_open")


def check_receivable(shipped: Decimal, received: Decimal, incoming: Decimal) -> None:
    """Only what was shipped can arrive: the in-transit location holds exactly that."""
    if received + incoming > shipped:
        raise InvalidInput(f"receiving {incoming} would make {received + incoming} received of the {shipped} "
                           "shipped", field="quantity", code="over_shipped",
                           details={"shipped": str(shipped), "received": str(received)})


def status_after_receiving(lines: Iterable[Mapping[str, Any]]) -> TransferStatus:
    done = all(line["received_quantity"] >= line["shipped_quantity"] for line in lines)
    return TransferStatus.RECEIVED if done else TransferStatus.SHIPPED


def in_transit(line: Mapping[str, Any]) -> Decimal:
    """Shipped and not (yet) received."""
    return max(Decimal(line["shipped_quantity"]) - Decimal(line["received_quantity"]), Decimal(0))


def discrepancies(lines: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per line shipped − received, for the lines where they differ: what was lost in transit."""
    return [{"line_no": line["line_no"], "sku_id": line["sku_id"], "sku_code": line.get("sku_code"),
             "lot_id": line["lot_id"], "serial": line["serial"], "shipped": line["shipped_quantity"],
             "received": line["received_quantity"], "lost": in_transit(line)}
            for line in lines if in_transit(line) > 0]
