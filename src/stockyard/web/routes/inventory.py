"""Console pages: inventory control — balances, movement history, counts, adjustments, approvals, freezes and
transfers between warehouses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from stockyard.api.deps import get_db
from stockyard.domain.access import Principal
from stockyard.domain.errors import InvalidInput
from stockyard.services import approvals, counts, inventory, stock, transfers
from stockyard.services import masterdata as md
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


STOCK_STATUS = {"available": N_("Available"), "qc": N_("In QC"), "frozen": N_("Frozen"), "damaged": N_("Damaged"),
                "return_to_vendor": N_("Return to vendor")}


def _movements_of(key: str) -> lists.Column:
    return lists.Column(key, {"location": N_("Location"), "sku": N_("SKU"), "lot": N_("Lot")}[key],
                        link=lambda r: f"/inventory/movements?{'location_code' if key == 'location' else key}="
                                       f"{r[key]}")


BALANCES = lists.Listing(
    columns=(lists.Column("warehouse", N_("Warehouse")), _movements_of("location"), lists.Column("owner", N_("Owner")),
             _movements_of("sku"), lists.Column("sku_name", N_("Name"), sortable=False), _movements_of("lot"),
             lists.Column("expiry_date", N_("Expiry"), "date"), lists.Column("serial", N_("Serial"), sortable=False),
             lists.Column("status", N_("Status"), label_of=STOCK_STATUS),
             lists.Column("on_hand", N_("On hand"), "number"), lists.Column("allocated", N_("Allocated"), "number"),
             lists.Column("available", N_("Available"), "number")),
    filters=(lists.Filter("status", N_("Status"), tuple(STOCK_STATUS.items())),
             lists.Filter("location", N_("Location")),
             lists.Filter("sku", N_("SKU")), lists.Filter("lot", N_("Lot"))),
)

MOVEMENTS = lists.Listing(
    columns=(lists.Column("created_at", N_("Time"), "datetime"), lists.Column("reason", N_("Reason")),
             lists.Column("doc_type", N_("Document")), lists.Column("doc_ref", N_("Reference"), sortable=False),
             lists.Column("sku", N_("SKU")), lists.Column("lot", N_("Lot"), sortable=False),
             lists.Column("serial", N_("Serial"), sortable=False), lists.Column("quantity", N_("Quantity"), "number"),
             lists.Column("from_location", N_("From"), sortable=False),
             lists.Column("from_status", N_("From status"), sortable=False, label_of=STOCK_STATUS),
             lists.Column("to_location", N_("To"), sortable=False),
             lists.Column("to_status", N_("To status"), sortable=False, label_of=STOCK_STATUS),
             lists.Column("user_name", N_("By"))),
    filters=(lists.Filter("sku", N_("SKU")), lists.Filter("lot", N_("Lot")), lists.Filter("serial", N_("Serial")),
             lists.Filter("doc_type", N_("Document"))),
)

COUNT_STATUS = {"counting": N_("Counting"), "recount": N_("Recount"), "awaiting_approval": N_("Awaiting approval"),
                "posted": N_("Posted"), "cancelled": N_("Cancelled")}
COUNT_KIND = {"planned": N_("Planned"), "ad_hoc": N_("Ad hoc"), "on_touch": N_("On touch")}
COUNTS = lists.Listing(
    columns=(lists.Column("id", N_("No."), "number"), lists.Column("warehouse", N_("Warehouse")),
             lists.Column("kind", N_("Kind"), label_of=COUNT_KIND),
             lists.Column("status", N_("Status"), label_of=COUNT_STATUS),
             lists.Column("blind", N_("Blind"), "bool", sortable=False),
             lists.Column("lines", N_("Lines"), "number", sortable=False),
             lists.Column("counted", N_("Counted"), "number", sortable=False),
             lists.Column("created_by", N_("By"), sortable=False),
             lists.Column("created_at", N_("Started"), "datetime"),
             lists.Column("posted_at", N_("Posted at"), "datetime")),
    filters=(lists.Filter("status", N_("Status"), tuple(COUNT_STATUS.items())),
             lists.Filter("kind", N_("Kind"), tuple(COUNT_KIND.items()))),
    searchable=False,
)

FREEZE_STATUS = {"active": N_("Frozen"), "released": N_("Released")}
FREEZES = lists.Listing(
    columns=(lists.Column("id", N_("No."), "number"), lists.Column("warehouse", N_("Warehouse")),
             lists.Column("owner", N_("Owner"), sortable=False), lists.Column("sku", N_("SKU")),
             lists.Column("lot", N_("Lot"), sortable=False), lists.Column("location", N_("Location"), sortable=False),
             lists.Column("reason", N_("Reason"), sortable=False),
             lists.Column("status", N_("Status"), label_of=FREEZE_STATUS),
             lists.Column("created_by", N_("By"), sortable=False),
             lists.Column("created_at", N_("Frozen at"), "datetime"),
             lists.Column("released_at", N_("Released at"), "datetime")),
    filters=(lists.Filter("status", N_("Status"), tuple(FREEZE_STATUS.items())),),
    actions=lambda row: [(N_("Release"), f"#release-{row['id']}")] if row["status"] == "active" else [],
)

TRANSFER_STATUS = {"created": N_("Created"), "shipped": N_("Shipped"), "received": N_("Received"),
                   "closed": N_("Closed"), "cancelled": N_("Cancelled")}
TRANSFERS = lists.Listing(
    columns=(lists.Column("id", N_("No."), "number"), lists.Column("external_ref", N_("Reference")),
             lists.Column("owner", N_("Owner")), lists.Column("from_warehouse", N_("From"), sortable=False),
             lists.Column("to_warehouse", N_("To"), sortable=False),
             lists.Column("status", N_("Status"), label_of=TRANSFER_STATUS),
             lists.Column("created_at", N_("Created"), "datetime"),
             lists.Column("updated_at", N_("Updated"), "datetime")),
    filters=(lists.Filter("status", N_("Status"), tuple(TRANSFER_STATUS.items())),),
)


@router.get("/inventory/balances")
def balances(request: Request, principal: Annotated[Principal, page("stock.read")]) -> Response:
    return lists.show(request, get_db(request), principal, stock.balance_view(principal), BALANCES,
                      title=N_("Balances"), export_name="balances")


@router.get("/inventory/movements")
def movements(request: Request, principal: Annotated[Principal, page("stock.read")],
              location_code: str | None = None) -> Response:
    """Movement history; ``location_code`` keeps the movements into or out of one location."""
    view = stock.movement_view(principal, location_code or None)
    extra = {"location_code": location_code} if location_code else {}
    return lists.show(request, get_db(request), principal, view, MOVEMENTS, title=N_("Movements"),
                      export_name="movements", context={"extra_params": extra})


@router.get("/inventory/adjustments")
def adjustments(request: Request, principal: Annotated[Principal, page("stock.adjust")]) -> Response:
    """The adjustments posted (报损 / 报溢): movements of adjustment documents; pending ones wait in approvals."""
    view = stock.movement_view(principal, doc_type="adjustment")
    return lists.show(request, get_db(request), principal, view, MOVEMENTS, title=N_("Adjustments"),
                      export_name="adjustments", context={"page_actions": [(N_("Pending approvals"),
                                                                            "/inventory/approvals?status=pending")]})


@router.get("/inventory/counts")
def count_list(request: Request, principal: Annotated[Principal, page("inventory.count")]) -> Response:
    return lists.show(request, get_db(request), principal, counts.count_view(principal), COUNTS,
                      title=N_("Counts"), export_name="counts")


@router.get("/inventory/freezes")
def freezes(request: Request, principal: Annotated[Principal, page("inventory.freeze")]) -> Response:
    db = get_db(request)
    warehouses = md.list_records(db, md.WAREHOUSE, {"active": True}, limit=200, principal=principal).items
    return lists.show(request, db, principal, inventory.freeze_view(principal), FREEZES, title=N_("Freezes"),
                      export_name="freezes", template="desktop/freezes.html",
                      context={"warehouses": warehouses})


@router.post("/inventory/freezes", dependencies=[Csrf])
def freeze(request: Request, principal: Annotated[Principal, page("inventory.freeze")],
           warehouse_id: Annotated[int, Form()], reason: Annotated[str, Form(min_length=1, max_length=200)],
           sku: Annotated[str, Form(max_length=64)] = "", lot: Annotated[str, Form(max_length=64)] = "",
           location: Annotated[str, Form(max_length=64)] = "") -> Response:
    """Freeze what the person named by codes (a SKU, a lot of it, a location, or a mix) in one warehouse."""
    db = get_db(request)
    sku_id = md.id_by_code(db, md.SKU, sku, principal=principal, field="sku") if sku.strip() else None
    lot_id = md.id_by_code(db, md.LOT, lot, principal=principal, field="lot",
                           **({"sku_id": sku_id} if sku_id else {})) if lot.strip() else None
    location_id = md.id_by_code(db, md.LOCATION, location, principal=principal, field="location",
                                warehouse_id=warehouse_id) if location.strip() else None
    if not (sku_id or lot_id or location_id):
        raise InvalidInput("name a SKU, a lot or a location to freeze", field="sku")
    inventory.freeze(db, principal, inventory.Freeze(warehouse_id, reason.strip(), sku_id=sku_id, lot_id=lot_id,
                                                     location_id=location_id))
    return core.redirect(request, "/inventory/freezes?status=active")


@router.post("/inventory/freezes/{freeze_id}/release", dependencies=[Csrf])
def release_freeze(request: Request, freeze_id: int, principal: Annotated[Principal, page("inventory.freeze")],
                   reason: Annotated[str, Form(min_length=1, max_length=200)]) -> Response:
    inventory.release(get_db(request), principal, freeze_id, reason.strip())
    return core.redirect(request, "/inventory/freezes")


@router.get("/inventory/transfers")
def transfer_list(request: Request, principal: Annotated[Principal, page("inventory.transfer")]) -> Response:
    return lists.show(request, get_db(request), principal, transfers.transfer_view(principal), TRANSFERS,
                      title=N_("Transfers"), export_name="transfers")
