"""The SKUs the lines of an outside system's document name — by our id or by their item code — with their pack
levels, read in two queries for any number of lines. Used by receipt and shipment order intake."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Connection, select

from stockyard.db import tables as t
from stockyard.domain.errors import InvalidInput
from stockyard.domain.master import Pack, PackLevel, to_base

Row = dict[str, Any]


class NamesSku(Protocol):
    @property
    def sku_id(self) -> int | None: ...

    @property
    def sku_code(self) -> str | None: ...


def skus_of(conn: Connection, owner_id: int, lines: Sequence[NamesSku]) -> dict[Any, Row]:
    """The owner's active SKUs the lines name, keyed both ("id", id) and ("code", code), each with its packs."""
    ids = {line.sku_id for line in lines if line.sku_id is not None}
    codes = {line.sku_code for line in lines if line.sku_code is not None}
    s = t.sku
    query = select(s).where(s.c.owner_id == owner_id, s.c.active, s.c.id.in_(ids) | s.c.code.in_(codes))
    found = [dict(r._mapping) for r in conn.execute(query)]
    packs = packs_of(conn, [row["id"] for row in found])
    by_key: dict[Any, Row] = {}
    for row in found:
        row["packs"] = packs[row["id"]]
        by_key[("id", row["id"])] = by_key[("code", row["code"])] = row
    return by_key


def packs_of(conn: Connection, sku_ids: Sequence[int]) -> dict[int, list[Pack]]:
    """The pack levels of each SKU (an empty list for a SKU counted in its base unit only)."""
    packs: dict[int, list[Pack]] = {sku_id: [] for sku_id in sku_ids}
    for p in conn.execute(select(t.sku_pack).where(t.sku_pack.c.sku_id.in_(list(packs)))):
        packs[p.sku_id].append(Pack(PackLevel(p.level), p.uom, p.factor, p.decimals))
    return packs


def sku_of(skus: dict[Any, Row], line: NamesSku, where: str) -> Row:
    """The line's SKU, or the 422 naming the line's field when the owner has no such active SKU."""
    key = ("id", line.sku_id) if line.sku_id is not None else ("code", line.sku_code)
    if key[1] is None:
        raise InvalidInput("give sku_id or sku_code", field=f"{where}.sku_id")
    sku = skus.get(key)
    if sku is None:
        name = "sku_id" if key[0] == "id" else "sku_code"
        raise InvalidInput(f"SKU {key[1]} of this owner does not exist or is inactive", field=f"{where}.{name}",
                           code="unknown_sku")
    return sku


def base_quantity(sku: Row, quantity: Decimal, level: PackLevel, where: str) -> Decimal:
    """A line's quantity counted in ``level``, in the SKU's base unit; more than zero."""
    base = to_base(quantity, level, sku["packs"], sku["decimals"], field=f"{where}.quantity")
    if base <= 0:
        raise InvalidInput("must be greater than zero", field=f"{where}.quantity")
    return base


def uom_of(sku: Row, level: PackLevel) -> str:
    """The unit a quantity counted in ``level`` is in: the pack's unit, or the base unit."""
    pack = next((p for p in sku["packs"] if p.level is level), None)
    return pack.uom if pack else str(sku["base_uom"])
