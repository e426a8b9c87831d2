"""Stock endpoints: balances, movement history, opening stock, adjustments, reversals, allocations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse

from stockyard.api import schemas as s
from stockyard.api.deps import DbDep, StockAdjust, StockAllocate, StockOpening, StockRead
from stockyard.db.ledger import WrittenPosting
from stockyard.domain.adjustment import ADJUSTMENT_REASONS
from stockyard.domain.stock import Bucket, StockItem, StockStatus
from stockyard.services import stock as svc

router = APIRouter(prefix="/stock", tags=["stock"])

Limit = Annotated[int, Query(ge=1, le=1000)]


def _posting(written: WrittenPosting) -> dict[str, Any]:
    return {"posting_id": written.posting_id, "movements": written.movements,
            "allocations": written.allocations, "created_at": written.created_at}


def _lines(lines: list[s.StockLineIn]) -> list[svc.StockLine]:
    return [svc.StockLine(**line.model_dump()) for line in lines]


@router.get("/balances", response_model=s.Page[s.BalanceOut], operation_id="list_balances")
def balances(db: DbDep, principal: StockRead, warehouse_id: int | None = None, zone_id: int | None = None,
             location_id: int | None = None, container_id: int | None = None, owner_id: int | None = None,
             sku_id: int | None = None, lot_id: int | None = None, serial: str | None = None,
             status_: Annotated[StockStatus | None, Query(alias="status")] = None,
             include_virtual: bool = False, include_empty: bool = False,
             cursor: int | None = None, limit: Limit = 100) -> Any:
    """On-hand, allocated and available stock per bucket, filtered by any mix of the parameters."""
    rows, next_cursor = svc.list_balances(db, svc.BalanceFilter(
        warehouse_id, zone_id, location_id, container_id, owner_id, sku_id, lot_id, serial, status_,
        include_virtual, include_empty), principal=principal, cursor=cursor, limit=limit)
    return {"items": rows, "next_cursor": next_cursor}


@router.get("/movements", response_model=s.Page[s.MovementOut], operation_id="list_movements")
def movements(db: DbDep, principal: StockRead, owner_id: int | None = None, sku_id: int | None = None,
              lot_id: int | None = None, serial: str | None = None, location_id: int | None = None,
              container_id: int | None = None, posting_id: int | None = None, doc_type: str | None = None,
              doc_ref: str | None = None, since: datetime | None = None, until: datetime | None = None,
              cursor: int | None = None, limit: Limit = 100) -> Any:
    """Movement history, newest first."""
    rows, next_cursor = svc.list_movements(db, svc.MovementFilter(
        owner_id, sku_id, lot_id, serial, location_id, container_id, posting_id, doc_type, doc_ref, since,
        until), principal=principal, cursor=cursor, limit=limit)
    return {"items": rows, "next_cursor": next_cursor}


@router.post("/opening", status_code=status.HTTP_201_CREATED, response_model=s.PostingOut,
             operation_id="post_opening_stock")
def opening(body: s.OpeningStockIn, db: DbDep, principal: StockOpening) -> Any:
    """Load opening stock at go-live; every line or none."""
    return _posting(svc.post_opening_stock(db, _lines(body.lines), principal=principal, doc_ref=body.doc_ref))


@router.get("/adjustment-reasons", response_model=list[s.ReasonOut], operation_id="list_adjustment_reasons")
def reasons(principal: StockRead) -> Any:
    return [{"code": r.code, "direction": r.direction.value, "description": r.description}
            for r in ADJUSTMENT_REASONS.values()]


@router.post("/adjustments", status_code=status.HTTP_201_CREATED, operation_id="post_adjustment",
             responses={201: {"model": s.PostingOut}, 202: {"model": s.ApprovalPendingOut,
                                                            "description": "waiting for approval"}})
def adjust(body: s.AdjustmentIn, db: DbDep, principal: StockAdjust) -> Any:
    """Write stock on or off with a reason code, every line or none; or file it for approval (202) when asked
    to or when a line is above the configured quantity."""
    outcome = svc.adjust(db, body.reason_code, _lines(body.lines), principal=principal, doc_ref=body.doc_ref,
                         ask_approval=body.approval == "request")
    if outcome.posting is not None:
        return s.PostingOut(**_posting(outcome.posting))
    approval = outcome.approval or {}
    pending = {"approval_request_id": approval.get("id"), "status": approval.get("status"),
               "summary": approval.get("summary")}
    return JSONResponse(pending, status_code=status.HTTP_202_ACCEPTED)


@router.post("/postings/{posting_id}/reversal", status_code=status.HTTP_201_CREATED,
             response_model=s.PostingOut, operation_id="reverse_posting")
def reverse(posting_id: int, db: DbDep, principal: StockAdjust) -> Any:
    """Correct a posting by its exact opposite (at most once)."""
    return _posting(svc.reverse_posting(db, posting_id, principal=principal))


def _item_bucket(body: s.AllocationIn) -> tuple[StockItem, Bucket]:
    return (StockItem(body.owner_id, body.sku_id, body.lot_id, body.serial),
            Bucket(body.location_id, body.container_id, body.status))


@router.post("/allocations", status_code=status.HTTP_201_CREATED, response_model=s.PostingOut,
             operation_id="allocate_stock")
def allocate(body: s.AllocationIn, db: DbDep, principal: StockAllocate) -> Any:
    """Reserve available stock in one bucket; refused rather than ever over-allocating."""
    item, bucket = _item_bucket(body)
    return _posting(svc.allocate_stock(db, item, bucket, body.quantity, principal=principal,
                                       doc_type=body.doc_type, doc_ref=body.doc_ref))


@router.post("/releases", status_code=status.HTTP_201_CREATED, response_model=s.PostingOut,
             operation_id="release_stock")
def release(body: s.AllocationIn, db: DbDep, principal: StockAllocate) -> Any:
    """Give back allocated stock in one bucket; never more than is allocated."""
    item, bucket = _item_bucket(body)
    return _posting(svc.release_stock(db, item, bucket, body.quantity, principal=principal,
                                      doc_type=body.doc_type, doc_ref=body.doc_ref))
