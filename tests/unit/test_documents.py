"""Pallet labels (GS1 element strings, Code 128, ZPL, PDF) and the receiving report PDF, without a database.

PDF text is read back with the standard library only: content streams are inflated and their string operands
decoded; the barcodes in a PDF are decoded from the bars ReportLab drew.
"""

from __future__ import annotations

import base64
import random
import re
import zlib
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from stockyard.documents import (
    PalletLabel,
    gs1_barcode_data,
    gs1_element_string,
    pallet_label_pdf,
    pallet_label_zpl,
)
from stockyard.documents.labels import FNC1, GS, _code128_plan, _code128_values, _code128_zpl
from stockyard.documents.reports import QcLine, ReceivingReport, ReportLine, receiving_report_pdf
from stockyard.domain.errors import InvalidInput

SSCC = "123456789012345675"
GTIN = "12345678901231"

FULL = PalletLabel(lpn="PAL-000123", sscc=SSCC, warehouse="Rotterdam DC", owner="ACME Foods B.V.",
                   sku_code="ACME-1001", sku_name="Tomato soup 400 g", content_gtin=GTIN, count=12, lot="ABC",
                   expiry=date(2026, 12, 31), printed_at=datetime(2026, 5, 10, 14, 30))
CONTENTS = replace(FULL, sscc=None)  # no SSCC: the contents barcode and the LPN's
LPN_ONLY = PalletLabel(lpn="PAL-000124", sscc=None, warehouse="Rotterdam DC", owner="ACME Foods B.V.")


# ---------------------------------------------------------------------------------------------------------------
# Helpers: Code 128 decoding, ZPL ^BC data decoding, PDF text and barcodes


def decode_values(values: list[int]) -> str:
    """Symbol values (start … check, stop) back to data, FNC1 as FNC1; checks the check value."""
    assert values[-1] == 106
    body, check = values[1:-2], values[-2]
    assert (values[0] + sum(i * v for i, v in enumerate(body, 1))) % 103 == check
    subset = {103: "A", 104: "B", 105: "C"}[values[0]]
    out = []
    for value in body:
        if value == 102:
            out.append(FNC1)
        elif subset == "C" and value < 100:
            out.append(f"{value:02d}")
        elif subset != "C" and value < 96:
            out.append(chr(value + 32) if subset == "B" or value < 64 else chr(value - 64))
        else:
            subset = {99: "C", 100: "B", 101: "A"}[value]
    return "".join(out)


def decode_zpl(data: str) -> str:
    """^BC field data in mode N back to data: >; >: start C / B, >5 >6 switch, >8 FNC1, >< is '>'."""
    out = []
    subset = {">;": "C", ">:": "B"}[data[:2]]
    i = 2
    while i < len(data):
        if data[i] == ">":
            code = data[i + 1]
            if code in "56":
                subset = "C" if code == "5" else "B"
            else:
                out.append({"8": FNC1, "<": ">"}[code])
            i += 2
        else:
            step = 2 if subset == "C" else 1
            token = data[i:i + step]
            assert subset == "B" or (len(token) == 2 and token.isdigit()), data
            out.append(token)
            i += step
    return "".join(out)


def bc_fields(zpl: str) -> list[str]:
    return re.findall(r"\^BC[^\^]*\^FD(.*?)\^FS", zpl)


def pdf_streams(pdf: bytes) -> list[tuple[bytes, bytes]]:
    """(object dictionary, inflated stream) for every stream in the file."""
    streams = []
    for match in re.finditer(rb"obj\s*(.*?)stream\r?\n(.*?)endstream", pdf, re.S):
        head, raw = match.group(1), match.group(2).strip()
        if b"ASCII85Decode" in head:
            raw = base64.a85decode(raw, adobe=True)
        if b"FlateDecode" in head:
            raw = zlib.decompress(raw)
        streams.append((head, raw))
    return streams


def _unescape(literal: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(literal):
        if literal[i:i + 1] != b"\\":
            out.append(literal[i])
            i += 1
            continue
        octal = re.match(rb"[0-7]{1,3}", literal[i + 1:i + 4])
        if octal:
            out.append(int(octal.group(), 8))
            i += 1 + len(octal.group())
        else:
            out += {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(literal[i + 1:i + 2], literal[i + 1:i + 2])
            i += 2
    return bytes(out)


def shown_strings(content: bytes) -> list[bytes]:
    return [_unescape(m.group(1)) for m in re.finditer(rb"\(((?:\\.|[^\\()])*)\)\s*Tj", content, re.S)]


def pdf_text(content: bytes) -> str:
    """Every string shown, read as WinAnsi (Helvetica) and, where it decodes, as UCS-2 (the CID font)."""
    parts = []
    for string in shown_strings(content):
        parts.append(string.decode("cp1252", errors="replace"))
        if len(string) % 2 == 0:
            parts.append(string.decode("utf-16-be", errors="replace"))
    return "\n".join(parts)


def page_contents(pdf: bytes) -> list[bytes]:
    return [data for head, data in pdf_streams(pdf) if b"/Subtype /Form" not in head]


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page(?!s)", pdf))


def pdf_barcodes(pdf: bytes) -> list[str]:
    """Decode every Code 128 symbol drawn as a block of filled rectangles back to its data."""
    from reportlab.graphics.barcode.code128 import _patterns  # type: ignore[import-untyped]  # standard widths

    by_pattern = {pattern: value for value, pattern in _patterns.items()}
    found = []
    for content in page_contents(pdf):
        for block in re.finditer(rb"cm\n((?:n [\d.]+ 0 [\d.]+ [\d.]+ re f\*\n)+)", content):
            bars = [tuple(map(float, line.split()[1:4:2])) for line in block.group(1).splitlines()]
            module = min(width for _, width in bars)
            widths = []
            for (x, width), following in zip(bars, [*bars[1:], None], strict=True):
                widths.append("ABCD"[round(width / module) - 1])
                if following is not None:
                    widths.append("abcd"[round((following[0] - x - width) / module) - 1])
            pattern = "".join(widths)
            chunks = [pattern[i:i + 6] for i in range(0, len(pattern) - 7, 6)] + [pattern[-7:]]
            found.append(decode_values([by_pattern[chunk] for chunk in chunks]))
    return found


# ---------------------------------------------------------------------------------------------------------------
# GS1 element strings


def test_element_string_puts_sscc_then_fixed_length_then_variable_length_ais() -> None:
    assert gs1_element_string(FULL) == f"(00){SSCC}(02){GTIN}(17)261231(37)12(10)ABC"


def test_a_variable_length_ai_that_is_not_last_is_followed_by_a_separator() -> None:
    assert gs1_barcode_data(CONTENTS) == [f"02{GTIN}17261231" + "3712" + GS + "10ABC"]


def test_no_separator_after_fixed_length_ais_or_the_last_one() -> None:
    assert gs1_barcode_data(replace(CONTENTS, lot=None)) == [f"02{GTIN}172612313712"]
    assert gs1_barcode_data(replace(FULL, content_gtin=None)) == [f"00{SSCC}"]


def test_the_sscc_has_a_symbol_of_its_own_and_no_symbol_exceeds_48_characters() -> None:
    long = replace(CONTENTS, sscc=SSCC, count=12345678, lot="L" * 20)
    data = gs1_barcode_data(long)
    assert data[0] == f"00{SSCC}"
    assert all(len(symbol) <= 48 for symbol in data)
    assert "".join(data[1:]).replace(GS, "") == f"02{GTIN}17261231" + "3712345678" + "10" + "L" * 20
    assert not data[-1].endswith(GS)


def test_the_element_strings_parse_back_with_an_independent_gs1_parser() -> None:
    biip = pytest.importorskip("biip")
    parsed = [biip.parse("]C1" + data).gs1_message for data in gs1_barcode_data(FULL)]
    assert {e.ai.ai: e.value for message in parsed for e in message.element_strings} == {
        "00": SSCC, "02": GTIN, "17": "261231", "37": "12", "10": "ABC"}


def test_gs1_rules_keep_contents_without_a_count_out_of_the_barcode() -> None:
    # (02) needs (37), and lot and expiry need a GTIN: such a label shows them as text only.
    assert gs1_element_string(replace(FULL, count=None)) == f"(00){SSCC}"
    assert gs1_element_string(LPN_ONLY) == ""
    assert gs1_barcode_data(LPN_ONLY) == []


@pytest.mark.parametrize(("change", "code"), [
    ({"sscc": "123456789012345670"}, "invalid_sscc"),
    ({"content_gtin": "12345678901234"}, "invalid_gtin"),
])
def test_wrong_identifiers_are_refused(change: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidInput) as error:
        gs1_element_string(replace(FULL, **change))
    assert error.value.code == code


@pytest.mark.parametrize(("change", "element_string"), [
    ({"lot": "批次 1"}, f"(00){SSCC}(02){GTIN}(17)261231(37)12"),
    ({"lot": "L" * 21}, f"(00){SSCC}(02){GTIN}(17)261231(37)12"),
    ({"count": 0}, f"(00){SSCC}"),
    ({"count": 100_000_000}, f"(00){SSCC}"),
])
def test_what_gs1_cannot_carry_stays_text_only(change: dict[str, Any], element_string: str) -> None:
    label = replace(FULL, **change)
    assert gs1_element_string(label) == element_string
    text = pdf_text(page_contents(pallet_label_pdf(label))[0])
    # Words, not whole lines: a line mixing scripts is drawn as runs in two fonts.
    assert all(word in text for word in f"Lot: {label.lot}   Count: {label.count}".split())


# ---------------------------------------------------------------------------------------------------------------
# Code 128


READ_BACK_WRONG_BY_REPORTLAB_5_1 = ["\xf1589\xf161983", "\xf1z7\xf11604310", "\xf127278\xf186206"]


@pytest.mark.parametrize("data", [*READ_BACK_WRONG_BY_REPORTLAB_5_1, "\xf10212345678901231371\xf110A", "PAL-0001",
                                  "a>b", "1", "12345", "\xf1", "A\xf1B"])
def test_code128_values_and_zpl_decode_to_the_data(data: str) -> None:
    plan = _code128_plan(data)
    assert decode_values(_code128_values(plan)) == data
    assert decode_zpl(_code128_zpl(plan)) == data


def test_code128_round_trips_random_gs1_like_data() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        parts = ["".join(rng.choice("0123456789" if rng.random() < 0.7 else "0123456789AZaz-/>")
                         for _ in range(rng.randint(1, 9))) for _ in range(rng.randint(1, 4))]
        data = FNC1 + FNC1.join(parts)
        plan = _code128_plan(data)
        assert decode_values(_code128_values(plan)) == data
        assert decode_zpl(_code128_zpl(plan)) == data


def test_code128_uses_double_density_digits() -> None:
    # start C, FNC1, ten digit pairs, check, stop
    assert len(_code128_values(_code128_plan(FNC1 + "00" + SSCC))) == 14
    assert _code128_zpl(_code128_plan("PAL-0001")) == ">:PAL->50001"


def test_code128_refuses_what_it_cannot_encode() -> None:
    with pytest.raises(ValueError, match="printable ASCII"):
        _code128_plan("托盘")


# ---------------------------------------------------------------------------------------------------------------
# ZPL


def test_zpl_is_one_label_with_gs1_128_barcodes_started_in_subset_c_with_fnc1() -> None:
    zpl = pallet_label_zpl(FULL)
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert zpl.count("^XA") == 1 and zpl.count("^XZ") == 1
    assert "^PW812" in zpl and "^LL1218" in zpl  # 4 x 6 inch at 203 dpi
    assert bc_fields(zpl) == [f">;>802{GTIN}172612313712>810>6ABC", f">;>800{SSCC}"]
    assert f"^FD(02){GTIN}(17)261231(37)12(10)ABC^FS" in zpl
    assert f"^FD(00){SSCC}^FS" in zpl


def test_zpl_prints_the_text_lines() -> None:
    zpl = pallet_label_zpl(FULL)
    for text in ("Owner: ACME Foods B.V.", "Warehouse: Rotterdam DC", "ACME-1001", "Tomato soup 400 g",
                 "Lot: ABC", "Expiry: 2026-12-31", "Count: 12", "PAL-000123"):
        assert text in zpl


def test_zpl_without_sscc_adds_a_code_128_of_the_lpn() -> None:
    fields = bc_fields(pallet_label_zpl(CONTENTS))
    assert [decode_zpl(field) for field in fields] == [FNC1 + f"02{GTIN}172612313712" + FNC1 + "10ABC",
                                                       "PAL-000123"]


def test_lpn_only_label_has_the_lpn_as_its_only_barcode() -> None:
    zpl = pallet_label_zpl(LPN_ONLY)
    assert bc_fields(zpl) == [">:PAL->5000124"]
    assert ">8" not in zpl
    assert "^FDPAL-000124^FS" in zpl


def test_zpl_text_cannot_inject_commands() -> None:
    evil = replace(FULL, owner="Evil^XZ^XA^FO0,0^GB800,800,800^FS~JA", sku_name="line one\nline_two \\& ~")
    zpl = pallet_label_zpl(evil)
    assert zpl.count("^XA") == 1 and zpl.count("^XZ") == 1 and "~" not in zpl and "^GB800" not in zpl
    assert "^FH^FDOwner: Evil_5EXZ_5EXA_5EFO0,0_5EGB800,800,800_5EFS_7EJA^FS" in zpl
    assert "^FH^FDline one line_5Ftwo _5C& _7E^FS" in zpl


def test_zpl_sends_other_scripts_as_utf8_hex() -> None:
    zpl = pallet_label_zpl(replace(FULL, owner="上海食品"), unicode_font="E:SIMSUN.TTF")
    assert "^CI28" in zpl
    assert "^A@N,28,28,E:SIMSUN.TTF^FH^FDOwner: _E4_B8_8A_E6_B5_B7_E9_A3_9F_E5_93_81^FS" in zpl


def test_zpl_scales_with_the_printer_resolution() -> None:
    zpl = pallet_label_zpl(FULL, dpi=300)
    assert "^PW1200" in zpl and "^LL1800" in zpl
    with pytest.raises(ValueError, match="dpi"):
        pallet_label_zpl(FULL, dpi=250)


def test_an_lpn_code_128_cannot_carry_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        pallet_label_zpl(replace(LPN_ONLY, lpn="P^XZ"))
    assert error.value.code == "lpn_not_encodable"


# ---------------------------------------------------------------------------------------------------------------
# PDF label


def test_pdf_label_is_one_4x6_inch_page_with_the_labels_text() -> None:
    pdf = pallet_label_pdf(FULL)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 2000
    assert page_count(pdf) == 1 and b"/MediaBox [ 0 0 288 432 ]" in pdf
    text = pdf_text(page_contents(pdf)[0])
    for expected in ("PAL-000123", "ACME-1001", "Tomato soup 400 g", "Owner: ACME Foods B.V.", "Lot: ABC",
                     f"(00){SSCC}"):
        assert expected in text


def test_pdf_barcodes_decode_to_the_gs1_data_with_fnc1() -> None:
    assert pdf_barcodes(pallet_label_pdf(FULL)) == [FNC1 + f"02{GTIN}172612313712" + FNC1 + "10ABC",
                                                    FNC1 + f"00{SSCC}"]
    assert pdf_barcodes(pallet_label_pdf(LPN_ONLY)) == ["PAL-000124"]


def test_pdf_barcode_survives_the_case_reportlab_itself_gets_wrong() -> None:
    # Count 5, lot "123": FNC1 followed by an odd run of digits at the end.
    label = replace(CONTENTS, expiry=None, count=5, lot="123")
    assert pdf_barcodes(pallet_label_pdf(label))[0] == FNC1 + f"02{GTIN}375" + FNC1 + "10123"


def test_pdf_label_with_chinese_names_uses_the_cid_font() -> None:
    label = replace(FULL, owner="上海某某食品有限公司", warehouse="上海仓", sku_name="番茄汤 400克")
    pdf = pallet_label_pdf(label)
    assert b"STSong-Light" in pdf
    text = pdf_text(page_contents(pdf)[0])
    assert "上海某某食品有限公司" in text and "番茄汤" in text and "Owner: " in text


def test_pdf_label_is_reproducible() -> None:
    assert pallet_label_pdf(FULL) == pallet_label_pdf(FULL)


def test_long_names_are_cut_to_the_label_width() -> None:
    text = pdf_text(page_contents(pallet_label_pdf(replace(FULL, sku_name="Soup " * 60)))[0])
    assert "Soup Soup" in text and "..." in text and "Soup " * 30 not in text


def test_identifiers_shrink_instead_of_being_cut() -> None:
    label = replace(CONTENTS, lpn="PAL-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123", sku_code="SKU-" + "W" * 28,
                    count=12345678, lot="L" * 20)
    text = pdf_text(page_contents(pallet_label_pdf(label))[0])
    assert label.lpn in text and "SKU-" + "W" * 28 in text and "Count: 12345678" in text
    assert "^FDPAL-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123^FS" in pallet_label_zpl(label)
    assert pdf_barcodes(pallet_label_pdf(label))[-1] == label.lpn


# ---------------------------------------------------------------------------------------------------------------
# Receiving report


def report(lines: list[ReportLine], qc: list[QcLine] | None = None, owner: str = "ACME Foods B.V.") -> ReceivingReport:
    return ReceivingReport(receipt_ref="RCV-2026-0001", receipt_type="purchase", status="closed", owner=owner,
                           warehouse="Rotterdam DC", supplier="Tomato Growers Ltd", expected_date=date(2026, 5, 1),
                           closed_at=datetime(2026, 5, 2, 16, 5, tzinfo=UTC), lines=lines, qc=qc or [],
                           generated_at=datetime(2026, 5, 3, 9, 0, tzinfo=UTC), generated_by="m.jansen")


def line(no: int, expected: str, received: str, damaged: str = "0", unit: str = "EA", **extra: Any) -> ReportLine:
    return ReportLine(no, f"SKU-{no:04d}", f"Product {no}", unit, Decimal(expected), Decimal(received),
                      Decimal(damaged), **extra)


def cells(pdf: bytes) -> list[str]:
    return [s.decode("cp1252", errors="replace") for content in page_contents(pdf) for s in shown_strings(content)]


def test_report_shows_header_lines_differences_totals_and_qc() -> None:
    lines = [line(1, "20", "15"), line(2, "10", "13", damaged="2"), line(3, "1.10", "1.1"),
             line(4, "0.1", "0.2", unit="KG", lots="L1 (exp 2026-12-31) ×20; L2 ×5")]
    qc = [QcLine("SKU-0001", "L1", Decimal("5"), Decimal("4"), Decimal("1"), Decimal("0"), "j.smith")]
    pdf = receiving_report_pdf(report(lines, qc))
    assert pdf.startswith(b"%PDF-") and len(pdf) > 2000
    shown = cells(pdf)
    for text in ("RCV-2026-0001", "ACME Foods B.V.", "Tomato Growers Ltd", "2026-05-01", "2026-05-02 16:05 UTC",
                 "m.jansen", "SKU-0001", "Product 1", "Expected", "Received", "Damaged", "Difference",
                 "L1 (exp 2026-12-31) ×20;", "L2 ×5", "Quality control", "j.smith", "Page 1 of"):
        assert any(text in cell for cell in shown), text
    first = shown.index("SKU-0001")
    assert shown[first - 1:first + 7] == ["1", "SKU-0001", "Product 1", "EA", "20", "15", "0", "-5"]
    assert "+3" in shown and "0.00" in shown and "+0.1" in shown  # exact decimals: 1.1 - 1.10, 0.2 - 0.1
    assert any("Total (EA)" in c for c in shown) and "31.10" in shown and "29.1" in shown and "-2.00" in shown


def test_report_difference_is_highlighted_only_when_not_zero() -> None:
    def fills(pdf: bytes) -> set[bytes]:
        return set(re.findall(rb"([\d.]+ [\d.]+ [\d.]+) rg", b"".join(page_contents(pdf))))

    short, over, even = (receiving_report_pdf(report([line(1, "20", r)])) for r in ("15", "25", "20"))
    assert fills(short) - fills(even) and fills(over) - fills(even)
    assert fills(short) - fills(even) != fills(over) - fills(even)


def test_a_500_line_report_runs_over_pages_each_starting_with_the_header_row() -> None:
    pdf = receiving_report_pdf(report([line(n, "20", "20") for n in range(1, 501)]))
    pages = page_contents(pdf)
    assert len(pages) == page_count(pdf) > 1
    for number, content in enumerate(pages, 1):
        text = pdf_text(content)
        assert f"Page {number} of" in text
        if "SKU-0" in text:
            assert "Difference" in text and "Expected" in text
    assert sum("SKU-0" in pdf_text(content) for content in pages) > 1
    all_text = "\n".join(pdf_text(content) for content in pages)
    assert all(f"SKU-{n:04d}" in all_text for n in range(1, 501))
    # "m" is filled in once, in a form every footer draws.
    forms = [data for head, data in pdf_streams(pdf) if b"/Subtype /Form" in head]
    assert [shown_strings(form) for form in forms] == [[str(len(pages)).encode()]]


def test_report_with_chinese_names_and_no_qc() -> None:
    lines = [ReportLine(1, "SH-1", "番茄汤 400克", "箱", Decimal("3"), Decimal("3"), Decimal("0"), note="外箱破损")]
    pdf = receiving_report_pdf(report(lines, owner="上海某某食品有限公司"))
    text = "\n".join(pdf_text(content) for content in page_contents(pdf))
    assert "上海某某食品有限公司" in text and "番茄汤" in text and "外箱破损" in text
    assert "No QC inspections were recorded." in text


def test_report_is_reproducible() -> None:
    lines = [line(1, "20", "15")]
    assert receiving_report_pdf(report(lines)) == receiving_report_pdf(report(lines))

