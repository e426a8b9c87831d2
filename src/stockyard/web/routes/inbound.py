"""Console pages: inbound (receipts, the QC queue, putaway tasks)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from stockyard.api.deps import get_db
from stockyard.domain.access import Principal
from stockyard.domain.errors import DomainError, InvalidInput
from stockyard.domain.inbound import QcResult, ReceiptType
from stockyard.services import documents, putaway, receipts, receiving
from stockyard.services import masterdata as md
from stockyard.web import core, forms, lists
from stockyard.web.deps import Csrf, page
from stockyard.web.i18n import N_

router = APIRouter(include_in_schema=False)

RECEIPT_STATUS = {"created": N_("Awaiting arrival"), "receiving": N_("Receiving"), "closed": N_("Closed"),
                  "cancelled": N_("Cancelled")}
RECEIPT_TYPE = {"purchase": N_("Purchase"), "customer_return": N_("Customer return"),
                "transfer_in": N_("Transfer in"), "production": N_("Production")}
LINE_ROWS = 5

RECEIPTS = lists.Listing(
    columns=(lists.Column("id", N_("No."), "number", link=lambda r: f"/inbound/receipts/{r['id']}"),
             lists.Column("external_ref", N_("Reference")),
             lists.Column("type", N_("Type"), label_of=RECEIPT_TYPE),
             lists.Column("status", N_("Status"), label_of=RECEIPT_STATUS),
             lists.Column("owner", N_("Owner")), lists.Column("warehouse", N_("Warehouse")),
             lists.Column("expected_date", N_("Expected date"), "date"),
             lists.Column("expected", N_("Expected"), "number"),
             lists.Column("received", N_("Received"), "number"),
             lists.Column("created_at", N_("Created at"), "datetime")),
    filters=(lists.Filter("status", N_("Status"), tuple(RECEIPT_STATUS.items())),
             lists.Filter("type", N_("Type"), tuple(RECEIPT_TYPE.items()))),
)


@router.get("/inbound/receipts")
def receipt_list(request: Request, principal: Annotated[Principal, page("inbound.read")]) -> Response:
    actions = [(N_("New receipt"), "/inbound/receipts/new")] if principal.can("inbound.manage") else []
    return lists.show(request, get_db(request), principal, receipts.receipt_view(principal), RECEIPTS,
                      title=N_("Receipts"), export_name="receipts", context={"page_actions": actions})


def _receipt_form(request: Request, principal: Principal, values: dict[str, str],
                  error: DomainError | None = None) -> Response:
    db = get_db(request)
    context = {"title": N_("New receipt"), "types": RECEIPT_TYPE, "rows": range(1, LINE_ROWS + 1), "values": values,
               "owners": forms.options(db, principal, md.OWNER),
               "warehouses": forms.options(db, principal, md.WAREHOUSE),
               "suppliers": forms.owned_options(db, principal, md.SUPPLIER)}
    return forms.show(request, "desktop/inbound_receipt_new.html", "desktop/_inbound_receipt_form.html",
                      "#receipt-form", context, principal=principal, error=error)


@router.get("/inbound/receipts/new")
def receipt_form(request: Request, principal: Annotated[Principal, page("inbound.manage")]) -> Response:
    return _receipt_form(request, principal, {"type": ReceiptType.PURCHASE.value})


@router.post("/inbound/receipts", dependencies=[Csrf])
async def receipt_create(request: Request, principal: Annotated[Principal, page("inbound.manage")]) -> Response:
    """A receipt order (ASN) from the form: the head and the filled line rows; empty rows are skipped. A refusal
    shows the form again with what was typed and the error at its field."""
    values = await forms.typed(request)
    origins: list[int] = []
    try:
        new = _new_receipt(values, origins)
        made = receipts.create_receipt(get_db(request), principal, new)
    except DomainError as error:
        refused = forms.on_row(error, origins, lambda n, name: f"{'qty' if name == 'quantity' else 'sku'}_{n}")
        return _receipt_form(request, principal, values, refused)
    return core.redirect(request, f"/inbound/receipts/{made.receipt['id']}")


def _new_receipt(values: dict[str, str], origins: list[int]) -> receipts.NewReceipt:
    owner_id = forms.record_id(values.get("owner_id"), "owner_id")
    warehouse_id = forms.record_id(values.get("warehouse_id"), "warehouse_id")
    lines = []
    for n in range(1, LINE_ROWS + 1):
        sku, quantity = values.get(f"sku_{n}", ""), values.get(f"qty_{n}", "")
        if not sku and not quantity:
            continue
        if not sku:
            raise InvalidInput("a line with a quantity needs its SKU", field=f"sku_{n}")
        if len(sku) > 64:
            raise InvalidInput("at most 64 characters", field=f"sku_{n}")
        lines.append(receipts.NewReceiptLine(quantity=forms.quantity(quantity, f"qty_{n}"), sku_code=sku))
        origins.append(n)
    if not lines:
        raise InvalidInput("a receipt has at least one line", field="sku_1")
    kind = values.get("type") or "purchase"
    if kind not in RECEIPT_TYPE:
        raise InvalidInput("is not a receipt type", field="type")
    reference = forms.text(values, "external_ref", 64, required=True) or ""
    return receipts.NewReceipt(owner_id=owner_id, warehouse_id=warehouse_id, external_ref=reference,
                               type=ReceiptType(kind), lines=lines,
                               supplier_id=forms.optional_id(values.get("supplier_id"), "supplier_id"),
                               note=forms.text(values, "note", 500))


@router.get("/inbound/receipts/{receipt_id}")
def receipt_page(request: Request, receipt_id: int,
                 principal: Annotated[Principal, page("inbound.read")]) -> Response:
    found = receipts.get_receipt(get_db(request), principal, receipt_id)
    return core.render(request, "desktop/inbound_receipt.html",
                       {"title": N_("Receipt"), "item": found, "statuses": RECEIPT_STATUS, "types": RECEIPT_TYPE},
                       principal=principal)


@router.get("/inbound/receipts/{receipt_id}/report.pdf")
def receipt_report(request: Request, receipt_id: int,
                   principal: Annotated[Principal, page("inbound.read")]) -> Response:
    """The receiving report to print: the same document the API serves."""
    return Response(documents.receiving_report(get_db(request), principal, receipt_id), media_type="application/pdf")


@router.post("/inbound/receipts/{receipt_id}/cancel", dependencies=[Csrf])
def receipt_cancel(request: Request, receipt_id: int,
                   principal: Annotated[Principal, page("inbound.manage")]) -> Response:
    receipts.cancel_receipt(get_db(request), principal, receipt_id)
    return core.redirect(request, f"/inbound/receipts/{receipt_id}")


@router.post("/inbound/receipts/{receipt_id}/close", dependencies=[Csrf])
def receipt_close(request: Request, receipt_id: int,
                  principal: Annotated[Principal, page("inbound.manage")]) -> Response:
    receipts.close_receipt(get_db(request), principal, receipt_id)
    return core.redirect(request, f"/inbound/receipts/{receipt_id}")


# ---------------------------------------------------------------- QC queue

QC = lists.Listing(
    columns=(lists.Column("sku", N_("SKU")), lists.Column("sku_name", N_("Name")), lists.Column("lot", N_("Lot")),
             lists.Column("serial", N_("Serial"), sortable=False), lists.Column("owner", N_("Owner")),
             lists.Column("warehouse", N_("Warehouse")), lists.Column("location", N_("Location")),
             lists.Column("on_hand", N_("Quantity"), "number"),
             lists.Column("updated_at", N_("Waiting since"), "datetime")),
    filters=(lists.Filter("warehouse", N_("Warehouse")), lists.Filter("owner", N_("Owner"))),
    actions=lambda r: [(N_("Inspect"), f"/inbound/qc/{r['id']}")],
)
QC_RESULT = {"pass": N_("Pass"), "fail": N_("Fail")}
FAILED_AS = {"damaged": N_("Damaged"), "returned": N_("Return to vendor"), "scrapped": N_("Scrap")}


@router.get("/inbound/qc")
def qc_list(request: Request, principal: Annotated[Principal, page("inbound.read")]) -> Response:
    return lists.show(request, get_db(request), principal, receiving.qc_view(principal), QC,
                      title=N_("QC queue"), export_name="qc-queue")


@router.get("/inbound/qc/{balance_id}")
def qc_page(request: Request, balance_id: int, principal: Annotated[Principal, page("inbound.read")]) -> Response:
    found = receiving.qc_item(get_db(request), principal, balance_id)
    return core.render(request, "desktop/inbound_qc_item.html",
                       {"title": N_("Inspection"), "item": found, "results": QC_RESULT, "failed_as": FAILED_AS},
                       principal=principal)


@router.post("/inbound/qc/{balance_id}", dependencies=[Csrf])
async def qc_inspect(request: Request, balance_id: int,
                     principal: Annotated[Principal, page("inbound.qc")]) -> Response:
    """Pass or fail the stock item: a pass makes it available (with its putaway task), a fail books it as
    damaged, returned to the vendor or scrapped, as the inspector chose."""
    db = get_db(request)
    item = receiving.qc_item(db, principal, balance_id)
    form = {k: str(v).strip() for k, v in (await request.form()).items()}
    result = form.get("result", "")
    if result not in QC_RESULT:
        raise InvalidInput("must be pass or fail", field="result")
    quantity = forms.quantity(form.get("quantity", ""), "quantity")
    sampled = forms.quantity(form.get("sampled_quantity") or form.get("quantity", ""), "sampled_quantity")
    failed_as = form.get("failed_as") or "damaged"
    if result == "fail" and failed_as not in FAILED_AS:
        raise InvalidInput("must be damaged, returned or scrapped", field="failed_as")
    # A fail is all damaged unless the inspector sends it back or scraps it (the service's rule).
    returned = quantity if result == "fail" and failed_as == "returned" else None
    scrapped = quantity if result == "fail" and failed_as == "scrapped" else None
    receiving.inspect(db, principal, receiving.Inspection(
        owner_id=item["owner_id"], sku_id=item["sku_id"], location_id=item["location_id"], quantity=quantity,
        sampled_quantity=sampled, result=QcResult(result), lot_id=item["lot_id"], serial=item["serial"],
        container_id=item["container_id"], returned_quantity=returned, scrapped_quantity=scrapped,
        note=form.get("note") or None))
    return core.redirect(request, "/inbound/qc")


# ---------------------------------------------------------------- putaway tasks

TASK_STATUS = {"open": N_("To do"), "done": N_("Done"), "cancelled": N_("Cancelled")}
PUTAWAY = lists.Listing(
    columns=(lists.Column("id", N_("No."), "number"),
             lists.Column("status", N_("Status"), label_of=TASK_STATUS),
             lists.Column("sku", N_("SKU")), lists.Column("sku_name", N_("Name"), sortable=False),
             lists.Column("quantity", N_("To move"), "number"),
             lists.Column("from_location", N_("From")), lists.Column("to_location", N_("Suggested location")),
             lists.Column("owner", N_("Owner")), lists.Column("warehouse", N_("Warehouse")),
             lists.Column("receipt_id", N_("Receipt"), "number", sortable=False,
                          link=lambda r: f"/inbound/receipts/{r['receipt_id']}"),
             lists.Column("assigned_to", N_("Assigned to"), sortable=False),
             lists.Column("created_at", N_("Open since"), "datetime")),
    filters=(lists.Filter("status", N_("Status"), tuple(TASK_STATUS.items())),
             lists.Filter("warehouse", N_("Warehouse"))),
)


@router.get("/inbound/putaway")
def putaway_list(request: Request, principal: Annotated[Principal, page("inbound.read")]) -> Response:
    """The putaway tasks, the oldest first; the open ones unless the person chose another status."""
    if not request.query_params:
        return RedirectResponse("/inbound/putaway?status=open", status_code=302)
    return lists.show(request, get_db(request), principal, putaway.task_view(principal), PUTAWAY,
                      title=N_("Putaway tasks"), export_name="putaway-tasks")
