"""Administration endpoints."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from stockyard.api import schemas as s
from stockyard.api.deps import DbDep, PrincipalDep
from stockyard.services.verify import verify

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post("/verify", response_model=s.VerifyOut, operation_id="verify_ledger")
def verify_ledger(db: DbDep, principal: PrincipalDep) -> Any:
    """Replay the ledger and report every violation of the five invariants."""
    report = verify(db)
    return {"ok": report.ok, "movements": report.movements, "balances": report.balances,
            "violations": [vars(v) for v in report.violations]}
