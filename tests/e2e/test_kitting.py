"""Kits and processing work orders over HTTP: definitions and their refusals, assembling and disassembling with
FEFO across lots, shortages that post nothing, bad quantities, and the data scope."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.services.verify import verify
from tests.e2e.support import API, create, error, ok
from tests.helpers import bearer

Json = dict[str, Any]


@dataclass
class Site:
    wh: int
    a1: int
    acme: int
    other: int
    bolt: int  # whole units, no lots
    oil: int  # litres to 3 decimals, lot- and expiry-controlled
    kit: int  # whole units
    nut: int  # the other owner's


@pytest.fixture
def site(client: TestClient) -> Site:
    wh = create(client, "warehouses", {"code": "W1", "name": "Main"})["id"]
    a1 = create(client, "locations", {"warehouse_id": wh, "code": "A-1"})["id"]
    acme = create(client, "owners", {"code": "ACME", "name": "Acme"})["id"]
    other = create(client, "owners", {"code": "OTHER", "name": "Other"})["id"]
    bolt = create(client, "skus", {"owner_id": acme, "code": "BOLT", "name": "Bolt"})["id"]
    oil = create(client, "skus", {"owner_id": acme, "code": "OIL", "name": "Oil", "decimals": 3,
                                  "lot_control": True, "expiry_control": True})["id"]
    kit = create(client, "skus", {"owner_id": acme, "code": "KIT", "name": "Service kit"})["id"]
    nut = create(client, "skus", {"owner_id": other, "code": "NUT", "name": "Nut"})["id"]
    create(client, "stock/opening", {"lines": [
        {"owner_id": acme, "sku_id": bolt, "location_id": a1, "quantity": "100"},
        {"owner_id": acme, "sku_id": oil, "location_id": a1, "quantity": "5", "lot_number": "LATE",
         "expiry_date": "2027-06-01"},
        {"owner_id": acme, "sku_id": oil, "location_id": a1, "quantity": "3", "lot_number": "EARLY",
         "expiry_date": "2026-12-01"}]})
    return Site(wh, a1, acme, other, bolt, oil, kit, nut)


def define(client: TestClient, kit: int, *components: tuple[int, str]) -> Any:
    return client.put(f"{API}/skus/{kit}/components", json={"components": [
        {"component_sku_id": sku, "quantity": qty} for sku, qty in components]})


def work_order(client: TestClient, site: Site, kind: str, quantity: str, **extra: Any) -> Any:
    return client.post(f"{API}/work-orders", json={"kind": kind, "kit_sku_id": site.kit, "quantity": quantity,
                                                   "location_id": site.a1, **extra})


def on_hand(client: TestClient, site: Site) -> dict[tuple[int, str | None], Decimal]:
    """Available stock at A-1 by (SKU, lot number)."""
    lots = {r["id"]: r["number"] for r in ok(client.get(f"{API}/lots", params={"limit": 500}))["items"]}
    rows = ok(client.get(f"{API}/stock/balances", params={"location_id": site.a1, "limit": 500}))["items"]
    return {(r["sku_id"], lots.get(r["lot_id"])): Decimal(r["on_hand"]) for r in rows if Decimal(r["on_hand"])}


def count(db: Database, table: Any) -> int:
    return int(db.read(lambda conn: conn.execute(select(func.count()).select_from(table)).scalar_one()))


def audit_actions(db: Database) -> list[str]:
    return list(db.read(lambda conn: conn.execute(select(t.audit_entry.c.action)
                                                  .order_by(t.audit_entry.c.seq)).scalars().all()))


def test_a_kit_definition_is_replaced_read_back_and_audited(client: TestClient, db: Database, site: Site) -> None:
    assert ok(client.get(f"{API}/skus/{site.kit}/components")) == {"kit_sku_id": site.kit, "components": []}
    ok(define(client, site.kit, (site.bolt, "4")))
    got = ok(define(client, site.kit, (site.oil, "0.5"), (site.bolt, "2")))
    assert [(c["component_sku_id"], c["code"], c["quantity"]) for c in got["components"]] == [
        (site.bolt, "BOLT", "2"), (site.oil, "OIL", "0.5")]
    assert ok(client.get(f"{API}/skus/{site.kit}/components")) == got
    assert audit_actions(db)[-2:] == ["sku.set_components", "sku.set_components"]
    ok(define(client, site.kit))
    assert ok(client.get(f"{API}/skus/{site.kit}/components"))["components"] == []
    error(client.get(f"{API}/skus/999999/components"), 404)
    error(define(client, 999999, (site.bolt, "1")), 404)


def test_assemble_then_disassemble_moves_exactly_the_components(client: TestClient, db: Database,
                                                                site: Site) -> None:
    ok(define(client, site.kit, (site.bolt, "4"), (site.oil, "0.25")))
    done = ok(work_order(client, site, "assemble", "8"), 201)
    assert done["status"] == "done" and done["kind"] == "assemble" and done["posting_id"]
    assert done["warehouse_id"] == site.wh and done["owner_id"] == site.acme and done["quantity"] == "8"
    assert sorted((line["direction"], line["sku_id"], line["lot_number"], line["quantity"])
                  for line in done["lines"]) == [
        ("consumed", site.bolt, None, "32"), ("consumed", site.oil, "EARLY", "2"),
        ("produced", site.kit, None, "8")]
    assert on_hand(client, site) == {(site.bolt, None): Decimal(68), (site.oil, "EARLY"): Decimal(1),
                                     (site.oil, "LATE"): Decimal(5), (site.kit, None): Decimal(8)}
    assert verify(db).ok

    error(work_order(client, site, "disassemble", "2"), 422, "lot_required", f"component_lots.{site.oil}")
    back = ok(work_order(client, site, "disassemble", "2", component_lots={str(site.oil): "LATE"}), 201)
    assert sorted((line["direction"], line["sku_id"], line["lot_number"], line["quantity"])
                  for line in back["lines"]) == [
        ("consumed", site.kit, None, "2"), ("produced", site.bolt, None, "8"),
        ("produced", site.oil, "LATE", "0.5")]
    assert on_hand(client, site) == {(site.bolt, None): Decimal(76), (site.oil, "EARLY"): Decimal(1),
                                     (site.oil, "LATE"): Decimal("5.5"), (site.kit, None): Decimal(6)}
    assert verify(db).ok
    assert audit_actions(db)[-2:] == ["work_order.assemble", "work_order.disassemble"]

    assert ok(client.get(f"{API}/work-orders/{back['id']}")) == back
    listed = ok(client.get(f"{API}/work-orders"))
    assert [w["id"] for w in listed["items"]] == [back["id"], done["id"]] and listed["next_cursor"] is None
    assert [w["id"] for w in ok(client.get(f"{API}/work-orders", params={"kind": "assemble"}))["items"]] == [
        done["id"]]
    page = ok(client.get(f"{API}/work-orders", params={"limit": 1}))
    assert [w["id"] for w in page["items"]] == [back["id"]] and page["next_cursor"] == back["id"]
    error(client.get(f"{API}/work-orders/999999"), 404)


def test_fefo_splits_a_component_across_two_lots(client: TestClient, db: Database, site: Site) -> None:
    ok(define(client, site.kit, (site.oil, "0.5")))
    done = ok(work_order(client, site, "assemble", "9"), 201)  # 4.5 l: all 3 of EARLY, then 1.5 of LATE
    consumed = [(line["lot_number"], line["quantity"]) for line in done["lines"] if line["direction"] == "consumed"]
    assert consumed == [("EARLY", "3"), ("LATE", "1.5")]
    assert on_hand(client, site)[(site.oil, "LATE")] == Decimal("3.5")
    assert (site.oil, "EARLY") not in on_hand(client, site)
    assert verify(db).ok


def test_allocated_stock_is_not_taken(client: TestClient, db: Database, site: Site) -> None:
    ok(define(client, site.kit, (site.bolt, "10")))
    ok(client.post(f"{API}/stock/allocations", json={"owner_id": site.acme, "sku_id": site.bolt,
                                                     "location_id": site.a1, "quantity": "95"}), 201)
    error(work_order(client, site, "assemble", "1"), 409, "insufficient_stock")


def test_a_short_component_is_refused_and_nothing_is_posted(client: TestClient, db: Database, site: Site) -> None:
    ok(define(client, site.kit, (site.bolt, "4"), (site.oil, "1")))
    before = (count(db, t.movement), count(db, t.work_order), count(db, t.lot), audit_actions(db))
    refused = error(work_order(client, site, "assemble", "9"), 409, "insufficient_stock", "quantity")
    assert "OIL" in refused["message"] and refused["details"] == {"sku_id": site.oil, "needed": "9",
                                                                 "available": "8"}
    error(work_order(client, site, "disassemble", "1", component_lots={str(site.oil): "LATE"}), 409,
          "insufficient_stock")
    assert (count(db, t.movement), count(db, t.work_order), count(db, t.lot), audit_actions(db)) == before


def test_cycles_are_refused_however_deep(client: TestClient, db: Database, site: Site) -> None:
    sub = create(client, "skus", {"owner_id": site.acme, "code": "SUB", "name": "Sub-kit"})["id"]
    top = create(client, "skus", {"owner_id": site.acme, "code": "TOP", "name": "Top kit"})["id"]
    itself = error(define(client, site.kit, (site.kit, "1")), 422, "kit_cycle", "components[0].component_sku_id")
    assert itself["details"]["path"] == [site.kit, site.kit]
    ok(define(client, top, (site.kit, "2")))
    ok(define(client, site.kit, (sub, "1"), (site.bolt, "1")))
    refused = error(define(client, sub, (site.bolt, "1"), (top, "1")), 422, "kit_cycle",
                    "components[1].component_sku_id")
    assert refused["details"]["path"] == [sub, top, site.kit, sub]
    assert "SUB > TOP > KIT > SUB" in refused["message"]
    # A shared sub-kit is no cycle.
    ok(define(client, top, (site.kit, "2"), (sub, "1")))
    assert verify(db).ok


def test_components_of_another_owner_or_unknown_are_refused(client: TestClient, site: Site) -> None:
    error(define(client, site.kit, (site.bolt, "1"), (site.nut, "1")), 422, "sku_of_other_owner",
          "components[1].component_sku_id")
    error(define(client, site.kit, (999999, "1")), 422, "unknown_sku", "components[0].component_sku_id")
    error(define(client, site.kit, (site.bolt, "1"), (site.bolt, "2")), 422, "duplicate_component",
          "components[1].component_sku_id")
    assert ok(client.get(f"{API}/skus/{site.kit}/components"))["components"] == []


@pytest.mark.parametrize(("quantity", "code"), [("0", None), ("-1", None), ("1.5", "too_many_decimals"),
                                                ("0.0000001", None)])
def test_bad_component_quantities_name_the_field(client: TestClient, site: Site, quantity: str,
                                                 code: str | None) -> None:
    error(define(client, site.kit, (site.oil, "1"), (site.bolt, quantity)), 422, code, "components[1].quantity")


@pytest.mark.parametrize(("quantity", "code"), [("0", None), ("-2", None), ("1.5", "too_many_decimals"), ("x", None)])
def test_bad_work_order_quantities_name_the_field(client: TestClient, db: Database, site: Site, quantity: str,
                                                  code: str | None) -> None:
    ok(define(client, site.kit, (site.bolt, "1")))
    before = count(db, t.movement)
    error(work_order(client, site, "assemble", quantity), 422, code, "quantity")
    assert count(db, t.movement) == before


def test_kit_quantities_must_give_whole_component_units(client: TestClient, site: Site) -> None:
    half = create(client, "skus", {"owner_id": site.acme, "code": "HALF", "name": "Half", "decimals": 1})["id"]
    ok(define(client, half, (site.bolt, "3")))
    refused = error(client.post(f"{API}/work-orders", json={"kind": "assemble", "kit_sku_id": half,
                                                            "quantity": "0.5", "location_id": site.a1}),
                    422, "component_fraction", "quantity")
    assert refused["details"]["sku_id"] == site.bolt
    ok(client.post(f"{API}/work-orders", json={"kind": "assemble", "kit_sku_id": half, "quantity": "2",
                                               "location_id": site.a1}), 201)


def test_lot_controlled_kits_need_a_lot_and_serials_are_not_supported(client: TestClient, db: Database,
                                                                     site: Site) -> None:
    lotted = create(client, "skus", {"owner_id": site.acme, "code": "LKIT", "name": "Lot kit",
                                     "lot_control": True})["id"]
    ok(define(client, lotted, (site.bolt, "2")))
    body: Json = {"kind": "assemble", "kit_sku_id": lotted, "quantity": "3", "location_id": site.a1}
    error(client.post(f"{API}/work-orders", json=body), 422, "lot_required", "kit_lot")
    ok(client.post(f"{API}/work-orders", json={**body, "kit_lot": "K-1"}), 201)
    assert on_hand(client, site)[(lotted, "K-1")] == Decimal(3)
    error(client.post(f"{API}/work-orders", json={**body, "kind": "disassemble", "quantity": "1",
                                                  "kit_lot": "NOPE"}), 422, "unknown_lot", "kit_lot")
    ok(client.post(f"{API}/work-orders", json={**body, "kind": "disassemble", "quantity": "1",
                                               "kit_lot": "K-1"}), 201)
    assert on_hand(client, site)[(lotted, "K-1")] == Decimal(2)

    serial = create(client, "skus", {"owner_id": site.acme, "code": "SER", "name": "Serial",
                                     "serial_control": True})["id"]
    ok(define(client, site.kit, (serial, "1")))
    error(work_order(client, site, "assemble", "1"), 422, "serial_not_supported", "kit_sku_id")
    error(client.post(f"{API}/work-orders", json={**body, "kit_sku_id": site.bolt}), 422, "not_a_kit",
          "kit_sku_id")
    assert verify(db).ok


def test_work_orders_need_a_physical_location_in_scope(client: TestClient, site: Site) -> None:
    ok(define(client, site.kit, (site.bolt, "1")))
    production = ok(client.get(f"{API}/locations", params={"warehouse_id": site.wh,
                                                           "virtual_kind": "production"}))["items"][0]["id"]
    error(work_order(client, site, "assemble", "1", location_id=production), 422, "unknown_location", "location_id")
    error(work_order(client, site, "assemble", "1", location_id=999999), 422, "unknown_location", "location_id")
    error(work_order(client, site, "assemble", "1", kit_sku_id=site.nut), 422, "not_a_kit", "kit_sku_id")
    error(client.post(f"{API}/work-orders", json={"kind": "melt", "kit_sku_id": site.kit, "quantity": "1",
                                                  "location_id": site.a1}), 422, None, "kind")


def test_other_owners_see_neither_kits_nor_work_orders(client: TestClient, db: Database, site: Site) -> None:
    ok(define(client, site.kit, (site.bolt, "1")))
    done = ok(work_order(client, site, "assemble", "1"), 201)
    outsider = bearer(db, "outsider", roles=["warehouse_manager"], owner_ids=[site.other])
    error(client.get(f"{API}/skus/{site.kit}/components", headers=outsider), 404)
    error(client.put(f"{API}/skus/{site.kit}/components", json={"components": []}, headers=outsider), 404)
    error(client.get(f"{API}/work-orders/{done['id']}", headers=outsider), 404)
    assert ok(client.get(f"{API}/work-orders", headers=outsider))["items"] == []
    error(client.post(f"{API}/work-orders", headers=outsider, json={
        "kind": "assemble", "kit_sku_id": site.kit, "quantity": "1", "location_id": site.a1}), 422, "unknown_sku",
        "kit_sku_id")
    insider = bearer(db, "insider", roles=["operator"], owner_ids=[site.acme], warehouse_ids=[site.wh])
    assert [w["id"] for w in ok(client.get(f"{API}/work-orders", headers=insider))["items"]] == [done["id"]]
    assert ok(client.get(f"{API}/work-orders/{done['id']}", headers=insider))["id"] == done["id"]
    analyst = bearer(db, "analyst", roles=["data_analyst"])
    error(client.put(f"{API}/skus/{site.kit}/components", json={"components": []}, headers=analyst), 403)
    assert ok(client.get(f"{API}/skus/{site.kit}/components"))["components"][0]["quantity"] == "1"


def test_expiry_controlled_kits_and_components_need_dated_lots(client: TestClient, db: Database,
                                                               site: Site) -> None:
    dated = create(client, "skus", {"owner_id": site.acme, "code": "DKIT", "name": "Dated kit",
                                    "expiry_control": True})["id"]
    ok(define(client, dated, (site.oil, "1")))
    body: Json = {"kind": "assemble", "kit_sku_id": dated, "quantity": "2", "location_id": site.a1}
    error(client.post(f"{API}/work-orders", json=body), 422, "expiry_required", "kit_expiry_date")
    error(client.post(f"{API}/work-orders", json={**body, "kit_lot": "D-1"}), 422, "expiry_required",
          "kit_expiry_date")
    done = ok(client.post(f"{API}/work-orders", json={**body, "kit_expiry_date": "2026-11-30"}), 201)
    assert [line["lot_number"] for line in done["lines"] if line["direction"] == "produced"] == ["EXP20261130"]
    undo: Json = {**body, "kind": "disassemble", "quantity": "1"}
    error(client.post(f"{API}/work-orders", json={**undo, "component_lots": {str(site.oil): "NEW"}}), 422,
          "expiry_required", f"component_lots.{site.oil}")
    error(client.post(f"{API}/work-orders", json={**undo, "component_lots": {str(site.bolt): "X"}}), 422,
          "not_a_component", f"component_lots.{site.bolt}")
    error(client.post(f"{API}/work-orders", json={**body, "kit_expiry_date": "2026-11-30",
                                                  "component_lots": {str(site.oil): "LATE"}}), 422, None,
          "component_lots")
    ok(client.post(f"{API}/work-orders", json={**undo, "component_lots": {str(site.oil): "EARLY"}}), 201)
    assert on_hand(client, site)[(site.oil, "EARLY")] == Decimal(2)  # 3, less 2 into the kits, 1 back
    assert on_hand(client, site)[(dated, "EXP20261130")] == Decimal(1)
    assert verify(db).ok
