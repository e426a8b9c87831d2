"""The demo a new user loads first: realistic master data and opening stock that the ledger can prove."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.demo import has_data, load_demo
from stockyard.domain.master import check_gtin, check_sscc
from stockyard.services.verify import verify

TODAY = date(2026, 3, 16)
AISLE_CODE = re.compile(r"^[A-Z]\d{2}-\d{2}-\d-\d$")


def _rows(db: Database, query: Any) -> list[Any]:
    return db.read(lambda conn: list(conn.execute(query)))


def _count(db: Database, query: Any) -> int:
    return int(db.read(lambda conn: conn.execute(query).scalar_one()))


def test_demo_loads_a_warehouse_a_user_can_work_in(db: Database) -> None:
    assert not has_data(db)
    messages: list[str] = []

    summary = load_demo(db, progress=messages.append, today=TODAY)

    assert has_data(db)
    assert "200 SKUs" in summary
    assert messages

    warehouses = _rows(db, select(t.warehouse.c.code, t.warehouse.c.name))
    assert len(warehouses) == 2
    assert all("(" in w.name for w in warehouses)  # English with the Chinese name alongside
    assert _count(db, select(func.count()).select_from(t.owner)) == 3
    zone_kinds = {r.kind for r in _rows(db, select(t.zone.c.kind))}
    assert zone_kinds == {"receiving", "storage", "picking", "staging", "packing", "shipping", "qc", "returns"}

    physical = [r for r in _rows(db, select(t.location)) if r.virtual_kind is None]
    assert 1900 <= len(physical) <= 2200
    assert all(r.x is not None and r.y is not None for r in physical)
    racked = [r for r in physical if r.aisle is not None]
    assert all(AISLE_CODE.match(r.code) and r.code.startswith(r.aisle) for r in racked)
    assert {"dock", "staging", "packing", "shipping", "qc", "returns", "pick_face", "storage"} <= {
        r.kind for r in physical}
    blocked = {r.id for r in physical if r.status == "blocked"}
    assert blocked

    skus = _rows(db, select(t.sku))
    assert 180 <= len(skus) <= 220
    assert len({s.owner_id for s in skus}) == 3
    assert any(s.lot_control for s in skus)
    assert any(s.serial_control for s in skus)
    assert all(s.shelf_life_days for s in skus if s.expiry_control) and any(s.expiry_control for s in skus)
    assert any(s.base_uom == "KGM" and s.decimals == 3 for s in skus)
    for barcode in _rows(db, select(t.sku_barcode.c.barcode).where(t.sku_barcode.c.kind == "gtin")):
        check_gtin(barcode.barcode)
    ssccs = [r.sscc for r in _rows(db, select(t.container.c.sscc).where(t.container.c.sscc.is_not(None)))]
    assert ssccs
    for sscc in ssccs:
        check_sscc(sscc)
    for table in (t.supplier, t.customer):
        assert len({r.owner_id for r in _rows(db, select(table.c.owner_id))}) == 3
    assert _count(db, select(func.count()).select_from(t.carrier)) > 0

    stock = _rows(db, select(t.balance, t.sku.c.serial_control, t.sku.c.expiry_control, t.lot.c.expiry_date)
                  .join(t.sku, t.sku.c.id == t.balance.c.sku_id).outerjoin(t.lot, t.lot.c.id == t.balance.c.lot_id)
                  .where(~t.balance.c.is_virtual, t.balance.c.on_hand > 0))
    assert len(stock) >= 500
    assert not {r.location_id for r in stock} & blocked
    serials = [r for r in stock if r.serial_control]
    assert serials and all(r.serial is not None and r.on_hand == Decimal(1) for r in serials)
    assert max(Counter((r.sku_id, r.serial) for r in serials).values()) == 1
    expiring = [r for r in stock if r.expiry_control]
    assert expiring and all(r.expiry_date is not None for r in expiring)
    assert any(r.expiry_date <= TODAY + timedelta(days=45) for r in expiring)
    assert {r.status for r in stock} >= {"available", "qc", "damaged"}
    assert any(r.container_id is not None for r in stock)

    report = verify(db)
    assert report.ok, report.violations[:5]
    assert report.movements == len(stock)


def test_demo_loaded_again_is_a_second_identical_copy(db: Database) -> None:
    load_demo(db, today=TODAY)
    load_demo(db, today=TODAY)

    codes = sorted(r.code for r in _rows(db, select(t.warehouse.c.code)))
    assert codes == ["SH-DC1", "SH-DC1-2", "SZ-PW1", "SZ-PW1-2"]
    totals = _rows(db, select(t.owner.c.code, func.count(t.balance.c.id), func.sum(t.balance.c.on_hand))
                   .join(t.balance, t.balance.c.owner_id == t.owner.c.id).where(~t.balance.c.is_virtual)
                   .group_by(t.owner.c.code))
    by_owner = {r[0]: (r[1], r[2]) for r in totals}
    for code in ("BRIGHTHOME", "VOLTEK", "HUAXIN"):
        assert by_owner[code] == by_owner[f"{code}-2"]
    assert verify(db).ok


def test_demo_has_orders_and_a_released_wave_to_pick(db: Database) -> None:
    summary = load_demo(db, today=TODAY)
    assert "outbound: 24 shipment orders, 12 of them in released waves" in summary
    waves = _rows(db, select(t.wave.c.status, t.wave.c.stats))
    assert [w.status for w in waves] == ["released", "released"]
    assert all(w.stats["picks"] > 0 and w.stats["trips"] >= 1 for w in waves)
    trips = _rows(db, select(t.pick_trip.c.route_length, t.pick_trip.c.s_shape_length))
    assert trips and all(r.route_length <= r.s_shape_length for r in trips)
    statuses = Counter(r.status for r in _rows(db, select(t.shipment_order.c.status)))
    assert statuses["picking"] == 12 and statuses["created"] == 12
    assert verify(db).ok
