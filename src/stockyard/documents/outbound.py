"""Outbound documents: the pick list of a picker's trip, the packing list of a shipment order and the shipping
label of a package.

Pure renderers, like ``labels.py`` and ``reports.py`` whose pieces they are built from: frozen dataclasses of plain
values in (the service layer fills them from the books), PDF bytes or ZPL text out. Quantities, weights and
dimensions are Decimals printed as given, never through a float.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Generic, Protocol, TypeVar

from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.platypus import PageBreak, Spacer, Table, TableStyle  # type: ignore[import-untyped]

from stockyard.documents.labels import (
    CJK_FONT,
    LabelLine,
    LabelOp,
    clean_text,
    code128_bars,
    code128_text,
    label_pdf,
    label_zpl,
    pdf_font,
    sscc_barcode,
    stacked_barcodes,
    text_block,
)
from stockyard.documents.reports import (
    CELL,
    CONTENT_WIDTH,
    HEADING,
    LABEL,
    NONE,
    TITLE,
    a4_pdf,
    data_table,
    data_table_style,
    fields_table,
    lines_cell,
    paragraph,
    quantity,
    when,
)
from stockyard.domain.errors import InvalidInput

# ---------------------------------------------------------------------------------------------------------------
# The documents' data


@dataclass(frozen=True)
class PickListLine:
    """One pick: take ``quantity`` ``uom`` of the SKU (and lot / serial) at ``location_code``; in cluster picking
    into ``tote``, for the order ``order_ref``. ``step`` is the stop's place on the route."""

    step: int
    location_code: str
    sku_code: str
    sku_name: str
    quantity: Decimal
    uom: str
    lot_number: str | None = None
    expiry_date: date | None = None
    serial: str | None = None
    tote: str | None = None
    order_ref: str | None = None


@dataclass(frozen=True)
class PickList:
    """One picker's trip of a wave. ``route_method`` names how the route was found (``exact``, or a baseline's
    name when it was used instead); ``s_shape_length_m`` is the S-shape route's length for comparison."""

    warehouse_code: str
    warehouse_name: str
    wave_id: int
    trip_id: int
    trip_no: int  # the trip's sequence within its wave
    mode: str  # cluster | batch | zone
    route_length_m: Decimal
    route_method: str
    s_shape_length_m: Decimal | None
    lines: Sequence[PickListLine]
    printed_at: datetime
    zone_code: str | None = None
    picker: str | None = None


# An address: keys country, province, city, district, street, postal_code; any may be missing or None.
Address = Mapping[str, str | None]


@dataclass(frozen=True)
class PackingListItem:
    """What one package holds of one SKU (and lot / serial)."""

    sku_code: str
    sku_name: str
    quantity: Decimal
    uom: str
    lot_number: str | None = None
    expiry_date: date | None = None
    serial: str | None = None


@dataclass(frozen=True)
class PackingListPackage:
    """One package (carton) of the shipment with its items. Dimensions in centimetres, gross weight in kg."""

    package_no: int
    carton_type: str
    length_cm: Decimal
    width_cm: Decimal
    height_cm: Decimal
    weight_kg: Decimal
    items: Sequence[PackingListItem]
    tracking_number: str | None = None


@dataclass(frozen=True)
class PackingList:
    """The packing list of one shipment order: who ships what to whom, package by package."""

    warehouse_name: str  # the shipper
    warehouse_address: Address
    ship_to_name: str
    ship_to_address: Address
    order_ref: str  # the order's external reference
    order_id: int
    owner_code: str
    owner_name: str
    ship_date: date
    packages: Sequence[PackingListPackage]
    printed_at: datetime
    ship_to_phone: str | None = None
    carrier_name: str | None = None
    service_level: str | None = None


@dataclass(frozen=True)
class ShippingLabel:
    """What a package's 4x6 inch shipping label shows. Without a ``tracking_number`` the label's barcode carries
    ``package_ref`` instead. ``sscc``, when given, is printed as a GS1-128 barcode (00); a wrong check digit is
    refused (``InvalidInput``)."""

    ship_from_name: str  # the warehouse's name
    ship_from_city: str | None
    ship_to_name: str
    ship_to_address: Address
    order_ref: str
    package_no: int  # "package 2 of 3": package_no 2 of package_count 3
    package_count: int
    weight_kg: Decimal
    package_ref: str  # the package's own reference, e.g. "PKG-000456"
    ship_to_phone: str | None = None
    carrier_name: str | None = None
    service_level: str | None = None
    tracking_number: str | None = None
    sscc: str | None = None


# ---------------------------------------------------------------------------------------------------------------
# Table columns shared by the pick list and the packing list


class _Item(Protocol):
    """What a pick list line and a packing list item have in common."""

    @property
    def sku_code(self) -> str: ...
    @property
    def sku_name(self) -> str: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def uom(self) -> str: ...
    @property
    def lot_number(self) -> str | None: ...
    @property
    def expiry_date(self) -> date | None: ...
    @property
    def serial(self) -> str | None: ...


_Row = TypeVar("_Row", contravariant=True)


@dataclass(frozen=True)
class _Column(Generic[_Row]):
    """A table column: its header, its width and how a row becomes its cell."""

    title: str
    width: float  # mm; 0 for the one column that takes what the others leave
    cell: Callable[[_Row], Any]
    numeric: bool = False


def _item_columns(items: Sequence[_Item]) -> list[_Column[_Item]]:
    """SKU, name, lot / expiry and serial (only when some item has one: a column of dashes helps nobody), quantity
    and unit."""
    columns: list[_Column[_Item]] = [_Column("SKU", 20, lambda item: paragraph(item.sku_code, CELL)),
                                     _Column("Name", 0, lambda item: paragraph(item.sku_name, CELL))]
    if any(item.lot_number or item.expiry_date for item in items):
        columns.append(_Column("Lot / expiry", 23, _lot_cell))
    if any(item.serial for item in items):
        columns.append(_Column("Serial", 20, lambda item: paragraph(item.serial or "", CELL)))
    return [*columns, _Column("Qty", 13, lambda item: quantity(item.quantity), numeric=True),
            _Column("Unit", 10, lambda item: paragraph(item.uom, CELL))]


def _lot_cell(item: _Item) -> Any:
    expiry = f"exp {item.expiry_date.isoformat()}" if item.expiry_date else ""
    return lines_cell(item.lot_number or "", expiry)


def _columns_table(columns: Sequence[_Column[_Row]], rows: Sequence[_Row],
                   style: Sequence[tuple[Any, ...]] = ()) -> Any:
    """The rows as a table in the documents' look, the flexible column as wide as the page leaves."""
    fixed = sum(column.width for column in columns) * mm
    widths = [column.width * mm or CONTENT_WIDTH - fixed for column in columns]
    data: list[list[Any]] = [[column.title for column in columns]]
    data += [[column.cell(row) for column in columns] for row in rows]
    # One numeric column (the quantity) in either table; data_table_style right-aligns a range of columns.
    numeric = next(index for index, column in enumerate(columns) if column.numeric)
    return data_table(data, widths, data_table_style(len(data), range(numeric, numeric + 1)) + list(style))


def _units(pairs: Iterable[tuple[str, Decimal]]) -> str:
    """Quantities summed per unit, "40 EA · 2.5 KGM": adding kilograms to pieces would mean nothing."""
    totals: dict[str, Decimal] = {}
    for uom, amount in pairs:
        totals[uom] = totals.get(uom, Decimal(0)) + amount
    return " · ".join(f"{quantity(amount)} {uom}" for uom, amount in totals.items()) or "0"


# ---------------------------------------------------------------------------------------------------------------
# Pick list


def trip_reference(trip_id: int) -> str:
    """What the pick list's barcode carries, for a handheld to open the trip by scanning it: "TRIP-123"."""
    return f"TRIP-{trip_id}"


def pick_list_pdf(doc: PickList) -> bytes:
    """The trip's pick list as an A4 PDF: the trip's barcode and header, the stops in walking order (by step) with
    an empty "Picked" box each, totals, and "Page n of m" on every page."""
    reference = trip_reference(doc.trip_id)
    footer = f"Pick list {reference} · wave {doc.wave_id} · {doc.warehouse_code} · printed {when(doc.printed_at)}"
    return a4_pdf(_pick_story(doc), title=f"Pick list {reference}", footer=footer)


def wave_pick_lists_pdf(wave_id: int, docs: Sequence[PickList], printed_at: datetime) -> bytes:
    """Every trip's pick list of a wave in one A4 PDF, each trip from a new page, so a supervisor prints the wave
    at once and hands each picker the sheets of a trip; "Page n of m" counts through the whole wave."""
    story: list[Any] = []
    for n, doc in enumerate(docs):
        story += ([PageBreak()] if n else []) + _pick_story(doc)
    warehouse = docs[0].warehouse_code if docs else ""
    footer = f"Pick lists of wave {wave_id} · {len(docs)} trips · {warehouse} · printed {when(printed_at)}"
    return a4_pdf(story or [paragraph("This wave has no trips.", CELL)], title=f"Pick lists of wave {wave_id}",
                  footer=footer)


def _pick_story(doc: PickList) -> list[Any]:
    reference = trip_reference(doc.trip_id)
    lines = sorted(doc.lines, key=lambda line: line.step)  # stable: lines of one step keep their order
    story: list[Any] = [_title_with_barcode(f"Pick list {reference}", reference), fields_table(_pick_header(doc)),
                        Spacer(1, 6 * mm), paragraph("Stops in walking order", HEADING)]
    story.append(_stops_table(lines) if lines else paragraph("This trip has no lines.", CELL))
    story += [Spacer(1, 4 * mm), fields_table(_pick_totals(lines))]
    return story


_MODULE = 0.33 * mm  # a Code 128 module that office laser printers print and handhelds read reliably
_BARCODE_COLUMN = 70 * mm


def _title_with_barcode(title: str, reference: str) -> Any:
    """The title on the left, the reference's Code 128 barcode with its text on the right, where a handheld
    finds it first."""
    barcode = [code128_bars(reference, module=_MODULE, height=12 * mm), paragraph(reference, _CENTRED)]
    table = Table([[paragraph(title, TITLE), barcode]], colWidths=[CONTENT_WIDTH - _BARCODE_COLUMN, _BARCODE_COLUMN],
                  hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "CENTRE"),
                               ("LEFTPADDING", (0, 0), (0, 0), 0), ("RIGHTPADDING", (1, 0), (1, 0), 0)]))
    return table


_CENTRED = ParagraphStyle("centred", parent=CELL, alignment=1)


def _pick_header(doc: PickList) -> list[tuple[str, str, str, str]]:
    return [("Warehouse", f"{doc.warehouse_code} · {doc.warehouse_name}", "Wave", str(doc.wave_id)),
            ("Trip", f"{trip_reference(doc.trip_id)} (trip {doc.trip_no} of the wave)", "Mode", doc.mode),
            ("Zone", doc.zone_code or NONE, "Picker", doc.picker or NONE),
            ("Route", f"{_metres(doc.route_length_m)} ({doc.route_method})", "S-shape", _s_shape(doc)),
            ("Printed", when(doc.printed_at), "", "")]


def _metres(length: Decimal) -> str:
    # Decimetres are as precise as walking gets; a solver's length may carry many more digits.
    return f"{length.quantize(Decimal('0.1'), ROUND_HALF_UP)} m"


def _s_shape(doc: PickList) -> str:
    """The S-shape route's length and how much shorter this route is, so that the saving is visible."""
    if doc.s_shape_length_m is None:
        return NONE
    text = _metres(doc.s_shape_length_m)
    if doc.s_shape_length_m > 0 and doc.route_length_m < doc.s_shape_length_m:
        saving = (doc.s_shape_length_m - doc.route_length_m) / doc.s_shape_length_m * 100
        text += f" (this route {saving.quantize(Decimal('0.1'), ROUND_HALF_UP)} % shorter)"
    return text


def _stops_table(lines: Sequence[PickListLine]) -> Any:
    columns: list[_Column[PickListLine]] = [_Column("#", 7, lambda line: str(line.step)),
                                            _Column("Location", 20, lambda line: paragraph(line.location_code, LABEL)),
                                            *_item_columns(lines)]
    if any(line.tote or line.order_ref for line in lines):
        columns.append(_Column("Tote / order", 25, _tote_cell))
    columns.append(_Column("Picked", 11, lambda line: ""))
    # A box to tick in every row of the last column.
    return _columns_table(columns, lines, [("GRID", (-1, 1), (-1, -1), 0.8, colors.black)])


def _tote_cell(line: PickListLine) -> Any:
    # The tote in bold: it is what the picker has to find on the cart.
    return lines_cell(line.tote or "", line.order_ref or "", bold_first=bool(line.tote))


def _pick_totals(lines: Sequence[PickListLine]) -> list[tuple[str, str, str, str]]:
    # Consecutive lines at one location are one stop: the picker takes them all before walking on.
    stops = sum(1 for index, line in enumerate(lines)
                if index == 0 or line.location_code != lines[index - 1].location_code)
    return [("Lines", str(len(lines)), "Stops", str(stops)),
            ("Units", _units((line.uom, line.quantity) for line in lines), "", "")]


# ---------------------------------------------------------------------------------------------------------------
# Packing list


def packing_list_pdf(doc: PackingList) -> bytes:
    """The shipment's packing list as an A4 PDF: shipper and consignee, the order, each package with its carton,
    dimensions, weight, tracking number and items, then the totals; "Page n of m" on every page."""
    footer = f"Packing list {doc.order_ref} · printed {when(doc.printed_at)}"
    return a4_pdf(_packing_story(doc), title=f"Packing list {doc.order_ref}", author=doc.warehouse_name,
                  footer=footer)


def _packing_story(doc: PackingList) -> list[Any]:
    story: list[Any] = [paragraph(f"Packing list {doc.order_ref}", TITLE), fields_table(_packing_header(doc)),
                        Spacer(1, 6 * mm)]
    count = len(doc.packages)
    # The same columns in every package's table, so that they line up from one package to the next.
    columns = _item_columns([item for package in doc.packages for item in package.items])
    for package in doc.packages:
        story += [paragraph(f"Package {package.package_no} of {count}", _PACKAGE_HEADING),
                  paragraph(_package_summary(package), CELL), Spacer(1, 2 * mm)]
        items = package.items
        story.append(_columns_table(columns, items) if items else paragraph("Empty.", CELL))
        story.append(Spacer(1, 5 * mm))
    if not doc.packages:
        story.append(paragraph("This shipment has no packages.", CELL))
    story += [paragraph("Totals", HEADING), fields_table(_packing_totals(doc))]
    return story


# keepWithNext: a package's heading never ends a page without its items.
_PACKAGE_HEADING = ParagraphStyle("package", parent=HEADING, keepWithNext=1, spaceAfter=1 * mm)


def _packing_header(doc: PackingList) -> list[tuple[Any, ...]]:
    shipper = lines_cell(doc.warehouse_name, *address_lines(doc.warehouse_address), bold_first=True)
    phone = f"Tel. {doc.ship_to_phone}" if doc.ship_to_phone else ""
    consignee = lines_cell(doc.ship_to_name, *address_lines(doc.ship_to_address), phone, bold_first=True)
    return [("Shipper", shipper, "Ship to", consignee),
            ("Order", f"{doc.order_ref} (id {doc.order_id})", "Ship date", doc.ship_date.isoformat()),
            ("Owner", f"{doc.owner_code} · {doc.owner_name}", "Carrier", _carrier(doc.carrier_name, doc.service_level)),
            ("Printed", when(doc.printed_at), "", "")]


def _carrier(name: str | None, service_level: str | None) -> str:
    return " · ".join(part for part in (name, service_level) if part) or NONE


def _package_summary(package: PackingListPackage) -> str:
    size = " × ".join(quantity(side) for side in (package.length_cm, package.width_cm, package.height_cm))
    return (f"Carton {package.carton_type} · {size} cm · {quantity(package.weight_kg)} kg"
            f" · tracking number {package.tracking_number or NONE}")


def _packing_totals(doc: PackingList) -> list[tuple[str, str, str, str]]:
    units = _units((item.uom, item.quantity) for package in doc.packages for item in package.items)
    weight = sum((package.weight_kg for package in doc.packages), Decimal(0))
    return [("Packages", str(len(doc.packages)), "Gross weight", f"{quantity(weight)} kg"),
            ("Units", units, "", "")]


def address_lines(address: Address) -> list[str]:
    """The address's lines as printed. A Chinese address runs from the largest unit down (中国 上海市 浦东新区,
    then the street, then the postal code); others from the street up (street, district, postal code and city,
    province, country). Missing parts are left out."""
    part = {key: clean_text(address.get(key) or "") for key in _ADDRESS_KEYS}
    if any(pdf_font(text) == CJK_FONT for text in part.values()):
        units = [part[key] for key in ("country", "province", "city", "district") if part[key]]
        # A municipality (上海市) is its own province and city: named once.
        units = [unit for index, unit in enumerate(units) if index == 0 or unit != units[index - 1]]
        lines = [" ".join(units), part["street"], part["postal_code"]]
    else:
        lines = [part["street"], part["district"], f"{part['postal_code']} {part['city']}".strip(),
                 part["province"], part["country"]]
    return [line for line in lines if line]


_ADDRESS_KEYS = ("country", "province", "city", "district", "street", "postal_code")


# ---------------------------------------------------------------------------------------------------------------
# Shipping label: one layout (labels.py's pieces), printed as ZPL or PDF


def shipping_label_zpl(label: ShippingLabel, *, dpi: int = 203, unicode_font: str | None = None) -> str:
    """The shipping label as ZPL for a 4x6 inch Zebra label at ``dpi``. Text goes as UTF-8 hex, as on the pallet
    label (``pallet_label_zpl``); printer font 0 has Latin glyphs only, so pass ``unicode_font`` (a font stored
    on the printer, e.g. ``"E:SIMSUN.TTF"``) for Chinese names and addresses to print."""
    return label_zpl(_shipping_layout(label), dpi=dpi, unicode_font=unicode_font)


def shipping_label_pdf(label: ShippingLabel) -> bytes:
    """The same shipping label as ``shipping_label_zpl``, as a one-page 4x6 inch PDF (Chinese in the CID font)."""
    return label_pdf(_shipping_layout(label), title=f"Shipping label {label.order_ref} {label.package_ref}")


def _shipping_layout(label: ShippingLabel) -> list[LabelOp]:
    """Sender, consignee, carrier and package text on top; the tracking barcode (or the package reference's) and
    the SSCC's below, the SSCC lowest as on GS1 logistic labels."""
    if not 1 <= label.package_no <= label.package_count:
        raise InvalidInput(f"package {label.package_no} of {label.package_count} does not exist", field="package_no")
    barcodes = [(code128_text(label.tracking_number, field="tracking_number"), label.tracking_number)
                if label.tracking_number else (code128_text(label.package_ref, field="package_ref"), label.package_ref)]
    if label.sscc is not None:
        barcodes.append(sscc_barcode(label.sscc, field="sscc"))
    ops, y = text_block(_shipping_lines(label))
    return [*ops, *stacked_barcodes(barcodes, y)]


def _shipping_lines(label: ShippingLabel) -> list[LabelLine | None]:
    sender = ", ".join(part for part in (label.ship_from_name, label.ship_from_city) if part)
    lines: list[LabelLine | None] = [LabelLine(f"From: {sender}", 3.0), None, LabelLine("SHIP TO", 2.5),
                                     LabelLine(label.ship_to_name, 5.0, bold=True, max_lines=2)]
    lines += [LabelLine(line, 4.0, max_lines=2) for line in address_lines(label.ship_to_address)]
    if label.ship_to_phone:
        lines.append(LabelLine(f"Tel. {label.ship_to_phone}", 4.0))
    lines += [None, LabelLine(_carrier(label.carrier_name, label.service_level), 5.0, bold=True),
              LabelLine(f"Order: {label.order_ref}", 3.5, whole=True),
              LabelLine(f"Package {label.package_no} of {label.package_count}    Weight: "
                        f"{quantity(label.weight_kg)} kg", 4.5, bold=True),
              None, LabelLine(f"Tracking number: {label.tracking_number or NONE}", 4.0, bold=True, whole=True)]
    return lines
