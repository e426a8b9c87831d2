"""Many real concurrent clients on one hot bucket: nothing negative, nothing over-allocated, verify clean.

Threads each hold their own connection from the pool; psycopg and sqlite3 release the GIL while they wait on
the database, so the statements really do race on the server.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from stockyard.db.engine import Database
from stockyard.domain.access import SYSTEM
from stockyard.domain.errors import InsufficientStock
from stockyard.domain.stock import AllocationChange, Bucket, Movement, PostingRequest, VirtualKind
from stockyard.services import ledger
from stockyard.services.stock import BalanceFilter, list_balances
from stockyard.services.verify import verify
from tests.helpers import World

STOCK = 50


def _hammer(db: Database, clients: int, rounds: int) -> None:
    world = World(db)
    hot, other = world.location("HOT"), world.location("OTHER")
    customer = world.virtual(VirtualKind.CUSTOMER)
    item = world.item()
    world.receive(hot, STOCK)
    outcome: Counter[str] = Counter()
    lock = threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(rounds):
            op = rng.choice(["allocate", "allocate", "release", "move_out", "move_back", "ship_allocated"])
            try:
                if op == "allocate":
                    ledger.allocate(db, item, Bucket(hot), Decimal(rng.randint(1, 3)), user=f"c{seed}")
                elif op == "release":
                    ledger.release(db, item, Bucket(hot), Decimal(1), user=f"c{seed}")
                elif op == "move_out":
                    ledger.post(db, PostingRequest("MOVE", [Movement(item, Bucket(hot), Bucket(other), Decimal(2))],
                                                   user=f"c{seed}"))
                elif op == "move_back":
                    ledger.post(db, PostingRequest("MOVE", [Movement(item, Bucket(other), Bucket(hot), Decimal(2))],
                                                   user=f"c{seed}"))
                else:  # pick what is allocated and ship it, consuming the allocation in one posting
                    ledger.post(db, PostingRequest(
                        "SHIP", [Movement(item, Bucket(hot), Bucket(customer), Decimal(1))],
                        [AllocationChange(item, Bucket(hot), Decimal(-1))], user=f"c{seed}"))
                result = "ok"
            except InsufficientStock:
                result = "refused"
            with lock:
                outcome[f"{op}:{result}"] += 1

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))

    report = verify(db)
    assert report.ok, report.violations
    rows, _ = list_balances(db, BalanceFilter(), principal=SYSTEM)
    shipped = outcome["ship_allocated:ok"]
    total = sum((r["on_hand"] for r in rows), Decimal(0))
    assert total == STOCK - shipped  # conserved: only shipments left the building
    assert all(r["on_hand"] >= 0 and 0 <= r["allocated"] <= r["on_hand"] for r in rows)
    # Every successful posting is in the ledger exactly once.
    assert report.movements == 1 + sum(n for k, n in outcome.items() if k.endswith(":ok") and
                                       not k.startswith(("allocate", "release")))
    assert sum(outcome.values()) == clients * rounds
    assert outcome["allocate:ok"] > 0 and outcome["allocate:refused"] > 0, outcome  # the race was real


def test_hot_bucket_on_postgresql(pg_db: Database) -> None:
    _hammer(pg_db, clients=32, rounds=40)


def test_hot_bucket_on_sqlite(db: Database) -> None:
    if db.dialect != "sqlite":
        return
    _hammer(db, clients=8, rounds=40)


def _no_oversell(db: Database, allocators: int) -> None:
    world = World(db)
    hot = world.location("HOT")
    item = world.item()
    world.receive(hot, 100)
    granted: list[Decimal] = []
    lock = threading.Lock()
    start = threading.Barrier(allocators)

    def allocator(_: int) -> None:
        start.wait()
        for _ in range(4):  # demand 4 × allocators units against 100 in stock
            try:
                ledger.allocate(db, item, Bucket(hot), Decimal(1), user="a")
            except InsufficientStock:
                continue
            with lock:
                granted.append(Decimal(1))

    with ThreadPoolExecutor(allocators) as pool:
        list(pool.map(allocator, range(allocators)))
    rows, _ = list_balances(db, BalanceFilter(location_id=hot), principal=SYSTEM)
    assert sum(granted) == min(100, 4 * allocators) == rows[0]["allocated"]
    assert verify(db).ok


def test_64_allocators_never_oversell_on_postgresql(pg_db: Database) -> None:
    _no_oversell(pg_db, 64)


def test_allocators_never_oversell_on_sqlite(db: Database) -> None:
    if db.dialect != "sqlite":
        return
    _no_oversell(db, 16)


def _racing_new_lots(db: Database, clients: int) -> None:
    from sqlalchemy import func, select

    from stockyard.db import tables as t
    from stockyard.services.stock import StockLine, post_opening_stock

    world = World(db)
    shelf = world.location("A")
    sku = world.sku("LOTTED", lot_control=True)
    owner = world.owner()
    start = threading.Barrier(clients)

    def client(seed: int) -> None:
        numbers = [f"L{i}" for i in range(10)]
        random.Random(seed).shuffle(numbers)
        lines = [StockLine(owner, sku, shelf, Decimal(1), lot_number=n) for n in numbers[: 3 + seed % 7]]
        start.wait()
        post_opening_stock(db, lines, principal=SYSTEM)

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))  # any exception in a client fails the test here
    lots = db.read(lambda c: c.execute(select(func.count()).select_from(t.lot)).scalar_one())
    assert lots == 10
    assert verify(db).ok


def test_concurrent_requests_creating_the_same_new_lots_on_postgresql(pg_db: Database) -> None:
    _racing_new_lots(pg_db, 12)


def test_concurrent_requests_creating_the_same_new_lots_on_sqlite(db: Database) -> None:
    if db.dialect != "sqlite":
        return
    _racing_new_lots(db, 6)
