"""Rules of master data: kinds of zones and locations, units, pack levels, barcodes, lots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from stockyard.domain.errors import InvalidInput
from stockyard.domain.quantity import MAX_DECIMALS, MAX_QUANTITY, check_quantity, decimals_of


class ZoneKind(StrEnum):
    RECEIVING = "receiving"
    STORAGE = "storage"
    PICKING = "picking"
    STAGING = "staging"
    PACKING = "packing"
    SHIPPING = "shipping"
    QC = "qc"
    RETURNS = "returns"


class LocationKind(StrEnum):
    STORAGE = "storage"
    PICK_FACE = "pick_face"
    DOCK = "dock"
    STAGING = "staging"
    PACKING = "packing"
    SHIPPING = "shipping"
    QC = "qc"
    RETURNS = "returns"
    VIRTUAL = "virtual"


class PackLevel(StrEnum):
    EACH = "each"
    INNER = "inner"
    CASE = "case"
    PALLET = "pallet"


PACK_ORDER = [PackLevel.EACH, PackLevel.INNER, PackLevel.CASE, PackLevel.PALLET]


class ContainerKind(StrEnum):
    PALLET = "pallet"
    TOTE = "tote"
    CARTON = "carton"
    CAGE = "cage"
    BIN = "bin"


class StorageCondition(StrEnum):
    AMBIENT = "ambient"
    AIR_CONDITIONED = "air_conditioned"
    CHILLED = "chilled"
    FROZEN = "frozen"
    HAZARDOUS = "hazardous"
    HIGH_VALUE = "high_value"


class BarcodeKind(StrEnum):
    GTIN = "gtin"
    INTERNAL = "internal"


# UN/ECE Recommendation 20 codes a warehouse meets; a SKU's base unit and pack units are one of these.
UNITS: dict[str, str] = {
    "C62": "one (piece)", "H87": "piece", "EA": "each", "PR": "pair", "SET": "set", "DZN": "dozen",
    "KGM": "kilogram", "GRM": "gram", "TNE": "tonne", "MGM": "milligram",
    "LTR": "litre", "MLT": "millilitre", "MTQ": "cubic metre",
    "MTR": "metre", "CMT": "centimetre", "MMT": "millimetre", "MTK": "square metre",
    "BX": "box", "CT": "carton", "CS": "case", "PK": "pack", "PA": "packet", "BG": "bag", "BO": "bottle",
    "CA": "can", "DR": "drum", "RO": "roll", "PX": "pallet", "PL": "pail", "TU": "tube", "SA": "sack",
    "CR": "crate", "BE": "bundle", "CL": "coil", "SH": "sheet",
}


def check_unit(code: str, field: str) -> str:
    if code not in UNITS:
        raise InvalidInput(f"{code!r} is not a known UN/ECE Rec 20 unit code", field=field, code="unknown_unit")
    return code


def check_timezone(name: str, field: str = "timezone") -> str:
    """An IANA time zone name such as ``Asia/Shanghai`` (any name is accepted where the system has no tz data)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if available_timezones():
            raise InvalidInput(f"{name!r} is not a known IANA time zone", field=field,
                               code="unknown_timezone") from None
    return name


def _digits(value: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts '²' and other scripts' digits."""
    return value.isascii() and value.isdigit()


def gs1_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of the digits before it."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def check_gtin(value: str, field: str = "barcode") -> str:
    """GTIN-8, -12, -13 or -14 with a correct check digit, kept as 14 digits."""
    if not _digits(value) or len(value) not in (8, 12, 13, 14):
        raise InvalidInput("a GTIN has 8, 12, 13 or 14 digits", field=field, code="invalid_gtin")
    if gs1_check_digit(value[:-1]) != int(value[-1]):
        raise InvalidInput("the GTIN check digit is wrong", field=field, code="invalid_gtin")
    return value.zfill(14)


def check_sscc(value: str, field: str = "sscc") -> str:
    if not _digits(value) or len(value) != 18 or gs1_check_digit(value[:-1]) != int(value[-1]):
        raise InvalidInput("an SSCC has 18 digits with a correct check digit", field=field,
                           code="invalid_sscc")
    return value


@dataclass(frozen=True)
class Pack:
    level: PackLevel
    uom: str
    factor: Decimal  # base units in one of this pack
    decimals: int = 0  # decimals allowed when counting in this pack level


def check_packs(packs: Sequence[Pack], base_decimals: int, field: str = "packs") -> list[Pack]:
    """Each level once; factors positive and growing from each to pallet; precision within the base unit's."""
    seen: set[PackLevel] = set()
    for index, pack in enumerate(packs):
        where = f"{field}[{index}]"
        if pack.level in seen:
            raise InvalidInput(f"level {pack.level.value} appears twice", field=f"{where}.level")
        seen.add(pack.level)
        check_unit(pack.uom, f"{where}.uom")
        if pack.factor <= 0:
            raise InvalidInput("must be greater than zero", field=f"{where}.factor")
        if decimals_of(pack.factor) > base_decimals:
            raise InvalidInput(f"a pack holds whole base units (up to {base_decimals} decimals)",
                               field=f"{where}.factor")
        if not 0 <= pack.decimals <= MAX_DECIMALS:
            raise InvalidInput(f"must be between 0 and {MAX_DECIMALS}", field=f"{where}.decimals")
    ordered = sorted(packs, key=lambda p: PACK_ORDER.index(p.level))
    for smaller, larger in pairwise(ordered):
        if larger.factor <= smaller.factor:
            raise InvalidInput(f"a {larger.level.value} must hold more than a {smaller.level.value}",
                               field=f"{field}[{list(packs).index(larger)}].factor")
    return ordered


def check_barcode_levels(levels: Sequence[PackLevel], packs: Sequence[Pack], field: str = "barcodes") -> None:
    """A barcode stands for one level of its SKU: the base unit (each) or one of the SKU's own packs, so that a
    scan can always be converted to base units."""
    have = {PackLevel.EACH} | {pack.level for pack in packs}
    for index, level in enumerate(levels):
        if level not in have:
            raise InvalidInput(f"this SKU has no {level.value} pack level", field=f"{field}[{index}].pack_level",
                               code="unknown_pack_level")


def to_base(quantity: object, level: PackLevel, packs: Sequence[Pack], base_decimals: int,
            field: str = "quantity") -> Decimal:
    """A quantity counted in a pack level, converted to the SKU's base unit; only within the SKU's own packs."""
    if level is PackLevel.EACH and not any(p.level is PackLevel.EACH for p in packs):
        return check_quantity(quantity, decimals=base_decimals, field=field)
    pack = next((p for p in packs if p.level is level), None)
    if pack is None:
        raise InvalidInput(f"this SKU has no {level.value} pack level", field=f"{field}_level")
    counted = check_quantity(quantity, decimals=pack.decimals, field=field)
    with localcontext() as exact:
        # A product has at most as many digits as its factors together: enough precision never rounds it.
        exact.prec = max(28, len(counted.as_tuple().digits) + len(pack.factor.as_tuple().digits))
        base = counted * pack.factor
    if base > MAX_QUANTITY:
        raise InvalidInput(f"is more than {MAX_QUANTITY} base units", field=field, code="quantity_too_large")
    if decimals_of(base) > base_decimals:
        raise InvalidInput(f"is not a whole number of base units ({base_decimals} decimals)", field=field)
    return base


def check_lot_dates(production: date | None, expiry: date | None) -> None:
    if production and expiry and expiry < production:
        raise InvalidInput("the expiry date is before the production date", field="expiry_date")
