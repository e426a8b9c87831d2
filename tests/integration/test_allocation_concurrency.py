"""Many orders allocating one hot SKU at once on PostgreSQL: never oversold, every unit accounted for.

Each thread holds its own pooled connection; the ledger's conditional balance update refuses a bucket someone
else took after it was read, and the allocation re-reads its candidates and tries again."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from sqlalchemy import Connection, func, select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import SYSTEM
from stockyard.domain.allocation import OrderType
from stockyard.services import orders
from stockyard.services.verify import verify
from tests.helpers import World

CLIENTS = 64
BUCKETS = (("PF-1", 7, {"kind": "pick_face"}), ("S-1", 20, {}), ("S-2", 13, {}), ("S-3", 40, {}))


def test_concurrent_allocations_never_oversell(pg_db: Database) -> None:
    db = pg_db
    world = World(db)
    item = world.item()
    for code, quantity, extra in BUCKETS:
        world.receive(world.location(code, **extra), quantity, item)
    stock = sum(q for _, q, _ in BUCKETS)
    rng = random.Random(7)
    demands = [rng.randint(1, 3) for _ in range(CLIENTS)]
    ids = [orders.create_order(db, SYSTEM, orders.NewOrder(
        item.owner_id, world.warehouse(), f"SO-{n}", OrderType.SALES_B2C,
        [orders.NewOrderLine(Decimal(q), sku_id=item.sku_id)])).order["id"] for n, q in enumerate(demands)]

    def run(order_id: int) -> Decimal:
        result = orders.allocate(db, SYSTEM, order_id)
        return sum((Decimal(line["allocated_quantity"]) for line in result.order["lines"]), Decimal(0))

    with ThreadPoolExecutor(CLIENTS) as pool:
        got = list(pool.map(run, ids))

    demand = sum(demands)
    assert sum(got) == min(stock, demand)
    assert stock < demand, "the test needs more demand than stock to race for the last units"

    def state(c: Connection) -> tuple[Decimal, Decimal, list[tuple[Decimal, Decimal]]]:
        lines = c.execute(select(func.sum(t.shipment_line.c.allocated_quantity))).scalar_one()
        held = c.execute(select(func.sum(t.shipment_allocation.c.quantity))
                         .where(t.shipment_allocation.c.status == "allocated")).scalar_one()
        rows = c.execute(select(t.balance.c.on_hand, t.balance.c.allocated).where(~t.balance.c.is_virtual)).all()
        return lines, held, [(r.on_hand, r.allocated) for r in rows]

    lines, held, rows = db.read(state)
    assert lines == held == min(stock, demand)
    assert all(0 <= allocated <= on_hand for on_hand, allocated in rows)
    assert sum(allocated for _, allocated in rows) == min(stock, demand)
    report = verify(db)
    assert report.ok, report.violations
