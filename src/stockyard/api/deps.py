"""What every endpoint receives: the database and the acting principal, each from one dependency.

Every operation declares what it needs with ``Require("permission")`` (or ``PUBLIC``); ``app.py`` copies that
into the OpenAPI document as ``x-permission``, and the authorisation-matrix test fails for an operation that
declares nothing."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request

from stockyard.db.engine import Database
from stockyard.domain.access import PERMISSIONS, Principal
from stockyard.domain.errors import Forbidden, Unauthenticated
from stockyard.services.auth import resolve_token

SESSION_COOKIE = "stockyard_session"


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def presented_token(request: Request) -> str | None:
    """The bearer token of an integration client or a user, or the web session cookie."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE) or None


def get_principal(request: Request) -> Principal:
    """The acting principal, from a session or a client token; 401 when there is none or it has ended."""
    token = presented_token(request)
    if token is None:
        raise Unauthenticated("sign in, or send an integration client's token as 'Authorization: Bearer ...'")
    principal = resolve_token(get_db(request), token, address=client_address(request))
    if principal is None:
        raise Unauthenticated("the session or token is unknown, expired or revoked; sign in again")
    return replace(principal, request_id=getattr(request.state, "request_id", None))


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class Require:
    """A dependency that yields the principal if it holds ``permission``, else answers 403."""

    def __init__(self, permission: str) -> None:
        if permission not in PERMISSIONS:
            raise ValueError(f"unknown permission {permission}")
        self.permission = permission

    def __call__(self, principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if not principal.can(self.permission):
            raise Forbidden(f"this needs the permission {self.permission}", code="forbidden",
                            details={"permission": self.permission})
        return principal


class Public:
    """Marks an operation that needs no sign-in (login, health); declared so the matrix test knows."""

    permission = "public"

    def __call__(self) -> None:
        return None


class SignedIn:
    """Any signed-in principal may call it (their own profile, signing out)."""

    permission = "signed_in"

    def __call__(self, principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        return principal


DbDep = Annotated[Database, Depends(get_db)]
SignedInDep = Annotated[Principal, Depends(SignedIn())]

# One alias per permission, for signatures: ``principal: StockRead``.
MasterdataRead = Annotated[Principal, Depends(Require("masterdata.read"))]
MasterdataWrite = Annotated[Principal, Depends(Require("masterdata.write"))]
StockRead = Annotated[Principal, Depends(Require("stock.read"))]
StockOpening = Annotated[Principal, Depends(Require("stock.opening"))]
StockAdjust = Annotated[Principal, Depends(Require("stock.adjust"))]
StockAllocate = Annotated[Principal, Depends(Require("stock.allocate"))]
OutboundWave = Annotated[Principal, Depends(Require("outbound.wave"))]
OutboundPick = Annotated[Principal, Depends(Require("outbound.pick"))]
OutboundPack = Annotated[Principal, Depends(Require("outbound.pack"))]
OutboundShip = Annotated[Principal, Depends(Require("outbound.ship"))]
ApprovalsRead = Annotated[Principal, Depends(Require("approvals.read"))]
ApprovalsDecide = Annotated[Principal, Depends(Require("approvals.decide"))]
ReportsRead = Annotated[Principal, Depends(Require("reports.read"))]
LedgerVerify = Annotated[Principal, Depends(Require("ledger.verify"))]
UsersRead = Annotated[Principal, Depends(Require("users.read"))]
UsersManage = Annotated[Principal, Depends(Require("users.manage"))]
ClientsManage = Annotated[Principal, Depends(Require("clients.manage"))]
AuditRead = Annotated[Principal, Depends(Require("audit.read"))]
AuditVerify = Annotated[Principal, Depends(Require("audit.verify"))]
InboundRead = Annotated[Principal, Depends(Require("inbound.read"))]
InboundManage = Annotated[Principal, Depends(Require("inbound.manage"))]
InboundReceive = Annotated[Principal, Depends(Require("inbound.receive"))]
InboundQc = Annotated[Principal, Depends(Require("inbound.qc"))]
InventoryMove = Annotated[Principal, Depends(Require("inventory.move"))]
InventoryFreeze = Annotated[Principal, Depends(Require("inventory.freeze"))]
InventoryOwnership = Annotated[Principal, Depends(Require("inventory.ownership"))]
InventoryCount = Annotated[Principal, Depends(Require("inventory.count"))]
InventoryTransfer = Annotated[Principal, Depends(Require("inventory.transfer"))]
InventoryKitting = Annotated[Principal, Depends(Require("inventory.kitting"))]
