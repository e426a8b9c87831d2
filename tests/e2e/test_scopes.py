"""Data scopes through the HTTP API: a principal limited to a warehouse, to a zone or to an owner sees and acts on
that data only. A record outside the scope answers exactly like a missing one (404 by id, 422 "does not exist" as
a reference), lists leave its rows out, and nothing of another owner comes through a join."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from stockyard.db.engine import Database
from stockyard.domain.access import SYSTEM
from stockyard.services import masterdata as md
from stockyard.services import stock
from tests.e2e.support import API, all_pages, error, ok
from tests.helpers import bearer

Json = dict[str, Any]
MISSING = 987654


@dataclass
class Site:
    """Two warehouses and two owners, built through the services as the system; the tests call the API."""

    wh1: int
    wh2: int
    za: int  # zone A of WH1
    zb: int  # zone B of WH1
    z2: int  # a zone of WH2
    a1: int  # shelf in zone A
    b1: int  # shelf in zone B
    n1: int  # shelf of WH1 in no zone
    w2: int  # shelf in WH2
    c1: int  # container of WH1
    c2: int  # container of WH2
    acme: int
    other: int
    tea: int  # ACME's SKU
    coffee: int  # OTHER's SKU
    tea_lot: int
    coffee_lot: int
    acme_supplier: int
    other_supplier: int
    carrier: int
    p_a1: int  # opening in a1: ACME's tea and OTHER's coffee
    p_b1: int  # opening in b1: ACME's tea
    p_w2: int  # opening in w2: both owners
    virtual1: set[int]  # WH1's virtual locations

    def line(self, **fields: Any) -> Json:
        return {"owner_id": self.acme, "sku_id": self.tea, "location_id": self.a1, "quantity": "1",
                "lot_number": "L1", **fields}


@pytest.fixture
def site(db: Database) -> Site:
    def record(entity: md.Entity, **values: Any) -> int:
        return int(md.create(db, entity, values, principal=SYSTEM)["id"])

    def opening(*lines: stock.StockLine) -> int:
        return stock.post_opening_stock(db, lines, principal=SYSTEM).posting_id

    wh1, wh2 = record(md.WAREHOUSE, code="WH1", name="One"), record(md.WAREHOUSE, code="WH2", name="Two")
    za, zb = (record(md.ZONE, warehouse_id=wh1, code=c, name=c, kind="storage") for c in ("ZA", "ZB"))
    z2 = record(md.ZONE, warehouse_id=wh2, code="Z2", name="Z2", kind="storage")
    a1 = record(md.LOCATION, warehouse_id=wh1, zone_id=za, code="A-01")
    b1 = record(md.LOCATION, warehouse_id=wh1, zone_id=zb, code="B-01")
    n1 = record(md.LOCATION, warehouse_id=wh1, code="N-01")
    w2 = record(md.LOCATION, warehouse_id=wh2, zone_id=z2, code="W-01")
    c1, c2 = record(md.CONTAINER, warehouse_id=wh1, lpn="LPN1"), record(md.CONTAINER, warehouse_id=wh2, lpn="LPN2")
    acme, other = record(md.OWNER, code="ACME", name="Acme"), record(md.OWNER, code="OTHER", name="Other")
    tea = record(md.SKU, owner_id=acme, code="TEA", name="Tea", lot_control=True)
    coffee = record(md.SKU, owner_id=other, code="COFFEE", name="Coffee", lot_control=True)
    acme_supplier = record(md.SUPPLIER, owner_id=acme, code="S-ACME", name="Acme's supplier")
    other_supplier = record(md.SUPPLIER, owner_id=other, code="S-OTHER", name="Other's supplier")
    carrier = record(md.CARRIER, code="SF", name="SF Express")
    p_a1 = opening(stock.StockLine(acme, tea, a1, Decimal(10), lot_number="L1"),
                   stock.StockLine(other, coffee, a1, Decimal(7), lot_number="C1"))
    p_b1 = opening(stock.StockLine(acme, tea, b1, Decimal(5), lot_number="L1"))
    p_w2 = opening(stock.StockLine(acme, tea, w2, Decimal(4), lot_number="L1"),
                   stock.StockLine(other, coffee, w2, Decimal(3), lot_number="C1"))
    tea_lot = md.list_records(db, md.LOT, {"sku_id": tea}, principal=SYSTEM).items[0]["id"]
    coffee_lot = md.list_records(db, md.LOT, {"sku_id": coffee}, principal=SYSTEM).items[0]["id"]
    virtual1 = {r["id"] for r in md.list_records(db, md.LOCATION, {"warehouse_id": wh1}, principal=SYSTEM).items
                if r["virtual_kind"] is not None}
    return Site(wh1, wh2, za, zb, z2, a1, b1, n1, w2, c1, c2, acme, other, tea, coffee, tea_lot, coffee_lot,
                acme_supplier, other_supplier, carrier, p_a1, p_b1, p_w2, virtual1)


def ids(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> set[int]:
    return {r["id"] for r in rows(client, path, headers, **params)}


def rows(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> list[Json]:
    """Every row of a list endpoint, as the user of ``headers`` sees it."""
    items: list[Json] = []
    cursor = None
    while True:
        page = ok(client.get(f"{API}/{path}", headers=headers,
                             params={**params, **({"cursor": cursor} if cursor else {})}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def everything(client: TestClient, path: str, headers: dict[str, str]) -> list[Json]:
    return rows(client, path, headers, include_virtual="true", include_empty="true", limit=1000)


def same_as_missing(response: Any, missing: Any, record_id: int, status: int, code: str, field: str) -> None:
    """The answer about an out-of-scope record is the answer about a missing one, the id aside."""
    hidden, absent = error(response, status, code, field), error(missing, status, code, field)
    assert hidden["message"] == absent["message"].replace(str(MISSING), str(record_id)), (hidden, absent)
    assert hidden["details"] == absent["details"]


def state(client: TestClient) -> Json:
    """What a refused request must leave alone, as the administrator sees it."""
    return {"balances": all_pages(client, "stock/balances", include_virtual="true", include_empty="true",
                                  limit=1000),
            "movements": all_pages(client, "stock/movements", limit=1000),
            **{path: all_pages(client, path, limit=500) for path in ("warehouses", "zones", "locations", "owners",
                                                                     "skus", "lots", "containers")}}


# ---------------------------------------------------------------- a warehouse scope


def test_warehouse_scope_lists_only_that_warehouse(client: TestClient, db: Database, site: Site) -> None:
    h = bearer(db, "m1", roles=["warehouse_manager"], warehouse_ids=[site.wh1])

    assert ids(client, "warehouses", h) == {site.wh1}
    assert ids(client, "zones", h) == {site.za, site.zb}
    assert ids(client, "locations", h) == {site.a1, site.b1, site.n1} | site.virtual1
    assert ids(client, "containers", h) == {site.c1}
    assert ids(client, "owners", h) == {site.acme, site.other}  # no owner scope: every owner
    assert ids(client, "carriers", h) == {site.carrier}
    # Filtering by the other warehouse finds nothing rather than failing: it does not exist for this user.
    for path in ("zones", "locations", "containers"):
        assert ids(client, path, h, warehouse_id=site.wh2) == set()
    assert ids(client, "locations", h, q="W-01") == set()

    balances = everything(client, "stock/balances", h)
    assert balances and {b["warehouse_id"] for b in balances} == {site.wh1}
    assert {b["location_id"] for b in balances} >= {site.a1, site.b1}
    assert ok(client.get(f"{API}/stock/balances", headers=h, params={"warehouse_id": site.wh2}))["items"] == []

    wh1_locations = {site.a1, site.b1, site.n1} | site.virtual1
    movements = rows(client, "stock/movements", h)
    assert {m["posting_id"] for m in movements} == {site.p_a1, site.p_b1}
    assert all({m["from_location_id"], m["to_location_id"]} & wh1_locations for m in movements)
    assert rows(client, "stock/movements", h, location_id=site.w2) == []


def test_out_of_scope_record_answers_404_like_a_missing_one(client: TestClient, db: Database, site: Site) -> None:
    h = bearer(db, "m1", roles=["warehouse_manager"], warehouse_ids=[site.wh1])
    before = state(client)
    changes = {"locations": {"status": "blocked"}, "warehouses": {"name": "Mine now"}, "zones": {"name": "Mine"},
               "containers": {"kind": "cage"}}
    for path, record_id in (("locations", site.w2), ("warehouses", site.wh2), ("zones", site.z2),
                            ("containers", site.c2)):
        for method, body in (("GET", None), ("PATCH", changes[path]), ("DELETE", None)):
            hidden = client.request(method, f"{API}/{path}/{record_id}", headers=h, json=body)
            missing = client.request(method, f"{API}/{path}/{MISSING}", headers=h, json=body)
            same_as_missing(hidden, missing, record_id, 404, "not_found", "id")
    # Nothing changed: the location is still active and unblocked, the warehouse keeps its name.
    assert state(client) == before
    assert ok(client.get(f"{API}/locations/{site.w2}"))["status"] == "active"


def test_out_of_scope_reference_is_an_unknown_record(client: TestClient, db: Database, site: Site) -> None:
    h = bearer(db, "m1", roles=["warehouse_manager"], warehouse_ids=[site.wh1])
    before = state(client)

    def refused(path: str, body: Json, field: str, code: str, hidden_id: int, missing_body: Json) -> None:
        hidden = client.post(f"{API}/{path}", json=body, headers=h)
        missing = client.post(f"{API}/{path}", json=missing_body, headers=h)
        same_as_missing(hidden, missing, hidden_id, 422, code, field)

    refused("stock/opening", {"lines": [site.line(location_id=site.w2)]}, "lines[0].location_id",
            "unknown_location", site.w2, {"lines": [site.line(location_id=MISSING)]})
    refused("stock/opening", {"lines": [site.line(), site.line(container_id=site.c2)]}, "lines[1].container_id",
            "unknown_container", site.c2, {"lines": [site.line(), site.line(container_id=MISSING)]})
    refused("stock/adjustments", {"reason_code": "DAMAGED", "lines": [site.line(location_id=site.w2)]},
            "lines[0].location_id", "unknown_location", site.w2,
            {"reason_code": "DAMAGED", "lines": [site.line(location_id=MISSING)]})
    allocation = {"owner_id": site.acme, "sku_id": site.tea, "lot_id": site.tea_lot, "quantity": "1"}
    for path in ("stock/allocations", "stock/releases"):
        refused(path, {**allocation, "location_id": site.w2}, "location_id", "unknown_location", site.w2,
                {**allocation, "location_id": MISSING})
    refused("zones", {"warehouse_id": site.wh2, "code": "ZX", "name": "ZX", "kind": "storage"}, "warehouse_id",
            "unknown_warehouse", site.wh2, {"warehouse_id": MISSING, "code": "ZX", "name": "ZX", "kind": "storage"})
    refused("locations", {"warehouse_id": site.wh1, "zone_id": site.z2, "code": "X-01"}, "zone_id", "unknown_zone",
            site.z2, {"warehouse_id": site.wh1, "zone_id": MISSING, "code": "X-01"})
    refused("containers", {"warehouse_id": site.wh2, "lpn": "LPN9"}, "warehouse_id", "unknown_warehouse", site.wh2,
            {"warehouse_id": MISSING, "lpn": "LPN9"})
    same_as_missing(client.post(f"{API}/stock/postings/{site.p_w2}/reversal", headers=h),
                    client.post(f"{API}/stock/postings/{MISSING}/reversal", headers=h), site.p_w2, 404,
                    "not_found", "posting_id")
    assert state(client) == before

    # The same requests inside the scope go through.
    ok(client.post(f"{API}/stock/opening", json={"lines": [site.line(container_id=site.c1)]}, headers=h), 201)
    ok(client.post(f"{API}/stock/allocations", json={**allocation, "location_id": site.a1}, headers=h), 201)
    ok(client.post(f"{API}/stock/postings/{site.p_b1}/reversal", headers=h), 201)
    ok(client.post(f"{API}/zones", json={"warehouse_id": site.wh1, "code": "ZC", "name": "ZC", "kind": "qc"},
                   headers=h), 201)


def test_restricted_user_cannot_create_a_warehouse_or_an_owner(client: TestClient, db: Database,
                                                               site: Site) -> None:
    by_warehouse = bearer(db, "m1", roles=["warehouse_manager"], warehouse_ids=[site.wh1])
    by_owner = bearer(db, "m2", roles=["warehouse_manager"], owner_ids=[site.acme])
    before = state(client)
    # A taken code answers 403 too: trying tells nothing about the warehouses outside the scope.
    for code in ("WH3", "WH2"):
        error(client.post(f"{API}/warehouses", json={"code": code, "name": code}, headers=by_warehouse), 403,
              "outside_scope")
    for code in ("NEW", "OTHER"):
        error(client.post(f"{API}/owners", json={"code": code, "name": code}, headers=by_owner), 403,
              "outside_scope")
    assert state(client) == before
    # Each may create what its scope does not limit.
    ok(client.post(f"{API}/owners", json={"code": "NEW", "name": "New"}, headers=by_warehouse), 201)
    ok(client.post(f"{API}/warehouses", json={"code": "WH3", "name": "Three"}, headers=by_owner), 201)


def test_ledger_verification_needs_an_unrestricted_scope(client: TestClient, db: Database, site: Site) -> None:
    scoped = bearer(db, "it1", roles=["it_support"], warehouse_ids=[site.wh1])
    error(client.post(f"{API}/admin/verify", headers=scoped), 403, "outside_scope")
    assert ok(client.post(f"{API}/admin/verify", headers=bearer(db, "it2", roles=["it_support"])))["ok"]


# ---------------------------------------------------------------- a zone scope


def test_zone_scoped_operator_sees_only_its_zone(client: TestClient, db: Database, site: Site) -> None:
    h = bearer(db, "op_a", roles=["operator"], warehouse_ids=[site.wh1], zone_ids=[site.za])

    assert ids(client, "zones", h) == {site.za}
    # Its zone's shelves and the warehouse's virtual locations (which have no zone), not zone B's nor unzoned ones.
    assert ids(client, "locations", h) == {site.a1} | site.virtual1
    for hidden in (site.b1, site.n1, site.w2):
        error(client.get(f"{API}/locations/{hidden}", headers=h), 404, "not_found", "id")
    error(client.get(f"{API}/zones/{site.zb}", headers=h), 404, "not_found", "id")

    assert {b["location_id"] for b in rows(client, "stock/balances", h)} == {site.a1}
    assert {b["location_id"] for b in everything(client, "stock/balances", h)} <= {site.a1} | site.virtual1
    assert rows(client, "stock/balances", h, location_id=site.b1) == []
    assert rows(client, "stock/balances", h, zone_id=site.zb) == []
    # Zone B's opening passed through the warehouse's adjustment location too; it is not this operator's.
    movements = rows(client, "stock/movements", h)
    assert {m["posting_id"] for m in movements} == {site.p_a1}
    assert all(site.a1 in (m["from_location_id"], m["to_location_id"]) for m in movements)


def test_zone_scoped_manager_creates_only_inside_its_zones(client: TestClient, db: Database, site: Site) -> None:
    h = bearer(db, "zm", roles=["warehouse_manager"], warehouse_ids=[site.wh1], zone_ids=[site.za])
    before = state(client)
    error(client.post(f"{API}/zones", json={"warehouse_id": site.wh1, "code": "ZN", "name": "ZN",
                                           "kind": "storage"}, headers=h), 403, "outside_scope")
    # A shelf in no zone, or moved out of its zone, would be out of sight at once.
    error(client.post(f"{API}/locations", json={"warehouse_id": site.wh1, "code": "A-09"}, headers=h), 403,
          "outside_scope")
    error(client.patch(f"{API}/locations/{site.a1}", json={"zone_id": None}, headers=h), 403, "outside_scope")
    error(client.patch(f"{API}/locations/{site.a1}", json={"zone_id": site.zb}, headers=h), 422, "unknown_zone",
          "zone_id")
    error(client.post(f"{API}/stock/opening", json={"lines": [site.line(location_id=site.b1)]}, headers=h), 422,
          "unknown_location", "lines[0].location_id")
    assert state(client) == before
    created = ok(client.post(f"{API}/locations", json={"warehouse_id": site.wh1, "zone_id": site.za,
                                                       "code": "A-09"}, headers=h), 201)
    assert created["zone_id"] == site.za


# ---------------------------------------------------------------- an owner scope


def test_owner_scope_sees_only_that_owners_data(client: TestClient, db: Database, site: Site) -> None:
    h = bearer(db, "acme", roles=["warehouse_manager"], owner_ids=[site.acme])

    assert ids(client, "owners", h) == {site.acme}
    assert ids(client, "skus", h) == {site.tea}
    assert ids(client, "skus", h, q="COFFEE") == set()
    assert ids(client, "skus", h, owner_id=site.other) == set()
    assert ids(client, "lots", h) == {site.tea_lot}
    assert ids(client, "suppliers", h) == {site.acme_supplier}
    assert ids(client, "carriers", h) == {site.carrier}  # shared by every owner
    assert ids(client, "warehouses", h) == {site.wh1, site.wh2}  # no warehouse scope: every warehouse
    for path, hidden in (("skus", site.coffee), ("lots", site.coffee_lot), ("owners", site.other),
                         ("suppliers", site.other_supplier)):
        error(client.get(f"{API}/{path}/{hidden}", headers=h), 404, "not_found", "id")
        error(client.delete(f"{API}/{path}/{hidden}", headers=h), 404, "not_found", "id")

    # Nothing of OTHER comes through a join: not its SKU's code, not its lot's number.
    balances = everything(client, "stock/balances", h)
    assert balances and {b["owner_id"] for b in balances} == {site.acme}
    assert {b["sku_code"] for b in balances} == {"TEA"}
    assert {b["lot_number"] for b in balances} == {"L1"}
    assert rows(client, "stock/balances", h, sku_id=site.coffee) == []
    movements = rows(client, "stock/movements", h)
    assert {m["owner_id"] for m in movements} == {site.acme}
    assert {m["sku_id"] for m in movements} == {site.tea}
    assert {m["posting_id"] for m in movements} == {site.p_a1, site.p_b1, site.p_w2}


def test_owner_scope_refuses_other_owners_records_as_unknown(client: TestClient, db: Database,
                                                            site: Site) -> None:
    h = bearer(db, "acme", roles=["warehouse_manager"], owner_ids=[site.acme])
    before = state(client)
    # Not "belongs to another owner": that would say the SKU exists.
    error(client.post(f"{API}/stock/opening", json={"lines": [site.line(sku_id=site.coffee, lot_number="C1")]},
                      headers=h), 422, "unknown_sku", "lines[0].sku_id")
    error(client.post(f"{API}/stock/opening", json={"lines": [
        site.line(), site.line(owner_id=site.other, sku_id=site.coffee, lot_number="C1")]}, headers=h), 422,
        "unknown_owner", "lines[1].owner_id")
    error(client.post(f"{API}/stock/allocations", json={
        "owner_id": site.acme, "sku_id": site.coffee, "lot_id": site.coffee_lot, "location_id": site.a1,
        "quantity": "1"}, headers=h), 422, "unknown_sku", "sku_id")
    error(client.post(f"{API}/skus", json={"owner_id": site.other, "code": "X", "name": "X"}, headers=h), 422,
          "unknown_owner", "owner_id")
    error(client.post(f"{API}/lots", json={"sku_id": site.coffee, "number": "C9"}, headers=h), 422, "unknown_sku",
          "sku_id")
    error(client.post(f"{API}/suppliers", json={"owner_id": site.other, "code": "S", "name": "S"}, headers=h), 422,
          "unknown_owner", "owner_id")
    # A posting that moved OTHER's coffee too cannot be reversed by ACME's user: it does not exist for them.
    error(client.post(f"{API}/stock/postings/{site.p_a1}/reversal", headers=h), 404, "not_found", "posting_id")
    assert state(client) == before
