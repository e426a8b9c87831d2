"""Console pages: inventory control — balances, movement history, counts, adjustments, approvals, freezes and
transfers between warehouses."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from stockyard.api.deps import get_db
from stockyard.domain.access import Principal
from stockyard.domain.adjustment import ADJUSTMENT_REASONS, Direction, adjustment_reason
from stockyard.domain.errors import InvalidInput
from stockyard.services import approvals, counts, inventory, stock, transfers
from stockyard.services import masterdata as md
from stockyard.web import core, forms, lists
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
    columns=(lists.Column("id", N_("No."), "number", link=lambda r: f"/inventory/counts/{r['id']}"),
             lists.Column("warehouse", N_("Warehouse")), lists.Column("kind", N_("Kind"), label_of=COUNT_KIND),
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
    columns=(lists.Column("id", N_("No."), "number", link=lambda r: f"/inventory/transfers/{r['id']}"),
             lists.Column("external_ref", N_("Reference")), lists.Column("owner", N_("Owner")),
             lists.Column("from_warehouse", N_("From"), sortable=False),
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
    actions = [(N_("New adjustment"), "/inventory/adjustments/new"),
               (N_("Pending approvals"), "/inventory/approvals?status=pending")]
    return lists.show(request, get_db(request), principal, view, MOVEMENTS, title=N_("Adjustments"),
                      export_name="adjustments", context={"page_actions": actions})


@router.get("/inventory/counts")
def count_list(request: Request, principal: Annotated[Principal, page("inventory.count")]) -> Response:
    return lists.show(request, get_db(request), principal, counts.count_view(principal), COUNTS,
                      title=N_("Counts"), export_name="counts",
                      context={"page_actions": [(N_("Start a count"), "/inventory/counts/new")]})


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
                      title=N_("Transfers"), export_name="transfers",
                      context={"page_actions": [(N_("New transfer"), "/inventory/transfers/new")]})


# ---------------------------------------------------------------- forms: parsing what a person typed


def _choices(request: Request, principal: Principal, *entities: md.Entity) -> list[list[Any]]:
    db = get_db(request)
    return [md.list_records(db, e, {"active": True}, limit=200, principal=principal).items for e in entities]


# ---------------------------------------------------------------- adjustments (报损 / 报溢)

ADJUSTMENT_REASON_LABELS = {
    "FOUND": N_("Found: stock the books did not have"), "COUNT_GAIN": N_("Count gain"),
    "RETURN_UNDOCUMENTED": N_("Returned without a document"), "CORRECTION_GAIN": N_("Correction upwards"),
    "LOST": N_("Lost: missing from its location"), "COUNT_LOSS": N_("Count loss"),
    "DAMAGED": N_("Damaged, written off"), "EXPIRED": N_("Expired, written off"), "SAMPLE": N_("Taken as a sample"),
    "CORRECTION_LOSS": N_("Correction downwards")}


@router.get("/inventory/adjustments/new")
def adjustment_form(request: Request, principal: Annotated[Principal, page("stock.adjust")],
                    requested: int | None = None, posted: int | None = None, sku: str = "",
                    location: str = "") -> Response:
    """The adjustment form; after a post it says what became of the last one (posted, or waiting for approval)."""
    warehouses, owners = _choices(request, principal, md.WAREHOUSE, md.OWNER)
    reasons = [(r.code, r.direction.value, ADJUSTMENT_REASON_LABELS.get(r.code, r.code))
               for r in ADJUSTMENT_REASONS.values()]
    return core.render(request, "desktop/inventory_adjustment_new.html", {
        "title": N_("New adjustment"), "warehouses": warehouses, "owners": owners, "reasons": reasons,
        "requested": requested, "posted": posted, "sku": sku[:64], "location": location[:64]}, principal=principal)


@router.post("/inventory/adjustments", dependencies=[Csrf])
async def adjustment_post(request: Request, principal: Annotated[Principal, page("stock.adjust")]) -> Response:
    """Write stock on or off at one location as the API does (``stock.adjust``): a gain reason adds, a loss
    reason takes away; the sign typed, when there is one, must agree with the reason. Above the configured
    quantity or value, or when the person asks, it waits for someone else's approval instead."""
    db = get_db(request)
    form = await forms.typed(request)
    warehouse_id = forms.record_id(form.get("warehouse_id"), "warehouse_id")
    reason = adjustment_reason(form.get("reason_code", ""))
    quantity = forms.number(form.get("quantity", ""), "quantity", signed=True)
    if (quantity < 0) != (reason.direction is Direction.LOSS) and form.get("quantity", "")[:1] in "+-":
        raise InvalidInput("the sign does not agree with the reason (a gain adds, a loss takes away)",
                           field="quantity")
    location_code, sku_code = form.get("location", ""), form.get("sku", "")
    if not location_code:
        raise InvalidInput("is required", field="location")
    if not sku_code:
        raise InvalidInput("is required", field="sku")
    location_id = md.id_by_code(db, md.LOCATION, location_code, principal=principal, field="location",
                                warehouse_id=warehouse_id)
    owner = form.get("owner_id")
    same = {"owner_id": forms.record_id(owner, "owner_id")} if owner else {}
    sku_id = md.id_by_code(db, md.SKU, sku_code, principal=principal, field="sku", **same)
    sku = md.get(db, md.SKU, sku_id, principal=principal)
    if len(form.get("lot", "")) > 64:
        raise InvalidInput("at most 64 characters", field="lot")
    if len(form.get("doc_ref", "")) > 128:
        raise InvalidInput("at most 128 characters", field="doc_ref")
    line = stock.StockLine(owner_id=sku["owner_id"], sku_id=sku_id, location_id=location_id, quantity=abs(quantity),
                           lot_number=form.get("lot") or None)
    outcome = stock.adjust(db, reason.code, [line], principal=principal, doc_ref=form.get("doc_ref") or None,
                           ask_approval=form.get("ask_approval") == "1")
    done = (f"requested={outcome.approval['id']}" if outcome.approval is not None
            else f"posted={outcome.posting.posting_id if outcome.posting else ''}")
    return core.redirect(request, f"/inventory/adjustments/new?{done}&sku={quote(sku_code)}"
                                  f"&location={quote(location_code)}")


# ---------------------------------------------------------------- counts (盘点)

ABC_CLASSES = ("A", "B", "C")


@router.get("/inventory/counts/new")
def count_form(request: Request, principal: Annotated[Principal, page("inventory.count")]) -> Response:
    (warehouses,) = _choices(request, principal, md.WAREHOUSE)
    return core.render(request, "desktop/inventory_count_new.html", {
        "title": N_("Start a count"), "warehouses": warehouses, "abc_classes": ABC_CLASSES}, principal=principal)


@router.post("/inventory/counts", dependencies=[Csrf])
async def count_start(request: Request, principal: Annotated[Principal, page("inventory.count")]) -> Response:
    """Start an ad-hoc count of what the criteria name (zone, location codes, SKU, ABC class, or the whole
    warehouse), blind unless the box is cleared: the service snapshots the books as its lines."""
    db = get_db(request)
    form = await forms.typed(request)
    warehouse_id = forms.record_id(form.get("warehouse_id"), "warehouse_id")
    zone = form.get("zone", "")
    zone_id = md.id_by_code(db, md.ZONE, zone, principal=principal, field="zone",
                            warehouse_id=warehouse_id) if zone else None
    codes = [c for c in form.get("location_codes", "").replace(",", " ").split() if c]
    if len(codes) > 500:
        raise InvalidInput("at most 500 locations", field="location_codes")
    location_ids = [md.id_by_code(db, md.LOCATION, c, principal=principal, field="location_codes",
                                  warehouse_id=warehouse_id) for c in codes]
    sku = form.get("sku", "")
    sku_id = md.id_by_code(db, md.SKU, sku, principal=principal, field="sku") if sku else None
    abc = form.get("abc_class") or None
    if abc is not None and abc not in ABC_CLASSES:
        raise InvalidInput("must be A, B or C", field="abc_class")
    criteria = counts.Criteria(warehouse_id, zone_id, location_ids or None, sku_id, abc)
    started = counts.start(db, principal, criteria, blind=form.get("blind") == "1")
    return core.redirect(request, f"/inventory/counts/{started['id']}")


@router.get("/inventory/counts/{count_id}")
def count_page(request: Request, count_id: int, principal: Annotated[Principal, page("stock.read")]) -> Response:
    """A count with its lines; book quantities only where the service shows them (not to blind counters)."""
    found = counts.get_labelled(get_db(request), principal, count_id)
    return core.render(request, "desktop/inventory_count.html", {
        "title": N_("Count"), "item": found, "statuses": COUNT_STATUS, "kinds": COUNT_KIND,
        "stock_status": STOCK_STATUS}, principal=principal)


@router.post("/inventory/counts/{count_id}/entries", dependencies=[Csrf])
async def count_enter(request: Request, count_id: int,
                      principal: Annotated[Principal, page("inventory.count")]) -> Response:
    """The counted (or recounted) quantities of the lines the person filled in; empty boxes are left alone."""
    form = await forms.typed(request)
    entries = []
    for key, raw in form.items():
        if not key.startswith("qty_") or raw == "":
            continue
        line_id = forms.record_id(key.removeprefix("qty_"), key)
        entries.append(counts.Entry(quantity=forms.number(raw, key, zero=True), line_id=line_id))
    if not entries:
        raise InvalidInput("enter the counted quantity of at least one line", field="qty")
    counts.enter(get_db(request), principal, count_id, entries)
    return core.redirect(request, f"/inventory/counts/{count_id}")


@router.post("/inventory/counts/{count_id}/finish", dependencies=[Csrf])
def count_finish(request: Request, count_id: int,
                 principal: Annotated[Principal, page("inventory.count")]) -> Response:
    counts.finish(get_db(request), principal, count_id)
    return core.redirect(request, f"/inventory/counts/{count_id}")


@router.post("/inventory/counts/{count_id}/cancel", dependencies=[Csrf])
def count_cancel(request: Request, count_id: int,
                 principal: Annotated[Principal, page("inventory.count")]) -> Response:
    counts.cancel(get_db(request), principal, count_id)
    return core.redirect(request, f"/inventory/counts/{count_id}")


# ---------------------------------------------------------------- transfers (调拨)

TRANSFER_ROWS = 5


@router.get("/inventory/transfers/new")
def transfer_form(request: Request, principal: Annotated[Principal, page("inventory.transfer")]) -> Response:
    warehouses, owners = _choices(request, principal, md.WAREHOUSE, md.OWNER)
    return core.render(request, "desktop/inventory_transfer_new.html", {
        "title": N_("New transfer"), "warehouses": warehouses, "owners": owners,
        "rows": range(1, TRANSFER_ROWS + 1)}, principal=principal)


@router.post("/inventory/transfers", dependencies=[Csrf])
async def transfer_create(request: Request, principal: Annotated[Principal, page("inventory.transfer")]) -> Response:
    """A transfer order from the form: owner, both warehouses, a reference and the filled line rows (SKU,
    the source location, an optional lot, quantity); empty rows are skipped."""
    db = get_db(request)
    form = await forms.typed(request)
    owner_id = forms.record_id(form.get("owner_id"), "owner_id")
    from_id = forms.record_id(form.get("from_warehouse_id"), "from_warehouse_id")
    to_id = forms.record_id(form.get("to_warehouse_id"), "to_warehouse_id")
    reference = form.get("external_ref", "")
    if not reference or len(reference) > 64:
        raise InvalidInput("is required (at most 64 characters)", field="external_ref")
    lines = []
    for n in range(1, TRANSFER_ROWS + 1):
        sku, location, lot, quantity = (form.get(f"{k}_{n}", "") for k in ("sku", "from", "lot", "qty"))
        if not (sku or location or lot or quantity):
            continue
        if not sku:
            raise InvalidInput("a line needs its SKU", field=f"sku_{n}")
        if not location:
            raise InvalidInput("where is it taken from?", field=f"from_{n}")
        sku_id = md.id_by_code(db, md.SKU, sku, principal=principal, field=f"sku_{n}", owner_id=owner_id)
        location_id = md.id_by_code(db, md.LOCATION, location, principal=principal, field=f"from_{n}",
                                    warehouse_id=from_id)
        lot_id = md.id_by_code(db, md.LOT, lot, principal=principal, field=f"lot_{n}",
                               sku_id=sku_id) if lot else None
        lines.append(transfers.NewTransferLine(sku_id=sku_id, quantity=forms.number(quantity, f"qty_{n}"),
                                               from_location_id=location_id, lot_id=lot_id))
    if not lines:
        raise InvalidInput("a transfer has at least one line", field="sku_1")
    intake = transfers.create_transfer(db, principal, transfers.NewTransfer(owner_id, from_id, to_id, reference,
                                                                            lines))
    return core.redirect(request, f"/inventory/transfers/{intake.transfer['id']}")


@router.get("/inventory/transfers/{transfer_id}")
def transfer_page(request: Request, transfer_id: int,
                  principal: Annotated[Principal, page("stock.read")]) -> Response:
    """A transfer with its lines (shipped, received, in transit) and what may be done with it now."""
    db = get_db(request)
    found = transfers.get_transfer(db, principal, transfer_id)
    warehouses, owners = _choices(request, principal, md.WAREHOUSE, md.OWNER)
    codes = {w["id"]: f"{w['code']} {w['name']}" for w in warehouses}
    return core.render(request, "desktop/inventory_transfer.html", {
        "title": N_("Transfer"), "item": found, "statuses": TRANSFER_STATUS,
        "from_warehouse": codes.get(found["from_warehouse_id"], f"#{found['from_warehouse_id']}"),
        "to_warehouse": codes.get(found["to_warehouse_id"], f"#{found['to_warehouse_id']}"),
        "owner": next((o["code"] for o in owners if o["id"] == found["owner_id"]), f"#{found['owner_id']}")},
        principal=principal)


@router.post("/inventory/transfers/{transfer_id}/ship", dependencies=[Csrf])
def transfer_ship(request: Request, transfer_id: int,
                  principal: Annotated[Principal, page("inventory.transfer")]) -> Response:
    transfers.ship(get_db(request), principal, transfer_id)
    return core.redirect(request, f"/inventory/transfers/{transfer_id}")


@router.post("/inventory/transfers/{transfer_id}/receive", dependencies=[Csrf])
async def transfer_receive(request: Request, transfer_id: int,
                           principal: Annotated[Principal, page("inbound.receive")]) -> Response:
    """Receive a line (or part of it) at a dock of the destination, as the API does (``inbound.receive``)."""
    db = get_db(request)
    form = await forms.typed(request)
    head = transfers.get_transfer(db, principal, transfer_id)
    dock = form.get("location", "")
    if not dock:
        raise InvalidInput("scan or type the dock", field="location")
    location_id = md.id_by_code(db, md.LOCATION, dock, principal=principal, field="location",
                                warehouse_id=head["to_warehouse_id"])
    raw, serial, lpn = form.get("quantity", ""), form.get("serial") or None, form.get("lpn") or None
    transfers.receive(db, principal, transfer_id, transfers.Receive(
        location_id=location_id, line_no=None if serial else forms.record_id(form.get("line_no"), "line_no"),
        serial=serial, quantity=forms.number(raw, "quantity") if raw else None, lpn=lpn))
    return core.redirect(request, f"/inventory/transfers/{transfer_id}")


@router.post("/inventory/transfers/{transfer_id}/close", dependencies=[Csrf])
def transfer_close(request: Request, transfer_id: int,
                   principal: Annotated[Principal, page("inventory.transfer")]) -> Response:
    transfers.close(get_db(request), principal, transfer_id)
    return core.redirect(request, f"/inventory/transfers/{transfer_id}")
