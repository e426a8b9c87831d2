"""Browsing a list: one scoped query filtered, searched, sorted and paged in SQL, or exported whole.

Each area's service builds the :class:`View` of its list (and so keeps the scope rule in one place); the web
console pages and the exports run it through :func:`browse` and :func:`export`, so no page sorts or filters rows
in Python and a list costs two statements however long it is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select

from stockyard.db.engine import Database
from stockyard.domain.errors import InvalidInput

MAX_PAGE = 500
MAX_EXPORT = 100_000


@dataclass(frozen=True)
class View:
    """A list a person browses: the scoped query, and which of its labelled columns filter, search and sort."""

    query: Select[Any]
    filters: Sequence[str] = ()
    search: Sequence[str] = ()
    sortable: Sequence[str] = ()
    default_sort: str = "id"
    default_desc: bool = False


@dataclass(frozen=True)
class Request:
    """What the person asked of the list: exact filters by column, a text search, an order and a page."""

    filters: Mapping[str, str] = field(default_factory=dict)
    q: str | None = None
    sort: str | None = None
    desc: bool | None = None
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    total: int
    offset: int
    limit: int
    sort: str
    desc: bool


def browse(db: Database, view: View, asked: Request) -> Page:
    """One page of the view and the number of rows that match."""
    if not 1 <= asked.limit <= MAX_PAGE:
        raise InvalidInput(f"must be between 1 and {MAX_PAGE}", field="limit")
    if asked.offset < 0:
        raise InvalidInput("must not be negative", field="offset")
    matching, sort, desc = _matching(view, asked)
    page = matching.offset(asked.offset).limit(asked.limit)
    counted = select(func.count()).select_from(_filtered(view, asked).subquery())

    def work(conn: Any) -> Page:
        rows = [dict(r._mapping) for r in conn.execute(page)]
        total = int(conn.execute(counted).scalar_one())
        return Page(rows, total, asked.offset, asked.limit, sort, desc)
    result: Page = db.read(work)
    return result


def export(db: Database, view: View, asked: Request) -> list[dict[str, Any]]:
    """Every matching row in the asked order (at most ``MAX_EXPORT``: an export is not a backup)."""
    matching, _, _ = _matching(view, asked)
    rows: list[dict[str, Any]] = db.read(
        lambda conn: [dict(r._mapping) for r in conn.execute(matching.limit(MAX_EXPORT))])
    return rows


def _filtered(view: View, asked: Request) -> Select[Any]:
    inner = view.query.subquery("listed")
    query = select(inner)
    for name, raw in asked.filters.items():
        if raw in (None, ""):
            continue
        if name not in view.filters:
            raise InvalidInput(f"this list cannot be filtered by {name}", field=name)
        column = inner.c[name]
        query = query.where(column == _typed(column, raw, name))
    if asked.q:
        escaped = asked.q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(or_(*(func.lower(inner.c[c]).like(f"%{escaped}%", escape="\\")
                                  for c in view.search)))
    return query


def _matching(view: View, asked: Request) -> tuple[Select[Any], str, bool]:
    sort = asked.sort or view.default_sort
    if sort not in (*view.sortable, view.default_sort):
        raise InvalidInput(f"this list cannot be sorted by {sort}", field="sort")
    desc = view.default_desc if asked.desc is None else asked.desc
    query = _filtered(view, asked)
    inner = query.selected_columns
    first = next(iter(inner))
    # Empty values last either way, the same on both databases (their defaults differ).
    order: list[ColumnElement[Any]] = [(inner[sort].desc() if desc else inner[sort].asc()).nulls_last()]
    if first.key != sort:
        order.append(first.asc())  # a stable order across pages when the sort key repeats
    return query.order_by(*order), sort, desc


def _typed(column: Any, raw: str, name: str) -> Any:
    """The filter value as the column's type, so a bad one is the caller's 422 and never a database error."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return raw
    try:
        if kind is bool:
            return raw.lower() in ("1", "true", "yes", "on")
        if kind is int:
            return int(raw)
        if kind is Decimal:
            return Decimal(raw)
        if kind is date:
            return date.fromisoformat(raw)
        if kind is datetime:
            return datetime.fromisoformat(raw)
    except (ValueError, InvalidOperation):
        raise InvalidInput(f"{raw!r} is not a valid {kind.__name__}", field=name) from None
    return raw
