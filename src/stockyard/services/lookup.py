""""What is this?": whatever a person scans (a location label, a container's LPN or SSCC, a SKU's barcode or
code, a lot number, a serial number), what it is and where its stock is, within the principal's scope.

One scan can name several things (a lot number that is also a SKU code): every match is returned, each with its
stock per location, lot and container."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Connection, func, or_, select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import Principal
from stockyard.domain.errors import NotFound
from stockyard.domain.gs1 import Scan
from stockyard.services import masterdata as md
from stockyard.services.scanning import barcode_forms, read_scan

Kind = Literal["location", "container", "sku", "lot", "serial"]
MAX_STOCK_ROWS = 50


@dataclass(frozen=True)
class StockRow:
    location_code: str
    sku_code: str
    sku_name: str
    lot_number: str | None
    expiry: date | None
    serial: str | None
    container_lpn: str | None
    status: str
    on_hand: Decimal
    allocated: Decimal


@dataclass(frozen=True)
class Finding:
    kind: Kind
    code: str  # what the thing is called: the location code, LPN, SKU code, lot or serial number
    name: str | None  # the SKU's name, the location's zone, ...
    stock: tuple[StockRow, ...]
    total: Decimal  # on hand, over all of ``stock`` (which may be cut at MAX_STOCK_ROWS)
    more: bool  # more stock rows than shown


def what_is(db: Database, principal: Principal, text: str, *, field: str = "scan") -> list[Finding]:
    """Everything in the principal's scope the scan names, with its stock; 404 naming ``field`` when nothing
    is known by it."""
    scan = read_scan(text, field=field)

    def work(conn: Connection) -> list[Finding]:
        found = [*_locations(conn, principal, scan), *_containers(conn, principal, scan),
                 *_skus(conn, principal, scan), *_lots(conn, principal, scan), *_serials(conn, principal, scan)]
        if not found:
            raise NotFound(f"nothing here is known by {scan.raw}", field=field, code="unknown_scan")
        return found
    return db.read(work)


def _locations(conn: Connection, principal: Principal, scan: Scan) -> list[Finding]:
    if scan.kind != "plain":
        return []
    loc, z = t.location, t.zone
    query = (select(loc.c.id, loc.c.code, z.c.name.label("zone")).outerjoin(z, z.c.id == loc.c.zone_id)
             .where(loc.c.code == scan.raw, loc.c.virtual_kind.is_(None)))
    clause = md.scope_filter(md.LOCATION, principal)
    if clause is not None:
        query = query.where(clause)
    return [_finding(conn, principal, "location", r.code, r.zone, t.balance.c.location_id == r.id)
            for r in conn.execute(query.order_by(loc.c.id))]


def _containers(conn: Connection, principal: Principal, scan: Scan) -> list[Finding]:
    c = t.container
    code = scan.sscc or scan.raw
    query = select(c.c.id, c.c.lpn, c.c.kind).where(or_(c.c.lpn == code, c.c.sscc == code))
    clause = md.scope_filter(md.CONTAINER, principal)
    if clause is not None:
        query = query.where(clause)
    return [_finding(conn, principal, "container", r.lpn, r.kind, t.balance.c.container_id == r.id)
            for r in conn.execute(query.order_by(c.c.id))]


def _skus(conn: Connection, principal: Principal, scan: Scan) -> list[Finding]:
    s, bc = t.sku, t.sku_barcode
    gtin = scan.gtin or scan.content_gtin
    forms = barcode_forms(gtin, scan.raw)
    by_code = select(s.c.id).where(s.c.code == scan.raw) if scan.kind == "plain" else None
    ids = select(bc.c.sku_id).where(bc.c.barcode.in_(sorted(forms)))
    query = select(s.c.id, s.c.code, s.c.name).where(
        s.c.id.in_(ids) if by_code is None else or_(s.c.id.in_(ids), s.c.id.in_(by_code)))
    clause = md.scope_filter(md.SKU, principal)
    if clause is not None:
        query = query.where(clause)
    findings = []
    for r in conn.execute(query.order_by(s.c.id)):
        where = t.balance.c.sku_id == r.id
        if scan.lot:  # a GS1 barcode with its lot: the stock of that lot
            where = where & t.balance.c.lot_id.in_(select(t.lot.c.id).where(t.lot.c.sku_id == r.id,
                                                                            t.lot.c.number == scan.lot))
        if scan.serial:
            where = where & (t.balance.c.serial == scan.serial)
        findings.append(_finding(conn, principal, "sku", r.code, r.name, where))
    return findings


def _lots(conn: Connection, principal: Principal, scan: Scan) -> list[Finding]:
    if scan.kind != "plain":
        return []
    lot, s = t.lot, t.sku
    query = (select(lot.c.id, lot.c.number, s.c.code, s.c.name).join(s, s.c.id == lot.c.sku_id)
             .where(lot.c.number == scan.raw))
    clause = md.scope_filter(md.LOT, principal)
    if clause is not None:
        query = query.where(clause)
    return [_finding(conn, principal, "lot", r.number, f"{r.code} {r.name}", t.balance.c.lot_id == r.id)
            for r in conn.execute(query.order_by(lot.c.id).limit(20))]


def _serials(conn: Connection, principal: Principal, scan: Scan) -> list[Finding]:
    serial = scan.serial or (scan.raw if scan.kind == "plain" else None)
    if serial is None:
        return []
    b = t.balance
    exists = select(b.c.id).where(b.c.serial == serial, ~b.c.is_virtual, b.c.on_hand > 0)
    clause = _balance_scope(principal)
    if clause is not None:
        exists = exists.where(clause)
    if conn.execute(exists.limit(1)).first() is None:
        return []
    return [_finding(conn, principal, "serial", serial, None, b.c.serial == serial)]


def _balance_scope(principal: Principal) -> md.Clause | None:
    b = t.balance
    zones = None
    if principal.zone_ids is not None:
        zones = b.c.location_id.in_(select(t.location.c.id).where(t.location.c.zone_id.in_(sorted(principal.zone_ids))))
    return md.all_of(md.within(b.c.warehouse_id, principal.warehouse_ids),
                     md.within(b.c.owner_id, principal.owner_ids), zones)


def _finding(conn: Connection, principal: Principal, kind: Kind, code: str, name: str | None,
             where: Any) -> Finding:
    """The thing with its stock on hand: physical places only, in the principal's warehouses, owners and zones."""
    b, loc, s, lot, c = t.balance, t.location, t.sku, t.lot, t.container
    query = (select(loc.c.code.label("location_code"), s.c.code.label("sku_code"), s.c.name.label("sku_name"),
                    lot.c.number.label("lot_number"), lot.c.expiry_date, b.c.serial, c.c.lpn, b.c.status,
                    b.c.on_hand, b.c.allocated)
             .join(loc, loc.c.id == b.c.location_id).join(s, s.c.id == b.c.sku_id)
             .outerjoin(lot, lot.c.id == b.c.lot_id).outerjoin(c, c.c.id == b.c.container_id)
             .where(where, ~b.c.is_virtual, b.c.on_hand > 0)
             .order_by(loc.c.code, s.c.code, lot.c.expiry_date, b.c.id))
    clause = _balance_scope(principal)
    if clause is not None:
        query = query.where(clause)
    rows = conn.execute(query.limit(MAX_STOCK_ROWS + 1)).all()
    stock = tuple(StockRow(location_code=r.location_code, sku_code=r.sku_code, sku_name=r.sku_name,
                           lot_number=r.lot_number, expiry=r.expiry_date, serial=r.serial, container_lpn=r.lpn,
                           status=r.status, on_hand=Decimal(r.on_hand), allocated=Decimal(r.allocated))
                  for r in rows[:MAX_STOCK_ROWS])
    total = sum((x.on_hand for x in stock), Decimal(0))
    if len(rows) > MAX_STOCK_ROWS:
        total_query = select(func.coalesce(func.sum(b.c.on_hand), 0)).where(where, ~b.c.is_virtual, b.c.on_hand > 0)
        if clause is not None:
            total_query = total_query.where(clause)
        total = Decimal(conn.execute(total_query).scalar_one())
    return Finding(kind=kind, code=code, name=name, stock=stock, total=total, more=len(rows) > MAX_STOCK_ROWS)
