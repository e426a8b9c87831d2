"""The receiving report: an A4 PDF of a receipt's lines, their differences and its QC inspections.

Quantities are Decimals and are printed as given (``format(q, "f")``: no float, no exponent, trailing zeros kept).
The other A4 documents (``outbound.py``) are built from the same pieces: ``a4_pdf`` with its "Page n of m" footer,
``fields_table``, ``data_table`` and the text styles.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle  # type: ignore[import-untyped]

from stockyard.documents.labels import CJK_FONT, clean_text, pdf_font, text_runs, text_width


@dataclass(frozen=True)
class ReportLine:
    """One receipt line. ``received`` counts everything that arrived, damaged units included; ``damaged`` says
    how many of them were damaged. The difference printed is received minus expected."""

    line_no: int
    sku_code: str
    sku_name: str
    unit: str
    expected: Decimal
    received: Decimal
    damaged: Decimal
    lots: str = ""  # e.g. "L1 (exp 2026-12-31) ×20; L2 ×5"
    serials: int = 0
    note: str = ""


@dataclass(frozen=True)
class QcLine:
    """One QC inspection of a receipt."""

    sku_code: str
    lot: str | None
    sampled: Decimal
    passed: Decimal
    failed: Decimal
    returned: Decimal
    inspector: str


@dataclass(frozen=True)
class ReceivingReport:
    """Everything the receiving report shows."""

    receipt_ref: str
    receipt_type: str
    status: str
    owner: str
    warehouse: str
    supplier: str | None
    expected_date: date | None
    closed_at: datetime | None
    lines: Sequence[ReportLine]
    qc: Sequence[QcLine]
    generated_at: datetime
    generated_by: str


_MARGIN = 15 * mm
CONTENT_WIDTH = A4[0] - 2 * _MARGIN  # 180 mm: what the tables of an A4 document share out
_FONT_SIZE = 8.0
_PADDING = 3.0
_MIN_FONT_SIZE = 4.5
_PAGE_COUNT_FORM = "pageCount"
_HEADER_BACKGROUND = colors.HexColor("#dde3ea")
_STRIPE = colors.HexColor("#f5f7f9")
_SHORT = colors.HexColor("#f8d7da")  # fewer received than expected
_OVER = colors.HexColor("#fff3cd")  # more received than expected
NONE = "—"

LINE_COLUMNS = ("#", "SKU", "Unit", "Expected", "Received", "Damaged", "Difference", "Lots / serials / note")
_LINE_WIDTHS = tuple(w * mm for w in (9, 45, 12, 20, 20, 20, 20, 34))  # 180 mm: A4 less the margins
QC_COLUMNS = ("SKU", "Lot", "Sampled", "Passed", "Failed", "Returned", "Inspector")
_QC_WIDTHS = tuple(w * mm for w in (35, 35, 20, 20, 20, 20, 30))


def receiving_report_pdf(report: ReceivingReport) -> bytes:
    """The receiving report as an A4 PDF: header block, the lines with expected / received / damaged /
    difference (highlighted when not zero) and totals per unit, the QC inspections, and "Page n of m" on every
    page. Long receipts run over as many pages as they need, each repeating the table's header row."""
    footer = f"Receiving report {report.receipt_ref} · generated {when(report.generated_at)} by {report.generated_by}"
    return a4_pdf(_story(report), title=f"Receiving report {report.receipt_ref}", author=report.generated_by,
                  footer=footer)


def a4_pdf(story: list[Any], *, title: str, footer: str, author: str | None = None) -> bytes:
    """An A4 portrait PDF of the flowables in ``story``, ``CONTENT_WIDTH`` wide, with ``footer`` on the left and
    "Page n of m" on the right of every page."""
    buffer = io.BytesIO()
    # invariant: the same document gives the same bytes (no creation time or random document id in the file).
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=_MARGIN, rightMargin=_MARGIN, topMargin=_MARGIN,
                                 bottomMargin=_MARGIN + 5 * mm, invariant=1, title=clean_text(title),
                                 author=clean_text(author) if author is not None else None)
    draw_footer = partial(_footer, text=footer)
    document.build(story, onFirstPage=draw_footer, onLaterPages=draw_footer, canvasmaker=_PageCountCanvas)
    return buffer.getvalue()


def quantity(value: Decimal) -> str:
    """A quantity exactly as given, without exponent: Decimal("20.50") → "20.50", Decimal("1E+2") → "100"."""
    return format(value, "f")


def difference(value: Decimal) -> str:
    """A difference with its sign: "-5", "+3", "0"."""
    return f"+{quantity(value)}" if value > 0 else quantity(value)


# ---------------------------------------------------------------------------------------------------------------
# Story


def _story(report: ReceivingReport) -> list[Any]:
    story: list[Any] = [paragraph(f"Receiving report {report.receipt_ref}", TITLE), _header_table(report),
                        Spacer(1, 6 * mm), paragraph("Lines", HEADING)]
    story.append(_lines_table(report.lines) if report.lines else paragraph("This receipt has no lines.", CELL))
    story += [Spacer(1, 6 * mm), paragraph("Quality control", HEADING)]
    story.append(_qc_table(report.qc) if report.qc else paragraph("No QC inspections were recorded.", CELL))
    return story


def _header_table(report: ReceivingReport) -> Any:
    rows = [("Receipt", report.receipt_ref, "Status", report.status),
            ("Type", report.receipt_type, "Owner", report.owner),
            ("Warehouse", report.warehouse, "Supplier", report.supplier or NONE),
            ("Expected date", report.expected_date.isoformat() if report.expected_date else NONE,
             "Closed at", when(report.closed_at) if report.closed_at else NONE),
            ("Generated", when(report.generated_at), "By", report.generated_by)]
    return fields_table(rows)


def fields_table(rows: Sequence[Sequence[Any]]) -> Any:
    """A document's header block: rows of (label, value, label, value), labels in bold. A cell is plain text or
    a flowable (e.g. ``lines_cell`` for an address)."""
    data = [[paragraph(cell, LABEL if column % 2 == 0 else CELL) if isinstance(cell, str) else cell
             for column, cell in enumerate(row)] for row in rows]
    table = Table(data, colWidths=[25 * mm, 65 * mm, 25 * mm, 65 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1), ("TOPPADDING", (0, 0), (-1, -1), 1)]))
    return table


def _lines_table(lines: Sequence[ReportLine]) -> Any:
    rows: list[list[Any]] = [list(LINE_COLUMNS)]
    differences: list[Decimal] = []
    for line in lines:
        differences.append(line.received - line.expected)
        rows.append([str(line.line_no), _sku_cell(line), paragraph(line.unit, CELL), quantity(line.expected),
                     quantity(line.received), quantity(line.damaged), difference(differences[-1]),
                     paragraph(_details(line), CELL)])
    totals = _totals(lines)
    for unit, (expected, received, damaged) in totals.items():
        differences.append(received - expected)
        rows.append(["", paragraph(f"Total ({unit})" if len(totals) > 1 else "Total", LABEL),
                     paragraph(unit, CELL), quantity(expected), quantity(received), quantity(damaged),
                     difference(differences[-1]), ""])
    style = data_table_style(len(rows), numeric=range(3, 7)) + _highlights(differences, column=6)
    style += [("FONTNAME", (0, len(rows) - len(totals)), (-1, -1), "Helvetica-Bold"),
              ("LINEABOVE", (0, len(rows) - len(totals)), (-1, len(rows) - len(totals)), 0.8, colors.black)]
    return data_table(rows, _LINE_WIDTHS, style)


def _qc_table(qc: Sequence[QcLine]) -> Any:
    rows: list[list[Any]] = [list(QC_COLUMNS)]
    for inspection in qc:
        rows.append([paragraph(inspection.sku_code, CELL), paragraph(inspection.lot or NONE, CELL),
                     quantity(inspection.sampled), quantity(inspection.passed), quantity(inspection.failed),
                     quantity(inspection.returned), paragraph(inspection.inspector, CELL)])
    return data_table(rows, _QC_WIDTHS, data_table_style(len(rows), numeric=range(2, 6)))


def _sku_cell(line: ReportLine) -> Any:
    return lines_cell(line.sku_code, line.sku_name, bold_first=True)


def lines_cell(*lines: str, bold_first: bool = False) -> Any:
    """A table cell of short texts one under the other (empty ones left out), the first in bold if asked."""
    shown = [line for line in lines if line]
    markups = [_markup(line, bold=bold_first and index == 0) for index, line in enumerate(shown)]
    return Paragraph("<br/>".join(markups), _style_for("".join(shown), CELL))


def _details(line: ReportLine) -> str:
    parts = [line.lots, f"{line.serials} serial{'s' if line.serials != 1 else ''}" if line.serials else "",
             line.note]
    return "; ".join(part for part in parts if part)


def _totals(lines: Sequence[ReportLine]) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """Expected, received and damaged summed per unit: adding kilograms to pieces would mean nothing."""
    totals: dict[str, tuple[Decimal, Decimal, Decimal]] = {}
    for line in lines:
        expected, received, damaged = totals.get(line.unit, (Decimal(0), Decimal(0), Decimal(0)))
        totals[line.unit] = (expected + line.expected, received + line.received, damaged + line.damaged)
    return totals


# ---------------------------------------------------------------------------------------------------------------
# Tables


def data_table(rows: list[list[Any]], widths: Sequence[float], style: list[tuple[Any, ...]]) -> Any:
    """A table whose first row is its header; cells are plain strings (Helvetica) or flowables such as
    ``paragraph`` and ``lines_cell`` for text that may wrap or be Chinese."""
    style += _shrink_to_fit(rows, widths)
    # repeatRows: every page the table runs onto starts with its header row again.
    table = Table(rows, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return table


def data_table_style(row_count: int, numeric: range) -> list[tuple[Any, ...]]:
    """The documents' table look: shaded bold header row, striped rows, the ``numeric`` columns right-aligned."""
    return [("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"), ("FONTNAME", (0, 1), (-1, -1), "Helvetica"),
            ("FONTSIZE", (0, 0), (-1, -1), _FONT_SIZE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, 0), _HEADER_BACKGROUND),
            ("ROWBACKGROUNDS", (0, 1), (-1, row_count - 1), [colors.white, _STRIPE]),
            ("ALIGN", (numeric.start, 0), (numeric.stop - 1, -1), "RIGHT"),
            ("LEFTPADDING", (0, 0), (-1, -1), _PADDING), ("RIGHTPADDING", (0, 0), (-1, -1), _PADDING),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#c8ccd0"))]


def _highlights(differences: Sequence[Decimal], column: int) -> list[tuple[Any, ...]]:
    """Red where less came than expected, amber where more: the rows someone has to look at."""
    style: list[tuple[Any, ...]] = []
    for row, value in enumerate(differences, 1):
        if value:
            cell = (column, row)
            style += [("BACKGROUND", cell, cell, _SHORT if value < 0 else _OVER),
                      ("FONTNAME", cell, cell, "Helvetica-Bold")]
    return style


def _shrink_to_fit(rows: Sequence[Sequence[Any]], widths: Sequence[float]) -> list[tuple[Any, ...]]:
    """A smaller font for the rare plain-text cell (a very long quantity) that would spill into its neighbour."""
    style: list[tuple[Any, ...]] = []
    for row_index, row in enumerate(rows):
        for column, cell in enumerate(row):
            if not isinstance(cell, str):
                continue
            room = widths[column] - 2 * _PADDING
            width = float(pdfmetrics.stringWidth(cell, "Helvetica-Bold", _FONT_SIZE))
            if width > room:
                size = max(_MIN_FONT_SIZE, _FONT_SIZE * room / width)
                style.append(("FONTSIZE", (column, row_index), (column, row_index), size))
    return style


# ---------------------------------------------------------------------------------------------------------------
# Text

TITLE = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=16, leading=20, spaceAfter=4 * mm)
HEADING = ParagraphStyle("heading", fontName="Helvetica-Bold", fontSize=11, leading=14, spaceAfter=2 * mm)
CELL = ParagraphStyle("cell", fontName="Helvetica", fontSize=_FONT_SIZE, leading=_FONT_SIZE * 1.25)
LABEL = ParagraphStyle("label", parent=CELL, fontName="Helvetica-Bold")


def paragraph(text: str, style: ParagraphStyle) -> Any:
    """Plain text (not markup) as a paragraph in ``style``, Chinese included."""
    return Paragraph(_markup(text, bold=style.fontName.endswith("-Bold")), _style_for(text, style))


def _markup(text: str, *, bold: bool = False) -> str:
    """Paragraph markup for plain text: escaped, and each run in the font that has its glyphs."""
    return "".join(f'<font name="{font}">{escape(run)}</font>'
                   for font, run in text_runs(clean_text(text), bold=bold))


def _style_for(text: str, style: ParagraphStyle) -> ParagraphStyle:
    """Chinese has no spaces to wrap at: such text wraps between any two characters."""
    if pdf_font(clean_text(text)) != CJK_FONT:
        return style
    return ParagraphStyle(f"{style.name}-cjk", parent=style, wordWrap="CJK")


def when(moment: datetime) -> str:
    """A moment to the minute, with its zone's name when it has one: "2026-05-02 16:05 UTC"."""
    zone = f" {moment.tzname()}" if moment.tzinfo is not None else ""
    return f"{moment:%Y-%m-%d %H:%M}{zone}"


# ---------------------------------------------------------------------------------------------------------------
# Page footer: "Page n of m"


class _PageCountCanvas(Canvas):  # type: ignore[misc]
    """Every footer draws a form named ``pageCount`` in place of the total; the PDF is written only at the end,
    when the total is known, so the form is filled in then. One pass, no re-layout."""

    def save(self) -> None:
        self.beginForm(_PAGE_COUNT_FORM)
        self.setFont("Helvetica", _FONT_SIZE)
        # The page number has already moved past the last page shown.
        self.drawString(0, 0, str(self.getPageNumber() - 1))
        self.endForm()
        super().save()


def _footer(canvas: Any, _document: Any, *, text: str) -> None:
    canvas.saveState()
    y = _MARGIN
    _draw_runs(canvas, _MARGIN, y, clean_text(text))
    page = f"Page {canvas.getPageNumber()} of "
    # Room for a total of up to four digits after "of".
    x = A4[0] - _MARGIN - float(pdfmetrics.stringWidth("0000", "Helvetica", _FONT_SIZE))
    canvas.setFont("Helvetica", _FONT_SIZE)
    canvas.drawRightString(x, y, page)
    canvas.translate(x, y)
    canvas.doForm(_PAGE_COUNT_FORM)
    canvas.restoreState()


def _draw_runs(canvas: Any, x: float, y: float, text: str) -> None:
    for font, run in text_runs(text):
        canvas.setFont(font, _FONT_SIZE)
        canvas.drawString(x, y, run)
        x += text_width(run, _FONT_SIZE)
