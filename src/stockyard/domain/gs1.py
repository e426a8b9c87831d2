"""What a scan says: a GS1 message (lot, expiry, counts, ...), a bare GTIN or SSCC, or a plain code to look up.

Parsing of GS1 element strings is left to the biip library; this module decides which form a scan is in, checks
what biip leaves unchecked (check digits, duplicate AIs, values running on without a separator) and says in
plain words what is wrong with a malformed barcode.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from biip import ParseError
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementString
from biip.symbology import GS1Symbology, SymbologyIdentifier

from stockyard.domain.errors import InvalidInput
from stockyard.domain.master import check_gtin, gs1_check_digit

GS = "\x1d"  # what scanners send for FNC1, the end of a variable-length field
MAX_SCAN_LENGTH = 200

ScanKind = Literal["gs1", "gtin", "sscc", "plain"]

_GTIN_LENGTHS = (8, 12, 13, 14)
# The fixed-length key a bare GS1 message starts with: AI and its digits.
_KEY_LENGTHS = {"00": 20, "01": 16, "02": 16}
_HRI_START = re.compile(r"\(\d{2,4}\)")
_HRI_PAIR = re.compile(r"\(([^()]*)\)([^()]*)")
_FIXED = re.compile(r"[NX](\d+)")
_VARIABLE = re.compile(r"[NX]\.\.(\d+)")
_NAMES = {"00": "SSCC", "01": "GTIN", "02": "content GTIN", "10": "lot", "11": "production date",
          "17": "expiry date", "21": "serial number", "30": "count", "37": "count"}


@dataclass(frozen=True)
class Scan:
    """One scan, classified. ``raw`` is the scanned text without surrounding whitespace and without a
    symbology identifier (``]C1``, ``]C0``, ...): the identifier says how the code was printed, not what it says,
    so for a plain scan ``raw`` is exactly the code to look up."""

    raw: str
    kind: ScanKind  # plain: a code to look up (SKU code, barcode, location, LPN)
    gtin: str | None = None  # 14 digits
    sscc: str | None = None  # 18 digits
    lot: str | None = None  # AI 10
    expiry: date | None = None  # AI 17
    production: date | None = None  # AI 11
    serial: str | None = None  # AI 21
    count: Decimal | None = None  # AI 30 or AI 37
    content_gtin: str | None = None  # AI 02


def parse_scan(text: str) -> Scan:
    """Classify and read one scan; a barcode that is clearly GS1 but malformed raises ``bad_barcode``."""
    cleaned = _clean(text)
    symbology, body = _split_symbology(cleaned)
    if symbology in GS1Symbology.with_gs1_messages():
        if body.startswith("http") and symbology in GS1Symbology.with_gs1_digital_link_uri():
            return _strict_digital_link(body)
        return _message(body)
    if symbology in GS1Symbology.with_gtin():
        return _symbology_gtin(body, symbology)
    return _unmarked(body)


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, field="scan", code="bad_barcode")


def _clean(text: str) -> str:
    # Python counts GS as whitespace, so this also drops the GS some scanners send for a leading FNC1.
    cleaned = text.strip()
    if not cleaned:
        raise _bad("the scan is empty")
    if len(cleaned) > MAX_SCAN_LENGTH:
        raise _bad(f"a scan has at most {MAX_SCAN_LENGTH} characters, this one {len(cleaned)}")
    if any(unicodedata.category(char) == "Cc" and char != GS for char in cleaned):
        raise _bad("the scan holds control characters; only GS (FNC1) may appear inside a barcode")
    return cleaned


def _split_symbology(text: str) -> tuple[GS1Symbology | None, str]:
    """The GS1 symbology a scanner announced (``]C1`` GS1-128, ``]d2`` DataMatrix, ...) and the data after it;
    any other known identifier (``]C0`` plain Code 128, ``]Q1`` plain QR) is dropped as it says nothing about
    the data."""
    if not text.startswith("]") or len(text) < 3:
        return None, text
    try:
        identifier = SymbologyIdentifier.extract(text)
    except (ParseError, ValueError):
        return None, text
    body = text[len(identifier):].strip()
    if not body:
        raise _bad(f"nothing follows the symbology identifier {identifier.value}")
    return identifier.gs1_symbology, body


def _unmarked(body: str) -> Scan:
    if _HRI_START.match(body):
        return _hri(body)
    if GS in body:
        return _message(body)
    if body.startswith(("http://", "https://")):
        return _digital_link(body) or Scan(body, "plain")
    if _digits(body):
        bare = _bare_key(body)
        if bare is not None:
            return bare
    if _meant_as_message(body):
        return _message(body)
    return Scan(body, "plain")


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def _check_digit_ok(value: str) -> bool:
    return _digits(value) and len(value) > 1 and gs1_check_digit(value[:-1]) == int(value[-1])


def _bare_key(body: str) -> Scan | None:
    """A bare GTIN or SSCC; a number with a wrong check digit may well be a SKU or location code, so it is not."""
    if len(body) in _GTIN_LENGTHS and _check_digit_ok(body):
        return Scan(body, "gtin", gtin=check_gtin(body, "scan"))
    sscc = body[2:] if len(body) == 20 and body.startswith("00") else body
    if len(sscc) == 18 and _check_digit_ok(sscc):
        return Scan(body, "sscc", sscc=sscc)
    return None


def _meant_as_message(body: str) -> bool:
    """Digits after AI 00/01/02 without markers: GS1 when the key's check digit holds or the rest reads as GS1;
    otherwise it is just a long code that happens to start with those digits."""
    size = _KEY_LENGTHS.get(body[:2])
    if size is None or len(body) < size or not _digits(body[:size]):
        return False
    return _check_digit_ok(body[2:size]) or _reads_as_message(body)


def _reads_as_message(body: str) -> bool:
    try:
        _elements(body)
    except InvalidInput:
        return False
    return True


def _symbology_gtin(body: str, symbology: GS1Symbology) -> Scan:
    # An add-on (price, issue number) follows the 13 digits of the EAN; it is not part of the GTIN.
    code = body[:13] if symbology is GS1Symbology.EAN_13_WITH_ADD_ON else body
    if not (_digits(code) and len(code) in _GTIN_LENGTHS):
        raise _bad(f"a GTIN has 8, 12, 13 or 14 digits, not {code!r}")
    if not _check_digit_ok(code):
        raise _bad(f"GTIN check digit is wrong: {code} should end in {gs1_check_digit(code[:-1])}")
    return Scan(body, "gtin", gtin=check_gtin(code, "scan"))


def _digital_link(body: str) -> Scan | None:
    """A GS1 Digital Link URI (the web address in a QR code on the pack); None for any other URL."""
    try:
        link = GS1DigitalLinkURI.parse(body)
    except ParseError:
        return None
    return _scan_from(body, link.element_strings)


def _strict_digital_link(body: str) -> Scan:
    scan = _digital_link(body)
    if scan is None:
        raise _bad("the address is not a GS1 Digital Link (https://host/01/<GTIN>/...)")
    return scan


def _hri(body: str) -> Scan:
    """The human-readable form ``(01)09506000134352(10)ABC``, as typed in or read by a camera."""
    text = "".join(body.split())
    pairs = _HRI_PAIR.findall(text)
    if "".join(f"({code}){value}" for code, value in pairs) != text:
        raise _bad("expected (AI)value pairs such as (01)09506000134352(10)ABC")
    return _scan_from(body, [_hri_element(code, value) for code, value in pairs])


def _hri_element(code: str, value: str) -> GS1ElementString:
    ai = _known_ai(code)
    try:
        return GS1ElementString.parse(code + value)
    except ParseError:
        raise _bad(_describe(ai, value)) from None


def _known_ai(code: str) -> GS1ApplicationIdentifier:
    try:
        ai = GS1ApplicationIdentifier.extract(code)
    except ParseError:
        ai = None
    if ai is None or ai.ai != code:
        raise _bad(f"unknown application identifier {code}")
    return ai


def _message(body: str) -> Scan:
    return _scan_from(body, _elements(body))


def _elements(body: str) -> list[GS1ElementString]:
    """The element strings of a message; a GS ends a variable-length field, so each part is read on its own."""
    return [element for part in body.split(GS) for element in _part_elements(part)]


def _part_elements(part: str) -> list[GS1ElementString]:
    found: list[GS1ElementString] = []
    rest = part
    while rest:
        element = _extract(rest)
        rest = rest[len(element):]
        # Only the last field of a part may be of variable length: anything after it means the value ran on
        # past its maximum or into characters its format does not allow.
        if rest and element.ai.separator_required:
            raise _bad(_describe(element.ai, element.value + rest))
        found.append(element)
    return found


def _extract(text: str) -> GS1ElementString:
    try:
        ai = GS1ApplicationIdentifier.extract(text)
    except ParseError:
        raise _bad(f"unknown application identifier at {text[:10]!r}") from None
    try:
        return GS1ElementString.extract(text)
    except ParseError:
        raise _bad(_describe(ai, text[len(ai):])) from None


def _name(ai: GS1ApplicationIdentifier) -> str:
    return f"{_NAMES.get(ai.ai, ai.data_title)} (AI {ai.ai})"


def _describe(ai: GS1ApplicationIdentifier, value: str) -> str:
    """Why ``value`` does not fit the format of ``ai``, in words an operator can act on."""
    data_format = ai.format.split("+", 1)[1]
    fixed = _FIXED.fullmatch(data_format)
    variable = _VARIABLE.fullmatch(data_format)
    if fixed and len(value) < int(fixed.group(1)):
        return f"{_name(ai)} is cut short: {len(value)} of {fixed.group(1)} digits"
    if "(YYMMDD" in ai.description:
        return f"{_name(ai)} {value[:6]!r} is not a valid date (YYMMDD)"
    if fixed:
        return f"{_name(ai)} must be {fixed.group(1)} digits, not {value[:int(fixed.group(1))]!r}"
    if variable and len(value) > int(variable.group(1)):
        return f"{_name(ai)} is longer than {variable.group(1)} characters"
    if not value:
        return f"{_name(ai)} is empty"
    return f"{_name(ai)} {value!r} does not match its format {data_format}"


def _scan_from(raw: str, elements: Sequence[GS1ElementString]) -> Scan:
    found = _by_ai(elements)
    return Scan(raw, "gs1", gtin=_key(found.get("01")), sscc=_key(found.get("00")),
                lot=_value(found.get("10")), expiry=_date(found.get("17")),
                production=_date(found.get("11")), serial=_value(found.get("21")),
                count=_count(found.get("37") or found.get("30")), content_gtin=_key(found.get("02")))


def _by_ai(elements: Iterable[GS1ElementString]) -> dict[str, GS1ElementString]:
    """Element strings by AI; the same AI twice is fine only with the same value (GS1 General Specifications)."""
    found: dict[str, GS1ElementString] = {}
    for element in elements:
        seen = found.setdefault(element.ai.ai, element)
        if seen.value != element.value:
            raise _bad(f"{_name(element.ai)} appears twice with different values")
    return found


def _key(element: GS1ElementString | None) -> str | None:
    """A GTIN or SSCC from its element string; biip only notes a wrong check digit, this refuses it."""
    if element is None:
        return None
    if not _check_digit_ok(element.value):
        expected = gs1_check_digit(element.value[:-1])
        raise _bad(f"{_NAMES[element.ai.ai]} check digit is wrong: {element.value} should end in {expected}")
    return element.value


def _value(element: GS1ElementString | None) -> str | None:
    return element.value if element is not None else None


def _date(element: GS1ElementString | None) -> date | None:
    return element.date if element is not None else None


def _count(element: GS1ElementString | None) -> Decimal | None:
    if element is None:
        return None
    if not element.value:
        raise _bad(f"{_name(element.ai)} is empty")
    return Decimal(int(element.value))
