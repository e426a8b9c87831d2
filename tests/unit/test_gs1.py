"""Reading scans without a database: GS1 messages in each form scanners send, bare GTINs and SSCCs, plain codes,
and malformed barcodes refused with a reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from stockyard.domain.errors import InvalidInput
from stockyard.domain.gs1 import GS, MAX_SCAN_LENGTH, Scan, parse_scan
from stockyard.domain.master import gs1_check_digit


def with_check(body: str) -> str:
    """``body`` completed with its GS1 check digit, so every key below is a real, valid one."""
    return body + str(gs1_check_digit(body))


def wrong_check(body: str) -> str:
    return body + str((gs1_check_digit(body) + 1) % 10)


GTIN13 = with_check("950600013435")  # 9506000134352
GTIN14 = with_check("1950600013435")  # a case of the item above
GTIN12 = with_check("03600029145")  # UPC-A
GTIN8 = with_check("9638507")
SSCC = with_check("37610425002123456")
BAD_GTIN14 = wrong_check("0950600013435")


def refused(text: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as raised:
        parse_scan(text)
    assert raised.value.field == "scan"
    assert raised.value.code == "bad_barcode"
    return raised.value


def test_the_keys_used_here_are_valid() -> None:
    assert GTIN13 == "9506000134352"
    assert SSCC == "376104250021234569"
    assert BAD_GTIN14 != "0" + GTIN13


# ---------------------------------------------------------------- GS1 messages, each form


def test_gs1_128_with_symbology_identifier_and_gs_after_variable_fields() -> None:
    scan = parse_scan(f"]C101{GTIN14}10LOT-7{GS}17261231{GS}21SN0001")
    assert scan == Scan(raw=f"01{GTIN14}10LOT-7{GS}17261231{GS}21SN0001", kind="gs1", gtin=GTIN14, lot="LOT-7",
                        expiry=date(2026, 12, 31), serial="SN0001")


def test_gs1_datamatrix() -> None:
    scan = parse_scan(f"]d201{GTIN14}17270630104711{GS}21XYZ")
    assert (scan.kind, scan.gtin, scan.expiry, scan.lot, scan.serial) == (
        "gs1", GTIN14, date(2027, 6, 30), "4711", "XYZ")


def test_gs1_qr_code() -> None:
    scan = parse_scan(f"]Q301{GTIN14}10B12")
    assert (scan.kind, scan.gtin, scan.lot) == ("gs1", GTIN14, "B12")


def test_gs1_databar() -> None:
    scan = parse_scan(f"]e001{GTIN14}17280115")
    assert (scan.kind, scan.gtin, scan.expiry) == ("gs1", GTIN14, date(2028, 1, 15))


def test_human_readable_form_with_parentheses_and_spaces() -> None:
    scan = parse_scan(f"(01){GTIN14} (10)ABC (17)261231")
    assert (scan.kind, scan.gtin, scan.lot, scan.expiry) == ("gs1", GTIN14, "ABC", date(2026, 12, 31))


def test_gs_separated_message_without_symbology_identifier_and_leading_fnc1() -> None:
    scan = parse_scan(f"{GS}01{GTIN14}10L1{GS}11250301")
    assert (scan.kind, scan.gtin, scan.lot, scan.production) == ("gs1", GTIN14, "L1", date(2025, 3, 1))


def test_bare_message_starting_with_01_is_gs1() -> None:
    scan = parse_scan(f"01{GTIN14}1726123110ABC")
    assert (scan.kind, scan.gtin, scan.expiry, scan.lot) == ("gs1", GTIN14, date(2026, 12, 31), "ABC")


def test_gtin_only_message() -> None:
    assert parse_scan(f"01{GTIN14}") == Scan(raw=f"01{GTIN14}", kind="gs1", gtin=GTIN14)


def test_gtin_8_inside_a_message_stays_14_digits() -> None:
    assert parse_scan(f"(01)000000{GTIN8}").gtin == f"000000{GTIN8}"


@pytest.mark.parametrize(("text", "expiry"), [
    ("(17)261200", date(2026, 12, 31)),
    ("(17)260400", date(2026, 4, 30)),
    ("(17)280200", date(2028, 2, 29)),  # leap year
    ("(17)270200", date(2027, 2, 28)),
    ("(17)260101", date(2026, 1, 1)),
])
def test_expiry_day_00_is_the_last_day_of_the_month(text: str, expiry: date) -> None:
    assert parse_scan(f"(01){GTIN14}{text}").expiry == expiry


def test_production_date() -> None:
    assert parse_scan(f"(01){GTIN14}(11)250600").production == date(2025, 6, 30)


def test_variable_count_ai_30() -> None:
    scan = parse_scan(f"]C101{GTIN14}3025{GS}10L9")
    assert (scan.count, scan.lot) == (Decimal(25), "L9")


def test_pallet_label_with_sscc_content_gtin_and_count_37() -> None:
    scan = parse_scan(f"]C100{SSCC}02{GTIN14}37120{GS}10LOT1{GS}17261231")
    assert scan == Scan(raw=f"00{SSCC}02{GTIN14}37120{GS}10LOT1{GS}17261231", kind="gs1", sscc=SSCC,
                        content_gtin=GTIN14, count=Decimal(120), lot="LOT1", expiry=date(2026, 12, 31))


def test_content_gtin_in_human_readable_form() -> None:
    scan = parse_scan(f"(02){GTIN14}(37)8")
    assert (scan.kind, scan.gtin, scan.content_gtin, scan.count) == ("gs1", None, GTIN14, Decimal(8))


def test_count_keeps_leading_zeros_out() -> None:
    assert parse_scan(f"(02){GTIN14}(37)0048").count == Decimal(48)


def test_same_ai_twice_with_the_same_value_is_fine() -> None:
    assert parse_scan(f"(01){GTIN14}(10)A(10)A").lot == "A"


def test_other_ais_are_read_past() -> None:
    scan = parse_scan(f"(01){GTIN14}(3103)001250(400)PO-77(10)L")
    assert (scan.gtin, scan.lot) == (GTIN14, "L")


def test_gs1_digital_link() -> None:
    scan = parse_scan(f"https://id.gs1.org/01/{GTIN14}/10/ABC?17=261231")
    assert (scan.kind, scan.gtin, scan.lot, scan.expiry) == ("gs1", GTIN14, "ABC", date(2026, 12, 31))


# ---------------------------------------------------------------- bare keys


@pytest.mark.parametrize("gtin", [GTIN8, GTIN12, GTIN13, GTIN14])
def test_bare_gtin_is_normalised_to_14_digits(gtin: str) -> None:
    assert parse_scan(gtin) == Scan(raw=gtin, kind="gtin", gtin=gtin.zfill(14))


def test_ean_13_with_symbology_identifier() -> None:
    assert parse_scan(f"]E0{GTIN13}") == Scan(raw=GTIN13, kind="gtin", gtin="0" + GTIN13)


def test_bare_sscc() -> None:
    assert parse_scan(SSCC) == Scan(raw=SSCC, kind="sscc", sscc=SSCC)


def test_sscc_with_its_ai_00() -> None:
    assert parse_scan(f"00{SSCC}") == Scan(raw=f"00{SSCC}", kind="sscc", sscc=SSCC)


def test_surrounding_whitespace_is_dropped() -> None:
    assert parse_scan(f"  {GTIN13}\r\n").gtin == "0" + GTIN13


# ---------------------------------------------------------------- plain codes


@pytest.mark.parametrize("code", [
    "12345",  # a SKU code made of digits
    "7",
    "ABC-123",
    "LOC-01-02-03",
    "lpn000123",
    wrong_check("950600013435"),  # 13 digits with a wrong check digit: a code, not a GTIN
    wrong_check("37610425002123456"),  # 18 digits likewise
    "15210527",  # would read as AI 15, but nothing marks it as GS1
    "0112345",  # starts like AI 01 but is too short for a GTIN
    "010950600013435",
    f"01{BAD_GTIN14}1",  # key check digit wrong and the rest is not GS1
    "(A1)",
    "https://example.com/item/7",
    "Ünïcode-Fach",
])
def test_plain_codes(code: str) -> None:
    assert parse_scan(code) == Scan(raw=code, kind="plain")


def test_plain_code_loses_a_non_gs1_symbology_identifier() -> None:
    assert parse_scan("]C0LOC-A-01") == Scan(raw="LOC-A-01", kind="plain")


def test_plain_code_is_stripped() -> None:
    assert parse_scan("  A-01 \t") == Scan(raw="A-01", kind="plain")


def test_longest_allowed_code() -> None:
    assert parse_scan("A" * MAX_SCAN_LENGTH).kind == "plain"


# ---------------------------------------------------------------- malformed


@pytest.mark.parametrize(("text", "says"), [
    (f"(01){BAD_GTIN14}", "GTIN check digit is wrong"),
    (f"]C101{BAD_GTIN14}10A", "GTIN check digit is wrong"),
    (f"01{BAD_GTIN14}10ABC", "GTIN check digit is wrong"),
    (f"00{wrong_check('37610425002123456')}", "SSCC check digit is wrong"),
    (f"(00){wrong_check('37610425002123456')}", "SSCC check digit is wrong"),
    (f"(02){BAD_GTIN14}(37)5", "content GTIN check digit is wrong"),
    (f"]E0{wrong_check('950600013435')}", "GTIN check digit is wrong"),
    (f"(01){GTIN14}(99x)A", "unknown application identifier 99x"),
    ("(23)ABC", "unknown application identifier 23"),
    ("(310)001250", "unknown application identifier 310"),
    (f"]C101{GTIN14}{GS}23ABC", "unknown application identifier"),
    (f"(01){GTIN14}(17)261399", "'261399' is not a valid date"),
    (f"(01){GTIN14}(17)260230", "'260230' is not a valid date"),
    (f"]C101{GTIN14}11251332", "production date (AI 11) '251332' is not a valid date"),
    (f"]C101{GTIN14}10{'A' * 21}{GS}17261231", "lot (AI 10) is longer than 20 characters"),
    (f"(01){GTIN14}(10){'A' * 21}", "lot (AI 10) is longer than 20 characters"),
    (f"(01){GTIN14}(21){'S' * 21}", "serial number (AI 21) is longer than 20 characters"),
    (f"]C101{GTIN14[:9]}", "GTIN (AI 01) is cut short: 9 of 14 digits"),
    (f"01{GTIN14}1726", "expiry date (AI 17) is cut short: 2 of 6 digits"),
    (f"(01){GTIN14}(10)", "lot (AI 10) is empty"),
    ("(01)0950600013435X", "GTIN (AI 01) must be 14 digits"),
    (f"(02){GTIN14}(37)AB", "count (AI 37) 'AB' does not match its format N..8"),
    (f"(02){GTIN14}(30)", "count (AI 30) is empty"),
    (f"(01){GTIN14}(10)A(10)B", "lot (AI 10) appears twice with different values"),
    (f"(01){GTIN14})(", "expected (AI)value pairs"),
    ("]C1", "nothing follows the symbology identifier"),
    ("]Q3https://example.com/x", "not a GS1 Digital Link"),
    (f"https://id.gs1.org/01/{BAD_GTIN14}", "GTIN check digit is wrong"),
])
def test_malformed_gs1_is_refused_with_a_reason(text: str, says: str) -> None:
    assert says in refused(text).message


@pytest.mark.parametrize(("text", "says"), [
    ("", "empty"),
    ("  \t ", "empty"),
    ("A" * (MAX_SCAN_LENGTH + 1), "at most 200 characters"),
    ("ABC\nDEF", "control characters"),
    ("ABC\x00", "control characters"),
    ("A\x7fB", "control characters"),
])
def test_unreadable_scans_are_refused(text: str, says: str) -> None:
    assert says in refused(text).message
