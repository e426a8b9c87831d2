"""Console pages: master data lists (warehouses, zones, locations, owners, SKUs, lots, suppliers, customers,
carriers, containers) and each record's page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from stockyard.api.deps import get_db
from stockyard.domain.access import Principal
from stockyard.services import masterdata as md
from stockyard.web import core, lists
from stockyard.web.deps import page
from stockyard.web.i18n import N_

router = APIRouter(include_in_schema=False)

C = lists.Column
ACTIVE = lists.Filter("active", N_("Active"), (("true", N_("Yes")), ("false", N_("No"))))
ZONE_KIND = {"receiving": N_("Receiving"), "storage": N_("Storage"), "picking": N_("Picking"),
             "staging": N_("Staging"), "packing": N_("Packing"), "shipping": N_("Shipping"), "qc": N_("QC"),
             "returns": N_("Returns")}
LOCATION_STATUS = {"active": N_("Active"), "blocked": N_("Blocked")}
# What a record page calls the fields no list column names (the lists' headings name the rest).
FIELDS = {
    "id": N_("No."), "created_at": N_("Created at"), "updated_at": N_("Updated at"), "active": N_("Active"),
    "owner_id": N_("Owner no."), "warehouse_id": N_("Warehouse no."), "zone_id": N_("Zone no."),
    "sku_id": N_("SKU no."), "address": N_("Address"), "contact": N_("Contact"), "email": N_("Email"),
    "specification": N_("Specification"), "decimals": N_("Decimals"), "length": N_("Length (m)"),
    "width": N_("Width (m)"), "height": N_("Height (m)"), "volume": N_("Volume (m³)"), "weight": N_("Weight (kg)"),
    "shelf_life_days": N_("Shelf life (days)"), "storage_condition": N_("Storage condition"),
    "over_receipt_pct": N_("Over-receipt tolerance, percent"),
    "min_shelf_life_days": N_("Minimum shelf life (days)"),
    "qc_required": N_("QC required"), "qc_receipt_types": N_("Receipt types that go to QC"),
    "shortage_policy": N_("Shortage policy"), "attributes": N_("Attributes"), "virtual_kind": N_("Virtual place"),
    "position": N_("Position"), "x": N_("X (m)"), "y": N_("Y (m)"), "max_volume": N_("Max volume (m³)"),
    "max_weight": N_("Max weight (kg)"), "max_pallets": N_("Max pallets"), "mix_skus": N_("Mixed SKUs allowed"),
    "mix_lots": N_("Mixed lots allowed"), "service_levels": N_("Service levels"),
    "packs": N_("Pack levels"), "level": N_("Level"), "uom": N_("Unit"), "factor": N_("Base units in one"),
    "barcodes": N_("Barcodes"), "barcode": N_("Barcode"), "kind": N_("Kind"), "pack_level": N_("Pack level"),
}


@dataclass(frozen=True)
class Screen:
    entity: md.Entity
    title: str
    columns: tuple[lists.Column, ...]
    filters: tuple[lists.Filter, ...] = (ACTIVE,)


def _code(kind: str, key: str = "code") -> lists.Column:
    return C(key, N_("Code") if key == "code" else N_("Number"), link=lambda r: f"/masterdata/{kind}/{r['id']}")


SCREENS: dict[str, Screen] = {
    "warehouses": Screen(md.WAREHOUSE, N_("Warehouses"), (
        _code("warehouses"), C("name", N_("Name")), C("timezone", N_("Time zone")), C("active", N_("Active"), "bool"))),
    "zones": Screen(md.ZONE, N_("Zones"), (
        _code("zones"), C("name", N_("Name")), C("warehouse", N_("Warehouse")),
        C("kind", N_("Kind"), label_of=ZONE_KIND), C("active", N_("Active"), "bool")),
        (lists.Filter("kind", N_("Kind"), tuple(ZONE_KIND.items())), ACTIVE)),
    "locations": Screen(md.LOCATION, N_("Locations"), (
        _code("locations"), C("warehouse", N_("Warehouse")), C("zone", N_("Zone")), C("kind", N_("Kind")),
        C("aisle", N_("Aisle")), C("bay", N_("Bay")), C("level", N_("Level")),
        C("pick_sequence", N_("Pick sequence"), "number"), C("max_units", N_("Max units"), "number"),
        C("status", N_("Status"), label_of=LOCATION_STATUS)),
        (lists.Filter("status", N_("Status"), tuple(LOCATION_STATUS.items())), lists.Filter("aisle", N_("Aisle")),
         ACTIVE)),
    "owners": Screen(md.OWNER, N_("Owners"), (
        _code("owners"), C("name", N_("Name")), C("qc_required", N_("QC required"), "bool"),
        C("blind_receiving", N_("Blind receiving"), "bool"), C("active", N_("Active"), "bool"))),
    "skus": Screen(md.SKU, N_("SKUs"), (
        _code("skus"), C("name", N_("Name")), C("owner", N_("Owner")), C("category", N_("Category")),
        C("abc_class", N_("ABC class")), C("base_uom", N_("Unit")), C("lot_control", N_("Lots"), "bool"),
        C("expiry_control", N_("Expiry"), "bool"), C("serial_control", N_("Serials"), "bool"),
        C("unit_cost", N_("Unit cost"), "number"), C("active", N_("Active"), "bool")),
        (lists.Filter("abc_class", N_("ABC class"), (("A", "A"), ("B", "B"), ("C", "C")), translate=False),
         lists.Filter("category", N_("Category")), ACTIVE)),
    "lots": Screen(md.LOT, N_("Lots"), (
        _code("lots", "number"), C("sku", N_("SKU")), C("production_date", N_("Produced"), "date"),
        C("expiry_date", N_("Expiry"), "date"), C("active", N_("Active"), "bool"))),
    "suppliers": Screen(md.SUPPLIER, N_("Suppliers"), (
        _code("suppliers"), C("name", N_("Name")), C("owner", N_("Owner")), C("contact_name", N_("Contact")),
        C("phone", N_("Phone"), sortable=False), C("active", N_("Active"), "bool"))),
    "customers": Screen(md.CUSTOMER, N_("Customers"), (
        _code("customers"), C("name", N_("Name")), C("owner", N_("Owner")), C("contact_name", N_("Contact")),
        C("phone", N_("Phone"), sortable=False), C("active", N_("Active"), "bool"))),
    "carriers": Screen(md.CARRIER, N_("Carriers"), (
        _code("carriers"), C("name", N_("Name")), C("scac", N_("SCAC")), C("active", N_("Active"), "bool"))),
    "containers": Screen(md.CONTAINER, N_("Containers"), (
        _code("containers", "lpn"), C("sscc", N_("SSCC")), C("warehouse", N_("Warehouse")), C("kind", N_("Kind")),
        C("active", N_("Active"), "bool"))),
}


def record_list(request: Request, principal: Principal, kind: str) -> Response:
    screen = SCREENS[kind]
    listing = lists.Listing(screen.columns, screen.filters)
    return lists.show(request, get_db(request), principal, md.record_view(screen.entity, principal), listing,
                      title=screen.title, export_name=kind)


def record_page(request: Request, principal: Principal, kind: str, record_id: int) -> Response:
    """Every field of one record (a record outside the person's scope is not found, as in the API)."""
    screen = SCREENS[kind]
    record = md.get(get_db(request), screen.entity, record_id, principal=principal)
    labels = {**FIELDS, **{c.key: c.label for c in screen.columns}}
    return core.render(request, "desktop/record.html", {"title": screen.title, "kind": kind, "record": record,
                                                         "labels": labels}, principal=principal)


def _routes(kind: str) -> None:
    # One route per kind, not a "/masterdata/{kind}" catch-all: /masterdata/map is another page.
    def listed(request: Request, principal: Annotated[Principal, page("masterdata.read")]) -> Response:
        return record_list(request, principal, kind)

    def one(request: Request, record_id: int, principal: Annotated[Principal, page("masterdata.read")]) -> Response:
        return record_page(request, principal, kind, record_id)
    router.add_api_route(f"/masterdata/{kind}", listed, methods=["GET"])
    router.add_api_route(f"/masterdata/{kind}/{{record_id}}", one, methods=["GET"])


for _kind in SCREENS:
    _routes(_kind)
