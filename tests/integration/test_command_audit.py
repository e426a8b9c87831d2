"""Every master-data and stock command appends exactly one audit entry, in the transaction of its change: who did
it, what, to which object, and the record before and after. A command that fails appends nothing and writes
nothing else either."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import BUILTIN_ROLES, SYSTEM, Principal, Scope
from stockyard.domain.audit import canonical_json
from stockyard.domain.errors import Conflict, DomainError, Forbidden, InsufficientStock, InvalidInput, NotFound
from stockyard.domain.stock import Bucket, StockItem, VirtualKind
from stockyard.services import audit, stock
from stockyard.services import masterdata as md
from tests.helpers import World

Json = dict[str, Any]
SSCC = "006141411234567890"

ALICE = Principal("alice", permissions=BUILTIN_ROLES["warehouse_manager"], roles=("warehouse_manager",),
                  user_id=7, request_id="req-42")


def plain(value: Any) -> Any:
    """A value as the audit log keeps it (dates as ISO text, decimals as exact strings)."""
    return json.loads(canonical_json(value))


class Log:
    """The entries appended since it was made."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.mark = audit.head(db).seq

    def new(self) -> list[Json]:
        entries = audit.list_entries(self.db, after_seq=self.mark)
        self.mark = audit.head(self.db).seq
        return entries

    def one(self, action: str, object_type: str, object_id: int) -> Json:
        entries = self.new()
        assert len(entries) == 1, entries
        entry = entries[0]
        assert (entry["action"], entry["object_type"], entry["object_id"]) == (action, object_type, str(object_id))
        assert (entry["actor"], entry["roles"], entry["request_id"]) == ("alice", ["warehouse_manager"], "req-42")
        return entry


@pytest.fixture
def log(db: Database) -> Iterator[Log]:
    yield Log(db)
    assert audit.verify(db).ok


# ---------------------------------------------------------------- master data


@dataclass(frozen=True)
class Kind:
    entity: md.Entity
    body: Callable[[World], Json]
    change: Json


KINDS = [
    Kind(md.WAREHOUSE, lambda w: {"code": "WH9", "name": "Nine", "address": {"city": "Suzhou"}}, {"name": "Nine!"}),
    Kind(md.ZONE, lambda w: {"warehouse_id": w.warehouse(), "code": "Z1", "name": "Z", "kind": "storage"},
         {"name": "Zed", "kind": "qc"}),
    Kind(md.LOCATION, lambda w: {"warehouse_id": w.warehouse(), "code": "L-1", "max_units": Decimal("48.5")},
         {"status": "blocked", "max_units": Decimal(60)}),
    Kind(md.OWNER, lambda w: {"code": "O9", "name": "O"}, {"name": "O nine"}),
    Kind(md.SKU, lambda w: {"owner_id": w.owner(), "code": "S9", "name": "S",
                            "packs": [{"level": "case", "uom": "CS", "factor": "12"}],
                            "barcodes": [{"barcode": "S9-CASE", "kind": "internal", "pack_level": "case"}]},
         {"name": "S nine", "packs": [{"level": "case", "uom": "CS", "factor": "24"}]}),
    Kind(md.LOT, lambda w: {"sku_id": w.sku(), "number": "N1", "production_date": date(2024, 1, 2)},
         {"expiry_date": date(2030, 1, 1)}),
    Kind(md.SUPPLIER, lambda w: {"owner_id": w.owner(), "code": "P1", "name": "P"}, {"phone": "+86 21 5555"}),
    Kind(md.CUSTOMER, lambda w: {"owner_id": w.owner(), "code": "P1", "name": "P"}, {"email": "p@example.com"}),
    Kind(md.CARRIER, lambda w: {"code": "SF", "name": "SF"}, {"scac": "SFEX"}),
    Kind(md.CONTAINER, lambda w: {"warehouse_id": w.warehouse(), "lpn": "LPN-A"}, {"sscc": SSCC}),
]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.entity.kind)
def test_each_master_data_command_appends_one_entry(db: Database, world: World, kind: Kind) -> None:
    body = kind.body(world)  # what it refers to is made (and audited) first, as the system
    log = Log(db)
    name = kind.entity.kind

    created = md.create(db, kind.entity, body, principal=ALICE)
    entry = log.one(f"{name}.create", name, created["id"])
    assert entry["before"] is None
    assert entry["after"] == plain(created)

    changed = md.update_record(db, kind.entity, created["id"], kind.change, principal=ALICE)
    entry = log.one(f"{name}.update", name, created["id"])
    assert entry["before"] == plain(created)
    assert entry["after"] == plain(changed)
    assert entry["before"] != entry["after"]

    gone = md.deactivate(db, kind.entity, created["id"], principal=ALICE)
    entry = log.one(f"{name}.deactivate", name, created["id"])
    assert (entry["before"], entry["after"]) == (plain(changed), plain(gone))
    assert (entry["before"]["active"], entry["after"]["active"]) == (True, False)
    assert audit.verify(db).ok


def _count(db: Database, table: Any) -> int:
    return int(db.read(lambda conn: conn.execute(select(func.count()).select_from(table)).scalar_one()))


def test_a_failed_master_data_command_appends_nothing(db: Database, world: World, log: Log) -> None:
    wh, acme, sku = world.warehouse(), world.owner(), world.sku()
    md.update_record(db, md.SKU, sku, {"barcodes": [{"barcode": "TAKEN", "kind": "internal"}]}, principal=SYSTEM)
    adjustment = world.virtual(VirtualKind.ADJUSTMENT)
    log.new()
    skus, locations = _count(db, t.sku), _count(db, t.location)
    scoped = Principal("bob", permissions=ALICE.permissions, scope=Scope(warehouse_ids=frozenset({wh})))
    failures: list[tuple[type[DomainError], Callable[[], Any]]] = [
        (Conflict, lambda: md.create(db, md.WAREHOUSE, {"code": "WH1", "name": "Again"}, principal=ALICE)),
        (InvalidInput, lambda: md.create(db, md.ZONE, {"warehouse_id": 987654, "code": "Z", "name": "Z",
                                                       "kind": "storage"}, principal=ALICE)),
        # Refused after the SKU row is inserted (its barcode is taken): the insert goes too.
        (Conflict, lambda: md.create(db, md.SKU, {"owner_id": acme, "code": "NEW", "name": "New",
                                                  "barcodes": [{"barcode": "TAKEN", "kind": "internal"}]},
                                     principal=ALICE)),
        (InvalidInput, lambda: md.update_record(db, md.SKU, sku, {"owner_id": 987654}, principal=ALICE)),
        (NotFound, lambda: md.update_record(db, md.OWNER, 987654, {"name": "X"}, principal=ALICE)),
        (InvalidInput, lambda: md.deactivate(db, md.LOCATION, adjustment, principal=ALICE)),
        (Forbidden, lambda: md.create(db, md.WAREHOUSE, {"code": "WH8", "name": "Eight"}, principal=scoped)),
    ]
    for error, command in failures:
        with pytest.raises(error):
            command()
        assert log.new() == [], command
    assert (_count(db, t.sku), _count(db, t.location)) == (skus, locations)
    assert md.get(db, md.SKU, sku, principal=SYSTEM)["owner_id"] == acme


# ---------------------------------------------------------------- stock


@pytest.fixture
def shelf(world: World) -> int:
    world.sku("LOTTED", lot_control=True)
    return world.location("A-01")


def test_each_stock_command_appends_one_entry(db: Database, world: World, shelf: int, log: Log) -> None:
    acme, tea, lotted = world.owner(), world.sku(), world.sku("LOTTED")
    log.new()

    opening = stock.post_opening_stock(db, [stock.StockLine(acme, tea, shelf, Decimal(10)),
                                            stock.StockLine(acme, lotted, shelf, Decimal("2"), lot_number="L1")],
                                       principal=ALICE, doc_ref="GO-LIVE")
    after = log.one("stock.opening", "posting", opening.posting_id)["after"]
    adjustment = world.virtual(VirtualKind.ADJUSTMENT)
    assert {k: after[k] for k in ("posting_id", "reason", "doc_type", "doc_ref")} == {
        "posting_id": opening.posting_id, "reason": "OPENING", "doc_type": "opening", "doc_ref": "GO-LIVE"}
    assert [(m["sku_id"], m["from_location_id"], m["to_location_id"], m["quantity"], m["lot_id"] is None)
            for m in after["movements"]] == [(tea, adjustment, shelf, "10", True),
                                             (lotted, adjustment, shelf, "2", False)]
    assert after["allocations"] == []

    adjusted = stock.post_adjustment(db, "DAMAGED", [stock.StockLine(acme, tea, shelf, Decimal(1))],
                                     principal=ALICE, doc_ref="ADJ-1")
    after = log.one("stock.adjust", "posting", adjusted.posting_id)["after"]
    assert (after["reason"], after["doc_ref"]) == ("DAMAGED", "ADJ-1")
    assert [(m["from_location_id"], m["to_location_id"], m["quantity"]) for m in after["movements"]] == [
        (shelf, adjustment, "1")]

    item, bucket = StockItem(acme, tea), Bucket(shelf)
    allocated = stock.allocate_stock(db, item, bucket, Decimal(4), principal=ALICE, doc_type="order",
                                     doc_ref="SO-1")
    after = log.one("stock.allocate", "posting", allocated.posting_id)["after"]
    assert (after["reason"], after["doc_type"], after["doc_ref"], after["movements"]) == (
        "ALLOCATE", "order", "SO-1", [])
    assert [(a["location_id"], a["quantity"], a["status"]) for a in after["allocations"]] == [
        (shelf, "4", "available")]

    released = stock.release_stock(db, item, bucket, Decimal(3), principal=ALICE, doc_ref="SO-1")
    after = log.one("stock.release", "posting", released.posting_id)["after"]
    assert [a["quantity"] for a in after["allocations"]] == ["-3"]

    reversal = stock.reverse_posting(db, adjusted.posting_id, principal=ALICE)
    after = log.one("stock.reverse", "posting", reversal.posting_id)["after"]
    assert (after["reason"], after["reverses_posting_id"], after["doc_ref"]) == (
        "REVERSAL", adjusted.posting_id, "ADJ-1")
    assert [(m["from_location_id"], m["to_location_id"], m["quantity"]) for m in after["movements"]] == [
        (adjustment, shelf, "1")]


def test_a_failed_stock_command_appends_and_posts_nothing(db: Database, world: World, shelf: int,
                                                          log: Log) -> None:
    acme, tea = world.owner(), world.sku()
    posted = stock.post_opening_stock(db, [stock.StockLine(acme, tea, shelf, Decimal(5))], principal=ALICE)
    stock.allocate_stock(db, StockItem(acme, tea), Bucket(shelf), Decimal(2), principal=ALICE)
    found = stock.post_adjustment(db, "FOUND", [stock.StockLine(acme, tea, shelf, Decimal(1))], principal=ALICE)
    stock.reverse_posting(db, found.posting_id, principal=ALICE)
    scoped = Principal("bob", permissions=ALICE.permissions,
                       scope=Scope(warehouse_ids=frozenset({world.warehouse("WH2")})))
    log.new()
    postings, lots = _count(db, t.posting), _count(db, t.lot)
    item, bucket = StockItem(acme, tea), Bucket(shelf)
    failures: list[tuple[type[DomainError], Callable[[], Any]]] = [
        # The first line would post (and create lot NEW), the second cannot: neither is written.
        (InvalidInput, lambda: stock.post_opening_stock(db, [
            stock.StockLine(acme, world.sku("LOTTED"), shelf, Decimal(1), lot_number="NEW"),
            stock.StockLine(acme, tea, shelf, Decimal("0.5"))], principal=ALICE)),
        (InvalidInput, lambda: stock.post_adjustment(db, "DAMAGED", [
            stock.StockLine(acme, tea, shelf, Decimal(1)), stock.StockLine(acme, tea, 987654, Decimal(1))],
            principal=ALICE)),
        (InsufficientStock, lambda: stock.allocate_stock(db, item, bucket, Decimal(99), principal=ALICE)),
        (InsufficientStock, lambda: stock.release_stock(db, item, bucket, Decimal(3), principal=ALICE)),
        (NotFound, lambda: stock.reverse_posting(db, 987654, principal=ALICE)),
        (Conflict, lambda: stock.reverse_posting(db, found.posting_id, principal=ALICE)),  # reversed already
        (InvalidInput, lambda: stock.post_opening_stock(db, [stock.StockLine(acme, tea, shelf, Decimal(1))],
                                                        principal=scoped)),
        (NotFound, lambda: stock.reverse_posting(db, posted.posting_id, principal=scoped)),
        (InvalidInput, lambda: stock.allocate_stock(db, item, bucket, Decimal(1), principal=scoped)),
    ]
    for error, command in failures:
        with pytest.raises(error):
            command()
        assert log.new() == [], command
    assert (_count(db, t.posting), _count(db, t.lot)) == (postings, lots)
