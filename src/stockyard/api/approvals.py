"""Approval requests: list, read, approve, reject, cancel."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from stockyard.api.deps import ApprovalsDecide, ApprovalsRead, DbDep, SignedInDep
from stockyard.services import approvals as svc

router = APIRouter(prefix="/approvals", tags=["approvals"])


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Annotated[str, Field(max_length=400)] | None = None


@router.get("", operation_id="list_approval_requests")
def list_requests(principal: ApprovalsRead, db: DbDep,
                  status: Literal["pending", "approved", "rejected", "cancelled"] | None = None,
                  kind: Annotated[str | None, Query(max_length=64)] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
    return svc.list_requests(db, principal, status=status, kind=kind, limit=limit)


@router.get("/{request_id}", operation_id="get_approval_request")
def get_request(request_id: int, principal: ApprovalsRead, db: DbDep) -> dict[str, Any]:
    return svc.get(db, principal, request_id)


@router.post("/{request_id}/approve", operation_id="approve_request")
def approve(request_id: int, principal: ApprovalsDecide, db: DbDep, body: DecisionIn | None = None) -> dict[str, Any]:
    """Approve and carry out someone else's request."""
    return svc.decide(db, principal, request_id, approve=True, note=body.note if body else None)


@router.post("/{request_id}/reject", operation_id="reject_request")
def reject(request_id: int, principal: ApprovalsDecide, db: DbDep, body: DecisionIn | None = None) -> dict[str, Any]:
    return svc.decide(db, principal, request_id, approve=False, note=body.note if body else None)


@router.post("/{request_id}/cancel", operation_id="cancel_request")
def cancel(request_id: int, principal: SignedInDep, db: DbDep) -> dict[str, Any]:
    """Withdraw your own pending request."""
    return svc.cancel(db, principal, request_id)
