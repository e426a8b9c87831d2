"""What the console's document forms share: the records a person may choose from, reading the typed values,
and showing the form again after a refusal with what was typed and the error at its field.

Nothing here decides a business rule: a form's route parses with these and calls its service."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from stockyard.api.errors import STATUS
from stockyard.db.engine import Database
from stockyard.domain.access import Principal
from stockyard.domain.errors import DomainError, InvalidInput
from stockyard.services import masterdata as md
from stockyard.web import core

Option = tuple[str, str]  # (value sent, text shown)


def options(db: Database, principal: Principal, entity: md.Entity, *, limit: int = 500) -> list[Option]:
    """The active records of ``entity`` in the person's scope, for a select: the id, and code with name."""
    rows = md.list_records(db, entity, {"active": True}, limit=limit, principal=principal).items
    return [(str(r["id"]), " ".join(str(r[k]) for k in ("code", "name") if r.get(k))) for r in rows]


def owned_options(db: Database, principal: Principal, entity: md.Entity, *, limit: int = 500) -> list[Option]:
    """Like ``options`` for records of an owner (suppliers, customers), each led by its owner's code."""
    owners = {r["id"]: r["code"] for r in md.list_records(db, md.OWNER, {}, limit=limit, principal=principal).items}
    rows = md.list_records(db, entity, {"active": True}, limit=limit, principal=principal).items
    return [(str(r["id"]), f"{owners.get(r['owner_id'], r['owner_id'])} · {r['code']} {r.get('name') or ''}".strip())
            for r in rows]


async def typed(request: Request) -> dict[str, str]:
    """The form's fields as typed, trimmed (the CSRF token left out)."""
    return {k: str(v).strip() for k, v in (await request.form()).items() if k != "csrf_token"}


def record_id(raw: str | None, field: str) -> int:
    """The id a select sent: a record number, else the 422 asking to choose one."""
    try:
        value = int(raw or "")
    except ValueError:
        raise InvalidInput("choose one", field=field) from None
    if not 0 < value < 2**63:
        raise InvalidInput("choose one", field=field)
    return value


def optional_id(raw: str | None, field: str) -> int | None:
    return record_id(raw, field) if raw else None


def quantity(raw: str, field: str) -> Decimal:
    """A quantity typed: a finite number above zero with at most 6 decimals."""
    return number(raw, field)


def number(raw: str, field: str, *, signed: bool = False, zero: bool = False) -> Decimal:
    """A decimal typed: finite, at most 6 decimals (what the ledger stores); above zero unless ``signed`` (a
    difference) or ``zero`` (a count of an empty place)."""
    raw = raw.strip()
    if not raw:
        raise InvalidInput("is required", field=field)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(f"{raw!r} is not a number", field=field) from None
    if not value.is_finite() or abs(value) >= Decimal(10) ** 13 or value != value.quantize(Decimal("0.000001")):
        raise InvalidInput("is not a quantity (at most 6 decimals)", field=field)
    if value == 0 and not zero:
        raise InvalidInput("must be more than zero" if not signed else "must not be zero", field=field)
    if value < 0 and not signed:
        raise InvalidInput("must be more than zero" if not zero else "cannot be negative", field=field)
    return value


def text(values: Mapping[str, str], field: str, most: int, *, required: bool = False) -> str | None:
    """A text field: None when left empty (unless ``required``), refused when longer than ``most``."""
    value = values.get(field, "")
    if required and not value:
        raise InvalidInput("is required", field=field)
    if len(value) > most:
        raise InvalidInput(f"at most {most} characters", field=field)
    return value or None


_LINE = re.compile(r"^lines\[(\d+)\](.*)$")


def on_row(error: DomainError, origins: Sequence[int], name: Callable[[int, str], str]) -> DomainError:
    """A service's refusal of ``lines[i].x`` (i counting the filled rows only) named after the form's row
    field: ``name(row, "x")`` gives it."""
    found = _LINE.match(error.field or "")
    if not found or int(found.group(1)) >= len(origins):
        return error
    error.field = name(origins[int(found.group(1))], found.group(2).lstrip("."))
    return error


def show(request: Request, page: str, fragment: str, target: str, context: Mapping[str, Any], *,
         principal: Principal, error: DomainError | None = None) -> Response:
    """The form page; after a refusal the form again (in place of the one sent, on htmx) with ``error``."""
    full = {**context, "error": error, "headline": core.KIND_HEADLINES.get(error.kind, "") if error else ""}
    status = STATUS[error.kind] if error else 200
    if error is not None and core.is_htmx(request):
        return core.render(request, fragment, full, principal=principal, status_code=status,
                           headers={"HX-Retarget": target, "HX-Reswap": "outerHTML"})
    return core.render(request, page, full, principal=principal, status_code=status)
