"""Approvals (four eyes): a request waits until someone else with the permission approves or rejects it.

A flow that needs approval registers a kind with the permission its approver needs and the function that carries
the request out. Approving runs that function in the same transaction as the decision, so an approved request is
either carried out and marked approved, or neither. The approver is never the requester."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import Principal
from stockyard.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from stockyard.services import audit
from stockyard.services.browse import View

Row = dict[str, Any]
Apply = Callable[[Connection, Principal, Mapping[str, Any]], Mapping[str, Any]]


Vet = Callable[[Connection, Principal, Mapping[str, Any]], None]


@dataclass(frozen=True)
class ApprovalKind:
    """``permission``: what the approver needs besides approvals.decide; ``apply(conn, requester, payload)``
    carries the request out and returns what it did (kept on the request as ``result``); ``vet(conn, approver,
    payload)``, when given, may refuse an approver the kind does not accept (e.g. someone who counted)."""

    permission: str
    apply: Apply
    vet: Vet | None = None


KINDS: dict[str, ApprovalKind] = {}


def register(kind: str, spec: ApprovalKind) -> None:
    KINDS[kind] = spec


def request_in(conn: Connection, principal: Principal, kind: str, payload: Mapping[str, Any], *, summary: str,
               warehouse_id: int | None = None, owner_id: int | None = None) -> Row:
    """File a request inside the caller's transaction; returns it (status pending)."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown approval kind {kind}", field="kind")
    now = datetime.now(UTC)
    values = {"kind": kind, "payload": dict(payload), "summary": summary[:400], "warehouse_id": warehouse_id,
              "owner_id": owner_id, "status": "pending", "requested_by": principal.name, "requested_at": now}
    request_id = conn.execute(insert(t.approval_request).values(**values)
                              .returning(t.approval_request.c.id)).scalar_one()
    row = {"id": request_id, **values}
    audit.record(conn, principal, "approval.request", "approval_request", request_id, after=row)
    return row


def decide(db: Database, principal: Principal, request_id: int, *, approve: bool, note: str | None = None) -> Row:
    """Approve (and carry out) or reject a pending request. Refused for the requester themselves."""
    def work(conn: Connection) -> Row:
        before = _visible(conn, principal, request_id, lock=True)
        if before["status"] != "pending":
            raise Conflict(f"the request is already {before['status']}", field="request_id", code="decided")
        if before["requested_by"] == principal.name:
            raise Forbidden("nobody approves or rejects their own request", field="request_id",
                            code="self_approval")
        kind = KINDS.get(before["kind"])
        if kind is None:
            raise Conflict(f"no flow carries out {before['kind']} requests", field="request_id")
        if not principal.can(kind.permission):
            raise Forbidden(f"deciding this needs the permission {kind.permission}", code="forbidden",
                            details={"permission": kind.permission})
        if kind.vet is not None:
            kind.vet(conn, principal, before["payload"])
        result = None
        if approve:
            requester = Principal(before["requested_by"], permissions=principal.permissions,
                                  request_id=principal.request_id)
            result = dict(kind.apply(conn, requester, before["payload"]))
        changes = {"status": "approved" if approve else "rejected", "decided_by": principal.name,
                   "decided_at": datetime.now(UTC), "decision_note": note, "result": result}
        conn.execute(update(t.approval_request).where(t.approval_request.c.id == request_id).values(**changes))
        after = {**before, **changes}
        audit.record(conn, principal, "approval.approve" if approve else "approval.reject", "approval_request",
                     request_id, before=before, after=after)
        return after
    return db.write(work)


def cancel(db: Database, principal: Principal, request_id: int) -> Row:
    """The requester withdraws a pending request."""
    def work(conn: Connection) -> Row:
        before = _visible(conn, principal, request_id, lock=True)
        if before["requested_by"] != principal.name:
            raise Forbidden("only the requester can cancel a request", field="request_id", code="not_requester")
        if before["status"] != "pending":
            raise Conflict(f"the request is already {before['status']}", field="request_id", code="decided")
        changes = {"status": "cancelled", "decided_by": principal.name, "decided_at": datetime.now(UTC)}
        conn.execute(update(t.approval_request).where(t.approval_request.c.id == request_id).values(**changes))
        after = {**before, **changes}
        audit.record(conn, principal, "approval.cancel", "approval_request", request_id, before=before, after=after)
        return after
    return db.write(work)


def get(db: Database, principal: Principal, request_id: int) -> Row:
    return db.read(lambda conn: _visible(conn, principal, request_id))


def list_requests(db: Database, principal: Principal, *, status: str | None = None, kind: str | None = None,
                  limit: int = 100) -> list[Row]:
    """Requests in the caller's scope, newest first."""
    a = t.approval_request
    query = select(a).order_by(a.c.id.desc()).limit(limit)
    if status:
        query = query.where(a.c.status == status)
    if kind:
        query = query.where(a.c.kind == kind)
    if principal.warehouse_ids is not None:
        query = query.where(a.c.warehouse_id.in_(principal.warehouse_ids))
    if principal.owner_ids is not None:
        query = query.where(a.c.owner_id.in_(principal.owner_ids))
    return db.read(lambda conn: [dict(r._mapping) for r in conn.execute(query)])


def _visible(conn: Connection, principal: Principal, request_id: int, *, lock: bool = False) -> Row:
    query = select(t.approval_request).where(t.approval_request.c.id == request_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None or not (principal.scope.allows_warehouse(row.warehouse_id)
                           and principal.scope.allows_owner(row.owner_id)):
        raise NotFound(f"approval request {request_id} not found", field="request_id")
    return dict(row._mapping)


def request_view(principal: Principal) -> View:
    """Approval requests in the caller's scope for the console's list, newest first by default."""
    a = t.approval_request
    query = select(a.c.id, a.c.kind, a.c.summary, a.c.status, a.c.warehouse_id, a.c.owner_id, a.c.requested_by,
                   a.c.requested_at, a.c.decided_by, a.c.decided_at, a.c.decision_note)
    if principal.warehouse_ids is not None:
        query = query.where(a.c.warehouse_id.in_(sorted(principal.warehouse_ids)))
    if principal.owner_ids is not None:
        query = query.where(a.c.owner_id.in_(sorted(principal.owner_ids)))
    return View(query, filters=("status", "kind", "requested_by"), search=("summary", "requested_by"),
                sortable=("id", "kind", "status", "requested_by", "requested_at", "decided_at"),
                default_sort="id", default_desc=True)
