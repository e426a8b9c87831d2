"""Every console list the same way: filter, search, sort, page, and export the same rows as CSV or XLSX.

A page declares its columns and hands a service's :class:`~stockyard.services.browse.View` to :func:`show`;
the query string carries the person's choices, so a filtered, sorted list is a link they can share."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from openpyxl import Workbook

from stockyard.db.engine import Database
from stockyard.domain.access import Principal
from stockyard.domain.errors import InvalidInput
from stockyard.services import browse
from stockyard.web import core, i18n

PER_PAGE = (25, 50, 100, 200)


PROSE = frozenset({"reason", "summary", "note", "description", "message"})


@dataclass(frozen=True)
class Column:
    """One column: the view's column ``key``, its heading (a catalogue text) and how its values are shown.

    ``kind`` is text, number, date, datetime or bool; ``link`` builds a URL from the row; ``label_of`` maps a
    stored code (a status) to a catalogue text."""

    key: str
    label: str
    kind: str = "text"
    sortable: bool = True
    link: Callable[[Mapping[str, Any]], str] | None = None
    label_of: Mapping[str, str] | None = None

    @property
    def prose(self) -> bool:
        """Names and free texts wrap over lines; codes, numbers and dates are read whole and never do."""
        return self.kind == "text" and (self.key == "name" or self.key.endswith("_name") or self.key in PROSE)


@dataclass(frozen=True)
class Filter:
    """A filter above the list: an exact match on a column, as a choice list or a typed box."""

    key: str
    label: str
    choices: Sequence[tuple[str, str]] = ()  # (value, catalogue text or plain name)
    translate: bool = True


@dataclass
class Listing:
    columns: Sequence[Column]
    filters: Sequence[Filter] = ()
    searchable: bool = True
    actions: Callable[[Mapping[str, Any]], Sequence[tuple[str, str]]] | None = None
    query: dict[str, str] = field(default_factory=dict)


def asked_of(request: Request, view: browse.View) -> tuple[browse.Request, int]:
    """The person's choices from the query string; a bad number is the caller's 422, naming it."""
    params = request.query_params
    per = _int(params.get("per"), "per", 50)
    if per not in PER_PAGE:
        raise InvalidInput(f"must be one of {', '.join(map(str, PER_PAGE))}", field="per")
    page = max(1, _int(params.get("page"), "page", 1))
    direction = params.get("dir")
    if direction not in (None, "", "asc", "desc"):
        raise InvalidInput("must be asc or desc", field="dir")
    filters = {k: v for k, v in params.items() if k in view.filters and v != ""}
    return browse.Request(filters=filters, q=params.get("q") or None, sort=params.get("sort") or None,
                          desc=None if not direction else direction == "desc", offset=(page - 1) * per,
                          limit=per), page


def _int(raw: str | None, name: str, default: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{raw!r} is not a whole number", field=name) from None
    if not 0 < value < 10**9:
        raise InvalidInput("is out of range", field=name)
    return value


def show(request: Request, db: Database, principal: Principal, view: browse.View, listing: Listing, *,
         template: str = "desktop/list.html", title: str, context: Mapping[str, Any] | None = None,
         export_name: str = "export") -> Response:
    """The list page (or just its table, for htmx), or the export the person asked for with ``format``."""
    asked, page_number = asked_of(request, view)
    wanted = request.query_params.get("format")
    if wanted in ("csv", "xlsx"):
        rows = browse.export(db, view, asked)
        return export(request, listing.columns, rows, wanted, export_name)
    if wanted not in (None, ""):
        raise InvalidInput("must be csv or xlsx", field="format")
    result = browse.browse(db, view, asked)
    pages = max(1, -(-result.total // result.limit))
    base = {k: v for k, v in request.query_params.items() if k not in ("page", "format")}
    ctx = {"title": title, "listing": listing, "result": result, "page": page_number, "pages": pages,
           "per_options": PER_PAGE, "params": base, "link": lambda **changes: _link(request, base, changes),
           **(context or {})}
    name = "components/table.html" if core.is_htmx(request) and request.headers.get("hx-target") == "listing" \
        else template
    return core.render(request, name, ctx, principal=principal)


def _link(request: Request, base: Mapping[str, str], changes: Mapping[str, Any]) -> str:
    merged = {**base, **{k: str(v) for k, v in changes.items() if v is not None}}
    merged = {k: v for k, v in merged.items() if v != ""}
    return f"{request.url.path}?{urlencode(merged)}" if merged else request.url.path


def export(request: Request, columns: Sequence[Column], rows: Sequence[Mapping[str, Any]], wanted: str,
           name: str) -> Response:
    """The rows under the page's headings, in the person's language; values stay machine-readable."""
    gettext = i18n.translations(core.language_of(request)).gettext
    headings = [gettext(c.label) for c in columns]
    values = [[_cell(c, row, gettext) for c in columns] for row in rows]
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    if wanted == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headings)
        writer.writerows([["" if v is None else v for v in line] for line in values])
        # A byte-order mark so spreadsheet programs read the Chinese names as UTF-8.
        return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"'})
    book = Workbook(write_only=True)
    sheet = book.create_sheet(name[:31])
    sheet.append(headings)
    for line in values:
        sheet.append([_xlsx(v) for v in line])
    out = io.BytesIO()
    book.save(out)
    return Response(out.getvalue(),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.xlsx"'})


def _cell(column: Column, row: Mapping[str, Any], gettext: Callable[[str], str]) -> Any:
    value = row.get(column.key)
    if column.label_of and value is not None:
        return gettext(column.label_of.get(str(value), str(value)))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _xlsx(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    return str(value)
