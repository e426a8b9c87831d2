"""Inbound benchmark: receipt orders of many lines received and put away through the service layer.

Run from the repository root::

    .venv/bin/python bench/inbound.py [--backend postgresql|sqlite] [--receipts 1000] [--lines 10]
    stockyard bench inbound [same options]

A scratch database (dropped afterwards) gets a warehouse with a dock and 2,000 storage locations, one owner with
``--lines`` × 10 SKUs and two putaway rules (consolidate, then nearest empty). Then, in one process, every receipt
is created (idempotent intake), each of its lines received into a pallet on the dock (one posting, a putaway task
with its suggestion), each task confirmed to its suggested location (a second posting), and the receipt closed
(outbox event). The figure is lines per second through that whole flow; beside it, in the same run and the same
database, the reference: single movements posted through ``ledger.post`` (the bare ledger, no flow around it).
``verify`` must be clean at the end. Not a test: pytest does not collect it.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ledger import DEFAULT_PG_URL, say, scratch_postgresql, scratch_sqlite
from stockyard.db.engine import Database
from stockyard.db.migrate import upgrade
from stockyard.domain.access import SYSTEM
from stockyard.domain.inbound import ReceiptType
from stockyard.domain.stock import Bucket, Movement, PostingRequest, StockItem
from stockyard.services import ledger, putaway, receipts, receiving
from stockyard.services import masterdata as md
from stockyard.services.verify import verify


def build(db: Database, skus: int, shelves: int) -> dict[str, object]:
    wh = md.create(db, md.WAREHOUSE, {"code": "BENCH", "name": "Bench"}, principal=SYSTEM)["id"]
    rcv = md.create(db, md.ZONE, {"warehouse_id": wh, "code": "RCV", "name": "Dock", "kind": "receiving"},
                    principal=SYSTEM)["id"]
    sto = md.create(db, md.ZONE, {"warehouse_id": wh, "code": "STO", "name": "Storage", "kind": "storage"},
                    principal=SYSTEM)["id"]
    dock = md.create(db, md.LOCATION, {"warehouse_id": wh, "zone_id": rcv, "code": "DOCK", "x": Decimal(0),
                                       "y": Decimal(0)}, principal=SYSTEM)["id"]
    for n in range(shelves):
        md.create(db, md.LOCATION, {"warehouse_id": wh, "zone_id": sto, "code": f"S{n:05d}", "x": Decimal(n % 50),
                                    "y": Decimal(n // 50), "max_units": Decimal(1000)}, principal=SYSTEM)
    owner = md.create(db, md.OWNER, {"code": "BENCH", "name": "Bench"}, principal=SYSTEM)["id"]
    sku_ids = [md.create(db, md.SKU, {"owner_id": owner, "code": f"SKU{n:05d}", "name": f"Item {n}",
                                      }, principal=SYSTEM)["id"] for n in range(skus)]
    putaway.create_rule(db, SYSTEM, wh, {"name": "Together", "priority": 1, "policy": "consolidate",
                                         "target_zone_id": sto})
    putaway.create_rule(db, SYSTEM, wh, {"name": "Empty", "priority": 2, "policy": "nearest_empty",
                                         "target_zone_id": sto})
    return {"wh": wh, "dock": dock, "owner": owner, "skus": sku_ids}


def run_flow(db: Database, world: dict[str, object], count: int, lines: int) -> float:
    skus: list[int] = world["skus"]  # type: ignore[assignment]
    start = time.perf_counter()
    for n in range(count):
        chosen = [skus[(n * lines + i) % len(skus)] for i in range(lines)]
        intake = receipts.create_receipt(db, SYSTEM, receipts.NewReceipt(
            owner_id=world["owner"], warehouse_id=world["wh"], external_ref=f"PO{n:06d}",  # type: ignore[arg-type]
            type=ReceiptType.PURCHASE, expected_date=date.today() + timedelta(days=1),
            lines=[receipts.NewReceiptLine(quantity=Decimal(10), sku_id=s) for s in chosen]))
        for line in intake.receipt["lines"]:
            got = receiving.receive(db, SYSTEM, intake.receipt["id"], receiving.Receive(
                location_id=world["dock"], line_id=line["id"], quantity=Decimal(10), lot=f"L{n % 7}",  # type: ignore[arg-type]
                lpn=f"P{n:06d}-{line['line_no']:02d}"))
            for task in got["putaway_tasks"]:
                putaway.confirm_putaway(db, SYSTEM, task["id"], putaway.Confirmation())
        receipts.close_receipt(db, SYSTEM, intake.receipt["id"])
    return count * lines / (time.perf_counter() - start)


def run_reference(db: Database, world: dict[str, object], count: int) -> float:
    """Single movements dock → dock-side shelf through the bare posting service, as many as the flow posts."""
    skus: list[int] = world["skus"]  # type: ignore[assignment]
    supplier = md.list_records(db, md.LOCATION, {"warehouse_id": world["wh"], "virtual_kind": "supplier"},
                               principal=SYSTEM).items[0]["id"]
    start = time.perf_counter()
    for n in range(count):
        item = StockItem(world["owner"], skus[n % len(skus)], None, None)  # type: ignore[arg-type]
        ledger.post(db, PostingRequest("BENCH", [Movement(item, Bucket(supplier), Bucket(world["dock"]),  # type: ignore[arg-type]
                                                          Decimal(1))], user="bench"))
    return count / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--receipts", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=10)
    parser.add_argument("--shelves", type=int, default=2000)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args()
    scratch = scratch_postgresql(args.pg_url) if args.backend == "postgresql" else scratch_sqlite(None)
    with scratch as url:
        db = Database.from_url(url)
        try:
            upgrade(db.engine)
            world = build(db, skus=args.lines * 10, shelves=args.shelves)
            say(f"{args.backend}: warehouse with {args.shelves} shelves, {args.lines * 10} SKUs")
            postings = args.receipts * args.lines * 2
            reference = run_reference(db, world, min(postings, 5000))
            say(f"reference: {reference:,.0f} single movements/s through ledger.post")
            rate = run_flow(db, world, args.receipts, args.lines)
            report = verify(db)
        finally:
            db.dispose()
    lines_done = args.receipts * args.lines
    print(f"\n{args.backend}: {args.receipts} receipts x {args.lines} lines = {lines_done:,} lines received and put "
          f"away: {rate:,.0f} lines/s ({2 * rate:,.0f} postings/s, each line = receive + putaway)")
    print(f"reference in the same run: {reference:,.0f} bare single-movement postings/s; "
          f"flow postings at {2 * rate / reference:.0%} of it")
    print(f"verify: {'clean' if report.ok else f'{len(report.violations)} violations'} "
          f"({report.movements:,} movements)")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
