"""Inventory control over HTTP: moves, freezes and their release, ownership transfer — and their bad inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.services.verify import verify
from tests.e2e.support import API, create, error, ok

Json = dict[str, Any]


@dataclass
class Site:
    wh: int
    a1: int
    a2: int
    small: int
    blocked: int
    acme: int
    other: int
    tea: int
    other_tea: int
    pallet: int


@pytest.fixture
def site(client: TestClient) -> Site:
    wh = create(client, "warehouses", {"code": "W1", "name": "Main"})["id"]
    a1, a2 = (create(client, "locations", {"warehouse_id": wh, "code": code})["id"] for code in ("A-1", "A-2"))
    small = create(client, "locations", {"warehouse_id": wh, "code": "SMALL", "max_units": "10",
                                         "mix_skus": False})["id"]
    blocked = create(client, "locations", {"warehouse_id": wh, "code": "BLK", "status": "blocked"})["id"]
    acme = create(client, "owners", {"code": "ACME", "name": "Acme"})["id"]
    other = create(client, "owners", {"code": "OTHER", "name": "Other"})["id"]
    tea = create(client, "skus", {"owner_id": acme, "code": "TEA", "name": "Tea", "lot_control": True})["id"]
    other_tea = create(client, "skus", {"owner_id": other, "code": "TEA", "name": "Tea", "lot_control": True})["id"]
    pallet = create(client, "containers", {"warehouse_id": wh, "lpn": "PAL-1"})["id"]
    create(client, "stock/opening", {"lines": [
        {"owner_id": acme, "sku_id": tea, "location_id": a1, "quantity": "50", "lot_number": "L1"},
        {"owner_id": acme, "sku_id": tea, "location_id": a1, "quantity": "20", "lot_number": "L2",
         "container_id": pallet}]})
    return Site(wh, a1, a2, small, blocked, acme, other, tea, other_tea, pallet)


def lot(db: Database, sku_id: int, number: str) -> int:
    return int(db.read(lambda conn: conn.execute(select(t.lot.c.id).where(
        t.lot.c.sku_id == sku_id, t.lot.c.number == number)).scalar_one()))


def stock(client: TestClient, site: Site) -> dict[tuple[int, int, int | None, str, int | None], str]:
    rows = ok(client.get(f"{API}/stock/balances", params={"warehouse_id": site.wh, "limit": 500}))["items"]
    return {(r["location_id"], r["owner_id"], r["container_id"], r["status"], r["sku_id"]): r["on_hand"]
            for r in rows}


def movements(db: Database) -> int:
    return int(db.read(lambda conn: conn.execute(select(func.count()).select_from(t.movement)).scalar_one()))


def test_moves_of_part_of_an_item_and_of_a_whole_container(client: TestClient, db: Database, site: Site) -> None:
    l1 = lot(db, site.tea, "L1")
    item = {"owner_id": site.acme, "sku_id": site.tea, "lot_id": l1}
    ok(client.post(f"{API}/stock/moves", json={"from_location_id": site.a1, "to_location_code": "A-2",
                                               "quantity": "15", **item}), 201)
    ok(client.post(f"{API}/stock/moves", json={"from_location_id": site.a1, "to_location_id": site.a2,
                                               "container_id": site.pallet, "whole_container": True}), 201)
    after = stock(client, site)
    assert after[(site.a1, site.acme, None, "available", site.tea)] == "35"
    assert after[(site.a2, site.acme, None, "available", site.tea)] == "15"
    assert after[(site.a2, site.acme, site.pallet, "available", site.tea)] == "20"
    assert (site.a1, site.acme, site.pallet, "available", site.tea) not in after
    assert verify(db).ok


def test_moves_into_a_full_or_blocked_location_and_of_too_much_are_refused(client: TestClient, db: Database,
                                                                           site: Site) -> None:
    item = {"owner_id": site.acme, "sku_id": site.tea, "lot_id": lot(db, site.tea, "L1")}
    before = movements(db)
    error(client.post(f"{API}/stock/moves", json={"from_location_id": site.a1, "to_location_id": site.small,
                                                  "quantity": "11", **item}), 409, "location_unfit", "to_location_id")
    error(client.post(f"{API}/stock/moves", json={"from_location_id": site.a1, "to_location_id": site.blocked,
                                                  "quantity": "1", **item}), 409, "location_blocked", "to_location_id")
    error(client.post(f"{API}/stock/moves", json={"from_location_id": site.a1, "to_location_code": "NOWHERE",
                                                  "quantity": "1", **item}), 422, "unknown_location",
          "to_location_code")
    error(client.post(f"{API}/stock/moves", json={"from_location_id": site.a1, "to_location_id": site.a2,
                                                  "quantity": "51", **item}), 409, "insufficient_stock")
    error(client.post(f"{API}/stock/moves", json={"from_location_id": site.a1, "to_location_id": site.a2,
                                                  "quantity": "0", **item}), 422, None, "quantity")
    assert movements(db) == before
    ok(client.post(f"{API}/stock/moves", json={"from_location_id": site.a1, "to_location_id": site.small,
                                               "quantity": "10", **item}), 201)


def test_frozen_stock_cannot_be_moved_or_allocated_until_released(client: TestClient, db: Database,
                                                                  site: Site) -> None:
    l1 = lot(db, site.tea, "L1")
    item = {"owner_id": site.acme, "sku_id": site.tea, "lot_id": l1}
    ok(client.post(f"{API}/stock/allocations", json={**item, "location_id": site.a1, "quantity": "5"}), 201)
    frozen = ok(client.post(f"{API}/stock/freezes", json={"warehouse_id": site.wh, "lot_id": l1,
                                                          "reason": "supplier recall"}), 201)
    assert frozen["frozen"] == "45" and frozen["left_allocated"] == "5"
    after = stock(client, site)
    assert after[(site.a1, site.acme, None, "frozen", site.tea)] == "45"
    before = movements(db)
    error(client.post(f"{API}/stock/moves", json={"from_location_id": site.a1, "to_location_id": site.a2,
                                                  "status": "frozen", "quantity": "1", **item}), 409, "frozen")
    error(client.post(f"{API}/stock/allocations", json={**item, "location_id": site.a1, "status": "frozen",
                                                        "quantity": "1"}), 422)
    error(client.post(f"{API}/stock/allocations", json={**item, "location_id": site.a1, "quantity": "1"}), 409,
          "insufficient_stock")
    assert movements(db) == before
    assert [f["id"] for f in ok(client.get(f"{API}/stock/freezes"))] == [frozen["id"]]
    released = ok(client.post(f"{API}/stock/freezes/{frozen['id']}/release", json={"reason": "recall lifted"}))
    assert released["status"] == "released"
    after = stock(client, site)
    assert after[(site.a1, site.acme, None, "available", site.tea)] == "50"
    assert (site.a1, site.acme, None, "frozen", site.tea) not in after
    error(client.post(f"{API}/stock/freezes/{frozen['id']}/release", json={"reason": "again"}), 409, "released")
    error(client.post(f"{API}/stock/freezes", json={"warehouse_id": site.wh, "reason": "all"}), 422, None, "sku_id")
    assert verify(db).ok


def test_ownership_transfer_keeps_both_books_consistent(client: TestClient, db: Database, site: Site) -> None:
    l1 = lot(db, site.tea, "L1")
    body = {"from_owner_id": site.acme, "to_owner_id": site.other, "sku_id": site.tea, "location_id": site.a1,
            "lot_id": l1, "quantity": "30", "reason": "sold in place"}
    done = ok(client.post(f"{API}/stock/ownership-transfers", json=body), 201)
    assert done["to_sku_id"] == site.other_tea
    after = stock(client, site)
    assert after[(site.a1, site.acme, None, "available", site.tea)] == "20"
    assert after[(site.a1, site.other, None, "available", site.other_tea)] == "30"
    # The lot goes with the goods: the new owner's SKU gets the same lot number.
    assert lot(db, site.other_tea, "L1") != l1
    assert verify(db).ok
    before = movements(db)
    error(client.post(f"{API}/stock/ownership-transfers", json={**body, "quantity": "21"}), 409,
          "insufficient_stock")
    error(client.post(f"{API}/stock/ownership-transfers", json={**body, "to_owner_id": site.acme}), 422, None,
          "to_owner_id")
    error(client.post(f"{API}/stock/ownership-transfers", json={**body, "sku_id": site.other_tea}), 422,
          "unknown_sku", "sku_id")
    assert movements(db) == before
