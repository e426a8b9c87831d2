"""Master data through the HTTP API: create, read, change, list and deactivate every kind of record, the codes
users expect to be unique, the references that must hold, Idempotency-Key on creating POSTs, and the service
endpoints (health, OpenAPI)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from stockyard import __version__
from stockyard.api import admin, masterdata, stock
from stockyard.api.app import create_app
from stockyard.db import tables as t
from stockyard.db.engine import Database
from tests.e2e.support import API, all_pages, create, error, ok
from tests.helpers import bearer

Json = dict[str, Any]

# Valid GS1 codes, their check digits worked out by hand from the GS1 mod-10 rule.
EAN13 = "4006381333931"  # kept as GTIN-14 "04006381333931"
UPC_A = "036000291452"
EAN8 = "73513537"
SSCC = "006141411234567890"
SSCC_2 = "106141410000000019"


def warehouse(client: TestClient, code: str = "WH1", **extra: Any) -> Json:
    return create(client, "warehouses", {"code": code, "name": f"Warehouse {code}", **extra})


def owner(client: TestClient, code: str = "ACME", **extra: Any) -> Json:
    return create(client, "owners", {"code": code, "name": f"Owner {code}", **extra})


def sku(client: TestClient, owner_id: int, code: str = "SKU1", **extra: Any) -> Json:
    return create(client, "skus", {"owner_id": owner_id, "code": code, "name": f"Item {code}", **extra})


def count(client: TestClient, path: str, **params: Any) -> int:
    return len(all_pages(client, path, limit=500, **params))


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# ---------------------------------------------------------------- the life of every kind of record


@dataclass(frozen=True)
class Kind:
    path: str
    make: Callable[[TestClient], Json]  # a valid creation body (creating what it refers to)
    expected: Json  # what the created record shows, beyond the body itself
    change: Json
    changed: Json  # what the record shows after the change


def _with_warehouse(body: Json) -> Callable[[TestClient], Json]:
    return lambda client: {"warehouse_id": warehouse(client)["id"], **body}


def _with_owner(body: Json) -> Callable[[TestClient], Json]:
    return lambda client: {"owner_id": owner(client)["id"], **body}


def _lot_body(client: TestClient) -> Json:
    return {"sku_id": sku(client, owner(client)["id"], "TEA", lot_control=True)["id"], "number": "L2024-01",
            "production_date": "2024-01-10", "expiry_date": "2025-01-10", "attributes": {"origin": "Yunnan"}}


KINDS = [
    Kind("warehouses",
         lambda c: {"code": "SH-DC", "name": "Shanghai DC", "address": {"city": "Shanghai"},
                    "timezone": "Asia/Shanghai"},
         {"active": True},
         {"name": "Shanghai DC East", "address": {"city": "Shanghai", "district": "Pudong"}},
         {"name": "Shanghai DC East", "address": {"city": "Shanghai", "district": "Pudong"},
          "timezone": "Asia/Shanghai"}),
    Kind("zones", _with_warehouse({"code": "Z-STO", "name": "Storage", "kind": "storage"}),
         {"active": True},
         {"name": "Quality control", "kind": "qc"}, {"code": "Z-STO", "name": "Quality control", "kind": "qc"}),
    Kind("locations",
         _with_warehouse({"code": "A-01-02-3", "aisle": "A", "bay": "01", "level": "02", "position": "3",
                          "x": "12.5", "y": "3.25", "max_weight": "1000.5", "max_units": "48"}),
         {"kind": "storage", "virtual_kind": None, "status": "active", "mix_skus": True, "mix_lots": True,
          "zone_id": None, "active": True},
         {"status": "blocked", "pick_sequence": 7, "mix_lots": False, "max_units": "60"},
         {"status": "blocked", "pick_sequence": 7, "mix_lots": False, "max_units": "60", "x": "12.5",
          "code": "A-01-02-3"}),
    Kind("owners", lambda c: {"code": "ACME", "name": "Acme Trading", "contact": {"email": "ops@acme.example"}},
         {"active": True}, {"name": "Acme Trading Ltd"},
         {"name": "Acme Trading Ltd", "contact": {"email": "ops@acme.example"}}),
    Kind("skus",
         _with_owner({"code": "TEA-500", "name": "Green tea 500 g", "decimals": 0, "weight": "0.52",
                      "packs": [{"level": "each", "uom": "C62", "factor": "1"},
                                {"level": "case", "uom": "CS", "factor": "12"},
                                {"level": "pallet", "uom": "PX", "factor": "480"}],
                      "barcodes": [{"barcode": EAN13},
                                   {"barcode": "TEA-CASE", "kind": "internal", "pack_level": "case"}]}),
         {"base_uom": "C62", "lot_control": False, "expiry_control": False, "serial_control": False,
          "active": True,
          "packs": [{"level": "each", "uom": "C62", "factor": "1", "decimals": 0},
                    {"level": "case", "uom": "CS", "factor": "12", "decimals": 0},
                    {"level": "pallet", "uom": "PX", "factor": "480", "decimals": 0}],
          "barcodes": [{"barcode": "0" + EAN13, "kind": "gtin", "pack_level": "each"},
                       {"barcode": "TEA-CASE", "kind": "internal", "pack_level": "case"}]},
         {"name": "Green tea 0.5 kg", "lot_control": True,
          "packs": [{"level": "case", "uom": "CT", "factor": "24"}], "barcodes": [{"barcode": UPC_A}]},
         {"name": "Green tea 0.5 kg", "lot_control": True, "code": "TEA-500",
          "packs": [{"level": "case", "uom": "CT", "factor": "24", "decimals": 0}],
          "barcodes": [{"barcode": "00" + UPC_A, "kind": "gtin", "pack_level": "each"}]}),
    Kind("lots", _lot_body, {"active": True}, {"expiry_date": "2025-06-30", "attributes": {"origin": "Fujian"}},
         {"expiry_date": "2025-06-30", "production_date": "2024-01-10", "attributes": {"origin": "Fujian"},
          "number": "L2024-01"}),
    Kind("suppliers", _with_owner({"code": "SUP-1", "name": "Tea Farm", "email": "farm@tea.example"}),
         {"active": True, "phone": None}, {"phone": "+86 21 5555 0000", "contact_name": "Li Wei"},
         {"phone": "+86 21 5555 0000", "contact_name": "Li Wei", "email": "farm@tea.example"}),
    Kind("customers", _with_owner({"code": "CUS-1", "name": "Tea House", "address": {"city": "Hangzhou"}}),
         {"active": True}, {"name": "Tea House West Lake"},
         {"name": "Tea House West Lake", "address": {"city": "Hangzhou"}}),
    Kind("carriers", lambda c: {"code": "SF", "name": "SF Express", "scac": "SFEX",
                                "service_levels": ["standard", "express"]},
         {"active": True}, {"service_levels": ["economy"]},
         {"service_levels": ["economy"], "scac": "SFEX", "name": "SF Express"}),
    Kind("containers", _with_warehouse({"lpn": "LPN-0001", "sscc": SSCC, "kind": "pallet"}),
         {"active": True}, {"kind": "cage", "sscc": SSCC_2}, {"kind": "cage", "sscc": SSCC_2, "lpn": "LPN-0001"}),
]


def _subset(record: Json, expected: Json) -> None:
    assert {k: record[k] for k in expected} == expected


@pytest.mark.parametrize("kind", KINDS, ids=[k.path for k in KINDS])
def test_record_lifecycle_create_read_change_list_deactivate(client: TestClient, kind: Kind) -> None:
    body = kind.make(client)
    before = count(client, kind.path)

    created = create(client, kind.path, body)
    _subset(created, {**body, **kind.expected})
    assert isinstance(created["id"], int)
    assert created["created_at"] == created["updated_at"]
    assert ok(client.get(f"{API}/{kind.path}/{created['id']}")) == created
    assert count(client, kind.path) == before + 1

    changed = ok(client.patch(f"{API}/{kind.path}/{created['id']}", json=kind.change))
    _subset(changed, kind.changed)
    assert changed["id"] == created["id"]
    assert changed["created_at"] == created["created_at"]
    assert moment(changed["updated_at"]) >= moment(created["updated_at"])
    assert ok(client.get(f"{API}/{kind.path}/{created['id']}")) == changed

    gone = ok(client.delete(f"{API}/{kind.path}/{created['id']}"))
    assert gone["active"] is False
    again = ok(client.get(f"{API}/{kind.path}/{created['id']}"))
    assert again == gone
    assert {k: v for k, v in again.items() if k not in ("active", "updated_at")} == \
        {k: v for k, v in changed.items() if k not in ("active", "updated_at")}
    # Never deleted: still listed, as inactive.
    assert created["id"] in [r["id"] for r in all_pages(client, kind.path, active="false")]
    assert created["id"] not in [r["id"] for r in all_pages(client, kind.path, active="true")]
    assert count(client, kind.path) == before + 1


def test_unknown_id_is_404_for_read_change_and_deactivate(client: TestClient) -> None:
    for kind in KINDS:
        for response in (client.get(f"{API}/{kind.path}/987654"),
                         client.patch(f"{API}/{kind.path}/987654", json={"active": True}),
                         client.delete(f"{API}/{kind.path}/987654")):
            error(response, 404, "not_found", "id")


def test_unknown_body_field_is_422_naming_it(client: TestClient) -> None:
    acme = owner(client)
    for path, body in [("owners", {"code": "X", "name": "X"}), ("warehouses", {"code": "X", "name": "X"}),
                       ("carriers", {"code": "X", "name": "X"}),
                       ("skus", {"owner_id": acme["id"], "code": "X", "name": "X"})]:
        error(client.post(f"{API}/{path}", json={**body, "colour": "red"}), 422, "invalid", "colour")
        assert [r["id"] for r in all_pages(client, path)] == ([acme["id"]] if path == "owners" else [])
    error(client.patch(f"{API}/owners/{acme['id']}", json={"colour": "red"}), 422, "invalid", "colour")


# ---------------------------------------------------------------- warehouses and their virtual locations

VIRTUAL = {"@SUPPLIER": "supplier", "@CUSTOMER": "customer", "@ADJUSTMENT": "adjustment",
           "@PRODUCTION": "production", "@IN-TRANSIT": "in_transit", "@SCRAP": "scrap"}


def test_new_warehouse_has_its_six_virtual_locations(client: TestClient) -> None:
    first = warehouse(client, "WH1")
    second = warehouse(client, "WH2")
    for wh in (first, second):
        locations = all_pages(client, "locations", warehouse_id=wh["id"])
        assert {loc["code"]: loc["virtual_kind"] for loc in locations} == VIRTUAL
        assert {loc["kind"] for loc in locations} == {"virtual"}
        assert all(loc["active"] and loc["status"] == "active" for loc in locations)
    adjustment = all_pages(client, "locations", warehouse_id=second["id"], virtual_kind="adjustment")
    assert [loc["code"] for loc in adjustment] == ["@ADJUSTMENT"]
    assert adjustment[0]["warehouse_id"] == second["id"]


def test_virtual_locations_cannot_be_changed_or_deactivated(client: TestClient) -> None:
    wh = warehouse(client)
    for loc in all_pages(client, "locations", warehouse_id=wh["id"]):
        error(client.patch(f"{API}/locations/{loc['id']}", json={"status": "blocked"}), 422, "virtual_location")
        error(client.patch(f"{API}/locations/{loc['id']}", json={"code": "SHELF"}), 422, "virtual_location")
        error(client.delete(f"{API}/locations/{loc['id']}"), 422, "virtual_location")
        assert ok(client.get(f"{API}/locations/{loc['id']}")) == loc


def test_virtual_locations_cannot_be_made_by_hand(client: TestClient) -> None:
    wh = warehouse(client)
    error(client.post(f"{API}/locations", json={"warehouse_id": wh["id"], "code": "@LOST"}), 422, field="code")
    error(client.post(f"{API}/locations", json={"warehouse_id": wh["id"], "code": "V-1", "kind": "virtual"}),
          422, field="kind")
    shelf = create(client, "locations", {"warehouse_id": wh["id"], "code": "A-1"})
    error(client.patch(f"{API}/locations/{shelf['id']}", json={"code": "@A-1"}), 422, field="code")
    error(client.patch(f"{API}/locations/{shelf['id']}", json={"kind": "virtual"}), 422, field="kind")
    assert ok(client.get(f"{API}/locations/{shelf['id']}")) == shelf
    assert count(client, "locations", warehouse_id=wh["id"]) == 7


def test_warehouse_time_zone_must_be_a_real_one(client: TestClient) -> None:
    error(client.post(f"{API}/warehouses", json={"code": "WH1", "name": "x", "timezone": "Mars/Olympus"}),
          422, "unknown_timezone", "timezone")
    assert count(client, "warehouses") == 0
    assert count(client, "locations") == 0
    wh = warehouse(client, timezone="Europe/Berlin")
    error(client.patch(f"{API}/warehouses/{wh['id']}", json={"timezone": "Berlin"}), 422, "unknown_timezone",
          "timezone")
    assert ok(client.get(f"{API}/warehouses/{wh['id']}"))["timezone"] == "Europe/Berlin"


# ---------------------------------------------------------------- codes unique where users expect them


def test_sku_code_is_unique_per_owner_only(client: TestClient) -> None:
    acme, other = owner(client, "ACME"), owner(client, "OTHER")
    first = sku(client, acme["id"], "TEA")
    error(client.post(f"{API}/skus", json={"owner_id": acme["id"], "code": "TEA", "name": "Copy"}),
          409, "duplicate", "code")
    theirs = sku(client, other["id"], "TEA")
    assert theirs["id"] != first["id"]
    assert [s["name"] for s in all_pages(client, "skus", owner_id=acme["id"])] == ["Item TEA"]
    assert count(client, "skus") == 2


def test_location_code_is_unique_per_warehouse_only(client: TestClient) -> None:
    wh1, wh2 = warehouse(client, "WH1"), warehouse(client, "WH2")
    a1 = create(client, "locations", {"warehouse_id": wh1["id"], "code": "A-1"})
    b1 = create(client, "locations", {"warehouse_id": wh1["id"], "code": "B-1"})
    error(client.post(f"{API}/locations", json={"warehouse_id": wh1["id"], "code": "A-1"}), 409, "duplicate", "code")
    create(client, "locations", {"warehouse_id": wh2["id"], "code": "A-1"})
    error(client.patch(f"{API}/locations/{b1['id']}", json={"code": "A-1"}), 409, "duplicate", "code")
    assert ok(client.get(f"{API}/locations/{b1['id']}"))["code"] == "B-1"
    # Re-saving its own code is no conflict.
    assert ok(client.patch(f"{API}/locations/{a1['id']}", json={"code": "A-1"}))["code"] == "A-1"
    assert count(client, "locations", warehouse_id=wh1["id"]) == 6 + 2


def test_zone_code_is_unique_per_warehouse_only(client: TestClient) -> None:
    wh1, wh2 = warehouse(client, "WH1"), warehouse(client, "WH2")
    create(client, "zones", {"warehouse_id": wh1["id"], "code": "STO", "name": "Storage", "kind": "storage"})
    pick = create(client, "zones", {"warehouse_id": wh1["id"], "code": "PICK", "name": "Pick", "kind": "picking"})
    error(client.post(f"{API}/zones", json={"warehouse_id": wh1["id"], "code": "STO", "name": "x",
                                            "kind": "storage"}), 409, "duplicate", "code")
    create(client, "zones", {"warehouse_id": wh2["id"], "code": "STO", "name": "Storage", "kind": "storage"})
    error(client.patch(f"{API}/zones/{pick['id']}", json={"code": "STO"}), 409, "duplicate", "code")
    assert ok(client.get(f"{API}/zones/{pick['id']}"))["code"] == "PICK"
    assert count(client, "zones") == 3


def test_global_codes_are_unique(client: TestClient) -> None:
    for path, body in [("owners", {"code": "ACME", "name": "Acme"}), ("warehouses", {"code": "WH1", "name": "Main"}),
                       ("carriers", {"code": "SF", "name": "SF Express"})]:
        first = create(client, path, body)
        error(client.post(f"{API}/{path}", json={**body, "name": "Second"}), 409, "duplicate", "code")
        assert [r["id"] for r in all_pages(client, path)] == [first["id"]]
        assert ok(client.get(f"{API}/{path}/{first['id']}"))["name"] == body["name"]
    # The refused warehouse got no virtual locations either.
    assert count(client, "locations") == 6


def test_party_codes_are_unique_per_owner(client: TestClient) -> None:
    acme, other = owner(client, "ACME"), owner(client, "OTHER")
    for path in ("suppliers", "customers"):
        create(client, path, {"owner_id": acme["id"], "code": "P1", "name": "First"})
        error(client.post(f"{API}/{path}", json={"owner_id": acme["id"], "code": "P1", "name": "Second"}),
              409, "duplicate", "code")
        create(client, path, {"owner_id": other["id"], "code": "P1", "name": "Theirs"})
        assert [r["name"] for r in all_pages(client, path, owner_id=acme["id"])] == ["First"]


def test_container_lpn_and_sscc_are_unique(client: TestClient) -> None:
    wh1, wh2 = warehouse(client, "WH1"), warehouse(client, "WH2")
    first = create(client, "containers", {"warehouse_id": wh1["id"], "lpn": "P0001", "sscc": SSCC})
    second = create(client, "containers", {"warehouse_id": wh1["id"], "lpn": "P0002"})
    # An LPN is a licence plate: unique everywhere, not only in its warehouse.
    error(client.post(f"{API}/containers", json={"warehouse_id": wh2["id"], "lpn": "P0001"}), 409, "duplicate",
          "lpn")
    error(client.post(f"{API}/containers", json={"warehouse_id": wh1["id"], "lpn": "P0003", "sscc": SSCC}),
          409, "duplicate", "sscc")
    error(client.patch(f"{API}/containers/{second['id']}", json={"sscc": SSCC}), 409, "duplicate", "sscc")
    assert ok(client.get(f"{API}/containers/{second['id']}"))["sscc"] is None
    assert [c["lpn"] for c in all_pages(client, "containers")] == ["P0001", "P0002"]
    assert ok(client.get(f"{API}/containers/{first['id']}"))["sscc"] == SSCC
    wrong = SSCC_2[:-1] + "0"  # wrong check digit
    error(client.post(f"{API}/containers", json={"warehouse_id": wh1["id"], "lpn": "P0004", "sscc": wrong}),
          422, "invalid_sscc", "sscc")
    error(client.patch(f"{API}/containers/{second['id']}", json={"sscc": wrong}), 422, "invalid_sscc", "sscc")
    assert count(client, "containers") == 2


def test_barcode_is_unique_per_owner(client: TestClient) -> None:
    acme, other = owner(client, "ACME"), owner(client, "OTHER")
    tea = sku(client, acme["id"], "TEA", barcodes=[{"barcode": EAN13}])
    # The same GTIN written as 14 digits is the same barcode.
    error(client.post(f"{API}/skus", json={"owner_id": acme["id"], "code": "COFFEE", "name": "Coffee",
                                           "barcodes": [{"barcode": "0" + EAN13}]}),
          409, "duplicate", "barcodes[0].barcode")
    coffee = sku(client, acme["id"], "COFFEE")
    error(client.patch(f"{API}/skus/{coffee['id']}", json={"barcodes": [{"barcode": EAN8}, {"barcode": EAN13}]}),
          409, "duplicate", "barcodes[1].barcode")
    assert ok(client.get(f"{API}/skus/{coffee['id']}"))["barcodes"] == []
    assert count(client, "skus", owner_id=acme["id"]) == 2
    theirs = sku(client, other["id"], "TEA", barcodes=[{"barcode": EAN13}])
    assert theirs["barcodes"] == tea["barcodes"] == [{"barcode": "0" + EAN13, "kind": "gtin", "pack_level": "each"}]


def test_lot_number_is_unique_per_sku(client: TestClient) -> None:
    acme = owner(client)
    tea, coffee = sku(client, acme["id"], "TEA"), sku(client, acme["id"], "COFFEE")
    create(client, "lots", {"sku_id": tea["id"], "number": "L1"})
    error(client.post(f"{API}/lots", json={"sku_id": tea["id"], "number": "L1"}), 409, "duplicate", "number")
    theirs = create(client, "lots", {"sku_id": coffee["id"], "number": "L1"})
    assert theirs["owner_id"] == acme["id"]
    assert count(client, "lots", sku_id=tea["id"]) == 1


# ---------------------------------------------------------------- references and rules


def test_location_zone_must_be_of_the_same_warehouse(client: TestClient) -> None:
    wh1, wh2 = warehouse(client, "WH1"), warehouse(client, "WH2")
    zone2 = create(client, "zones", {"warehouse_id": wh2["id"], "code": "Z", "name": "Z", "kind": "storage"})
    zone1 = create(client, "zones", {"warehouse_id": wh1["id"], "code": "Z", "name": "Z", "kind": "storage"})
    error(client.post(f"{API}/locations", json={"warehouse_id": wh1["id"], "code": "A-1", "zone_id": zone2["id"]}),
          422, field="zone_id")
    assert count(client, "locations", warehouse_id=wh1["id"]) == 6
    loc = create(client, "locations", {"warehouse_id": wh1["id"], "code": "A-1", "zone_id": zone1["id"]})
    error(client.patch(f"{API}/locations/{loc['id']}", json={"zone_id": zone2["id"]}), 422, field="zone_id")
    assert ok(client.get(f"{API}/locations/{loc['id']}"))["zone_id"] == zone1["id"]
    # An explicit null takes the location out of its zone.
    assert ok(client.patch(f"{API}/locations/{loc['id']}", json={"zone_id": None}))["zone_id"] is None


def test_unknown_reference_is_422_naming_it(client: TestClient) -> None:
    for path, body, field, code in [
        ("zones", {"warehouse_id": 999, "code": "Z", "name": "Z", "kind": "storage"}, "warehouse_id",
         "unknown_warehouse"),
        ("locations", {"warehouse_id": 999, "code": "A-1"}, "warehouse_id", "unknown_warehouse"),
        ("containers", {"warehouse_id": 999, "lpn": "P1"}, "warehouse_id", "unknown_warehouse"),
        ("skus", {"owner_id": 999, "code": "S", "name": "S"}, "owner_id", "unknown_owner"),
        ("suppliers", {"owner_id": 999, "code": "S", "name": "S"}, "owner_id", "unknown_owner"),
        ("customers", {"owner_id": 999, "code": "C", "name": "C"}, "owner_id", "unknown_owner"),
        ("lots", {"sku_id": 999, "number": "L1"}, "sku_id", "unknown_sku"),
        ("locations", {"warehouse_id": 0, "code": "A-1"}, "warehouse_id", "invalid"),
    ]:
        error(client.post(f"{API}/{path}", json=body), 422, code, field)
        assert count(client, path) == 0, path


def test_inactive_references_are_refused(client: TestClient) -> None:
    acme = owner(client)
    tea = sku(client, acme["id"], "TEA")
    wh = warehouse(client)
    zone = create(client, "zones", {"warehouse_id": wh["id"], "code": "Z", "name": "Z", "kind": "storage"})
    ok(client.delete(f"{API}/owners/{acme['id']}"))
    ok(client.delete(f"{API}/skus/{tea['id']}"))
    ok(client.delete(f"{API}/zones/{zone['id']}"))
    for path, body, field, code in [
        ("skus", {"owner_id": acme["id"], "code": "NEW", "name": "New"}, "owner_id", "inactive_owner"),
        ("suppliers", {"owner_id": acme["id"], "code": "S", "name": "S"}, "owner_id", "inactive_owner"),
        ("customers", {"owner_id": acme["id"], "code": "C", "name": "C"}, "owner_id", "inactive_owner"),
        ("lots", {"sku_id": tea["id"], "number": "L1"}, "sku_id", "inactive_sku"),
        ("locations", {"warehouse_id": wh["id"], "code": "A-1", "zone_id": zone["id"]}, "zone_id", "inactive_zone"),
    ]:
        before = count(client, path)
        error(client.post(f"{API}/{path}", json=body), 422, code, field)
        assert count(client, path) == before
    ok(client.delete(f"{API}/warehouses/{wh['id']}"))
    error(client.post(f"{API}/locations", json={"warehouse_id": wh["id"], "code": "B-1"}), 422,
          "inactive_warehouse", "warehouse_id")


def test_lot_expiry_cannot_be_before_production(client: TestClient) -> None:
    tea = sku(client, owner(client)["id"], "TEA")
    error(client.post(f"{API}/lots", json={"sku_id": tea["id"], "number": "L1", "production_date": "2024-05-01",
                                           "expiry_date": "2024-04-30"}), 422, field="expiry_date")
    assert count(client, "lots") == 0
    lot = create(client, "lots", {"sku_id": tea["id"], "number": "L1", "production_date": "2024-05-01",
                                  "expiry_date": "2024-05-01"})
    error(client.patch(f"{API}/lots/{lot['id']}", json={"expiry_date": "2024-01-01"}), 422, field="expiry_date")
    error(client.patch(f"{API}/lots/{lot['id']}", json={"production_date": "2024-06-01"}), 422,
          field="expiry_date")
    assert ok(client.get(f"{API}/lots/{lot['id']}")) == lot


def test_invalid_gtin_is_422_naming_the_barcode(client: TestClient) -> None:
    acme = owner(client)
    tea = sku(client, acme["id"], "TEA")
    for barcodes, field in [
        ([{"barcode": "4006381333932"}], "barcodes[0].barcode"),  # wrong check digit
        ([{"barcode": EAN8}, {"barcode": "036000291453"}], "barcodes[1].barcode"),
        ([{"barcode": "40063813339"}], "barcodes[0].barcode"),  # 11 digits is no GTIN
        ([{"barcode": "4006381333A31"}], "barcodes[0].barcode"),
        ([{"barcode": "400638133393\u00b2"}], "barcodes[0].barcode"),  # '²' passes str.isdigit()
        ([{"barcode": "\u0664\u0660\u0660\u0666\u0663\u0668\u0661\u0663\u0663\u0663\u0669\u0663\u0661"}],
         "barcodes[0].barcode"),  # 4006381333931 in Arabic-Indic digits
    ]:
        error(client.post(f"{API}/skus", json={"owner_id": acme["id"], "code": "NEW", "name": "New",
                                               "barcodes": barcodes}), 422, "invalid_gtin", field)
        error(client.patch(f"{API}/skus/{tea['id']}", json={"barcodes": barcodes}), 422, "invalid_gtin", field)
    assert all_pages(client, "skus") == [tea]


def test_internal_barcodes_need_no_check_digit_but_must_not_repeat(client: TestClient) -> None:
    acme = owner(client)
    error(client.post(f"{API}/skus", json={"owner_id": acme["id"], "code": "TEA", "name": "Tea", "barcodes": [
        {"barcode": "T-1", "kind": "internal"}, {"barcode": "T-1", "kind": "internal"}]}),
        422, field="barcodes[1].barcode")
    tea = sku(client, acme["id"], "TEA", barcodes=[{"barcode": "12345", "kind": "internal"}])
    assert tea["barcodes"] == [{"barcode": "12345", "kind": "internal", "pack_level": "each"}]


def test_pack_levels_must_grow(client: TestClient) -> None:
    acme = owner(client)
    tea = sku(client, acme["id"], "TEA", packs=[{"level": "case", "uom": "CS", "factor": "6"}])
    for packs, field in [
        ([{"level": "each", "uom": "C62", "factor": "1"}, {"level": "case", "uom": "CS", "factor": "1"}],
         "packs[1].factor"),
        ([{"level": "inner", "uom": "PK", "factor": "6"}, {"level": "case", "uom": "CS", "factor": "4"}],
         "packs[1].factor"),
        # Listed out of order: the pallet, listed first, holds less than the case.
        ([{"level": "pallet", "uom": "PX", "factor": "10"}, {"level": "case", "uom": "CS", "factor": "12"}],
         "packs[0].factor"),
        ([{"level": "case", "uom": "CS", "factor": "12"}, {"level": "case", "uom": "CT", "factor": "24"}],
         "packs[1].level"),
        ([{"level": "case", "uom": "CS", "factor": "1.5"}], "packs[0].factor"),  # whole pieces only (decimals 0)
        ([{"level": "case", "uom": "CS", "factor": "0"}], "packs[0].factor"),
    ]:
        error(client.post(f"{API}/skus", json={"owner_id": acme["id"], "code": "NEW", "name": "New",
                                               "packs": packs}), 422, field=field)
        error(client.patch(f"{API}/skus/{tea['id']}", json={"packs": packs}), 422, field=field)
    assert all_pages(client, "skus") == [tea]
    # Returned smallest first; a decimal base unit allows fractional factors.
    steel = sku(client, acme["id"], "COIL", base_uom="KGM", decimals=3, packs=[
        {"level": "pallet", "uom": "PX", "factor": "2500.125"}, {"level": "each", "uom": "CL", "factor": "500.025"}])
    assert steel["packs"] == [{"level": "each", "uom": "CL", "factor": "500.025", "decimals": 0},
                              {"level": "pallet", "uom": "PX", "factor": "2500.125", "decimals": 0}]


def test_unknown_unit_code_is_422(client: TestClient) -> None:
    acme = owner(client)
    tea = sku(client, acme["id"], "TEA")
    for body, field in [({"base_uom": "XYZ"}, "base_uom"), ({"base_uom": "kgm"}, "base_uom"),
                        ({"packs": [{"level": "case", "uom": "BOX", "factor": "12"}]}, "packs[0].uom")]:
        error(client.post(f"{API}/skus", json={"owner_id": acme["id"], "code": "NEW", "name": "New", **body}), 422,
              "unknown_unit", field)
        error(client.patch(f"{API}/skus/{tea['id']}", json=body), 422, "unknown_unit", field)
    assert all_pages(client, "skus") == [tea]


def test_a_barcode_is_for_a_pack_level_the_sku_has(client: TestClient) -> None:
    acme = owner(client)
    error(client.post(f"{API}/skus", json={"owner_id": acme["id"], "code": "TEA", "name": "Tea", "barcodes": [
        {"barcode": EAN13}, {"barcode": EAN8, "pack_level": "case"}]}), 422, "unknown_pack_level",
        "barcodes[1].pack_level")
    assert count(client, "skus") == 0
    tea = sku(client, acme["id"], "TEA", packs=[{"level": "case", "uom": "CS", "factor": "12"}],
              barcodes=[{"barcode": EAN13}, {"barcode": EAN8, "pack_level": "case"}])
    # Leaving out the case pack would strand the case barcode: a scan of it could not be counted.
    error(client.patch(f"{API}/skus/{tea['id']}", json={"packs": [{"level": "inner", "uom": "PK", "factor": "6"}]}),
          422, "unknown_pack_level", "packs")
    error(client.patch(f"{API}/skus/{tea['id']}", json={"barcodes": [{"barcode": UPC_A, "pack_level": "pallet"}]}),
          422, "unknown_pack_level", "barcodes[0].pack_level")
    assert ok(client.get(f"{API}/skus/{tea['id']}")) == tea
    # Both together are consistent again.
    changed = ok(client.patch(f"{API}/skus/{tea['id']}", json={
        "packs": [{"level": "inner", "uom": "PK", "factor": "6"}],
        "barcodes": [{"barcode": EAN8, "pack_level": "inner"}]}))
    assert changed["barcodes"] == [{"barcode": "000000" + EAN8, "kind": "gtin", "pack_level": "inner"}]


def test_decimals_cannot_drop_below_what_the_packs_need(client: TestClient) -> None:
    coil = sku(client, owner(client)["id"], "COIL", base_uom="KGM", decimals=3,
               packs=[{"level": "case", "uom": "CL", "factor": "25.125"}])
    error(client.patch(f"{API}/skus/{coil['id']}", json={"decimals": 2}), 422, field="decimals")
    assert ok(client.get(f"{API}/skus/{coil['id']}")) == coil
    assert ok(client.patch(f"{API}/skus/{coil['id']}", json={"decimals": 4}))["decimals"] == 4
    fixed = ok(client.patch(f"{API}/skus/{coil['id']}", json={
        "decimals": 0, "packs": [{"level": "case", "uom": "CL", "factor": "25"}]}))
    assert (fixed["decimals"], fixed["packs"][0]["factor"]) == (0, "25")


def test_stock_freezes_how_a_sku_is_counted(client: TestClient) -> None:
    acme, wh = owner(client), warehouse(client)
    shelf = create(client, "locations", {"warehouse_id": wh["id"], "code": "A-1"})
    steel = sku(client, acme["id"], "STEEL", base_uom="KGM", decimals=3)
    phone = sku(client, acme["id"], "PHONE")
    ok(client.post(f"{API}/stock/opening", json={"lines": [
        {"owner_id": acme["id"], "sku_id": steel["id"], "location_id": shelf["id"], "quantity": "12.5"},
        {"owner_id": acme["id"], "sku_id": phone["id"], "location_id": shelf["id"], "quantity": "3"}]}), 201)
    for record, change in ((steel, {"decimals": 2}), (steel, {"lot_control": True}),
                           (steel, {"expiry_control": True}), (phone, {"serial_control": True})):
        error(client.patch(f"{API}/skus/{record['id']}", json=change), 422, field=next(iter(change)))
    assert ok(client.get(f"{API}/skus/{steel['id']}")) == steel
    assert ok(client.get(f"{API}/skus/{phone['id']}")) == phone
    assert ok(client.patch(f"{API}/skus/{steel['id']}", json={"decimals": 4}))["decimals"] == 4


def test_serial_controlled_sku_counts_whole_units(client: TestClient) -> None:
    acme = owner(client)
    error(client.post(f"{API}/skus", json={"owner_id": acme["id"], "code": "PHONE", "name": "Phone",
                                           "serial_control": True, "decimals": 2}), 422, field="decimals")
    phone = sku(client, acme["id"], "PHONE", serial_control=True)
    error(client.patch(f"{API}/skus/{phone['id']}", json={"decimals": 1}), 422, field="decimals")
    assert ok(client.get(f"{API}/skus/{phone['id']}"))["decimals"] == 0


def test_identity_fields_cannot_be_changed(client: TestClient) -> None:
    acme, other_owner = owner(client, "ACME"), owner(client, "OTHER")
    wh, other_wh = warehouse(client, "WH1"), warehouse(client, "WH2")
    tea, coffee = sku(client, acme["id"], "TEA"), sku(client, acme["id"], "COFFEE")
    records = {
        "skus": tea,
        "locations": create(client, "locations", {"warehouse_id": wh["id"], "code": "A-1"}),
        "zones": create(client, "zones", {"warehouse_id": wh["id"], "code": "Z", "name": "Z", "kind": "storage"}),
        "containers": create(client, "containers", {"warehouse_id": wh["id"], "lpn": "P1"}),
        "lots": create(client, "lots", {"sku_id": tea["id"], "number": "L1"}),
        "suppliers": create(client, "suppliers", {"owner_id": acme["id"], "code": "S", "name": "S"}),
        "warehouses": wh,
        "owners": acme,
    }
    for path, field, value in [
        ("skus", "owner_id", other_owner["id"]), ("skus", "code", "NEW"),
        ("locations", "warehouse_id", other_wh["id"]), ("zones", "warehouse_id", other_wh["id"]),
        ("containers", "warehouse_id", other_wh["id"]), ("containers", "lpn", "NEW"),
        ("lots", "sku_id", coffee["id"]), ("lots", "number", "NEW"), ("suppliers", "owner_id", other_owner["id"]),
        ("warehouses", "code", "NEW"), ("owners", "code", "NEW"),
    ]:
        record = records[path]
        error(client.patch(f"{API}/{path}/{record['id']}", json={field: value}), 422, field=field)
        assert ok(client.get(f"{API}/{path}/{record['id']}")) == record, (path, field)


def test_null_for_a_required_field_is_422_not_a_conflict(client: TestClient) -> None:
    acme, wh = owner(client), warehouse(client, address={"city": "Shanghai"})
    records = {
        "warehouses": wh, "owners": acme,
        "skus": sku(client, acme["id"], "TEA", packs=[{"level": "case", "uom": "CS", "factor": "6"}],
                    barcodes=[{"barcode": EAN8}], category="tea", weight="0.5"),
        "locations": create(client, "locations", {"warehouse_id": wh["id"], "code": "A-1"}),
        "zones": create(client, "zones", {"warehouse_id": wh["id"], "code": "Z", "name": "Z", "kind": "storage"}),
        "carriers": create(client, "carriers", {"code": "SF", "name": "SF"}),
        "containers": create(client, "containers", {"warehouse_id": wh["id"], "lpn": "P1"}),
        "lots": create(client, "lots", {"sku_id": sku(client, acme["id"], "X")["id"], "number": "L1"}),
        "customers": create(client, "customers", {"owner_id": acme["id"], "code": "C", "name": "C"}),
    }
    for path, field in [
        ("warehouses", "name"), ("warehouses", "timezone"), ("warehouses", "active"), ("owners", "name"),
        ("skus", "name"), ("skus", "decimals"), ("skus", "base_uom"), ("skus", "lot_control"), ("skus", "packs"),
        ("skus", "barcodes"), ("locations", "status"), ("locations", "mix_skus"), ("zones", "kind"),
        ("carriers", "name"), ("containers", "kind"), ("lots", "active"), ("customers", "name"),
    ]:
        record = records[path]
        error(client.patch(f"{API}/{path}/{record['id']}", json={field: None}), 422, field=field)
        assert ok(client.get(f"{API}/{path}/{record['id']}")) == record, (path, field)
    # An explicit null clears an optional field.
    cleared = ok(client.patch(f"{API}/skus/{records['skus']['id']}", json={"category": None, "weight": None}))
    assert (cleared["category"], cleared["weight"], cleared["name"]) == (None, None, "Item TEA")
    assert ok(client.patch(f"{API}/warehouses/{wh['id']}", json={"address": None}))["address"] is None


def test_malformed_values_are_422_naming_the_field(client: TestClient) -> None:
    wh = warehouse(client)
    for path, body, field in [
        ("zones", {"code": "Z", "name": "Z", "kind": "attic"}, "kind"),
        ("locations", {"code": "A-1", "status": "broken"}, "status"),
        ("locations", {"code": "A 1"}, "code"),
        ("locations", {"code": "A-1", "max_weight": "-1"}, "max_weight"),
        ("locations", {"code": "A-1", "x": "1.0000001"}, "x"),
        ("containers", {"lpn": "P1", "kind": "barrel"}, "kind"),
        ("containers", {"lpn": "P1", "sscc": "123"}, "sscc"),
    ]:
        error(client.post(f"{API}/{path}", json={"warehouse_id": wh["id"], **body}), 422, field=field)
    assert count(client, "zones") + count(client, "containers") == 0
    assert count(client, "locations") == 6


# ---------------------------------------------------------------- lists: filters, search, pagination


def test_pagination_walks_every_record_once(client: TestClient) -> None:
    ids = [owner(client, f"OWN{i:02d}")["id"] for i in range(7)]
    pages = []
    cursor = None
    while True:
        page = ok(client.get(f"{API}/owners", params={"limit": 3, **({"cursor": cursor} if cursor else {})}))
        pages.append([r["id"] for r in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert cursor == page["items"][-1]["id"]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for p in pages for i in p] == ids
    # An exact multiple of the page size ends without an empty page.
    owner(client, "OWN07")
    page2 = ok(client.get(f"{API}/owners", params={"limit": 4, "cursor": ids[3]}))
    assert len(page2["items"]) == 4 and page2["next_cursor"] is None
    error(client.get(f"{API}/owners", params={"limit": 0}), 422, "invalid", "limit")
    error(client.get(f"{API}/owners", params={"limit": 501}), 422, "invalid", "limit")
    error(client.get(f"{API}/owners", params={"colour": "red"}), 422, "invalid", "colour")


def test_pagination_with_a_filter_has_no_gaps(client: TestClient) -> None:
    acme, other = owner(client, "ACME"), owner(client, "OTHER")
    mine = []
    for i in range(9):
        record = sku(client, (acme if i % 3 else other)["id"], f"S{i}")
        if i % 3:
            mine.append(record["id"])
    walked = all_pages(client, "skus", owner_id=acme["id"], limit=2)
    assert [r["id"] for r in walked] == mine
    assert {r["owner_id"] for r in walked} == {acme["id"]}
    # Packs and barcodes come with every listed SKU, not only the first page's.
    assert all(r["packs"] == [] and r["barcodes"] == [] for r in walked)


def test_text_search_on_code_and_name(client: TestClient) -> None:
    acme = owner(client)
    sku(client, acme["id"], "TEA-GREEN", name="Longjing green tea")
    sku(client, acme["id"], "TEA-BLACK", name="Keemun black tea")
    sku(client, acme["id"], "COFFEE", name="Yunnan arabica")
    sku(client, acme["id"], "A_1", name="underscore")
    sku(client, acme["id"], "AB1", name="lookalike")

    def codes(**params: Any) -> list[str]:
        return [r["code"] for r in all_pages(client, "skus", **params)]

    assert codes(q="tea") == ["TEA-GREEN", "TEA-BLACK"]
    assert codes(q="YUNNAN") == ["COFFEE"]  # name, any case
    assert codes(q="green", owner_id=acme["id"]) == ["TEA-GREEN"]
    assert codes(q="nothing like it") == []
    # The text is taken literally: '_' and '%' are not wildcards.
    assert codes(q="A_1") == ["A_1"]
    assert codes(q="%") == []


def test_location_list_filters(client: TestClient) -> None:
    wh, other = warehouse(client, "WH1"), warehouse(client, "WH2")
    qc = create(client, "zones", {"warehouse_id": wh["id"], "code": "QC", "name": "QC", "kind": "qc"})
    a1 = create(client, "locations", {"warehouse_id": wh["id"], "code": "A-01", "aisle": "A", "zone_id": qc["id"]})
    a2 = create(client, "locations", {"warehouse_id": wh["id"], "code": "A-02", "aisle": "A", "status": "blocked"})
    b1 = create(client, "locations", {"warehouse_id": wh["id"], "code": "B-01", "aisle": "B"})
    create(client, "locations", {"warehouse_id": other["id"], "code": "A-01", "aisle": "A"})

    def ids(**params: Any) -> list[int]:
        return [r["id"] for r in all_pages(client, "locations", warehouse_id=wh["id"], **params)]

    assert ids(aisle="A") == [a1["id"], a2["id"]]
    assert ids(zone_id=qc["id"]) == [a1["id"]]
    assert ids(status="blocked") == [a2["id"]]
    assert ids(kind="storage") == [a1["id"], a2["id"], b1["id"]]
    assert ids(q="a-0") == [a1["id"], a2["id"]]
    assert ids(code="B-01") == [b1["id"]]
    assert len(ids(kind="virtual")) == 6
    assert [z["id"] for z in all_pages(client, "zones", kind="qc")] == [qc["id"]]


def test_sku_lot_and_party_filters(client: TestClient) -> None:
    acme, other = owner(client, "ACME"), owner(client, "OTHER")
    milk = sku(client, acme["id"], "MILK", lot_control=True, expiry_control=True, category="dairy")
    sku(client, acme["id"], "CUP", category="tableware")
    l1 = create(client, "lots", {"sku_id": milk["id"], "number": "M-1", "expiry_date": "2025-03-01"})
    create(client, "lots", {"sku_id": milk["id"], "number": "M-2", "expiry_date": "2025-04-01"})
    create(client, "customers", {"owner_id": acme["id"], "code": "C1", "name": "Cafe"})
    theirs = create(client, "customers", {"owner_id": other["id"], "code": "C1", "name": "Bistro"})
    assert [s["code"] for s in all_pages(client, "skus", lot_control="true")] == ["MILK"]
    assert [s["code"] for s in all_pages(client, "skus", category="tableware")] == ["CUP"]
    assert [x["id"] for x in all_pages(client, "lots", expiry_date="2025-03-01")] == [l1["id"]]
    assert [x["number"] for x in all_pages(client, "lots", q="m-")] == ["M-1", "M-2"]
    assert [x["number"] for x in all_pages(client, "lots", owner_id=acme["id"], number="M-2")] == ["M-2"]
    assert [c["id"] for c in all_pages(client, "customers", owner_id=other["id"])] == [theirs["id"]]


# ---------------------------------------------------------------- Idempotency-Key


def test_idempotent_create_replays_the_first_response(client: TestClient) -> None:
    body = {"code": "ACME", "name": "Acme"}
    first = client.post(f"{API}/owners", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    assert "idempotency-replayed" not in first.headers
    # The same request, its JSON keys in another order, is the same request.
    replay = client.post(f"{API}/owners", content=json.dumps({"name": "Acme", "code": "ACME"}),
                         headers={"Idempotency-Key": "k-1", "Content-Type": "application/json"})
    assert replay.status_code == 201
    assert replay.headers["idempotency-replayed"] == "true"
    assert replay.json() == first.json()
    assert count(client, "owners") == 1


def test_idempotent_warehouse_replay_creates_no_second_set_of_locations(client: TestClient) -> None:
    headers = {"Idempotency-Key": "wh-create"}
    first = ok(client.post(f"{API}/warehouses", json={"code": "WH1", "name": "Main"}, headers=headers), 201)
    for _ in range(3):
        assert ok(client.post(f"{API}/warehouses", json={"code": "WH1", "name": "Main"}, headers=headers),
                  201) == first
    assert count(client, "warehouses") == 1
    assert count(client, "locations") == 6


def test_same_key_with_another_body_is_422(client: TestClient) -> None:
    create(client, "owners", {"code": "ACME", "name": "Acme"}, headers={"Idempotency-Key": "k-1"})
    error(client.post(f"{API}/owners", json={"code": "OTHER", "name": "Other"}, headers={"Idempotency-Key": "k-1"}),
          422, "idempotency_key_reused", "Idempotency-Key")
    # The same key on another endpoint is another request too.
    error(client.post(f"{API}/carriers", json={"code": "ACME", "name": "Acme"}, headers={"Idempotency-Key": "k-1"}),
          422, "idempotency_key_reused", "Idempotency-Key")
    assert [o["code"] for o in all_pages(client, "owners")] == ["ACME"]
    assert count(client, "carriers") == 0


def _claim_in_progress(db: Database, key: str, authorization: bytes, path: str, body: Json) -> None:
    """What the middleware stores while a request runs: its key, scoped to the caller's Authorization header,
    and the fingerprint of the path and canonical JSON body."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    with db.engine.begin() as conn:
        conn.execute(insert(t.idempotency_key).values(
            key=key, principal=hashlib.sha256(authorization).hexdigest()[:32],
            request_hash=hashlib.sha256(path.encode() + b"\n" + canonical).hexdigest(), state="in_progress",
            created_at=datetime.now(UTC)))


def test_replay_while_the_first_is_running_is_409(client: TestClient, db: Database) -> None:
    body = {"code": "ACME", "name": "Acme"}
    alice, bob = bearer(db, "alice")["Authorization"], bearer(db, "bob")["Authorization"]
    _claim_in_progress(db, "k-run", alice.encode(), f"{API}/owners", body)
    headers = {"Idempotency-Key": "k-run", "Authorization": alice}
    error(client.post(f"{API}/owners", json=body, headers=headers), 409, "request_in_progress", "Idempotency-Key")
    assert count(client, "owners") == 0
    # Keys belong to their caller: another caller's request with the same key runs.
    create(client, "owners", body, headers={"Idempotency-Key": "k-run", "Authorization": bob})
    assert count(client, "owners") == 1
    with db.engine.connect() as conn:
        states = {row.principal: row.state for row in conn.execute(select(t.idempotency_key))}
    assert sorted(states.values()) == ["done", "in_progress"]


def test_keys_are_scoped_to_the_caller(client: TestClient, db: Database) -> None:
    caller_a, caller_b = bearer(db, "a-user")["Authorization"], bearer(db, "b-user")["Authorization"]
    a = create(client, "owners", {"code": "A", "name": "A"},
               headers={"Idempotency-Key": "same", "Authorization": caller_a})
    b = create(client, "owners", {"code": "B", "name": "B"},
               headers={"Idempotency-Key": "same", "Authorization": caller_b})
    assert a["id"] != b["id"]
    replay = client.post(f"{API}/owners", json={"code": "A", "name": "A"},
                         headers={"Idempotency-Key": "same", "Authorization": caller_a})
    assert replay.json() == a and replay.headers["idempotency-replayed"] == "true"
    assert count(client, "owners") == 2


def test_a_failed_request_replays_its_4xx(client: TestClient) -> None:
    acme = owner(client)
    ok(client.delete(f"{API}/owners/{acme['id']}"))
    body = {"owner_id": acme["id"], "code": "TEA", "name": "Tea"}
    headers = {"Idempotency-Key": "sku-1"}
    first = client.post(f"{API}/skus", json=body, headers=headers)
    error(first, 422, "inactive_owner", "owner_id")
    ok(client.patch(f"{API}/owners/{acme['id']}", json={"active": True}))
    # The owner is active again, but the key still answers what it answered the first time.
    replay = client.post(f"{API}/skus", json=body, headers=headers)
    assert replay.status_code == 422
    assert replay.json() == first.json()
    assert replay.headers["idempotency-replayed"] == "true"
    assert count(client, "skus") == 0
    # A validation failure is recorded and replayed the same way.
    bad = client.post(f"{API}/skus", json={"owner_id": acme["id"]}, headers={"Idempotency-Key": "sku-2"})
    error(bad, 422, "invalid")
    again = client.post(f"{API}/skus", json={"owner_id": acme["id"]}, headers={"Idempotency-Key": "sku-2"})
    assert (again.status_code, again.json(), again.headers["idempotency-replayed"]) == (422, bad.json(), "true")
    # And a conflict replays as the conflict.
    dup = client.post(f"{API}/owners", json={"code": "ACME", "name": "x"}, headers={"Idempotency-Key": "dup"})
    error(dup, 409, "duplicate", "code")
    replay = client.post(f"{API}/owners", json={"code": "ACME", "name": "x"}, headers={"Idempotency-Key": "dup"})
    assert (replay.status_code, replay.json(), replay.headers["idempotency-replayed"]) == (409, dup.json(), "true")
    assert count(client, "owners") == 1


def test_overlong_key_is_refused(client: TestClient, db: Database) -> None:
    error(client.post(f"{API}/owners", json={"code": "ACME", "name": "Acme"}, headers={"Idempotency-Key": "k" * 201}),
          422, field="Idempotency-Key")
    assert count(client, "owners") == 0
    with db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.idempotency_key)).scalar_one() == 0


# ---------------------------------------------------------------- service endpoints


def test_healthz(client: TestClient, db: Database) -> None:
    assert ok(client.get("/healthz")) == {"status": "ok", "version": __version__, "database": db.dialect}


ENTITY_PATHS = ["warehouses", "zones", "locations", "owners", "skus", "lots", "suppliers", "customers", "carriers",
                "containers"]


def test_openapi_lists_every_api_route() -> None:
    # The schema does not depend on the database: one in-memory SQLite app, not one per backend.
    database = Database.from_url("sqlite://")
    try:
        with TestClient(create_app(database)) as client:
            spec = ok(client.get("/openapi.json"))
    finally:
        database.dispose()
    paths: dict[str, dict[str, Any]] = spec["paths"]
    # Every route of every router the app mounts under /api/v1.
    routes = {(API + route.path, method.lower()) for router in (masterdata.router, stock.router, admin.router)
              for route in router.routes if isinstance(route, APIRoute) for method in route.methods}
    documented = {(path, method) for path, ops in paths.items() for method in ops}
    assert routes <= documented
    expected = {(f"{API}/{p}", m) for p in ENTITY_PATHS for m in ("get", "post")}
    expected |= {(f"{API}/{p}/{{record_id}}", m) for p in ENTITY_PATHS for m in ("get", "patch", "delete")}
    expected |= {(f"{API}/stock/{p}", "get") for p in ("balances", "movements", "adjustment-reasons")}
    expected |= {(f"{API}/stock/{p}", "post") for p in ("opening", "adjustments", "allocations", "releases")}
    expected |= {(f"{API}/stock/postings/{{posting_id}}/reversal", "post"), (f"{API}/admin/verify", "post")}
    assert expected <= routes
    operation_ids = [op["operationId"] for ops in paths.values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))
    assert paths[f"{API}/owners"]["post"]["responses"]["201"]
