"""The audit log: list entries, read the head, verify the hash chain."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from stockyard.api.deps import AuditRead, AuditVerify, DbDep
from stockyard.domain.audit import Anchor
from stockyard.domain.errors import Forbidden
from stockyard.services import audit as svc

router = APIRouter(prefix="/audit", tags=["audit"])

Hash = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256, 64 lower-case hex digits")]


class AnchorIO(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seq: Annotated[int, Field(ge=0, description="the entry's sequence number; 0 is the empty log")]
    hash: Hash


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    anchors: Annotated[list[AnchorIO], Field(max_length=100_000)] = []


class VerifyOut(BaseModel):
    ok: bool
    entries: int = Field(description="entries read up to the verdict (all of them when ok)")
    problem: str | None = Field(description="the first problem found, e.g. 'entry 17: content does not match "
                                            "its hash (edited)'")
    head: AnchorIO = Field(description="the last entry of the log; when ok, safe to keep as an anchor")


class EntryOut(BaseModel):
    seq: int
    at: str
    actor: str
    roles: list[str]
    client: str | None
    action: str
    object_type: str
    object_id: str | None
    before: Any
    after: Any
    request_id: str | None
    prev_hash: str
    hash: str


class EntryPage(BaseModel):
    items: list[EntryOut]
    next_cursor: int | None = Field(description="pass as ?cursor= for the next page; null on the last")


@router.get("", response_model=EntryPage, operation_id="list_audit_entries")
def list_entries(db: DbDep, principal: AuditRead, object_type: str | None = None, object_id: str | None = None,
                 actor: str | None = None, action: str | None = None,
                 cursor: Annotated[int | None, Query(ge=0, description="the last seq of the previous page")] = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Any:
    """Audit entries matching every filter, oldest first (by ``seq``); page on with ``next_cursor``.

    Entries are not scoped (a before/after may show any warehouse or owner), so reading them needs a principal
    whose data scope is unrestricted. The head and verification show only numbers and hashes."""
    if not principal.scope.unrestricted:
        raise Forbidden("reading the audit log needs access to every warehouse, zone and owner",
                        code="outside_scope")
    items = svc.list_entries(db, object_type=object_type, object_id=object_id, actor=actor, action=action,
                             after_seq=cursor, limit=limit)
    return {"items": items, "next_cursor": items[-1]["seq"] if len(items) == limit else None}


@router.get("/head", response_model=AnchorIO, operation_id="audit_head")
def head(db: DbDep, principal: AuditRead) -> Any:
    """The last entry's sequence number and hash: keep it somewhere else as an anchor."""
    return vars(svc.head(db))


@router.post("/verify", response_model=VerifyOut, operation_id="verify_audit_log")
def verify(db: DbDep, principal: AuditVerify, body: Annotated[VerifyIn | None, Body()] = None) -> Any:
    """Check the whole hash chain, and each anchor given against it; answers 200 whether or not it holds."""
    anchors = [Anchor(a.seq, a.hash) for a in body.anchors] if body else []
    report = svc.verify(db, anchors)
    return {"ok": report.ok, "entries": report.entries, "problem": report.problem, "head": vars(report.head)}
