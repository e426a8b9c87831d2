"""Outbound after picking: the put wall (播种), check (复核) and packing (打包) into packages, weighing, shipping
(发货), and the pick list, packing list and shipping label documents."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stockyard.api.deps import DbDep, OutboundPack, OutboundPick, OutboundShip, StockRead
from stockyard.api.schemas import plain_json as _json
from stockyard.services import packing

router = APIRouter(tags=["outbound"])

Qty = Annotated[Decimal, Field(gt=0, max_digits=19, decimal_places=6)]
Measure = Annotated[Decimal, Field(ge=0, max_digits=19, decimal_places=6)]
Weight = Annotated[Decimal, Field(gt=0, max_digits=19, decimal_places=6)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
ScanText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Serial = Annotated[str, StringConstraints(min_length=1, max_length=64)]
PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScanIn(Strict):
    scan: ScanText  # SKU barcode, GTIN, GS1 string (lot, serial read from it) or SKU code
    quantity: Qty = Decimal(1)
    lot_number: Text | None = None
    serial: Serial | None = None


class PackageIn(Strict):
    carton_type: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)] | None = None
    length: Measure | None = None
    width: Measure | None = None
    height: Measure | None = None
    tare_weight: Measure | None = None


class WeightIn(Strict):
    weight: Weight


class CloseIn(Strict):
    weight: Weight | None = None
    length: Measure | None = None
    width: Measure | None = None
    height: Measure | None = None
    tracking_number: Text | None = None
    sscc: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=18)] | None = None


@router.post("/waves/{wave_id}/sort", operation_id="sort_item")
def sort_item(wave_id: int, body: ScanIn, principal: OutboundPick, db: DbDep) -> Any:
    """Put wall: the scanned item goes to the slot of the wave's order that still needs it, lowest slot first.
    ``slot_full`` says the order is complete and goes to check. An item no slot needs is a 422 ``not_needed``."""
    return _json(packing.sort_item(db, principal, wave_id, packing.ItemScan(**body.model_dump())))


@router.post("/orders/{order_id}/packages", operation_id="open_package", status_code=status.HTTP_201_CREATED)
def open_package(order_id: int, body: PackageIn, principal: OutboundPack, db: DbDep) -> Any:
    """Open the order's next package (carton) for check and packing; 409 while the order is not picked or sorted."""
    return _json(packing.open_package(db, principal, order_id, packing.NewPackage(**body.model_dump())))


@router.get("/orders/{order_id}/packages", operation_id="list_packages")
def list_packages(order_id: int, principal: StockRead, db: DbDep) -> Any:
    """The order's packages with their items."""
    return _json(packing.list_packages(db, principal, order_id))


@router.post("/packages/{package_id}/items", operation_id="pack_item")
def pack_item(package_id: int, body: ScanIn, principal: OutboundPack, db: DbDep) -> Any:
    """Check a scanned item into the package: 422 ``wrong_item`` for a SKU not on the order, ``extra_item`` for
    more than is left to pack, ``wrong_lot`` / ``wrong_serial`` for a lot or serial not picked for it."""
    return _json(packing.pack_item(db, principal, package_id, packing.ItemScan(**body.model_dump())))


@router.post("/packages/{package_id}/weight", operation_id="weigh_package")
def weigh_package(package_id: int, body: WeightIn, principal: OutboundPack, db: DbDep) -> Any:
    """A scale's weight of the package (kg), checked against the expected weight; a mismatch is recorded
    (``weight_checked: false``) and keeps the package from closing until it is weighed again."""
    return _json(packing.weigh(db, principal, package_id, packing.Weighing(body.weight)))


@router.post("/packages/{package_id}/close", operation_id="close_package")
def close_package(package_id: int, body: CloseIn, principal: OutboundPack, db: DbDep) -> Any:
    """Close the package (dimensions, weight, tracking number, SSCC); the order is packed once everything picked
    is in closed packages."""
    return _json(packing.close_package(db, principal, package_id, packing.ClosePackage(**body.model_dump())))


@router.post("/orders/{order_id}/ship", operation_id="ship_order")
def ship_order(order_id: int, principal: OutboundShip, db: DbDep) -> Any:
    """Confirm the shipment of a packed order: one posting to the customer location, the rest of each line short
    or backordered by the owner's policy, and ``shipment.confirmed`` in the outbox."""
    return _json(packing.ship(db, principal, order_id))


@router.get("/orders/{order_id}/packing-list.pdf", operation_id="packing_list", response_class=Response,
            responses=PDF)
def packing_list(order_id: int, principal: OutboundPack, db: DbDep) -> Response:
    return Response(packing.packing_list(db, principal, order_id), media_type="application/pdf")


@router.get("/packages/{package_id}/label.zpl", operation_id="package_label_zpl", response_class=Response,
            responses={200: {"content": {"text/plain": {}}}})
def package_label_zpl(package_id: int, principal: OutboundPack, db: DbDep) -> Response:
    """The package's 4x6 inch shipping label for a Zebra printer."""
    content, media = packing.shipping_label(db, principal, package_id, "zpl")
    return Response(content, media_type=media)


@router.get("/packages/{package_id}/label.pdf", operation_id="package_label_pdf", response_class=Response,
            responses=PDF)
def package_label_pdf(package_id: int, principal: OutboundPack, db: DbDep) -> Response:
    content, media = packing.shipping_label(db, principal, package_id, "pdf")
    return Response(content, media_type=media)


@router.get("/trips/{trip_id}/pick-list.pdf", operation_id="pick_list", response_class=Response, responses=PDF)
def pick_list(trip_id: int, principal: StockRead, db: DbDep) -> Response:
    """The trip's pick list: the stops still to pick, in walking order."""
    return Response(packing.pick_list(db, principal, trip_id), media_type="application/pdf")


@router.get("/waves/{wave_id}/pick-lists.pdf", operation_id="wave_pick_lists", response_class=Response,
            responses=PDF)
def wave_pick_lists(wave_id: int, principal: StockRead, db: DbDep) -> Response:
    """The pick lists of every trip of a released wave in one PDF, each trip from a new page."""
    return Response(packing.wave_pick_lists(db, principal, wave_id), media_type="application/pdf")
