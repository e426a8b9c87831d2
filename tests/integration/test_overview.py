"""The dashboard's figures agree with the balances they summarise, and keep to the principal's scope."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.demo import load_demo
from stockyard.domain.access import SYSTEM, Principal, Scope
from stockyard.services import inventory, overview, stock


def _balances(db: Database, principal: Principal, warehouse_id: int | None = None) -> list[dict[str, object]]:
    rows, cursor = stock.list_balances(db, stock.BalanceFilter(warehouse_id=warehouse_id), principal=principal,
                                       limit=10_000)
    assert cursor is None
    return rows


def test_the_stock_figures_are_the_sums_of_the_balances_by_status(db: Database) -> None:
    load_demo(db)
    warehouse_id = db.read(lambda c: c.execute(select(t.warehouse.c.id).order_by(t.warehouse.c.id)).scalars()
                           .first())
    target = next(r for r in _balances(db, SYSTEM, warehouse_id)
                  if r["status"] == "available" and r["on_hand"] > r["allocated"])
    inventory.freeze(db, SYSTEM, inventory.Freeze(int(warehouse_id), "hold", sku_id=int(target["sku_id"]),
                                                  location_id=int(target["location_id"])))
    rows = _balances(db, SYSTEM, warehouse_id)
    shown = overview.dashboard(db, SYSTEM, warehouse_id=warehouse_id).stock
    assert shown.on_hand == sum((Decimal(r["on_hand"]) for r in rows), Decimal(0)) > 0
    assert shown.allocated == sum((Decimal(r["allocated"]) for r in rows), Decimal(0))
    assert shown.frozen == sum((Decimal(r["on_hand"]) for r in rows if r["status"] == "frozen"), Decimal(0)) > 0
    assert shown.available == sum((Decimal(r["on_hand"]) - Decimal(r["allocated"]) for r in rows
                                   if r["status"] == "available"), Decimal(0))
    assert shown.qc == sum((Decimal(r["on_hand"]) for r in rows if r["status"] == "qc"), Decimal(0))
    everywhere = overview.dashboard(db, SYSTEM).stock
    assert everywhere.on_hand > shown.on_hand, "the demo holds stock in more than one warehouse"


def test_a_principal_of_one_warehouse_sees_that_warehouses_figures(db: Database) -> None:
    load_demo(db)
    first, second = db.read(lambda c: c.execute(select(t.warehouse.c.id).order_by(t.warehouse.c.id)).scalars()
                            .all()[:2])
    scoped = Principal("kim", permissions=frozenset({"stock.read"}), scope=Scope(warehouse_ids=frozenset({first})))
    mine = overview.dashboard(db, scoped)
    assert mine.stock == overview.dashboard(db, SYSTEM, warehouse_id=first).stock
    assert overview.dashboard(db, scoped, warehouse_id=second).stock == overview.StockFigures()
    by_zone = sum((z["on_hand"] for z in mine.stock_by_zone), Decimal(0))
    assert by_zone == mine.stock.on_hand
