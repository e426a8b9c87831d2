"""What a scanned item barcode stands for: one lookup for receiving, picking, sorting and packing.

A scan is a GS1 string (its GTIN, lot, expiry and serial are read), a GTIN or another barcode stored on a SKU,
or a plain label with the SKU's code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select

from stockyard.db import tables as t
from stockyard.domain.errors import InvalidInput
from stockyard.domain.gs1 import Scan, parse_scan
from stockyard.domain.master import PackLevel


@dataclass(frozen=True)
class ScannedItem:
    sku_id: int
    level: PackLevel
    lot_number: str | None = None  # read from the barcode (GS1 AI 10), when it carries one
    serial: str | None = None  # AI 21
    expiry: date | None = None  # AI 17


def barcode_forms(gtin: str | None, raw: str) -> set[str]:
    """What a scanned barcode may be stored as: as scanned, and a GTIN also without its leading zeros (GTIN-13 /
    12 / 8 are the 14-digit form without them, and are stored as printed)."""
    return {raw} | ({gtin, gtin[1:], gtin[2:], gtin[6:]} if gtin else set())


def by_barcode(conn: Connection, owner_id: int, gtin: str | None, raw: str) -> tuple[int, PackLevel] | None:
    """The SKU and pack level a barcode stands for, else the SKU whose code was scanned (a plain label)."""
    forms = barcode_forms(gtin, raw)
    b = t.sku_barcode
    row = conn.execute(select(b.c.sku_id, b.c.pack_level).where(b.c.owner_id == owner_id, b.c.barcode.in_(forms))
                       .order_by(b.c.id)).first()
    if row is None:
        sku = conn.execute(select(t.sku.c.id).where(t.sku.c.owner_id == owner_id, t.sku.c.code == raw)).scalar()
        return (int(sku), PackLevel.EACH) if sku is not None else None
    return int(row.sku_id), PackLevel(row.pack_level)


def read_scan(text: str, *, field: str) -> Scan:
    """The scan parsed; a malformed GS1 barcode is a 422 naming ``field`` (the form's field, not the parser's)."""
    try:
        return parse_scan(text)
    except InvalidInput as error:
        error.field = field
        raise


def sku_of_scan(conn: Connection, owner_id: int, scan: Scan, *, field: str) -> tuple[int, PackLevel]:
    """The owner's SKU and pack level a parsed scan names; 422 naming ``field`` when none has that barcode."""
    gtin = scan.gtin or scan.content_gtin
    found = by_barcode(conn, owner_id, gtin, scan.raw) if (gtin or scan.kind == "plain") else None
    if found is None:
        raise InvalidInput(f"no SKU of this owner has the barcode {gtin or scan.raw}", field=field,
                           code="unknown_barcode")
    return found


def scanned_item(conn: Connection, owner_id: int, text: str, *, field: str = "scan") -> ScannedItem:
    """The owner's SKU a scan names, with what the barcode itself says about lot, serial and expiry;
    422 naming ``field`` when nothing of this owner has that barcode."""
    scan = read_scan(text, field=field)
    sku_id, level = sku_of_scan(conn, owner_id, scan, field=field)
    return ScannedItem(sku_id, level, scan.lot, scan.serial, scan.expiry)
