"""Rules of master data and quantities, without a database: GS1 check digits, units, pack levels, conversion to
the base unit, lot dates, time zones and exact decimal quantities."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from stockyard.domain.errors import InvalidInput
from stockyard.domain.master import (
    UNITS,
    Pack,
    PackLevel,
    check_barcode_levels,
    check_gtin,
    check_lot_dates,
    check_packs,
    check_sscc,
    check_timezone,
    check_unit,
    gs1_check_digit,
    to_base,
)
from stockyard.domain.quantity import (
    MAX_DECIMALS,
    MAX_QUANTITY,
    check_measure,
    check_quantity,
    decimals_of,
    parse_decimal,
)


def refused(call: object, *args: object, want_field: str | None = None, want_code: str | None = None,
            **kwargs: object) -> InvalidInput:
    """``call(*args, **kwargs)`` raises InvalidInput naming ``want_field`` with ``want_code``."""
    assert callable(call)
    with pytest.raises(InvalidInput) as raised:
        call(*args, **kwargs)
    if want_field is not None:
        assert raised.value.field == want_field
    if want_code is not None:
        assert raised.value.code == want_code
    return raised.value


# ---------------------------------------------------------------- GS1


@pytest.mark.parametrize(("body", "digit"), [
    ("400638133393", 1),  # EAN-13 4006381333931
    ("03600029145", 2),  # UPC-A 036000291452
    ("7351353", 7),  # EAN-8 73513537
    ("1061414100000", 2),  # GTIN-14 10614141000002
    ("00614141123456789", 0),  # SSCC 006141411234567890
    ("10614141000000001", 9),  # SSCC 106141410000000019
    ("0000000000000", 0),
])
def test_gs1_check_digit(body: str, digit: int) -> None:
    assert gs1_check_digit(body) == digit


@pytest.mark.parametrize(("gtin", "kept"), [
    ("73513537", "00000073513537"),
    ("036000291452", "00036000291452"),
    ("4006381333931", "04006381333931"),
    ("04006381333931", "04006381333931"),
    ("10614141000002", "10614141000002"),
])
def test_valid_gtins_are_kept_as_14_digits(gtin: str, kept: str) -> None:
    assert check_gtin(gtin) == kept


@pytest.mark.parametrize("gtin", [
    "4006381333932",  # wrong check digit
    "4006381333930",
    "73513536",
    "40063813339",  # 11 digits
    "400638133393123",  # 15 digits
    "",
    "4006381333 931",
    "400638133393A",
    "-4006381333931",
    "400638133393\u00b2",  # '²' is a digit to str.isdigit() but to no scanner
    "\u0664\u0660\u0660\u0666\u0663\u0668\u0661\u0663\u0663\u0663\u0669\u0663\u0661",  # Arabic-Indic digits
    "\uff14\uff10\uff10\uff16\uff13\uff18\uff11\uff13\uff13\uff13\uff19\uff13\uff11",  # full-width digits
])
def test_invalid_gtins_are_refused(gtin: str) -> None:
    refused(check_gtin, gtin, "barcodes[2].barcode", want_field="barcodes[2].barcode", want_code="invalid_gtin")


def test_sscc() -> None:
    assert check_sscc("006141411234567890") == "006141411234567890"
    assert check_sscc("106141410000000019") == "106141410000000019"
    for bad in ("006141411234567891", "00614141123456789", "0061414112345678900", "00614141123456789X",
                "\u0660" + "06141411234567890", ""):
        refused(check_sscc, bad, want_field="sscc", want_code="invalid_sscc")


# ---------------------------------------------------------------- units and time zones


def test_units_are_un_ece_rec_20_codes() -> None:
    for code in ("C62", "KGM", "MTR", "LTR", "PX", "CS"):
        assert check_unit(code, "base_uom") == code
    for code in ("kgm", "KG", "PCS", "", "C62 "):
        refused(check_unit, code, "packs[1].uom", want_field="packs[1].uom", want_code="unknown_unit")
    assert all(len(code) <= 3 for code in UNITS)  # they fit the 3-character columns


def test_time_zones() -> None:
    for name in ("UTC", "Asia/Shanghai", "Europe/Berlin", "America/Argentina/Buenos_Aires"):
        assert check_timezone(name) == name
    for name in ("Mars/Olympus", "Shanghai", "", "../../etc/passwd", "Asia/Shanghai "):
        refused(check_timezone, name, want_field="timezone", want_code="unknown_timezone")


# ---------------------------------------------------------------- pack levels


def pack(level: str, factor: str, uom: str = "C62", decimals: int = 0) -> Pack:
    return Pack(PackLevel(level), uom, Decimal(factor), decimals)


def test_packs_are_ordered_from_each_to_pallet() -> None:
    packs = [pack("pallet", "480", "PX"), pack("each", "1"), pack("case", "12", "CS"), pack("inner", "6", "PK")]
    assert [p.level for p in check_packs(packs, 0)] == [PackLevel.EACH, PackLevel.INNER, PackLevel.CASE,
                                                       PackLevel.PALLET]
    assert check_packs([], 0) == []


@pytest.mark.parametrize(("packs", "decimals", "field"), [
    ([pack("each", "1"), pack("case", "1", "CS")], 0, "packs[1].factor"),  # not more than an each
    ([pack("inner", "6", "PK"), pack("case", "4", "CS")], 0, "packs[1].factor"),
    ([pack("pallet", "10", "PX"), pack("case", "12", "CS")], 0, "packs[0].factor"),  # the pallet is at fault
    ([pack("each", "1"), pack("inner", "6"), pack("case", "36"), pack("pallet", "36", "PX")], 0,
     "packs[3].factor"),
    ([pack("case", "12", "CS"), pack("case", "24", "CT")], 0, "packs[1].level"),
    ([pack("case", "12", "BOX")], 0, "packs[0].uom"),
    ([pack("case", "0", "CS")], 0, "packs[0].factor"),
    ([pack("case", "-12", "CS")], 0, "packs[0].factor"),
    ([pack("case", "12.5", "CS")], 0, "packs[0].factor"),  # a case of pieces holds whole pieces
    ([pack("case", "12.5005", "KGM")], 3, "packs[0].factor"),
    ([pack("case", "12", "CS", decimals=7)], 0, "packs[0].decimals"),
    ([pack("case", "12", "CS", decimals=-1)], 0, "packs[0].decimals"),
])
def test_bad_packs_are_refused(packs: list[Pack], decimals: int, field: str) -> None:
    refused(check_packs, packs, decimals, want_field=field)


def test_pack_factors_may_have_the_base_units_decimals() -> None:
    assert check_packs([pack("case", "25.125", "KGM")], 3)[0].factor == Decimal("25.125")


def test_barcodes_are_for_the_skus_own_levels() -> None:
    check_barcode_levels([PackLevel.EACH, PackLevel.CASE], [pack("case", "12", "CS")])
    check_barcode_levels([PackLevel.EACH], [])  # each is the base unit, with or without packs
    refused(check_barcode_levels, [PackLevel.EACH, PackLevel.PALLET], [pack("case", "12", "CS")],
            want_field="barcodes[1].pack_level", want_code="unknown_pack_level")
    refused(check_barcode_levels, [PackLevel.INNER], [], "labels", want_field="labels[0].pack_level")


# ---------------------------------------------------------------- conversion to the base unit

PACKS = [pack("each", "1"), pack("case", "12", "CS"), pack("pallet", "480", "PX", decimals=1)]


def test_to_base() -> None:
    assert to_base("3", PackLevel.CASE, PACKS, 0) == 36
    assert to_base(2, PackLevel.EACH, PACKS, 0) == 2
    assert to_base("0.5", PackLevel.PALLET, PACKS, 0) == 240  # pallets may be counted in tenths
    assert to_base("7", PackLevel.EACH, [], 0) == 7  # no packs: each is the base unit
    assert to_base("1.125", PackLevel.EACH, [], 3) == Decimal("1.125")
    coil = [pack("each", "500.025", "CL")]
    assert to_base("2", PackLevel.EACH, coil, 3) == Decimal("1000.05")


def test_to_base_refuses_what_the_sku_cannot_count() -> None:
    refused(to_base, "1", PackLevel.INNER, PACKS, 0, want_field="quantity_level")
    refused(to_base, "1", PackLevel.CASE, [], 0, want_field="quantity_level")
    refused(to_base, "1.5", PackLevel.CASE, PACKS, 0, want_field="quantity", want_code="too_many_decimals")
    refused(to_base, "0.05", PackLevel.PALLET, PACKS, 0, want_field="quantity", want_code="too_many_decimals")
    refused(to_base, "1.1255", PackLevel.EACH, [], 3, want_field="quantity", want_code="too_many_decimals")
    refused(to_base, "0", PackLevel.CASE, PACKS, 0, want_field="quantity", want_code="quantity_not_positive")
    refused(to_base, "-1", PackLevel.CASE, PACKS, 0, want_field="quantity", want_code="quantity_not_positive")
    refused(to_base, 1.0, PackLevel.CASE, PACKS, 0, want_field="quantity")  # floats are not exact
    # A pack of 0.5 kg counted in tenths gives 0.05 kg: more decimals than a base unit of 1 decimal allows.
    refused(to_base, "0.1", PackLevel.CASE, [pack("case", "0.5", "KGM", decimals=1)], 1, want_field="quantity")


def test_to_base_never_rounds_and_never_exceeds_the_largest_quantity() -> None:
    huge = [pack("case", "1000000", "CS")]
    assert to_base("1000000", PackLevel.CASE, huge, 0) == MAX_QUANTITY
    refused(to_base, "1000001", PackLevel.CASE, huge, 0, want_field="quantity", want_code="quantity_too_large")
    refused(to_base, "999999999999.999999", PackLevel.CASE, [pack("case", "1.000001", "KGM", decimals=6)], 6,
            want_field="quantity", want_code="quantity_too_large")
    # 1000.000000000000000000000000001 has 31 digits: Decimal's default 28-digit arithmetic rounds it to 1000.
    tiny = [pack("case", "1.000000000000000000000000000001", "KGM")]
    refused(to_base, "1000", PackLevel.CASE, tiny, 6, want_field="quantity")
    exact = to_base("999999.999999", PackLevel.CASE, [pack("case", "1.000001", "KGM", decimals=6)], 12)
    assert exact == Decimal("1000000.999998999999")


# ---------------------------------------------------------------- lot dates


def test_lot_dates() -> None:
    check_lot_dates(date(2024, 1, 1), date(2024, 1, 1))
    check_lot_dates(date(2024, 1, 1), date(2025, 1, 1))
    check_lot_dates(None, date(2020, 1, 1))
    check_lot_dates(date(2020, 1, 1), None)
    refused(check_lot_dates, date(2024, 1, 2), date(2024, 1, 1), want_field="expiry_date")


# ---------------------------------------------------------------- quantities


@pytest.mark.parametrize(("text", "decimals"), [
    ("1", 0), ("1.10", 1), ("1.125", 3), ("100", 0), ("1E+2", 0), ("1.5E+1", 0), ("1.25E+1", 1), ("0.000", 0),
    ("0", 0), ("-2.50", 1), ("1E-7", 7), ("0.0010", 3), ("1000000.000001", 6),
    ("1.00000000000000000000000000001", 29),  # beyond Decimal's 28-digit context: normalize() would say 0
    ("123456789012345678901234567890.5", 1),
])
def test_decimals_of(text: str, decimals: int) -> None:
    assert decimals_of(Decimal(text)) == decimals


def test_parse_decimal_is_exact() -> None:
    assert parse_decimal("1.10", "q") == Decimal("1.10")
    assert parse_decimal(3, "q") == 3
    assert parse_decimal(Decimal("2.5"), "q") == Decimal("2.5")
    for bad in ("ten", "", "1,5", "0x10", None, [1]):
        refused(parse_decimal, bad, "lines[0].quantity", want_field="lines[0].quantity")
    for inexact in (0.1, 1.0, True, False):
        refused(parse_decimal, inexact, "q", want_field="q")
    for infinite in ("NaN", "Infinity", "-Infinity", "sNaN"):
        refused(parse_decimal, infinite, "q", want_field="q")


def test_check_quantity() -> None:
    assert check_quantity("1.125", decimals=3) == Decimal("1.125")
    assert check_quantity("1.1250000", decimals=3) == Decimal("1.125")  # trailing zeros are not decimals
    assert check_quantity("5", decimals=0) == 5
    assert check_quantity(MAX_QUANTITY, decimals=0) == MAX_QUANTITY
    assert check_quantity("0", decimals=0, allow_zero=True) == 0
    refused(check_quantity, "1.1255", decimals=3, want_code="too_many_decimals", want_field="quantity")
    refused(check_quantity, "0.5", decimals=0, want_code="too_many_decimals")
    refused(check_quantity, "1.00000000000000000000000000001", decimals=0, want_code="too_many_decimals")
    refused(check_quantity, "1.0000001", decimals=MAX_DECIMALS, want_code="too_many_decimals")
    refused(check_quantity, "0", decimals=0, want_code="quantity_not_positive")
    refused(check_quantity, "-0", decimals=0, want_code="quantity_not_positive")
    refused(check_quantity, "-1", decimals=0, field="lines[3].quantity", want_field="lines[3].quantity",
            want_code="quantity_not_positive")
    refused(check_quantity, "-1", decimals=0, allow_zero=True, want_code="quantity_not_positive")
    refused(check_quantity, MAX_QUANTITY + 1, decimals=0, want_code="quantity_too_large")


def test_check_measure() -> None:
    assert check_measure("0", "weight") == 0
    assert check_measure("12.123456", "weight") == Decimal("12.123456")
    refused(check_measure, "-0.1", "weight", want_field="weight")
    refused(check_measure, "0.0000001", "length", want_field="length")
    refused(check_measure, 0.5, "volume", want_field="volume")
