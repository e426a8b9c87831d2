"""Outbound documents without a database: the pick list and packing list PDFs and the shipping label (ZPL, PDF).

PDFs are read back as the pallet label and receiving report tests read them (``test_documents``): text from the
inflated content streams, barcodes decoded from the bars ReportLab drew.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from stockyard.documents.labels import FNC1, text_runs
from stockyard.documents.outbound import (
    PackingList,
    PackingListItem,
    PackingListPackage,
    PickList,
    PickListLine,
    ShippingLabel,
    address_lines,
    packing_list_pdf,
    pick_list_pdf,
    shipping_label_pdf,
    shipping_label_zpl,
    trip_reference,
    wave_pick_lists_pdf,
)
from stockyard.domain.errors import InvalidInput
from tests.unit.test_documents import (
    bc_fields,
    decode_zpl,
    page_contents,
    page_count,
    pdf_barcodes,
    pdf_streams,
    pdf_text,
    shown_strings,
)

SSCC = "123456789012345675"
PRINTED = datetime(2026, 5, 10, 14, 30, tzinfo=UTC)
SHANGHAI = {"country": "中国", "province": "上海市", "city": "上海市", "district": "浦东新区",
            "street": "世纪大道100号", "postal_code": "200120"}
ROTTERDAM = {"street": "Coolsingel 40", "postal_code": "3011 AD", "city": "Rotterdam", "country": "Netherlands"}


def text_of(pdf: bytes) -> str:
    return "\n".join(pdf_text(content) for content in page_contents(pdf))


def shows(text: str, phrase: str) -> bool:
    """Whether the PDF text has the phrase: a line mixing scripts is drawn as runs in two fonts (Chinese in the
    CID font, Latin, digits and spaces in Helvetica), so each run is looked for on its own."""
    return all(run.strip() in text for _, run in text_runs(phrase) if run.strip())


def rows_of(pdf: bytes) -> list[str]:
    """Every Helvetica string drawn, in drawing order: a table is drawn row by row."""
    return [s.decode("cp1252", errors="replace") for s in shown_strings(b"".join(page_contents(pdf)))]


# ---------------------------------------------------------------------------------------------------------------
# Pick list


def pick(step: int, location: str, sku: str, qty: str = "1", uom: str = "EA", **extra: Any) -> PickListLine:
    return PickListLine(step=step, location_code=location, sku_code=sku, sku_name=f"Product {sku}",
                        quantity=Decimal(qty), uom=uom, **extra)


def pick_list(lines: list[PickListLine], **change: Any) -> PickList:
    doc = PickList(warehouse_code="SH1", warehouse_name="Shanghai DC", wave_id=17, trip_id=123, trip_no=2,
                   mode="cluster", route_length_m=Decimal("431.2671"), route_method="exact optimum",
                   s_shape_length_m=Decimal("512.5"), lines=lines, printed_at=PRINTED, zone_code="PICK-A",
                   picker="li.wei")
    return replace(doc, **change)


CLUSTER = [pick(1, "A-01-01", "SKU-1", "2", tote="T-01", order_ref="SO-0001", lot_number="L1",
                expiry_date=date(2026, 12, 31)),
           pick(1, "A-01-01", "SKU-1", "3", tote="T-02", order_ref="SO-0002", lot_number="L1",
                expiry_date=date(2026, 12, 31)),
           pick(2, "B-07-02", "SKU-2", "2.5", uom="KGM", tote="T-01", order_ref="SO-0001"),
           pick(3, "C-12-01", "SKU-3", tote="T-02", order_ref="SO-0002", serial="SN-0042")]


def test_pick_list_shows_the_trip_header_and_its_route() -> None:
    text = text_of(pick_list_pdf(pick_list(CLUSTER)))
    for expected in ("Pick list TRIP-123", "SH1 · Shanghai DC", "TRIP-123 (trip 2 of the wave)", "17", "cluster",
                     "PICK-A", "li.wei", "431.3 m (exact optimum)", "512.5 m (this route 15.9 % shorter)",
                     "2026-05-10 14:30 UTC", "Page 1 of"):
        assert expected in text, expected


def test_pick_list_lists_the_stops_in_route_order_with_tote_order_lot_and_serial() -> None:
    shuffled = [CLUSTER[3], CLUSTER[2], CLUSTER[0], CLUSTER[1]]  # printed by step, whatever the order given
    rows = rows_of(pick_list_pdf(pick_list(shuffled)))
    locations = [row for row in rows if re.fullmatch(r"[A-C]-\d\d-\d\d", row)]
    assert locations == ["A-01-01", "A-01-01", "B-07-02", "C-12-01"]
    first = rows.index("A-01-01")
    assert rows[first - 1:first + 9] == ["1", "A-01-01", "SKU-1", "Product SKU-1", "L1", "exp 2026-12-31", "2",
                                         "EA", "T-01", "SO-0001"]
    assert rows[first + 9:first + 11] == ["1", "A-01-01"]  # the second order's pick at the same stop
    assert "SN-0042" in rows and "2.5" in rows and "KGM" in rows
    for column in ("#", "Location", "SKU", "Name", "Lot / expiry", "Serial", "Qty", "Unit", "Tote / order", "Picked"):
        assert column in rows


def test_pick_list_totals_lines_stops_and_units_per_unit() -> None:
    rows = rows_of(pick_list_pdf(pick_list(CLUSTER)))
    totals = rows[rows.index("Lines"):]
    # Two lines at A-01-01 are one stop; kilograms are not added to pieces.
    assert totals == ["Lines", "4", "Stops", "3", "Units", "6 EA · 2.5 KGM"]


def test_pick_list_barcode_is_the_trip_reference_a_handheld_scans() -> None:
    assert trip_reference(123) == "TRIP-123"
    assert pdf_barcodes(pick_list_pdf(pick_list(CLUSTER))) == ["TRIP-123"]


def test_batch_pick_list_has_no_columns_nobody_would_fill_in() -> None:
    batch = pick_list([pick(1, "A-01-01", "SKU-1", "12"), pick(2, "A-02-01", "SKU-2", "4")], mode="batch",
                      zone_code=None, picker=None, s_shape_length_m=None)
    text = text_of(pick_list_pdf(batch))
    assert "Lot / expiry" not in text and "Serial" not in text and "Tote / order" not in text
    assert "Picked" in text and "batch" in text and "16 EA" in text
    assert text.count("—") == 3  # zone, picker and the S-shape comparison are shown as unknown


def test_pick_list_with_chinese_sku_names_uses_the_cid_font() -> None:
    lines = [replace(CLUSTER[0], sku_name="番茄汤 400克"), replace(CLUSTER[2], sku_name="橄榄油 特级初榨 1升")]
    pdf = pick_list_pdf(pick_list(lines, warehouse_name="上海浦东仓", picker="李伟"))
    assert b"STSong-Light" in pdf
    text = text_of(pdf)
    assert all(shows(text, phrase) for phrase in ("番茄汤 400克", "橄榄油 特级初榨 1升", "上海浦东仓", "李伟"))


def test_a_long_pick_list_runs_over_pages_with_its_header_row_and_page_footer() -> None:
    lines = [pick(n, f"A-{n:03d}-01", f"SKU-{n}", tote=f"T-{n % 8}", order_ref=f"SO-{n % 8}") for n in range(1, 201)]
    pdf = pick_list_pdf(pick_list(lines))
    pages = page_contents(pdf)
    assert len(pages) == page_count(pdf) > 2
    for number, content in enumerate(pages, 1):
        text = pdf_text(content)
        assert f"Page {number} of" in text and "Pick list TRIP-123 · wave 17" in text
        if "A-" in text:
            assert "Location" in text and "Picked" in text  # the header row again on every page
    locations = re.findall(r"A-\d{3}-01", "\n".join(pdf_text(content) for content in pages))
    assert locations == [f"A-{n:03d}-01" for n in range(1, 201)]
    assert "200" in pdf_text(pages[-1]) and "Stops" in pdf_text(pages[-1])
    forms = [data for head, data in pdf_streams(pdf) if b"/Subtype /Form" in head]
    assert [shown_strings(form) for form in forms] == [[str(len(pages)).encode()]]  # the "of m"


def test_pick_list_is_reproducible() -> None:
    assert pick_list_pdf(pick_list(CLUSTER)) == pick_list_pdf(pick_list(CLUSTER))


# ---------------------------------------------------------------------------------------------------------------
# Packing list


def item(sku: str, qty: str, uom: str = "EA", name: str | None = None, **extra: Any) -> PackingListItem:
    return PackingListItem(sku_code=sku, sku_name=name or f"Product {sku}", quantity=Decimal(qty), uom=uom, **extra)


def package(no: int, weight: str, items: list[PackingListItem], **extra: Any) -> PackingListPackage:
    return PackingListPackage(package_no=no, carton_type="M40", length_cm=Decimal("40"), width_cm=Decimal("30"),
                              height_cm=Decimal("20.5"), weight_kg=Decimal(weight), items=items, **extra)


PACKAGES = [package(1, "4.200", [item("SKU-1", "12", lot_number="L1", expiry_date=date(2026, 12, 31)),
                                 item("SKU-2", "1", serial="SN-0042")], tracking_number="SF1234567890"),
            package(2, "1.1", [item("SKU-1", "8", lot_number="L2"), item("SKU-9", "2.5", uom="KGM")])]


def packing_list(**change: Any) -> PackingList:
    doc = PackingList(warehouse_name="Shanghai DC", warehouse_address=SHANGHAI, ship_to_name="ACME Foods B.V.",
                      ship_to_address=ROTTERDAM, order_ref="SO-2026-00001", order_id=42, owner_code="ACME",
                      owner_name="ACME Trading", ship_date=date(2026, 5, 11), packages=PACKAGES, printed_at=PRINTED,
                      ship_to_phone="+31 10 123 4567", carrier_name="SF Express", service_level="International")
    return replace(doc, **change)


def test_packing_list_shows_shipper_consignee_order_and_carrier() -> None:
    text = text_of(packing_list_pdf(packing_list()))
    for expected in ("Packing list SO-2026-00001", "Shipper", "Shanghai DC", "中国 上海市 浦东新区", "世纪大道100号",
                     "200120", "Ship to", "ACME Foods B.V.", "Coolsingel 40", "3011 AD Rotterdam", "Netherlands",
                     "Tel. +31 10 123 4567", "SO-2026-00001 (id 42)", "ACME · ACME Trading", "2026-05-11",
                     "SF Express · International", "Page 1 of"):
        assert shows(text, expected), expected


def test_packing_list_shows_each_package_with_its_carton_and_items() -> None:
    rows = rows_of(packing_list_pdf(packing_list()))
    assert "Package 1 of 2" in rows and "Package 2 of 2" in rows
    assert "Carton M40 · 40 × 30 × 20.5 cm · 4.200 kg · tracking number SF1234567890" in rows
    assert "Carton M40 · 40 × 30 × 20.5 cm · 1.1 kg · tracking number —" in rows
    first = rows.index("SKU-1")
    assert rows[first:first + 6] == ["SKU-1", "Product SKU-1", "L1", "exp 2026-12-31", "12", "EA"]
    assert rows[rows.index("SKU-2"):rows.index("SKU-2") + 5] == ["SKU-2", "Product SKU-2", "SN-0042", "1", "EA"]
    assert rows.index("Package 2 of 2") < rows.index("SKU-9")


def test_packing_list_totals_packages_units_per_unit_and_gross_weight() -> None:
    rows = rows_of(packing_list_pdf(packing_list()))
    assert rows[rows.index("Packages"):] == ["Packages", "2", "Gross weight", "5.300 kg", "Units", "21 EA · 2.5 KGM"]


def test_packing_list_without_the_optional_parts() -> None:
    doc = packing_list(ship_to_address={"city": "Rotterdam"}, ship_to_phone=None, carrier_name=None,
                       service_level=None, warehouse_address={}, packages=[])
    text = text_of(packing_list_pdf(doc))
    assert "Rotterdam" in text and "Tel." not in text and "This shipment has no packages." in text
    assert "Gross weight" in text and "0 kg" in text


def test_packing_list_with_chinese_consignee() -> None:
    doc = packing_list(ship_to_name="张三", ship_to_address={**SHANGHAI, "street": "陆家嘴环路 1000 号"},
                       packages=[package(1, "2", [item("SKU-1", "3", name="番茄汤 400克")])])
    pdf = packing_list_pdf(doc)
    text = text_of(pdf)
    assert b"STSong-Light" in pdf
    assert all(shows(text, phrase) for phrase in ("张三", "陆家嘴环路 1000 号", "番茄汤 400克"))


@pytest.mark.parametrize(("address", "lines"), [
    (SHANGHAI, ["中国 上海市 浦东新区", "世纪大道100号", "200120"]),  # largest first; a municipality named once
    ({**SHANGHAI, "city": "上海市", "province": "广东省"}, ["中国 广东省 上海市 浦东新区", "世纪大道100号", "200120"]),
    (ROTTERDAM, ["Coolsingel 40", "3011 AD Rotterdam", "Netherlands"]),
    ({"city": "Berlin", "street": None, "country": ""}, ["Berlin"]),
    ({}, []),
])
def test_address_lines(address: dict[str, str | None], lines: list[str]) -> None:
    assert address_lines(address) == lines


# ---------------------------------------------------------------------------------------------------------------
# Shipping label


LABEL = ShippingLabel(ship_from_name="Shanghai DC", ship_from_city="Shanghai", ship_to_name="ACME Foods B.V.",
                      ship_to_address=ROTTERDAM, order_ref="SO-2026-00001", package_no=2, package_count=3,
                      weight_kg=Decimal("4.20"), package_ref="PKG-000456", ship_to_phone="+31 10 123 4567",
                      carrier_name="SF Express", service_level="International", tracking_number="SF1234567890123",
                      sscc=SSCC)


def zpl_texts(zpl: str) -> list[str]:
    """The text fields of a label, ^FH hex escapes decoded."""
    fields = re.findall(r"\^FH\^FD(.*?)\^FS", zpl)
    return [re.sub(rb"_([0-9A-F]{2})", lambda m: bytes([int(m.group(1), 16)]), f.encode()).decode() for f in fields]


def test_zpl_label_carries_the_tracking_number_as_code_128_and_as_text() -> None:
    zpl = shipping_label_zpl(LABEL)
    assert zpl.count("^XA") == 1 and zpl.count("^XZ") == 1 and "^PW812" in zpl and "^LL1218" in zpl
    fields = bc_fields(zpl)
    assert decode_zpl(fields[0]) == "SF1234567890123"
    assert "^FDTracking number: SF1234567890123^FS" in zpl
    assert "SF1234567890123" in zpl_texts(zpl)  # under the barcode as well


def test_zpl_label_sscc_is_gs1_128_with_fnc1() -> None:
    fields = bc_fields(shipping_label_zpl(LABEL))
    assert fields[1] == f">;>800{SSCC}" and decode_zpl(fields[1]) == f"{FNC1}00{SSCC}"
    assert f"(00){SSCC}" in zpl_texts(shipping_label_zpl(LABEL))


def test_zpl_label_shows_sender_consignee_carrier_and_package() -> None:
    texts = zpl_texts(shipping_label_zpl(LABEL))
    for expected in ("From: Shanghai DC, Shanghai", "SHIP TO", "ACME Foods B.V.", "Coolsingel 40", "3011 AD Rotterdam",
                     "Netherlands", "Tel. +31 10 123 4567", "SF Express · International", "Order: SO-2026-00001",
                     "Package 2 of 3    Weight: 4.20 kg"):
        assert expected in texts, expected


def test_without_a_tracking_number_the_label_barcodes_the_package_reference() -> None:
    label = replace(LABEL, tracking_number=None)
    zpl = shipping_label_zpl(label)
    assert "Tracking number: —" in zpl_texts(zpl)
    assert [decode_zpl(field) for field in bc_fields(zpl)] == ["PKG-000456", f"{FNC1}00{SSCC}"]
    assert pdf_barcodes(shipping_label_pdf(label)) == ["PKG-000456", f"{FNC1}00{SSCC}"]
    assert [decode_zpl(field) for field in bc_fields(shipping_label_zpl(replace(label, sscc=None)))] == ["PKG-000456"]


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"sscc": "123456789012345670"}, "sscc", "invalid_sscc"),
    ({"sscc": "12345"}, "sscc", "invalid_sscc"),
    ({"tracking_number": "SF^XZ"}, "tracking_number", "tracking_number_not_encodable"),
    ({"tracking_number": None, "package_ref": "包裹-1"}, "package_ref", "package_ref_not_encodable"),
    ({"package_no": 4}, "package_no", "invalid"),
    ({"package_no": 0}, "package_no", "invalid"),
])
def test_what_a_label_cannot_print_is_refused_naming_the_field(change: dict[str, Any], field: str, code: str) -> None:
    for render in (shipping_label_zpl, shipping_label_pdf):
        with pytest.raises(InvalidInput) as error:
            render(replace(LABEL, **change))
        assert (error.value.field, error.value.code) == (field, code)


def test_pdf_label_is_the_same_layout_as_the_zpl() -> None:
    pdf = shipping_label_pdf(LABEL)
    assert page_count(pdf) == 1 and b"/MediaBox [ 0 0 288 432 ]" in pdf
    assert pdf_barcodes(pdf) == ["SF1234567890123", f"{FNC1}00{SSCC}"]
    text = pdf_text(page_contents(pdf)[0])
    assert all(shows(text, line) for line in zpl_texts(shipping_label_zpl(LABEL)))


def test_chinese_label_renders_in_the_pdf_and_goes_to_a_printer_font_in_zpl() -> None:
    label = replace(LABEL, ship_to_name="张三", ship_to_address=SHANGHAI, ship_from_name="上海浦东仓",
                    service_level="标准快递")
    pdf = shipping_label_pdf(label)
    text = pdf_text(page_contents(pdf)[0])
    assert b"STSong-Light" in pdf
    assert all(shows(text, phrase) for phrase in ("张三", "中国 上海市 浦东新区", "世纪大道100号", "上海浦东仓",
                                                  "SF Express 标准快递"))
    zpl = shipping_label_zpl(label, unicode_font="E:SIMSUN.TTF")
    assert "^A@N,40,40,E:SIMSUN.TTF^FH^FD_E5_BC_A0_E4_B8_89^FS" in zpl  # 张三 as UTF-8 in the printer's font
    assert "张三" in zpl_texts(zpl) and "中国 上海市 浦东新区" in zpl_texts(zpl)
    assert zpl.isascii()


def test_a_long_address_wraps_instead_of_being_cut() -> None:
    street = "Building 7, Unit 12, Industrial Estate Westpoort, Gate 3 (goods entrance at the rear)"
    texts = zpl_texts(shipping_label_zpl(replace(LABEL, ship_to_address={**ROTTERDAM, "street": street})))
    first = next(index for index, text in enumerate(texts) if text.startswith("Building 7"))
    assert " ".join(texts[first:first + 2]) == street


def test_label_zpl_text_cannot_inject_commands() -> None:
    zpl = shipping_label_zpl(replace(LABEL, ship_to_name="Evil^XZ^XA~JA", order_ref="SO^FS"))
    assert zpl.count("^XA") == 1 and zpl.count("^XZ") == 1 and "~" not in zpl
    assert "Evil^XZ^XA~JA" in zpl_texts(zpl)


def test_shipping_label_pdf_is_reproducible() -> None:
    assert shipping_label_pdf(LABEL) == shipping_label_pdf(LABEL)


def test_a_wave_prints_each_trip_from_a_new_page_in_one_document() -> None:
    first = pick_list(CLUSTER)
    second = replace(pick_list(CLUSTER), trip_id=first.trip_id + 1, trip_no=2)
    pdf = wave_pick_lists_pdf(first.wave_id, [first, second], first.printed_at)
    pages = page_contents(pdf)
    assert len(pages) == 2
    assert f"TRIP-{first.trip_id}" in pdf_text(pages[0]) and f"TRIP-{second.trip_id}" in pdf_text(pages[1])
    assert f"Pick lists of wave {first.wave_id}" in text_of(pdf)
