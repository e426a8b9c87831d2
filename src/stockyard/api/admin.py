"""Administration endpoints."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from stockyard.api import schemas as s
from stockyard.api.deps import DbDep, LedgerVerify
from stockyard.domain.errors import Forbidden
from stockyard.services.verify import verify

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post("/verify", response_model=s.VerifyOut, operation_id="verify_ledger")
def verify_ledger(db: DbDep, principal: LedgerVerify) -> Any:
    """Replay the ledger and report every violation of the five invariants.

    A read-only check, so not audited. It replays every warehouse and owner at once and its report names
    stock items anywhere, so it needs a principal whose data scope is unrestricted."""
    if not principal.scope.unrestricted:
        raise Forbidden("verifying the whole ledger needs access to every warehouse, zone and owner",
                        code="outside_scope")
    report = verify(db)
    return {"ok": report.ok, "movements": report.movements, "balances": report.balances,
            "violations": [vars(v) for v in report.violations]}
