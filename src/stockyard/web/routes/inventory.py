"""Console pages: inventory control (approvals of adjustments and count variances)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from stockyard.api.deps import get_db
from stockyard.domain.access import Principal
from stockyard.domain.errors import InvalidInput
from stockyard.services import approvals
from stockyard.web import core, lists
from stockyard.web.deps import Csrf, page
from stockyard.web.i18n import N_

router = APIRouter(include_in_schema=False)

APPROVAL_STATUS = {"pending": N_("Pending"), "approved": N_("Approved"), "rejected": N_("Rejected"),
                   "cancelled": N_("Cancelled")}

APPROVALS = lists.Listing(
    columns=(lists.Column("id", N_("No."), "number", link=lambda r: f"/inventory/approvals/{r['id']}"),
             lists.Column("kind", N_("Kind")), lists.Column("summary", N_("Summary"), sortable=False),
             lists.Column("status", N_("Status"), label_of=APPROVAL_STATUS),
             lists.Column("requested_by", N_("Requested by")),
             lists.Column("requested_at", N_("Requested at"), "datetime"),
             lists.Column("decided_by", N_("Decided by"), sortable=False),
             lists.Column("decided_at", N_("Decided at"), "datetime")),
    filters=(lists.Filter("status", N_("Status"), tuple(APPROVAL_STATUS.items())),),
)


@router.get("/inventory/approvals")
def approval_list(request: Request, principal: Annotated[Principal, page("approvals.read")]) -> Response:
    return lists.show(request, get_db(request), principal, approvals.request_view(principal), APPROVALS,
                      title=N_("Approvals"), export_name="approvals")


@router.get("/inventory/approvals/{request_id}")
def approval_page(request: Request, request_id: int,
                  principal: Annotated[Principal, page("approvals.read")]) -> Response:
    found = approvals.get(get_db(request), principal, request_id)
    return core.render(request, "desktop/approval.html", {"title": N_("Approval request"), "item": found,
                                                           "statuses": APPROVAL_STATUS}, principal=principal)


@router.post("/inventory/approvals/{request_id}/decide", dependencies=[Csrf])
def decide(request: Request, request_id: int, principal: Annotated[Principal, page("approvals.decide")],
           decision: Annotated[str, Form(max_length=16)], note: Annotated[str, Form(max_length=400)] = "") -> Response:
    """Approve (carrying the request out) or reject it; the service refuses a person their own request."""
    if decision not in ("approve", "reject"):
        raise InvalidInput("must be approve or reject", field="decision")
    approvals.decide(get_db(request), principal, request_id, approve=decision == "approve", note=note or None)
    return core.redirect(request, f"/inventory/approvals/{request_id}")
