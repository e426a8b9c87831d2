"""Picking and cancelling the same orders at the same moment on PostgreSQL: each order is either picked and then
cancelled with its goods going back by task, or cancelled before the pick, which then finds the task cancelled;
never a half-done pick, never a reservation left behind."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from sqlalchemy import select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import SYSTEM
from stockyard.domain.allocation import OrderType
from stockyard.domain.errors import Conflict
from stockyard.services import orders, picking, waves
from stockyard.services.verify import verify
from tests.helpers import World

ORDERS = 24


def test_picks_racing_cancellations_leave_consistent_books(pg_db: Database) -> None:
    db = pg_db
    world = World(db)
    item = world.item()
    world.location("STAGE", kind="staging", x=0, y=0)
    shelf = world.location("A-01", aisle="A", x=3, y=2)
    world.receive(shelf, ORDERS * 2, item)
    wh = world.warehouse()
    ids = [orders.create_order(db, SYSTEM, orders.NewOrder(
        item.owner_id, wh, f"SO-{n}", OrderType.SALES_B2C, [orders.NewOrderLine(Decimal(2), sku_id=item.sku_id)]))
        .order["id"] for n in range(ORDERS)]
    wave = waves.create_wave(db, SYSTEM, waves.NewWave(wh, ids, waves.PickSettings(max_orders_per_trip=64)))
    released = waves.release(db, SYSTEM, wave["id"])
    tasks = picking.get_trip(db, SYSTEM, released["trips"][0]["id"])["tasks"]
    assert len(tasks) == ORDERS

    def pick(task: dict[str, object]) -> str:
        try:
            picking.confirm_pick(db, SYSTEM, int(str(task["id"])), picking.PickScan("A-01", "SKU1", Decimal(2)))
            return "picked"
        except Conflict as error:
            return error.code

    def cancel(order_id: int) -> str:
        return str(orders.cancel(db, SYSTEM, order_id)["status"])

    with ThreadPoolExecutor(16) as pool:
        picks = [pool.submit(pick, task) for task in tasks]
        cancels = [pool.submit(cancel, order_id) for order_id in ids]
        outcomes = [f.result() for f in picks]
        assert {f.result() for f in cancels} == {"cancelled"}
    assert set(outcomes) <= {"picked", "task_not_open"}

    b, k = t.balance, t.task
    rows = db.read(lambda conn: conn.execute(select(b.c.location_id, b.c.on_hand, b.c.allocated)
                                             .where(~b.c.is_virtual)).all())
    assert all(row.allocated == 0 for row in rows), rows
    # What was picked waits in staging for the tasks that put it back; the rest never left the shelf.
    returns = db.read(lambda conn: conn.execute(select(k.c.quantity).where(k.c.kind == "putaway")).scalars().all())
    staged = sum((row.on_hand for row in rows if row.location_id != shelf), Decimal(0))
    assert staged == sum(returns, Decimal(0)) == 2 * outcomes.count("picked")
    report = verify(db)
    assert report.ok, report.violations
