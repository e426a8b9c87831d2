"""Console pages: master data lists (warehouses, zones, locations, owners, SKUs, lots, suppliers, customers,
carriers, containers), each record's page, and one create / edit form for all of them.

The form of each kind is declared once (``FORMS``, next to ``SCREENS``); what it sends is checked by the API's
own request bodies and handed to the same service calls the API makes, so a form can do exactly what the API
can and nothing else."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from stockyard.api import schemas as s
from stockyard.api.deps import get_db
from stockyard.api.errors import STATUS
from stockyard.domain.access import Principal
from stockyard.domain.errors import DomainError, Forbidden, InvalidInput, NotFound
from stockyard.domain.master import PACK_ORDER, UNITS
from stockyard.services import masterdata as md
from stockyard.web import core, lists
from stockyard.web.deps import Csrf, page
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


# ---------------------------------------------------------------- forms

LOCATION_KIND = {"storage": N_("Storage"), "pick_face": N_("Pick face"), "dock": N_("Dock"),
                 "staging": N_("Staging"), "packing": N_("Packing"), "shipping": N_("Shipping"), "qc": N_("QC"),
                 "returns": N_("Returns")}  # no "virtual": those come with their warehouse
CONTAINER_KIND = {"pallet": N_("Pallet"), "tote": N_("Tote"), "carton": N_("Carton"), "cage": N_("Cage"),
                  "bin": N_("Bin")}
STORAGE_CONDITION = {"ambient": N_("Ambient"), "air_conditioned": N_("Air-conditioned"), "chilled": N_("Chilled"),
                     "frozen": N_("Frozen"), "hazardous": N_("Hazardous"), "high_value": N_("High value")}
SHORTAGE_POLICY = {"backorder": N_("Backorder the rest"), "short": N_("Close short")}
RECEIPT_TYPE = {"purchase": N_("Purchase"), "customer_return": N_("Customer return"),
                "transfer_in": N_("Transfer in"), "production": N_("Production")}
PACK_LEVEL = {"each": N_("Each"), "inner": N_("Inner"), "case": N_("Case"), "pallet": N_("Pallet")}
BARCODE_KIND = {"gtin": N_("GTIN"), "internal": N_("Internal")}
YES_NO = {"true": N_("Yes"), "false": N_("No")}
ABC = {"A": "A", "B": "B", "C": "C"}


@dataclass(frozen=True)
class FormField:
    """One input of a record form. ``name`` is the API's field; ``kind`` says how it is typed:
    text, number, bool (a checkbox), date, enum (a select of ``options``), ref (a select of the active
    ``ref`` records in the person's scope), code (the code of a ``ref`` record, typed), multi (checkboxes of
    ``options``), list (comma-separated words)."""

    name: str
    label: str
    kind: str = "text"
    options: Mapping[str, str] = field(default_factory=dict)
    ref: md.Entity | None = None
    blank: str | None = None  # the empty choice of an optional select
    hint: str | None = None
    suggest: Sequence[str] = ()  # values offered while typing (a datalist)
    translate: bool = True  # whether the option labels are messages


@dataclass(frozen=True)
class Rows:
    """A few rows of a list the record holds (a SKU's packs or barcodes); a row counts when one of its typed
    cells is filled, and its inputs are named like the API's fields (``packs[0].factor``)."""

    name: str
    label: str
    columns: tuple[FormField, ...]
    count: int = 4


@dataclass(frozen=True)
class RecordForm:
    create: type[BaseModel]  # the API's request bodies: which fields exist, their types, which are required
    update: type[BaseModel]
    fields: tuple[FormField, ...]
    rows: tuple[Rows, ...] = ()


F = FormField
_ACTIVE = F("active", N_("Active"), "bool")
_CODE = F("code", N_("Code"))
_NAME = F("name", N_("Name"))
_WAREHOUSE = F("warehouse_id", N_("Warehouse"), "ref", ref=md.WAREHOUSE)
_OWNER = F("owner_id", N_("Owner"), "ref", ref=md.OWNER)
_PARTY = (_OWNER, _CODE, _NAME, F("contact_name", N_("Contact")), F("phone", N_("Phone")),
          F("email", N_("Email")), _ACTIVE)
_UNITS = tuple(UNITS)

FORMS: dict[str, RecordForm] = {
    "warehouses": RecordForm(s.WarehouseCreate, s.WarehouseUpdate, (
        _CODE, _NAME, F("timezone", N_("Time zone"), hint=N_("e.g. Asia/Shanghai")), _ACTIVE)),
    "zones": RecordForm(s.ZoneCreate, s.ZoneUpdate, (
        _WAREHOUSE, _CODE, _NAME, F("kind", N_("Kind"), "enum", ZONE_KIND), _ACTIVE)),
    "locations": RecordForm(s.LocationCreate, s.LocationUpdate, (
        _WAREHOUSE, F("zone_id", N_("Zone"), "ref", ref=md.ZONE, blank=N_("No zone")), _CODE,
        F("kind", N_("Kind"), "enum", LOCATION_KIND), F("aisle", N_("Aisle")), F("bay", N_("Bay")),
        F("level", N_("Level")), F("position", N_("Position")), F("x", N_("X (m)"), "number"),
        F("y", N_("Y (m)"), "number"), F("pick_sequence", N_("Pick sequence"), "number"),
        F("max_volume", N_("Max volume (m³)"), "number"), F("max_weight", N_("Max weight (kg)"), "number"),
        F("max_units", N_("Max units"), "number"), F("max_pallets", N_("Max pallets"), "number"),
        F("mix_skus", N_("Mixed SKUs allowed"), "bool"), F("mix_lots", N_("Mixed lots allowed"), "bool"),
        F("status", N_("Status"), "enum", LOCATION_STATUS), _ACTIVE)),
    "owners": RecordForm(s.OwnerCreate, s.OwnerUpdate, (
        _CODE, _NAME, F("over_receipt_pct", N_("Over-receipt tolerance, percent"), "number"),
        F("min_shelf_life_days", N_("Minimum shelf life (days)"), "number"),
        F("qc_required", N_("QC required"), "bool"),
        F("qc_receipt_types", N_("Receipt types that go to QC"), "multi", RECEIPT_TYPE),
        F("blind_receiving", N_("Blind receiving"), "bool"),
        F("shortage_policy", N_("Shortage"), "enum", SHORTAGE_POLICY), _ACTIVE)),
    "skus": RecordForm(s.SkuCreate, s.SkuUpdate, (
        _OWNER, _CODE, _NAME, F("specification", N_("Specification")),
        F("base_uom", N_("Unit"), hint=N_("UN/ECE code, e.g. C62 (piece)"), suggest=_UNITS),
        F("decimals", N_("Decimals"), "number"), F("category", N_("Category")),
        F("abc_class", N_("ABC class"), "enum", ABC, blank=N_("None"), translate=False),
        F("length", N_("Length (m)"), "number"), F("width", N_("Width (m)"), "number"),
        F("height", N_("Height (m)"), "number"), F("volume", N_("Volume (m³)"), "number"),
        F("weight", N_("Weight (kg)"), "number"), F("unit_cost", N_("Unit cost"), "number"),
        F("storage_condition", N_("Storage condition"), "enum", STORAGE_CONDITION, blank=N_("None")),
        F("lot_control", N_("Lots"), "bool"), F("expiry_control", N_("Expiry"), "bool"),
        F("shelf_life_days", N_("Shelf life (days)"), "number"), F("serial_control", N_("Serials"), "bool"),
        F("over_receipt_pct", N_("Over-receipt tolerance, percent"), "number", hint=N_("empty: the owner's")),
        F("min_shelf_life_days", N_("Minimum shelf life (days)"), "number", hint=N_("empty: the owner's")),
        F("qc_required", N_("QC required"), "enum", YES_NO, blank=N_("As the owner")), _ACTIVE),
        (Rows("packs", N_("Pack levels"), (
            F("level", N_("Level"), "enum", PACK_LEVEL), F("uom", N_("Unit"), suggest=_UNITS),
            F("factor", N_("Base units in one"), "number"), F("decimals", N_("Decimals"), "number"))),
         Rows("barcodes", N_("Barcodes"), (
             F("barcode", N_("Barcode")), F("kind", N_("Kind"), "enum", BARCODE_KIND),
             F("pack_level", N_("Pack level"), "enum", PACK_LEVEL)), count=3))),
    "lots": RecordForm(s.LotCreate, s.LotUpdate, (
        F("sku_id", N_("SKU code"), "code", ref=md.SKU), F("number", N_("Number")),
        F("production_date", N_("Produced"), "date"), F("expiry_date", N_("Expiry"), "date"), _ACTIVE)),
    "suppliers": RecordForm(s.PartyCreate, s.PartyUpdate, _PARTY),
    "customers": RecordForm(s.PartyCreate, s.PartyUpdate, _PARTY),
    "carriers": RecordForm(s.CarrierCreate, s.CarrierUpdate, (
        _CODE, _NAME, F("scac", N_("SCAC")),
        F("service_levels", N_("Service levels"), "list", hint=N_("separated by commas")), _ACTIVE)),
    "containers": RecordForm(s.ContainerCreate, s.ContainerUpdate, (
        _WAREHOUSE, F("lpn", N_("LPN")), F("sscc", N_("SSCC")), F("kind", N_("Kind"), "enum", CONTAINER_KIND),
        _ACTIVE)),
}

for _kind, _form in FORMS.items():  # a field the API does not know would be refused on every save
    for _field in _form.fields:
        assert _field.name in _form.create.model_fields or _field.name in _form.update.model_fields, (
            _kind, _field.name)

Values = dict[str, Any]  # input name -> what the form shows: a string, or a list of strings (multi)
_ROW_FIELD = re.compile(r"^(\w+)\[(\d+)\](.*)$")


def _text(value: Any) -> str:
    """A stored value as a form shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _shown(f: FormField, value: Any) -> Any:
    if f.kind == "multi":
        return [str(v) for v in value or []]
    if f.kind == "enum" and isinstance(value, bool):
        return "true" if value else "false"
    return _text(value)


def _fields(form: RecordForm, record: Mapping[str, Any] | None) -> list[tuple[FormField, bool]]:
    """The fields of the form and whether each can be typed in: on a new record those of the create body; on an
    existing one those of the update body, with the create-only ones (its identity) shown but fixed."""
    if record is None:
        return [(f, True) for f in form.fields if f.name in form.create.model_fields]
    return [(f, f.name in form.update.model_fields) for f in form.fields]


def _initial(kind: str, record: Mapping[str, Any] | None) -> tuple[Values, dict[str, list[Values]]]:
    """What the form shows before anything is typed: the record, or the defaults of a new one."""
    form, table = FORMS[kind], SCREENS[kind].entity.table
    values: Values = {}
    for f in form.fields:
        if record is not None:
            values[f.name] = _shown(f, record.get(f.name))
            continue
        info = form.create.model_fields.get(f.name)
        default = None if info is None or info.is_required() else info.default
        column = table.c.get(f.name)
        if default is None and column is not None and column.default is not None and column.default.is_scalar:
            default = getattr(column.default, "arg", None)
        values[f.name] = _shown(f, default)
    rows: dict[str, list[Values]] = {}
    for group in form.rows:
        stored = [{c.name: _text(v) for c, v in ((c, item.get(c.name)) for c in group.columns)}
                  for item in (record or {}).get(group.name, [])]
        blank = max(group.count - len(stored), 2) if record else group.count
        rows[group.name] = stored + [_blank_row(group, len(stored) + n) for n in range(blank)]
    return values, rows


def _blank_row(group: Rows, index: int) -> Values:
    row = {c.name: "" for c in group.columns}
    if group.name == "packs":  # one row per level, in order, is how packs are usually written down
        row["level"] = PACK_ORDER[index % len(PACK_ORDER)].value
    return row


def _typed(kind: str, submitted: FormData) -> tuple[Values, dict[str, list[Values]]]:
    """What the person typed, as the form shows it again after a refusal."""
    form = FORMS[kind]
    values: Values = {}
    for f in form.fields:
        values[f.name] = [str(v) for v in submitted.getlist(f.name)] if f.kind == "multi" else \
            str(submitted.get(f.name) or "").strip()
    rows: dict[str, list[Values]] = {}
    for group in form.rows:
        indexes = sorted({int(m.group(2)) for key in submitted
                          if (m := _ROW_FIELD.match(key)) and m.group(1) == group.name})
        rows[group.name] = [{c.name: str(submitted.get(f"{group.name}[{i}].{c.name}") or "").strip()
                             for c in group.columns} for i in indexes[:50]]
    return values, rows


def _body(kind: str, values: Values, rows: dict[str, list[Values]], record: Mapping[str, Any] | None,
          request: Request, principal: Principal) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The request body the API would get, checked by the API's schema: on a new record the fields given
    (``exclude_none``, as the API's create), on an existing one only the fields that differ from it (a PATCH).
    Also which form row each list item came from, to point an error at the row the person sees."""
    form = FORMS[kind]
    raw: dict[str, Any] = {}
    for f, editable in _fields(form, record):
        if not editable:
            continue
        value = values.get(f.name)
        if f.kind == "bool":
            raw[f.name] = value == "true"
        elif f.kind == "multi":
            raw[f.name] = [v for v in value or [] if v]
        elif f.kind == "list":
            raw[f.name] = [v.strip() for v in str(value).split(",") if v.strip()] or None
        elif f.kind == "code" and value and f.ref is not None:
            raw[f.name] = md.id_by_code(get_db(request), f.ref, str(value), principal=principal, field=f.name)
        else:
            raw[f.name] = value or None
    origins: dict[str, list[int]] = {}
    for group in form.rows:
        items, origins[group.name] = [], []
        for index, row in enumerate(rows.get(group.name, [])):
            if not any(row.get(c.name) for c in group.columns if c.kind != "enum"):
                continue  # an empty row
            items.append({c.name: row[c.name] for c in group.columns if row.get(c.name)})
            origins[group.name].append(index)
        raw[group.name] = items
    schema = form.create if record is None else form.update
    if record is None:  # a new record: what is left empty takes the API's default, as in a JSON body without it
        raw = {k: v for k, v in raw.items() if v is not None}
    try:
        checked = schema.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        raise InvalidInput(first["msg"], field=_path(first["loc"])) from None
    if record is None:
        return checked.model_dump(exclude_none=True), origins
    changed = {k: v for k, v in checked.model_dump(exclude_unset=True).items()
               if _plain(v) != _plain(record.get(k))}
    return changed, origins


def _path(location: Sequence[Any]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _plain(value: Any) -> Any:
    """A value to compare a typed one with a stored one: enums by value, numbers by amount."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _on_row(error: DomainError, origins: Mapping[str, list[int]]) -> DomainError:
    """The error with ``packs[1].factor`` renumbered to the form's row, when empty rows were skipped."""
    match = _ROW_FIELD.match(error.field or "")
    if match and match.group(1) in origins and int(match.group(2)) < len(origins[match.group(1)]):
        error.field = f"{match.group(1)}[{origins[match.group(1)][int(match.group(2))]}]{match.group(3)}"
    return error


def _options(kind: str, record: Mapping[str, Any] | None, request: Request,
             principal: Principal) -> dict[str, list[tuple[str, str]]]:
    """The choices of each select, translated: enums, and the active records in scope a reference may name (a
    record's own inactive reference stays offered, so saving it unchanged does not clear it)."""
    _ = core.gettext_for(request)
    db = get_db(request)
    chosen: dict[str, list[tuple[str, str]]] = {}
    warehouses: dict[int, str] = {}
    for f in FORMS[kind].fields:
        if f.kind in ("enum", "multi"):
            chosen[f.name] = [(v, _(text) if f.translate else text) for v, text in f.options.items()]
        elif f.kind == "ref" and f.ref is not None:
            found = md.list_records(db, f.ref, {"active": True}, limit=500, principal=principal).items
            if f.ref is md.WAREHOUSE:
                warehouses = {r["id"]: r["code"] for r in found}
            chosen[f.name] = [(str(r["id"]), _label(r, warehouses)) for r in found]
            current = (record or {}).get(f.name)
            if current is not None and str(current) not in {v for v, _t in chosen[f.name]}:
                chosen[f.name].append((str(current), f"{_reference(db, f, current, principal)} ({_('inactive')})"))
    for group in FORMS[kind].rows:
        for c in group.columns:
            if c.kind == "enum":
                chosen[f"{group.name}.{c.name}"] = [(v, _(text)) for v, text in c.options.items()]
    return chosen


def _label(row: Mapping[str, Any], warehouses: Mapping[int, str]) -> str:
    where = warehouses.get(row.get("warehouse_id") or 0)
    return " ".join(p for p in (row.get("code"), row.get("name"), f"({where})" if where else None) if p)


def _reference(db: Any, f: FormField, value: Any, principal: Principal) -> str:
    assert f.ref is not None
    try:
        found = md.get(db, f.ref, int(value), principal=principal)
    except NotFound:
        return str(value)
    return str(found.get("code") or found.get("number") or value)


def _fixed(kind: str, record: Mapping[str, Any], options: Mapping[str, list[tuple[str, str]]],
           request: Request, principal: Principal) -> dict[str, str]:
    """How the fields that cannot change read on an existing record (its warehouse by code, not its id)."""
    _ = core.gettext_for(request)
    shown: dict[str, str] = {}
    for f, editable in _fields(FORMS[kind], record):
        if editable:
            continue
        value = record.get(f.name)
        if f.kind in ("ref", "code") and value is not None:
            shown[f.name] = dict(options.get(f.name, [])).get(str(value)) or \
                _reference(get_db(request), f, value, principal)
        elif f.kind == "enum":
            shown[f.name] = _(f.options.get(_shown(f, value), _text(value)))
        else:
            shown[f.name] = _text(value)
    return shown


def _form_page(request: Request, principal: Principal, kind: str, record: Mapping[str, Any] | None,
               values: Values, rows: dict[str, list[Values]], error: DomainError | None = None) -> Response:
    form = FORMS[kind]
    options = _options(kind, record, request, principal)
    action = f"/masterdata/{kind}" if record is None else f"/masterdata/{kind}/{record['id']}"
    context = {
        "title": SCREENS[kind].title, "kind": kind, "record": record, "action": action, "fields": _fields(form, record),
        "required": {n for n, info in form.create.model_fields.items() if info.is_required()},
        "groups": form.rows, "values": values, "rows": rows, "options": options, "units": UNITS,
        "fixed": _fixed(kind, record, options, request, principal) if record is not None else {},
        "error": error, "headline": core.KIND_HEADLINES.get(error.kind, "") if error else "",
    }
    status = STATUS[error.kind] if error else 200
    if error is not None and core.is_htmx(request):
        # The form again in place of the one sent: what was typed stays, the refused field is marked.
        return core.render(request, "desktop/_record_form.html", context, principal=principal, status_code=status,
                           headers={"HX-Retarget": "#record-form", "HX-Reswap": "outerHTML"})
    return core.render(request, "desktop/record_form.html", context, principal=principal, status_code=status)


def _may_create(kind: str, principal: Principal) -> bool:
    return principal.can("masterdata.write") and SCREENS[kind].entity.creatable(principal.scope)


def new_form(request: Request, principal: Principal, kind: str) -> Response:
    if not SCREENS[kind].entity.creatable(principal.scope):
        entity = SCREENS[kind].entity
        raise Forbidden(f"creating a {entity.name} needs access to every {entity.name}", code="outside_scope")
    values, rows = _initial(kind, None)
    return _form_page(request, principal, kind, None, values, rows)


def edit_form(request: Request, principal: Principal, kind: str, record_id: int) -> Response:
    record = md.get(get_db(request), SCREENS[kind].entity, record_id, principal=principal)
    values, rows = _initial(kind, record)
    return _form_page(request, principal, kind, record, values, rows)


async def save(request: Request, principal: Principal, kind: str, record_id: int | None) -> Response:
    """Create (``record_id`` None) or change a record from its form with the API's service calls; a refusal
    shows the form again with what was typed and the service's error at its field."""
    db, entity = get_db(request), SCREENS[kind].entity
    record = None if record_id is None else md.get(db, entity, record_id, principal=principal)
    values, rows = _typed(kind, await request.form())
    origins: dict[str, list[int]] = {}
    try:
        body, origins = _body(kind, values, rows, record, request, principal)
        if record is None:
            saved = md.create(db, entity, body, principal=principal)
        elif not body:  # saved unchanged: nothing to write, nothing to audit
            saved = record
        else:
            saved = md.update_record(db, entity, record["id"], body, principal=principal)
    except DomainError as error:
        return _form_page(request, principal, kind, record, values, rows, _on_row(error, origins))
    return core.redirect(request, f"/masterdata/{kind}/{saved['id']}")


# ---------------------------------------------------------------- pages


def record_list(request: Request, principal: Principal, kind: str) -> Response:
    screen = SCREENS[kind]
    listing = lists.Listing(screen.columns, screen.filters)
    actions = [(N_("New"), f"/masterdata/{kind}/new")] if _may_create(kind, principal) else []
    return lists.show(request, get_db(request), principal, md.record_view(screen.entity, principal), listing,
                      title=screen.title, export_name=kind, context={"page_actions": actions})


def record_page(request: Request, principal: Principal, kind: str, record_id: int) -> Response:
    """Every field of one record (a record outside the person's scope is not found, as in the API)."""
    screen = SCREENS[kind]
    record = md.get(get_db(request), screen.entity, record_id, principal=principal)
    labels = FIELDS | {f.name: f.label for f in FORMS[kind].fields if f.kind not in ("ref", "code")} | \
        {c.key: c.label for c in screen.columns}
    return core.render(request, "desktop/record.html", {"title": screen.title, "kind": kind, "record": record,
                                                         "labels": labels,
                                                         "can_write": principal.can("masterdata.write")},
                       principal=principal)


def _routes(kind: str) -> None:
    # One route per kind, not a "/masterdata/{kind}" catch-all: /masterdata/map is another page.
    def listed(request: Request, principal: Annotated[Principal, page("masterdata.read")]) -> Response:
        return record_list(request, principal, kind)

    def one(request: Request, record_id: int, principal: Annotated[Principal, page("masterdata.read")]) -> Response:
        return record_page(request, principal, kind, record_id)

    def new(request: Request, principal: Annotated[Principal, page("masterdata.write")]) -> Response:
        return new_form(request, principal, kind)

    async def create(request: Request, principal: Annotated[Principal, page("masterdata.write")]) -> Response:
        return await save(request, principal, kind, None)

    def edit(request: Request, record_id: int,
             principal: Annotated[Principal, page("masterdata.write")]) -> Response:
        return edit_form(request, principal, kind, record_id)

    async def change(request: Request, record_id: int,
                     principal: Annotated[Principal, page("masterdata.write")]) -> Response:
        return await save(request, principal, kind, record_id)

    def deactivate(request: Request, record_id: int,
                   principal: Annotated[Principal, page("masterdata.write")]) -> Response:
        md.deactivate(get_db(request), SCREENS[kind].entity, record_id, principal=principal)
        return core.redirect(request, f"/masterdata/{kind}/{record_id}")

    base = f"/masterdata/{kind}"
    router.add_api_route(base, listed, methods=["GET"])
    router.add_api_route(base, create, methods=["POST"], dependencies=[Csrf])
    router.add_api_route(f"{base}/new", new, methods=["GET"])  # before /{record_id}, which "new" is not
    router.add_api_route(f"{base}/{{record_id}}", one, methods=["GET"])
    router.add_api_route(f"{base}/{{record_id}}", change, methods=["POST"], dependencies=[Csrf])
    router.add_api_route(f"{base}/{{record_id}}/edit", edit, methods=["GET"])
    router.add_api_route(f"{base}/{{record_id}}/deactivate", deactivate, methods=["POST"], dependencies=[Csrf])


for _kind in SCREENS:
    _routes(_kind)
