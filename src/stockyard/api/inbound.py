"""Inbound: receipt orders, receiving, QC, putaway rules and tasks, labels and the receiving report."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stockyard.api.deps import DbDep, InboundManage, InboundQc, InboundRead, InboundReceive, MasterdataRead
from stockyard.api.schemas import MAX_ID
from stockyard.api.schemas import plain_json as _json
from stockyard.domain.gs1 import parse_scan
from stockyard.domain.inbound import QcResult, ReceiptType
from stockyard.domain.master import PackLevel
from stockyard.domain.putaway import Policy
from stockyard.services import documents, putaway, receipts, receiving

router = APIRouter()

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Qty = Annotated[Decimal, Field(gt=0, max_digits=19, decimal_places=6)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReceiptLineIn(Strict):
    sku_id: Id | None = None
    sku_code: Text | None = None
    quantity: Qty
    level: PackLevel = PackLevel.EACH
    lot: Text | None = None
    expiry: date | None = None
    serials: Annotated[list[Text], Field(max_length=10000)] | None = None


class ReceiptIn(Strict):
    owner_id: Id
    warehouse_id: Id
    external_ref: Text
    type: ReceiptType
    supplier_id: Id | None = None
    expected_date: date | None = None
    note: Annotated[str, StringConstraints(max_length=500)] | None = None
    lines: Annotated[list[ReceiptLineIn], Field(min_length=1, max_length=5000)]


class ReceiveIn(Strict):
    location_id: Id
    line_id: Id | None = None
    scan: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    sku_id: Id | None = None
    quantity: Qty | None = None
    level: PackLevel = PackLevel.EACH
    lot: Text | None = None
    expiry_date: date | None = None
    production_date: date | None = None
    serials: Annotated[list[Text], Field(max_length=1000)] = []
    damaged_quantity: Annotated[Decimal, Field(ge=0, max_digits=19, decimal_places=6)] = Decimal(0)
    container_id: Id | None = None
    lpn: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)] | None = None


class InspectionIn(Strict):
    owner_id: Id
    sku_id: Id
    location_id: Id
    quantity: Qty
    sampled_quantity: Annotated[Decimal, Field(ge=0, max_digits=19, decimal_places=6)]
    result: QcResult
    lot_id: Id | None = None
    serial: Text | None = None
    container_id: Id | None = None
    receipt_id: Id | None = None
    passed_quantity: Annotated[Decimal, Field(ge=0, max_digits=19, decimal_places=6)] | None = None
    damaged_quantity: Annotated[Decimal, Field(ge=0, max_digits=19, decimal_places=6)] | None = None
    returned_quantity: Annotated[Decimal, Field(ge=0, max_digits=19, decimal_places=6)] | None = None
    scrapped_quantity: Annotated[Decimal, Field(ge=0, max_digits=19, decimal_places=6)] | None = None
    note: Annotated[str, StringConstraints(max_length=500)] | None = None


class RuleFields(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    priority: Annotated[int, Field(ge=0, le=100000)] | None = None
    policy: Policy | None = None
    target_zone_id: Id | None = None
    owner_id: Id | None = None
    sku_id: Id | None = None
    category: Annotated[str, StringConstraints(max_length=64)] | None = None
    abc_class: Annotated[str, Field(pattern="^[ABC]$")] | None = None
    storage_condition: Annotated[str, StringConstraints(max_length=32)] | None = None
    receipt_type: ReceiptType | None = None
    status: Literal["available", "qc", "damaged"] | None = None
    lot_controlled: bool | None = None
    expires_within_days: Annotated[int, Field(ge=0, le=36500)] | None = None


class RuleIn(RuleFields):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    priority: Annotated[int, Field(ge=0, le=100000)]
    policy: Policy


class RuleUpdate(RuleFields):
    active: bool | None = None


class HomeIn(Strict):
    sku_id: Id
    location_id: Id


class ConfirmIn(Strict):
    location_id: Id | None = None
    location_code: Text | None = None
    quantity: Qty | None = None
    container_id: Id | None = None
    sku_id: Id | None = None
    override_reason: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


# ---------------------------------------------------------------- receipts


@router.post("/receipts", tags=["inbound"], operation_id="create_receipt", status_code=status.HTTP_201_CREATED)
def create_receipt(body: ReceiptIn, principal: InboundManage, db: DbDep) -> Any:
    """Take in a receipt order (ASN). The same order sent again answers 200 with the one already taken in; the
    same external reference with other content answers 409."""
    lines = [receipts.NewReceiptLine(**line.model_dump()) for line in body.lines]
    intake = receipts.create_receipt(db, principal, receipts.NewReceipt(**{**body.model_dump(), "lines": lines}))
    code = status.HTTP_201_CREATED if intake.created else status.HTTP_200_OK
    return JSONResponse(_json(intake.receipt), status_code=code)


@router.get("/receipts", tags=["inbound"], operation_id="list_receipts")
def list_receipts(principal: InboundRead, db: DbDep, warehouse_id: int | None = None, owner_id: int | None = None,
                  status: Literal["created", "receiving", "closed", "cancelled"] | None = None,
                  type: ReceiptType | None = None, cursor: int | None = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 50) -> Any:
    items, next_cursor = receipts.list_receipts(db, principal, warehouse_id=warehouse_id, owner_id=owner_id,
                                                status=status, receipt_type=type, cursor=cursor, limit=limit)
    return {"items": _json(items), "next_cursor": next_cursor}


@router.get("/receipts/{receipt_id}", tags=["inbound"], operation_id="get_receipt")
def get_receipt(receipt_id: int, principal: InboundRead, db: DbDep) -> Any:
    return _json(receipts.get_receipt(db, principal, receipt_id))


@router.post("/receipts/{receipt_id}/cancel", tags=["inbound"], operation_id="cancel_receipt")
def cancel_receipt(receipt_id: int, principal: InboundManage, db: DbDep) -> Any:
    return _json(receipts.cancel_receipt(db, principal, receipt_id))


@router.post("/receipts/{receipt_id}/close", tags=["inbound"], operation_id="close_receipt")
def close_receipt(receipt_id: int, principal: InboundManage, db: DbDep) -> Any:
    """Close with discrepancies recorded; writes the receipt-confirmation event to the outbox."""
    closed = receipts.close_receipt(db, principal, receipt_id)
    return _json({**closed.receipt, "discrepancies": closed.discrepancies, "event_id": closed.event_id})


@router.post("/receipts/{receipt_id}/receive", tags=["inbound"], operation_id="receive", status_code=201)
def receive(receipt_id: int, body: ReceiveIn, principal: InboundReceive, db: DbDep) -> Any:
    """Receive by line or by scan (GS1-128 / DataMatrix, GTIN, SSCC, SKU barcode)."""
    data = body.model_dump()
    data["expiry"], data["production"] = data.pop("expiry_date"), data.pop("production_date")
    return _json(receiving.receive(db, principal, receipt_id, receiving.Receive(**data)))


@router.get("/receipts/{receipt_id}/report.pdf", tags=["inbound"], operation_id="receiving_report",
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def receiving_report(receipt_id: int, principal: InboundRead, db: DbDep) -> Response:
    return Response(documents.receiving_report(db, principal, receipt_id), media_type="application/pdf")


# ---------------------------------------------------------------- scans, QC


@router.get("/scans/parse", tags=["inbound"], operation_id="parse_scan")
def parse(code: Annotated[str, Query(min_length=1, max_length=200)], principal: MasterdataRead) -> Any:
    """What a scanned barcode says: GS1 fields (GTIN, lot, expiry, serial, SSCC, count) or a plain code."""
    return _json(vars(parse_scan(code)))


@router.get("/qc/queue", tags=["inbound"], operation_id="qc_queue")
def qc_queue(principal: InboundRead, db: DbDep, warehouse_id: int | None = None) -> Any:
    return _json(receiving.qc_queue(db, principal, warehouse_id))


@router.post("/qc/inspections", tags=["inbound"], operation_id="inspect", status_code=status.HTTP_201_CREATED)
def inspect(body: InspectionIn, principal: InboundQc, db: DbDep) -> Any:
    """Record an inspection: pass → available (and a putaway task), fail → damaged or return to vendor."""
    return _json(receiving.inspect(db, principal, receiving.Inspection(**body.model_dump())))


# ---------------------------------------------------------------- putaway


@router.get("/warehouses/{warehouse_id}/putaway-rules", tags=["inbound"], operation_id="list_putaway_rules")
def list_rules(warehouse_id: int, principal: InboundRead, db: DbDep) -> Any:
    return _json(putaway.list_rules(db, principal, warehouse_id))


@router.post("/warehouses/{warehouse_id}/putaway-rules", tags=["inbound"], operation_id="create_putaway_rule",
             status_code=status.HTTP_201_CREATED)
def create_rule(warehouse_id: int, body: RuleIn, principal: InboundManage, db: DbDep) -> Any:
    return _json(putaway.create_rule(db, principal, warehouse_id, body.model_dump(exclude_none=True)))


@router.patch("/putaway-rules/{rule_id}", tags=["inbound"], operation_id="update_putaway_rule")
def update_rule(rule_id: int, body: RuleUpdate, principal: InboundManage, db: DbDep) -> Any:
    return _json(putaway.update_rule(db, principal, rule_id, body.model_dump(exclude_unset=True)))


@router.put("/putaway-homes", tags=["inbound"], operation_id="set_home_location")
def set_home(body: HomeIn, principal: InboundManage, db: DbDep) -> Any:
    """Make a location the SKU's fixed home in its warehouse."""
    return _json(putaway.set_home(db, principal, body.sku_id, body.location_id))


@router.get("/tasks", tags=["tasks"], operation_id="list_tasks")
def list_tasks(principal: InboundRead, db: DbDep, warehouse_id: int | None = None,
               status: Literal["open", "done", "cancelled"] | None = "open", receipt_id: int | None = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Any:
    tasks = putaway.list_tasks(db, principal, warehouse_id=warehouse_id, status=status, receipt_id=receipt_id,
                               limit=limit)
    return _json(tasks)


@router.get("/tasks/{task_id}", tags=["tasks"], operation_id="get_task")
def get_task(task_id: int, principal: InboundRead, db: DbDep) -> Any:
    return _json(putaway.get_task(db, principal, task_id))


@router.post("/tasks/{task_id}/confirm", tags=["tasks"], operation_id="confirm_task")
def confirm(task_id: int, body: ConfirmIn, principal: InboundReceive, db: DbDep) -> Any:
    """Confirm a putaway by scanning the location (and the container or SKU); part of it leaves the rest open."""
    return _json(putaway.confirm_putaway(db, principal, task_id, putaway.Confirmation(**body.model_dump())))


@router.get("/containers/{record_id}/label", tags=["containers"], operation_id="container_label",
            response_class=Response, responses={200: {"content": {"application/pdf": {}, "text/plain": {}}}})
def label(record_id: int, principal: MasterdataRead, db: DbDep,
          format: Literal["zpl", "pdf"] = "zpl") -> Response:
    """The pallet label of a container (LPN / SSCC, GS1-128): ZPL for Zebra printers, or PDF."""
    content, media = documents.container_label(db, principal, record_id, format)
    return Response(content, media_type=media)
