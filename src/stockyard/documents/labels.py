"""Pallet labels: the GS1 element string, ZPL for Zebra printers and a PDF of the same 4x6 inch label.

Both renderers draw one layout (see ``_layout``), measured in millimetres from the label's top-left corner, so the
printed label and its PDF preview show the same lines and barcodes in the same places. Other 4x6 inch labels (the
shipping label in ``outbound.py``) build their layout from the same pieces (``LabelLine``, ``text_block``,
``stacked_barcodes``) and print it with ``label_zpl`` and ``label_pdf``.

Code 128 symbols are encoded here, not by the printer or by ReportLab: ReportLab 5.1's ``Code128`` drops a digit
when an FNC1 is followed by an odd number of digits at the end of the data (``"\\xf1589\\xf161983"`` comes out as
``589 FNC1 1983``), which would corrupt a GS1 count or lot. We compute the symbol values once and hand them to
both ZPL (as subset switches) and ReportLab (which only draws the bars).
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from reportlab.graphics.barcode.code128 import Code128  # type: ignore[import-untyped]
from reportlab.lib.units import inch, mm  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from stockyard.domain.errors import InvalidInput
from stockyard.domain.master import check_gtin, check_sscc

FNC1 = "\xf1"  # marks FNC1 in Code 128 data (the convention ReportLab's input uses as well)
GS = "\x1d"  # what a scanner sends where the symbol has an FNC1 separator

# ---------------------------------------------------------------------------------------------------------------
# The label's data


@dataclass(frozen=True)
class PalletLabel:
    """What a pallet label shows. GS1 rules decide what goes into the GS1-128 barcode: the contents GTIN (02)
    only with a count (37) of 1 to 99,999,999, lot (10) and expiry (17) only with both, and a lot only when it is
    1 to 20 characters of GS1 set 82. What the barcode cannot carry is still printed as text. A wrong SSCC or
    GTIN check digit is refused (``InvalidInput``): those are identifiers, not something to leave out quietly.
    """

    lpn: str  # the container's licence plate (always printed, human readable)
    sscc: str | None  # 18 digits with check digit, when the container has one
    warehouse: str  # warehouse name (ship-from / stored-at line)
    owner: str
    sku_code: str | None = None  # single-SKU pallet contents
    sku_name: str | None = None
    content_gtin: str | None = None  # 14 digits → AI (02)
    count: int | None = None  # → AI (37)
    lot: str | None = None  # → AI (10)
    expiry: date | None = None  # → AI (17) YYMMDD
    printed_at: datetime | None = None


@dataclass(frozen=True)
class _Element:
    """One GS1 element string: application identifier and value."""

    ai: str
    value: str
    variable: bool  # variable-length: needs an FNC1 after it unless it ends the symbol

    @property
    def hri(self) -> str:
        return f"({self.ai}){self.value}"


# GS1 General Specifications: a GS1-128 symbol carries at most 48 data characters, separators included.
_GS1_MAX_DATA = 48
_MAX_COUNT = 99_999_999  # AI (37) is n..8
# GS1 AI encodable character set 82, which lots (AI 10, up to 20 characters) are limited to.
_GS1_LOT = re.compile(r"""[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}""")


def _gs1_elements(label: PalletLabel) -> list[_Element]:
    """The element strings in the order GS1 logistic labels use: SSCC, then the fixed-length contents GTIN and
    expiry, then the variable-length count and lot, so that as few FNC1 separators as possible are needed."""
    elements: list[_Element] = []
    if label.sscc is not None:
        elements.append(_Element("00", check_sscc(label.sscc), variable=False))
    gtin = check_gtin(label.content_gtin, field="content_gtin") if label.content_gtin is not None else None
    if gtin is None or label.count is None or not 1 <= label.count <= _MAX_COUNT:
        return elements
    elements.append(_Element("02", gtin, variable=False))
    if label.expiry is not None:
        elements.append(_Element("17", label.expiry.strftime("%y%m%d"), variable=False))
    elements.append(_Element("37", str(label.count), variable=True))
    if label.lot is not None and _GS1_LOT.fullmatch(label.lot):
        elements.append(_Element("10", label.lot, variable=True))
    return elements


def _gs1_symbols(elements: Sequence[_Element]) -> list[list[_Element]]:
    """The SSCC in a symbol of its own, as in the bottom barcode of GS1 logistic labels (which also keeps it short
    enough for wide bars); the contents packed in order into as few symbols as the 48-character limit allows."""
    symbols: list[list[_Element]] = []
    for element in elements:
        current = symbols[-1] if symbols else []
        if current and current[0].ai != "00" and _data_length([*current, element]) <= _GS1_MAX_DATA:
            current.append(element)
        else:
            symbols.append([element])
    return symbols


def _data_length(elements: Sequence[_Element]) -> int:
    return sum(len(e.ai) + len(e.value) for e in elements) + len(_separated(elements))


def _separated(elements: Sequence[_Element]) -> list[int]:
    """Indexes of the elements an FNC1 separator follows: variable-length ones that do not end the symbol."""
    return [i for i, e in enumerate(elements[:-1]) if e.variable]


def _symbol_data(elements: Sequence[_Element], separator: str) -> str:
    separated = set(_separated(elements))
    return "".join(e.ai + e.value + (separator if i in separated else "") for i, e in enumerate(elements))


def gs1_element_string(label: PalletLabel) -> str:
    """The label's GS1 element strings in human-readable form, e.g. ``(00)…(02)…(17)261231(37)12(10)ABC``;
    empty when the label has nothing for a GS1 barcode."""
    return "".join(element.hri for element in _gs1_elements(label))


def gs1_barcode_data(label: PalletLabel) -> list[str]:
    """The data of each GS1-128 symbol on the label as a scanner transmits it (without the ``]C1`` prefix):
    element strings without parentheses, with ASCII GS where the symbol has an FNC1 separator."""
    return [_symbol_data(symbol, GS) for symbol in _gs1_symbols(_gs1_elements(label))]


# ---------------------------------------------------------------------------------------------------------------
# Code 128: the fewest symbol characters, using subsets B and C (A would only add control characters)

_START = {"B": 104, "C": 105}
_SWITCH_TO = {"B": 100, "C": 99}
_FNC1_VALUE = 102
_STOP = 106
_UNREACHABLE = 1 << 30


def _code128_plan(data: str) -> list[tuple[str, str]]:
    """The data as (subset, token) pairs with the fewest symbol characters; a token is FNC1, a digit pair in
    subset C or one character in subset B. Dynamic programming from the end: ``stay[s][i]`` is the cost of the
    rest when position ``i`` is encoded in subset ``s``, ``best`` also allows a switch first."""
    if not data or any(ch != FNC1 and not " " <= ch <= "~" for ch in data):
        raise ValueError(f"Code 128 here encodes printable ASCII and FNC1 only: {data!r}")
    n = len(data)
    stay = {"B": [0] * (n + 1), "C": [0] * (n + 1)}
    best = {"B": [0] * (n + 1), "C": [0] * (n + 1)}
    for i in range(n - 1, -1, -1):
        stay["B"][i] = 1 + best["B"][i + 1]
        step = _c_step(data, i)
        stay["C"][i] = 1 + best["C"][i + step] if step else _UNREACHABLE
        best["B"][i] = min(stay["B"][i], 1 + stay["C"][i])
        best["C"][i] = min(stay["C"][i], 1 + stay["B"][i])
    subset = "C" if stay["C"][0] <= stay["B"][0] else "B"
    plan: list[tuple[str, str]] = []
    i = 0
    while i < n:
        other = "B" if subset == "C" else "C"
        if stay[subset][i] > 1 + stay[other][i]:
            subset = other
        step = _c_step(data, i) if subset == "C" else 1
        plan.append((subset, data[i:i + step]))
        i += step
    return plan


def _c_step(data: str, i: int) -> int:
    """How many characters subset C takes at ``i``: FNC1 alone, two digits, or nothing it can encode."""
    if data[i] == FNC1:
        return 1
    pair = data[i:i + 2]
    return 2 if len(pair) == 2 and pair.isascii() and pair.isdigit() else 0


def _code128_values(plan: Sequence[tuple[str, str]]) -> list[int]:
    """Symbol values: start, data with subset switches, check value (mod 103), stop."""
    subset = plan[0][0]
    values = [_START[subset]]
    for token_subset, token in plan:
        if token_subset != subset:
            values.append(_SWITCH_TO[token_subset])
            subset = token_subset
        values.append(_token_value(token_subset, token))
    check = (values[0] + sum(weight * value for weight, value in enumerate(values[1:], 1))) % 103
    return [*values, check, _STOP]


def _token_value(subset: str, token: str) -> int:
    if token == FNC1:
        return _FNC1_VALUE
    return int(token) if subset == "C" else ord(token) - 32


def _code128_modules(values: Sequence[int]) -> int:
    """Width in modules: 11 per symbol character, 13 for the stop pattern."""
    return 11 * len(values) + 2


# ZPL ^BC invocation codes: >; and >: start in subset C and B, >5 and >6 switch to them, >8 is FNC1, >< is ">".
_ZPL_START = {"B": ">:", "C": ">;"}
_ZPL_SWITCH = {"B": ">6", "C": ">5"}


def _code128_zpl(plan: Sequence[tuple[str, str]]) -> str:
    subset = plan[0][0]
    parts = [_ZPL_START[subset]]
    for token_subset, token in plan:
        if token_subset != subset:
            parts.append(_ZPL_SWITCH[token_subset])
            subset = token_subset
        parts.append(">8" if token == FNC1 else token.replace(">", "><"))
    return "".join(parts)


# ---------------------------------------------------------------------------------------------------------------
# Layout, in millimetres from the top-left corner

LABEL_WIDTH_MM = 101.6  # 4 inch
LABEL_HEIGHT_MM = 152.4  # 6 inch
_MARGIN = 4.0
_MAX_MODULE_MM = 0.5  # the GS1 logistic label's X-dimension (0.495 to 1.016 mm): as wide as the label allows
_QUIET_MODULES = 10  # quiet zone each side of a Code 128 symbol
_MAX_BAR_HEIGHT = 25.0
_HRI_SIZE = 3.0
_RULE = 0.4


@dataclass(frozen=True)
class _Text:
    x: float
    y: float  # top of the text
    size: float  # font size (em height) in mm
    text: str
    bold: bool = False
    centred: bool = False  # across the whole label width; x is ignored


@dataclass(frozen=True)
class _Rule:
    y: float


@dataclass(frozen=True)
class _Bars:
    y: float  # top of the bars; centred across the label
    height: float
    data: str  # Code 128 data, FNC1 as FNC1


LabelOp = _Text | _Rule | _Bars  # what a layout is made of, for the renderers ``label_zpl`` and ``label_pdf``


def _layout(label: PalletLabel) -> list[LabelOp]:
    """Header text on top, then the LPN, then the barcodes filling the rest of the label."""
    symbols = _gs1_symbols(_gs1_elements(label))
    ops, y = _header(label)
    barcodes = [_gs1_128(symbol) for symbol in symbols]
    # Contents first, the SSCC lowest as on GS1 logistic labels; without an SSCC the LPN's barcode takes its place.
    if symbols and symbols[0][0].ai == "00":
        barcodes.append(barcodes.pop(0))
    else:
        barcodes.append((code128_text(label.lpn, field="lpn"), label.lpn))
    ops.extend(stacked_barcodes(barcodes, y))
    return ops


def _gs1_128(symbol: Sequence[_Element]) -> tuple[str, str]:
    """Code 128 data of one GS1-128 symbol (FNC1 first and as separator) and its human-readable text."""
    return FNC1 + _symbol_data(symbol, FNC1), "".join(e.hri for e in symbol)


def sscc_barcode(sscc: str, *, field: str = "sscc") -> tuple[str, str]:
    """The GS1-128 symbol of an SSCC alone, (Code 128 data, "(00)…" text), for ``stacked_barcodes``; a wrong
    check digit is refused (``InvalidInput`` naming ``field``)."""
    return _gs1_128([_Element("00", check_sscc(sscc, field=field), variable=False)])


@dataclass(frozen=True)
class LabelLine:
    """One line of text on a label (font size in mm). Too long a line is cut with "...", unless ``whole`` (an
    identifier: a smaller font instead) or ``max_lines`` > 1 (an address: wrapped onto up to that many lines)."""

    text: str
    size: float
    bold: bool = False
    whole: bool = False
    max_lines: int = 1


_TEXT_WIDTH = LABEL_WIDTH_MM - 2 * _MARGIN


def _header(label: PalletLabel) -> tuple[list[LabelOp], float]:
    """Text lines with rules between the groups; returns the ops and where they end."""
    lines: list[LabelLine | None] = [LabelLine(f"Owner: {label.owner}", 3.5),
                                     LabelLine(f"Warehouse: {label.warehouse}", 3.5), None]
    if label.sku_code:
        lines.append(LabelLine(label.sku_code, 6.0, bold=True, whole=True))
    if label.sku_name:
        lines.append(LabelLine(label.sku_name, 3.5))
    lines += _details(label)
    lines += [None, LabelLine("LPN", 2.5), LabelLine(label.lpn, 8.0, bold=True, whole=True)]
    if label.printed_at is not None:
        lines.append(LabelLine(f"Printed {label.printed_at:%Y-%m-%d %H:%M}", 2.5))
    lines.append(None)
    return text_block(lines)


def text_block(lines: Sequence[LabelLine | None], top: float = _MARGIN) -> tuple[list[LabelOp], float]:
    """Text lines from ``top`` down, a rule across the label for each None (one only where groups meet, so an
    empty group leaves no double rule); returns the ops and where they end."""
    ops: list[LabelOp] = []
    y = top
    for line in lines:
        if line is None:
            if ops and isinstance(ops[-1], _Rule):
                continue  # no lines in this group
            ops.append(_Rule(y))
            y += 2.0
            continue
        size = _shrunk(line.text, line.size, line.bold) if line.whole else line.size
        for text in _wrapped(line.text, size, line.max_lines, line.bold):
            ops.append(_Text(_MARGIN, y, size, text, line.bold))
            y += size * 1.3
    return ops, y


def _wrapped(text: str, size: float, max_lines: int, bold: bool = False) -> list[str]:
    """The cleaned text on at most ``max_lines`` lines of the label's text width, broken after the last space
    that fits, or between any two characters where there is none (Chinese has no spaces); the last line is cut
    with "..." by ``_fit`` when the text still does not fit."""
    lines: list[str] = []
    rest = clean_text(text)
    while len(lines) < max_lines - 1 and text_width(rest, size, bold=bold) > _TEXT_WIDTH:
        cut = len(rest)
        while cut > 1 and text_width(rest[:cut], size, bold=bold) > _TEXT_WIDTH:
            cut -= 1
        space = rest.rfind(" ", 0, cut + 1)
        cut = space if space > 0 else cut
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    lines.append(_fit(rest, size, _TEXT_WIDTH, bold))
    return lines


def _details(label: PalletLabel) -> list[LabelLine]:
    """Lot, expiry and count on one line, or one line each when together they would not fit."""
    details = [f"Lot: {label.lot}" if label.lot else "",
               f"Expiry: {label.expiry.isoformat()}" if label.expiry else "",
               f"Count: {label.count}" if label.count is not None else ""]
    details = [detail for detail in details if detail]
    joined = "   ".join(details)
    if not details or text_width(clean_text(joined), 3.5) <= _TEXT_WIDTH:
        return [LabelLine(joined, 3.5)] if details else []
    return [LabelLine(detail, 3.5) for detail in details]


def stacked_barcodes(barcodes: Sequence[tuple[str, str]], top: float) -> list[LabelOp]:
    """Stack the symbols, (Code 128 data, text below it), in equal slots between ``top`` (mm) and the bottom
    margin."""
    if not barcodes:
        return []
    slot = (LABEL_HEIGHT_MM - _MARGIN - top) / len(barcodes)
    height = min(_MAX_BAR_HEIGHT, slot - _HRI_SIZE - 4.0)
    ops: list[LabelOp] = []
    for index, (data, hri) in enumerate(barcodes):
        y = top + index * slot + (slot - height - _HRI_SIZE - 1.5) / 2
        ops.append(_Bars(y, height, data))
        ops.append(_Text(0, y + height + 1.0, _shrunk(hri, _HRI_SIZE), hri, centred=True))
    return ops


def code128_text(value: str, *, field: str) -> str:
    """``value`` as the data of a plain Code 128 barcode; refused (``InvalidInput`` naming ``field``, code
    ``<field>_not_encodable``) unless it is printable ASCII without ^ or ~: those are ZPL's command characters
    and cannot be escaped inside ^BC data. LPNs, references and tracking numbers never use them."""
    if not value or any(not " " <= ch <= "~" or ch in "^~" for ch in value):
        raise InvalidInput("must be printable ASCII without ^ or ~ to print as a Code 128 barcode", field=field,
                           code=f"{field}_not_encodable")
    return value


# ---------------------------------------------------------------------------------------------------------------
# Fonts and text


def clean_text(text: str) -> str:
    """Control and format characters (newlines, tabs, bidi marks…) become spaces: a label line is one line."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text).strip()


CJK_FONT = "STSong-Light"  # ReportLab's built-in Adobe CID font: Chinese plus Latin, needs no font file


@cache
def _cjk_font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


def pdf_font(text: str, *, bold: bool = False) -> str:
    """Helvetica for what its WinAnsi (cp1252) encoding holds; otherwise the CID font, so that Chinese and other
    non-Latin names render instead of turning into stray glyphs."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return _cjk_font()
    return "Helvetica-Bold" if bold else "Helvetica"


def text_runs(text: str, *, bold: bool = False) -> list[tuple[str, str]]:
    """The text cut into (font, run) pieces: Latin runs keep Helvetica's look even inside a Chinese name."""
    runs: list[tuple[str, str]] = []
    for ch in text:
        font = pdf_font(ch, bold=bold)
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + ch)
        else:
            runs.append((font, ch))
    return runs


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width of the text at font size ``size``, in the same unit as ``size``."""
    return sum(float(pdfmetrics.stringWidth(run, font, size)) for font, run in text_runs(text, bold=bold))


def _shrunk(text: str, size: float, bold: bool = False) -> float:
    """The font size, at most ``size``, at which the whole text fits the label's text width (in mm)."""
    width = text_width(clean_text(text), size, bold=bold)
    # A hair smaller than the exact ratio, so that rounding cannot make ``_fit`` cut it after all.
    return size if width <= _TEXT_WIDTH else size * _TEXT_WIDTH / width * 0.99


def _fit(text: str, size: float, width: float, bold: bool = False) -> str:
    """The cleaned text, cut and ended with "..." when it would not fit ``width`` at ``size`` (same units)."""
    text = clean_text(text)
    if text_width(text, size, bold=bold) <= width:
        return text
    while text and text_width(text + "...", size, bold=bold) > width:
        text = text[:-1]
    return text.rstrip() + "..."


# ---------------------------------------------------------------------------------------------------------------
# ZPL

_PRINTER_FONT = re.compile(r"[A-Z]:[A-Za-z0-9_\-]{1,16}\.(TTF|FNT|TTE)")


def pallet_label_zpl(label: PalletLabel, *, dpi: int = 203, unicode_font: str | None = None) -> str:
    """The label as ZPL for a 4x6 inch Zebra label at ``dpi`` (203, 300 or 600 dots per inch).

    Text is sent as UTF-8 (``^CI28``) with every character outside plain ASCII, and ZPL's ``^``, ``~`` and the
    ``_`` escape itself, written as ``^FH`` hex bytes, so no name can inject commands. Printer font 0 has Latin
    glyphs only: pass ``unicode_font`` (a font stored on the printer, e.g. ``"E:SIMSUN.TTF"``) to print lines with
    other scripts in it.
    """
    return label_zpl(_layout(label), dpi=dpi, unicode_font=unicode_font)


def label_zpl(ops: Sequence[LabelOp], *, dpi: int, unicode_font: str | None) -> str:
    """A 4x6 inch label laid out as ``ops`` in ZPL; see ``pallet_label_zpl`` for ``dpi`` and ``unicode_font``."""
    if dpi not in (152, 203, 300, 600):
        raise ValueError(f"unsupported printer resolution {dpi} dpi")
    if unicode_font is not None and not _PRINTER_FONT.fullmatch(unicode_font):
        raise ValueError(f"not a printer font name: {unicode_font!r}")
    zpl = _Zpl(dpi, unicode_font)
    lines = ["^XA", "^CI28", f"^PW{zpl.dots(LABEL_WIDTH_MM)}", f"^LL{zpl.dots(LABEL_HEIGHT_MM)}", "^LH0,0"]
    lines += [zpl.render(op) for op in ops]
    lines.append("^XZ")
    return "\n".join(lines) + "\n"


def zpl_escape(text: str) -> str:
    """Field data for ``^FH^FD``: plain ASCII as is, everything else as ``_XX`` hex bytes of its UTF-8."""
    return "".join(ch if " " <= ch <= "}" and ch not in "^_\\" else _hex_bytes(ch) for ch in clean_text(text))


def _hex_bytes(ch: str) -> str:
    return "".join(f"_{byte:02X}" for byte in ch.encode("utf-8"))


@dataclass(frozen=True)
class _Zpl:
    dpi: int
    unicode_font: str | None

    def dots(self, millimetres: float) -> int:
        return round(millimetres * self.dpi / 25.4)

    def render(self, op: LabelOp) -> str:
        if isinstance(op, _Rule):
            return f"^FO{self.dots(_MARGIN)},{self.dots(op.y)}^GB{self.dots(LABEL_WIDTH_MM - 2 * _MARGIN)},"\
                   f"{max(1, self.dots(_RULE))},{max(1, self.dots(_RULE))}^FS"
        if isinstance(op, _Text):
            return self._text(op)
        return self._bars(op)

    def _text(self, op: _Text) -> str:
        height = self.dots(op.size)
        font = f"^A0N,{height},{height}"
        if self.unicode_font is not None and not op.text.isascii():
            font = f"^A@N,{height},{height},{self.unicode_font}"
        if op.centred:
            # A one-line field block as wide as the label centres the text.
            return f"^FO0,{self.dots(op.y)}{font}^FB{self.dots(LABEL_WIDTH_MM)},1,0,C^FH^FD{zpl_escape(op.text)}^FS"
        return f"^FO{self.dots(op.x)},{self.dots(op.y)}{font}^FH^FD{zpl_escape(op.text)}^FS"

    def _bars(self, op: _Bars) -> str:
        plan = _code128_plan(op.data)
        modules = _code128_modules(_code128_values(plan))
        width = self.dots(LABEL_WIDTH_MM)
        # Whole dots per module: the widest that is at most the GS1 X-dimension and fits with its quiet zones.
        module = min(max(1, self.dots(_MAX_MODULE_MM)), width // (modules + 2 * _QUIET_MODULES))
        if module < 1:
            raise InvalidInput("the barcode is too long for the label", code="barcode_too_long")
        x = (width - modules * module) // 2
        height = self.dots(op.height)
        return f"^BY{module},3,{height}^FO{x},{self.dots(op.y)}^BCN,{height},N,N,N,N^FD{_code128_zpl(plan)}^FS"


# ---------------------------------------------------------------------------------------------------------------
# PDF


class _Code128Bars(Code128):  # type: ignore[misc]
    """ReportLab's Code 128 drawing of symbol values computed by ``_code128_values`` (see the module docstring
    for why its own encoder is bypassed)."""

    def __init__(self, values: Sequence[int], **options: Any) -> None:
        self._values = list(values)
        super().__init__("", quiet=0, **options)

    def validate(self) -> str:
        self.valid = 1
        self.validated = ""
        return ""

    def encode(self) -> list[int]:
        self.encoded = list(self._values)
        return self.encoded


def pallet_label_pdf(label: PalletLabel) -> bytes:
    """The same label as ``pallet_label_zpl``, as a one-page 4x6 inch PDF."""
    return label_pdf(_layout(label), title=f"Pallet label {label.lpn}")


def label_pdf(ops: Sequence[LabelOp], *, title: str) -> bytes:
    """A 4x6 inch label laid out as ``ops``, as a one-page PDF."""
    buffer = io.BytesIO()
    # invariant: the same label gives the same bytes (no creation time or random document id in the file).
    canvas = Canvas(buffer, pagesize=(4 * inch, 6 * inch), invariant=1)
    canvas.setTitle(clean_text(title))
    for op in ops:
        _draw(canvas, op)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _y(top_mm: float) -> float:
    """ReportLab's y grows upwards from the bottom of the page."""
    return float((LABEL_HEIGHT_MM - top_mm) * mm)


def _draw(canvas: Any, op: LabelOp) -> None:
    if isinstance(op, _Rule):
        canvas.setLineWidth(_RULE * mm)
        canvas.line(_MARGIN * mm, _y(op.y), (LABEL_WIDTH_MM - _MARGIN) * mm, _y(op.y))
    elif isinstance(op, _Text):
        size = op.size * mm
        x = op.x * mm
        if op.centred:
            x = (LABEL_WIDTH_MM * mm - text_width(op.text, size, bold=op.bold)) / 2
        baseline = _y(op.y + op.size * 0.8)
        for font, run in text_runs(op.text, bold=op.bold):
            canvas.setFont(font, size)
            canvas.drawString(x, baseline, run)
            x += float(pdfmetrics.stringWidth(run, font, size))
    else:
        modules = _code128_modules(_code128_values(_code128_plan(op.data)))
        module = min(_MAX_MODULE_MM, LABEL_WIDTH_MM / (modules + 2 * _QUIET_MODULES))
        bars = code128_bars(op.data, module=module * mm, height=op.height * mm)
        bars.drawOn(canvas, (LABEL_WIDTH_MM - modules * module) / 2 * mm, _y(op.y + op.height))


def code128_bars(data: str, *, module: float, height: float) -> Any:
    """The bars of a Code 128 symbol of ``data`` (FNC1 as FNC1) as a ReportLab flowable, ``module`` wide per
    module and ``height`` tall (points), without quiet zones: leave 10 modules clear each side."""
    return _Code128Bars(_code128_values(_code128_plan(data)), barWidth=module, barHeight=height)
