"""Console pages: outbound (shipment orders, waves, packing and shipping)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from stockyard.api.deps import get_db
from stockyard.domain.access import Principal
from stockyard.domain.allocation import OrderType, Rule
from stockyard.domain.errors import DomainError, InvalidInput, NotFound
from stockyard.domain.master import PackLevel
from stockyard.domain.waves import MAX_TRIP_LINES, MAX_TRIP_ORDERS, PickMode
from stockyard.services import masterdata as md
from stockyard.services import orders, packing, waves
from stockyard.web import core, forms, lists
from stockyard.web.deps import Csrf, page
from stockyard.web.i18n import N_

router = APIRouter(include_in_schema=False)

ORDER_STATUS = {"created": N_("Not allocated"), "partially_allocated": N_("Partially allocated"),
                "allocated": N_("Allocated"), "picking": N_("Picking"), "picked": N_("Picked"),
                "packed": N_("Packed"), "shipped": N_("Shipped"), "cancelled": N_("Cancelled")}
ORDER_TYPE = {"sales_b2c": N_("Sales (B2C)"), "sales_b2b": N_("Sales (B2B)"),
              "material_issue": N_("Material issue"), "transfer_out": N_("Transfer out"),
              "return_to_vendor": N_("Return to vendor")}
WAVE_STATUS = {"created": N_("Not released"), "released": N_("Released to picking"), "done": N_("Done"),
               "cancelled": N_("Cancelled")}
PICK_MODE = {"cluster": N_("Cluster"), "batch": N_("Batch"), "zone": N_("Zone")}
TRIP_STATUS = {"open": N_("To do"), "done": N_("Done"), "cancelled": N_("Cancelled")}
PACKAGE_STATUS = {"open": N_("Being packed"), "closed": N_("Closed"), "shipped": N_("Shipped")}

ORDERS = lists.Listing(
    columns=(lists.Column("id", N_("No."), "number", link=lambda r: f"/outbound/orders/{r['id']}"),
             lists.Column("external_ref", N_("Reference")),
             lists.Column("type", N_("Type"), label_of=ORDER_TYPE),
             lists.Column("status", N_("Status"), label_of=ORDER_STATUS),
             lists.Column("priority", N_("Priority"), "number"),
             lists.Column("owner", N_("Owner")), lists.Column("warehouse", N_("Warehouse")),
             lists.Column("quantity", N_("Ordered"), "number", sortable=False),
             lists.Column("allocated", N_("Allocated"), "number", sortable=False),
             lists.Column("on_hold", N_("On hold"), "bool", sortable=False),
             lists.Column("wave_id", N_("Wave"), "number", sortable=False,
                          link=lambda r: f"/outbound/waves/{r['wave_id']}"),
             lists.Column("requested_ship_date", N_("Ship by"), "date"),
             lists.Column("created_at", N_("Created at"), "datetime")),
    filters=(lists.Filter("status", N_("Status"), tuple(ORDER_STATUS.items())),
             lists.Filter("type", N_("Type"), tuple(ORDER_TYPE.items())),
             lists.Filter("warehouse", N_("Warehouse"))),
)


@router.get("/outbound/orders")
def order_list(request: Request, principal: Annotated[Principal, page("stock.read")]) -> Response:
    actions = [(N_("New order"), "/outbound/orders/new")] if principal.can("stock.allocate") else []
    return lists.show(request, get_db(request), principal, orders.order_view(principal), ORDERS,
                      title=N_("Shipment orders"), export_name="orders", context={"page_actions": actions})


# ---------------------------------------------------------------- the order form

ORDER_RULE = {"fefo": N_("FEFO: first expired, first out"), "fifo": N_("FIFO: first in, first out"),
              "lifo": N_("LIFO: last in, first out")}
PACK_LEVEL = {"each": N_("Each"), "inner": N_("Inner"), "case": N_("Case"), "pallet": N_("Pallet")}
# The ship-to as the packing list and the shipping label read it (packing._ship_to).
SHIP_TO = (("name", N_("Recipient")), ("phone", N_("Phone")), ("country", N_("Country")),
           ("province", N_("Province")), ("city", N_("City")), ("district", N_("District")),
           ("street", N_("Street address")), ("postal_code", N_("Postal code")))
ORDER_LINE_ROWS = 6
LINE_FIELDS = ("sku_code", "quantity", "level", "lot_number")


def _order_form(request: Request, principal: Principal, values: dict[str, str],
                error: DomainError | None = None) -> Response:
    db = get_db(request)
    rows = [{c: values.get(f"lines[{i}].{c}", "") for c in LINE_FIELDS} for i in range(ORDER_LINE_ROWS)]
    context = {"title": N_("New shipment order"), "values": values, "rows": rows,
               "owners": forms.options(db, principal, md.OWNER),
               "warehouses": forms.options(db, principal, md.WAREHOUSE),
               "carriers": forms.options(db, principal, md.CARRIER),
               "types": ORDER_TYPE, "rules": ORDER_RULE, "levels": PACK_LEVEL, "ship_to": SHIP_TO}
    return forms.show(request, "desktop/outbound_order_new.html", "desktop/_outbound_order_form.html",
                      "#order-form", context, principal=principal, error=error)


@router.get("/outbound/orders/new")
def order_form(request: Request, principal: Annotated[Principal, page("stock.allocate")]) -> Response:
    return _order_form(request, principal, {"type": OrderType.SALES_B2C.value, "rule": Rule.FEFO.value,
                                            "priority": "0"})


@router.post("/outbound/orders", dependencies=[Csrf])
async def order_create(request: Request, principal: Annotated[Principal, page("stock.allocate")]) -> Response:
    """A shipment order from the form, through the service the API's POST /orders calls; empty line rows are
    skipped. A refusal shows the form again with what was typed and the error at its field."""
    values = await forms.typed(request)
    origins: list[int] = []
    try:
        new = _new_order(values, origins)
        made = orders.create_order(get_db(request), principal, new)
    except DomainError as error:
        refused = forms.on_row(error, origins, lambda row, name: f"lines[{row}].{name}")
        return _order_form(request, principal, values, refused)
    return core.redirect(request, f"/outbound/orders/{made.order['id']}")


def _new_order(values: dict[str, str], origins: list[int]) -> orders.NewOrder:
    """Parse the form (its shapes only: which SKU, lot and stock there are is the service's to say)."""
    owner_id = forms.record_id(values.get("owner_id"), "owner_id")
    warehouse_id = forms.record_id(values.get("warehouse_id"), "warehouse_id")
    reference = forms.text(values, "external_ref", 64, required=True) or ""
    kind = _choice(values, "type", ORDER_TYPE)
    rule = _choice(values, "rule", ORDER_RULE)
    priority = _number(values.get("priority") or "0", "priority", 0, 1_000_000)
    lines = []
    for i in range(ORDER_LINE_ROWS):
        sku, quantity = values.get(f"lines[{i}].sku_code", ""), values.get(f"lines[{i}].quantity", "")
        lot = forms.text(values, f"lines[{i}].lot_number", 64)
        if not sku and not quantity and not lot:
            continue
        if not sku:
            raise InvalidInput("a line with a quantity needs its SKU", field=f"lines[{i}].sku_code")
        if len(sku) > 64:
            raise InvalidInput("at most 64 characters", field=f"lines[{i}].sku_code")
        level = _choice(values, f"lines[{i}].level", PACK_LEVEL, default=PackLevel.EACH.value)
        lines.append(orders.NewOrderLine(quantity=forms.quantity(quantity, f"lines[{i}].quantity"), sku_code=sku,
                                         level=PackLevel(level), lot_number=lot))
        origins.append(i)
    if not lines:
        raise InvalidInput("an order has at least one line", field="lines[0].sku_code")
    ship_to = {key: value for key, _label in SHIP_TO
               if (value := forms.text(values, f"ship_to.{key}", 200)) is not None}
    return orders.NewOrder(
        owner_id=owner_id, warehouse_id=warehouse_id, external_ref=reference, type=OrderType(kind),
        lines=lines, rule=Rule(rule), priority=priority,
        requested_ship_date=_date(values.get("requested_ship_date", ""), "requested_ship_date"),
        carrier_id=forms.optional_id(values.get("carrier_id"), "carrier_id"),
        service_level=forms.text(values, "service_level", 32), ship_to=ship_to or None)


def _choice(values: dict[str, str], field: str, allowed: dict[str, Any], default: str | None = None) -> str:
    value = values.get(field) or default or ""
    if value not in allowed:
        raise InvalidInput("choose one of the offered values", field=field)
    return value


def _date(raw: str, field: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{raw!r} is not a date (YYYY-MM-DD)", field=field) from None


@router.get("/outbound/orders/{order_id}")
def order_page(request: Request, order_id: int, principal: Annotated[Principal, page("stock.read")]) -> Response:
    db = get_db(request)
    found = orders.get_order(db, principal, order_id)
    carrier = None
    if found.get("carrier_id") is not None:
        try:
            carrier = md.get(db, md.CARRIER, int(found["carrier_id"]), principal=principal)
        except NotFound:  # a carrier the person may not see: the order still shows
            carrier = None
    return core.render(request, "desktop/outbound_order.html",
                       {"title": N_("Shipment order"), "item": found, "statuses": ORDER_STATUS,
                        "types": ORDER_TYPE, "rules": ORDER_RULE, "carrier": carrier, "ship_to": SHIP_TO},
                       principal=principal)


@router.post("/outbound/orders/{order_id}/allocate", dependencies=[Csrf])
def order_allocate(request: Request, order_id: int,
                   principal: Annotated[Principal, page("stock.allocate")]) -> Response:
    """Allocate what the order's lines still need; what cannot be found stays open (partially allocated)."""
    orders.allocate(get_db(request), principal, order_id)
    return core.redirect(request, f"/outbound/orders/{order_id}")


# ---------------------------------------------------------------- waves

WAVES = lists.Listing(
    columns=(lists.Column("id", N_("No."), "number", link=lambda r: f"/outbound/waves/{r['id']}"),
             lists.Column("status", N_("Status"), label_of=WAVE_STATUS),
             lists.Column("pick_mode", N_("Pick mode"), label_of=PICK_MODE),
             lists.Column("warehouse", N_("Warehouse")),
             lists.Column("orders", N_("Orders"), "number", sortable=False),
             lists.Column("trips", N_("Trips"), "number", sortable=False),
             lists.Column("trips_done", N_("Trips done"), "number", sortable=False),
             lists.Column("created_by", N_("Created by"), sortable=False),
             lists.Column("created_at", N_("Created at"), "datetime"),
             lists.Column("released_at", N_("Release time"), "datetime")),
    filters=(lists.Filter("status", N_("Status"), tuple(WAVE_STATUS.items())),
             lists.Filter("pick_mode", N_("Pick mode"), tuple(PICK_MODE.items()))),
    searchable=False,
)


@router.get("/outbound/waves")
def wave_list(request: Request, principal: Annotated[Principal, page("outbound.wave")]) -> Response:
    return lists.show(request, get_db(request), principal, waves.wave_view(principal), WAVES, title=N_("Waves"),
                      export_name="waves", context={"page_actions": [(N_("New wave"), "/outbound/waves/new")]})


@router.get("/outbound/waves/new")
def wave_form(request: Request, principal: Annotated[Principal, page("outbound.wave")]) -> Response:
    candidates = waves.wavable_orders(get_db(request), principal)
    warehouses = sorted({(o["warehouse_id"], o["warehouse"]) for o in candidates})
    return core.render(request, "desktop/outbound_wave_new.html",
                       {"title": N_("New wave"), "candidates": candidates, "warehouses": warehouses,
                        "modes": PICK_MODE, "statuses": ORDER_STATUS, "max_orders": MAX_TRIP_ORDERS,
                        "max_lines": MAX_TRIP_LINES}, principal=principal)


@router.post("/outbound/waves", dependencies=[Csrf])
async def wave_create(request: Request, principal: Annotated[Principal, page("outbound.wave")]) -> Response:
    """A wave of the orders ticked; the service refuses an order that is not open or already in a wave."""
    form = await request.form()
    order_ids = [_number(str(v), "order_ids", 1, 10**15) for v in form.getlist("order_ids")]
    if not order_ids:
        raise InvalidInput("choose at least one order", field="order_ids")
    mode = str(form.get("pick_mode") or PickMode.CLUSTER.value)
    if mode not in PICK_MODE:
        raise InvalidInput("is not a pick mode", field="pick_mode")
    settings = waves.PickSettings(PickMode(mode),
                                  _number(str(form.get("max_orders_per_trip") or 8), "max_orders_per_trip", 1,
                                          MAX_TRIP_ORDERS),
                                  _number(str(form.get("max_lines_per_trip") or 40), "max_lines_per_trip", 1,
                                          MAX_TRIP_LINES))
    warehouse_id = _number(str(form.get("warehouse_id") or ""), "warehouse_id", 1, 10**15)
    made = waves.create_wave(get_db(request), principal, waves.NewWave(warehouse_id, order_ids, settings))
    return core.redirect(request, f"/outbound/waves/{made['id']}")


def _number(raw: str, name: str, low: int, high: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise InvalidInput(f"{raw!r} is not a whole number", field=name) from None
    if not low <= value <= high:
        raise InvalidInput(f"must be between {low} and {high}", field=name)
    return value


@router.get("/outbound/waves/{wave_id}")
def wave_page(request: Request, wave_id: int, principal: Annotated[Principal, page("outbound.wave")]) -> Response:
    found = waves.get_wave(get_db(request), principal, wave_id)
    done = sum(1 for trip in found["trips"] if trip["status"] == "done")
    return core.render(request, "desktop/outbound_wave.html",
                       {"title": N_("Wave"), "item": found, "statuses": WAVE_STATUS, "modes": PICK_MODE,
                        "order_statuses": ORDER_STATUS, "trip_statuses": TRIP_STATUS, "trips_done": done},
                       principal=principal)


@router.post("/outbound/waves/{wave_id}/release", dependencies=[Csrf])
def wave_release(request: Request, wave_id: int, principal: Annotated[Principal, page("outbound.wave")]) -> Response:
    """Release the wave: allocate its orders, make and route its trips."""
    waves.release(get_db(request), principal, wave_id)
    return core.redirect(request, f"/outbound/waves/{wave_id}")


@router.post("/outbound/waves/{wave_id}/cancel", dependencies=[Csrf])
def wave_cancel(request: Request, wave_id: int, principal: Annotated[Principal, page("outbound.wave")]) -> Response:
    waves.cancel_wave(get_db(request), principal, wave_id)
    return core.redirect(request, f"/outbound/waves/{wave_id}")


# ---------------------------------------------------------------- packing and shipping

PACKAGES = lists.Listing(
    columns=(lists.Column("id", N_("No."), "number", link=lambda r: f"/outbound/packing/{r['id']}"),
             lists.Column("status", N_("Status"), label_of=PACKAGE_STATUS),
             lists.Column("order_ref", N_("Order"), link=lambda r: f"/outbound/orders/{r['order_id']}"),
             lists.Column("package_no", N_("Package no."), "number", sortable=False),
             lists.Column("owner", N_("Owner")), lists.Column("warehouse", N_("Warehouse")),
             lists.Column("items", N_("Items"), "number", sortable=False),
             lists.Column("weight", N_("Weight (kg)"), "number"),
             lists.Column("tracking_number", N_("Tracking number"), sortable=False),
             lists.Column("created_at", N_("Created at"), "datetime"),
             lists.Column("closed_at", N_("Closed at"), "datetime")),
    filters=(lists.Filter("status", N_("Status"), tuple(PACKAGE_STATUS.items())),
             lists.Filter("warehouse", N_("Warehouse"))),
)


@router.get("/outbound/packing")
def package_list(request: Request, principal: Annotated[Principal, page("outbound.pack")]) -> Response:
    return lists.show(request, get_db(request), principal, packing.package_view(principal), PACKAGES,
                      title=N_("Packing and shipping"), export_name="packages")


@router.get("/outbound/packing/{package_id}")
def package_page(request: Request, package_id: int,
                 principal: Annotated[Principal, page("outbound.pack")]) -> Response:
    found = packing.get_package(get_db(request), principal, package_id)
    return core.render(request, "desktop/outbound_package.html",
                       {"title": N_("Package"), "item": found, "statuses": PACKAGE_STATUS,
                        "order_statuses": ORDER_STATUS}, principal=principal)


@router.get("/outbound/packing/{package_id}/label.pdf")
def package_label(request: Request, package_id: int,
                  principal: Annotated[Principal, page("outbound.pack")]) -> Response:
    """The package's shipping label to print: the same document the API serves."""
    content, media = packing.shipping_label(get_db(request), principal, package_id, "pdf")
    return Response(content, media_type=media)


@router.post("/outbound/packing/{package_id}/ship", dependencies=[Csrf])
def package_ship(request: Request, package_id: int,
                 principal: Annotated[Principal, page("outbound.ship")]) -> Response:
    """Ship the package's order (every closed package of it): the service refuses an order not yet packed."""
    found = packing.get_package(get_db(request), principal, package_id)
    packing.ship(get_db(request), principal, found["order"]["id"])
    return core.redirect(request, f"/outbound/packing/{package_id}")
