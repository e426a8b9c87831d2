"""Every operation of the OpenAPI document × every built-in role × an object in and out of the caller's scope.

An operation must declare its access check (``x-permission``); a new endpoint without one fails here. Then:
nobody signed in gets 401; a role without the permission gets 403; a role with it never does; a principal with
every permission but scoped to warehouse W1 and owner O1 gets 404 for W2's / O2's objects, and its lists carry
no row of W2 or O2; a successful command appends to the audit log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from stockyard.api.app import create_app
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import BUILTIN_ROLES, PERMISSIONS
from stockyard.services.auth import open_session
from tests.e2e.support import API, create, ok
from tests.helpers import make_user

# Path parameter → the kind of object it names (for /{record_id}, the collection in the path says).
PARAM_KINDS = {"user_id": "users", "role_id": "roles", "client_id": "clients", "posting_id": "postings",
               "request_id": "approvals", "receipt_id": "receipts", "task_id": "tasks", "rule_id": "rules",
               "warehouse_id": "warehouses", "freeze_id": "freezes", "count_id": "counts",
               "transfer_id": "transfers", "replenishment_rule_id": "replenishment_rules",
               "order_id": "orders"}
# Where the first path segment names the object whatever its parameter is called (a pick task is a task_id).
SEGMENT_KINDS = {"pick-tasks": "pick-tasks"}
# Kinds with no owner or warehouse: every principal with the permission sees all of them.
SHARED = {"carriers", "roles"}
# Minimal valid bodies where an empty one would fail validation before the access check matters.
BODIES: dict[str, dict[str, Any]] = {"set_user_password": {"password": "another-long-passphrase"},
                                     "receive": {"location_id": 1},
                                     "create_putaway_rule": {"name": "R", "priority": 1, "policy": "nearest_empty"},
                                     "release_freeze": {"reason": "checked"},
                                     "enter_count": {"entries": [{"line_id": 1, "quantity": "1"}]},
                                     "create_count_plan": {"name": "P", "every_days": 7, "next_due": "2030-01-01"},
                                     "receive_transfer": {"location_id": 1},
                                     "set_kit_components": {"components": []},
                                     "confirm_pick": {"location": "L1", "scan": "S1"},
                                     "short_pick": {"location": "L1"},
                                     "sort_item": {"scan": "S1"},
                                     "pack_item": {"scan": "S1"},
                                     "weigh_package": {"weight": "1"},
                                     "create_replenishment_rule": {"location_id": 1, "owner_id": 1, "sku_id": 1,
                                                                   "min_quantity": "0", "max_quantity": "1"}}
QUERIES: dict[str, dict[str, str]] = {"parse_scan": {"code": "LOC-1"},
                                      "count_accuracy": {"warehouse_id": "1", "since": "2020-01-01",
                                                         "until": "2030-01-01"}}
SKIP_AUDIT = {"login", "logout"}  # audited by their own tests (a fresh session is needed each time)


@dataclass
class World:
    inside: dict[str, int] = field(default_factory=dict)
    outside: dict[str, int] = field(default_factory=dict)
    w2: int = 0
    o2: int = 0


def _build(client: TestClient, db: Database) -> World:
    world = World()
    for side, n in ((world.inside, 1), (world.outside, 2)):
        side["warehouses"] = create(client, "warehouses", {"code": f"W{n}", "name": f"W{n}"})["id"]
        side["zones"] = create(client, "zones", {"warehouse_id": side["warehouses"], "code": f"Z{n}",
                                                 "name": f"Z{n}", "kind": "storage"})["id"]
        side["locations"] = create(client, "locations", {"warehouse_id": side["warehouses"],
                                                         "zone_id": side["zones"], "code": f"L{n}"})["id"]
        side["owners"] = create(client, "owners", {"code": f"O{n}", "name": f"O{n}"})["id"]
        side["skus"] = create(client, "skus", {"owner_id": side["owners"], "code": f"S{n}", "name": f"S{n}"})["id"]
        side["lots"] = create(client, "lots", {"sku_id": side["skus"], "number": f"LOT{n}"})["id"]
        for kind in ("suppliers", "customers"):
            side[kind] = create(client, kind, {"owner_id": side["owners"], "code": f"P{n}", "name": f"P{n}"})["id"]
        side["carriers"] = create(client, "carriers", {"code": f"C{n}", "name": f"C{n}"})["id"]
        side["containers"] = create(client, "containers", {"warehouse_id": side["warehouses"],
                                                           "lpn": f"LPN{n}"})["id"]
        side["postings"] = create(client, "stock/opening", {"lines": [{
            "owner_id": side["owners"], "sku_id": side["skus"], "location_id": side["locations"],
            "quantity": "10"}]})["posting_id"]
        side["users"] = make_user(db, f"user{n}", roles=["operator"], warehouse_ids=[side["warehouses"]],
                                  owner_ids=[side["owners"]])
        side["clients"] = create(client, "clients", {"name": f"ERP{n}", "kind": "erp", "permissions": [
            "masterdata.read"], "warehouse_ids": [side["warehouses"]], "owner_ids": [side["owners"]]})["id"]
        side["roles"] = create(client, "roles", {"code": f"custom{n}", "name": f"Custom {n}",
                                                 "permissions": ["stock.read"]})["id"]
        side["receipts"] = create(client, "receipts", {
            "owner_id": side["owners"], "warehouse_id": side["warehouses"], "external_ref": f"PO{n}",
            "type": "purchase", "lines": [{"sku_id": side["skus"], "quantity": "5"}]})["id"]
        received = ok(client.post(f"{API}/receipts/{side['receipts']}/receive", json={
            "location_id": side["locations"], "sku_id": side["skus"], "quantity": "2", "lot": "R1"}), 201)
        side["tasks"] = received["putaway_tasks"][0]["id"]
        side["rules"] = create(client, f"warehouses/{side['warehouses']}/putaway-rules", {
            "name": "Anywhere", "priority": 1, "policy": "nearest_capacity"})["id"]
        side["approvals"] = ok(client.post(f"{API}/stock/adjustments", json={
            "reason_code": "DAMAGED", "approval": "request", "lines": [{
                "owner_id": side["owners"], "sku_id": side["skus"], "location_id": side["locations"],
                "quantity": "1"}]}), 202)["approval_request_id"]
        side["counts"] = create(client, "counts", {"warehouse_id": side["warehouses"],
                                                   "location_ids": [side["locations"]]})["id"]
        side["orders"] = create(client, "orders", {
            "owner_id": side["owners"], "warehouse_id": side["warehouses"], "external_ref": f"SO{n}",
            "type": "sales_b2c", "lines": [{"sku_id": side["skus"], "quantity": "1"}]})["id"]
        _outbound(client, side, n)
        side["replenishment_rules"] = create(client, f"warehouses/{side['warehouses']}/replenishment-rules", {
            "location_id": side["locations"], "owner_id": side["owners"], "sku_id": side["skus"],
            "min_quantity": "1", "max_quantity": "5"})["id"]
        side["freezes"] = create(client, "stock/freezes", {
            "warehouse_id": side["warehouses"], "owner_id": side["owners"], "sku_id": side["skus"],
            "reason": "recall"})["id"]
    for side, n in ((world.inside, 1), (world.outside, 2)):
        part, kit = (create(client, "skus", {"owner_id": side["owners"], "code": f"{code}{n}", "name": code})["id"]
                     for code in ("PART", "KIT"))
        create(client, "stock/opening", {"lines": [{"owner_id": side["owners"], "sku_id": part,
                                                    "location_id": side["locations"], "quantity": "5"}]})
        ok(client.put(f"{API}/skus/{kit}/components", json={"components": [{"component_sku_id": part,
                                                                               "quantity": "1"}]}))
        side["work-orders"] = create(client, "work-orders", {"kind": "assemble", "kit_sku_id": kit, "quantity": "1",
                                                             "location_id": side["locations"]})["id"]
    for side, other, n in ((world.inside, world.outside, 1), (world.outside, world.inside, 2)):
        side["transfers"] = create(client, "transfers", {
            "owner_id": side["owners"], "from_warehouse_id": side["warehouses"],
            "to_warehouse_id": other["warehouses"], "external_ref": f"TR{n}",
            "lines": [{"sku_id": side["skus"], "quantity": "1", "from_location_id": side["locations"]}]})["id"]
    world.w2, world.o2 = world.outside["warehouses"], world.outside["owners"]
    return world


def _outbound(client: TestClient, side: dict[str, int], n: int) -> None:
    """A released wave with its trip and pick task, for the outbound operations."""
    create(client, "locations", {"warehouse_id": side["warehouses"], "zone_id": side["zones"], "code": f"ST{n}",
                                 "kind": "staging"})
    waved = create(client, "orders", {
        "owner_id": side["owners"], "warehouse_id": side["warehouses"], "external_ref": f"SO-W{n}",
        "type": "sales_b2c", "lines": [{"sku_id": side["skus"], "quantity": "1"}]})["id"]
    side["waves"] = create(client, "waves", {"warehouse_id": side["warehouses"], "order_ids": [waved]})["id"]
    released = ok(client.post(f"{API}/waves/{side['waves']}/release"))
    side["trips"] = released["trips"][0]["id"]
    side["pick-tasks"] = ok(client.get(f"{API}/trips/{side['trips']}"))["tasks"][0]["id"]
    # A picked order with a package open, for checking, packing and shipping.
    packed = create(client, "orders", {
        "owner_id": side["owners"], "warehouse_id": side["warehouses"], "external_ref": f"SO-P{n}",
        "type": "sales_b2c", "lines": [{"sku_id": side["skus"], "quantity": "1"}]})["id"]
    wave = create(client, "waves", {"warehouse_id": side["warehouses"], "order_ids": [packed]})["id"]
    trip = ok(client.post(f"{API}/waves/{wave}/release"))["trips"][0]["id"]
    task = ok(client.get(f"{API}/trips/{trip}"))["tasks"][0]
    ok(client.post(f"{API}/pick-tasks/{task['id']}/confirm", json={"location": task["location_code"], "scan": f"S{n}",
                                                                     "lot_number": task["lot_number"]}))
    side["packages"] = create(client, f"orders/{packed}/packages", {})["id"]
    # A second wave still to release, for the operations on a created wave.
    other = create(client, "orders", {
        "owner_id": side["owners"], "warehouse_id": side["warehouses"], "external_ref": f"SO-X{n}",
        "type": "sales_b2c", "lines": [{"sku_id": side["skus"], "quantity": "1"}]})["id"]
    create(client, "waves", {"warehouse_id": side["warehouses"], "order_ids": [other]})


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    permission: str

    def url(self, ids: dict[str, int]) -> str:
        return API + re.sub(r"\{(\w+)\}", lambda m: str(ids[self.kind(m.group(1))]), self.path.removeprefix(API))

    def kind(self, param: str) -> str:
        segment = self.path.removeprefix(API).split("/")[1]
        return SEGMENT_KINDS.get(segment) or PARAM_KINDS.get(param) or segment

    @property
    def params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)


def _operations(spec: dict[str, Any]) -> list[Operation]:
    return [Operation(method.upper(), path, op["operationId"], op.get("x-permission", ""))
            for path, ops in spec["paths"].items() for method, op in ops.items()]


@pytest.fixture
def setting(client: TestClient, db: Database) -> tuple[TestClient, World, list[Operation]]:
    world = _build(client, db)
    return client, world, _operations(ok(client.get("/openapi.json")))


def _call(client: TestClient, op: Operation, ids: dict[str, int], headers: dict[str, str]) -> Any:
    body = BODIES.get(op.operation_id, {}) if op.method in ("POST", "PATCH", "PUT") else None
    return client.request(op.method, op.url(ids), json=body, headers=headers, params=QUERIES.get(op.operation_id))


def _session(db: Database, username: str, **user: Any) -> dict[str, str]:
    user_id = db.read(lambda conn: conn.execute(select(t.app_user.c.id).where(
        t.app_user.c.username == username)).scalar()) or make_user(db, username, **user)
    token, _ = db.write(lambda conn: open_session(conn, user_id))
    return {"Authorization": f"Bearer {token}"}


def test_every_operation_declares_its_access_check() -> None:
    database = Database.from_url("sqlite://")
    try:
        with TestClient(create_app(database)) as anonymous:
            operations = _operations(ok(anonymous.get("/openapi.json")))
    finally:
        database.dispose()
    undeclared = [f"{op.method} {op.path}" for op in operations
                  if op.permission not in {*PERMISSIONS, "public", "signed_in"}]
    assert undeclared == []
    assert {op.permission for op in operations} >= {"public", "signed_in", "users.manage", "stock.adjust"}


def test_nobody_signed_in_gets_401(setting: tuple[TestClient, World, list[Operation]]) -> None:
    client, world, operations = setting
    for op in operations:
        if op.permission == "public":
            continue
        response = _call(client, op, world.inside, {"Authorization": "Bearer not-a-token"})
        assert response.status_code == 401, f"{op.method} {op.path}: {response.status_code}"


@pytest.mark.parametrize("role", sorted(BUILTIN_ROLES))
def test_each_role_is_refused_exactly_what_it_lacks(setting: tuple[TestClient, World, list[Operation]],
                                                     db: Database, role: str) -> None:
    client, world, operations = setting
    granted = BUILTIN_ROLES[role]
    for op in operations:
        if op.permission in ("public", "signed_in"):
            continue
        response = _call(client, op, world.inside, _session(db, f"as_{role}", roles=[role]))
        if op.permission in granted:
            # The permission opens the operation; a 403 may still come from a rule about the object (a user
            # holding more than the caller, one's own approval request), never from the permission itself.
            refused = response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
            assert response.status_code != 401 and not refused, f"{role} {op.method} {op.path}: {response.text}"
        else:
            assert response.status_code == 403, f"{role} {op.method} {op.path}: {response.status_code}"
            assert response.json()["error"]["details"]["permission"] == op.permission


def test_out_of_scope_objects_are_not_found(setting: tuple[TestClient, World, list[Operation]],
                                            db: Database) -> None:
    client, world, operations = setting
    scoped = {"roles": ["system_administrator"], "warehouse_ids": [world.inside["warehouses"]],
              "owner_ids": [world.inside["owners"]]}
    checked = 0
    for op in operations:
        kinds = {op.kind(p) for p in op.params}
        if not kinds or kinds <= SHARED or op.permission == "public":
            continue
        response = _call(client, op, world.outside, _session(db, "scoped", **scoped))
        assert response.status_code == 404, f"{op.method} {op.path}: {response.status_code} {response.text}"
        checked += 1
        inside = _call(client, op, world.inside, _session(db, "scoped", **scoped))
        assert inside.status_code != 404, f"{op.method} {op.path} in scope: {inside.text}"
    assert checked >= 35  # a broken fixture must not let the loop skip everything


def _rows(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for inner in value.values():
            yield from _rows(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _rows(inner)


def test_lists_carry_no_out_of_scope_row(setting: tuple[TestClient, World, list[Operation]], db: Database) -> None:
    client, world, operations = setting
    headers = _session(db, "scoped", roles=["system_administrator"], warehouse_ids=[world.inside["warehouses"]],
                       owner_ids=[world.inside["owners"]])
    listed = 0
    for op in operations:
        if op.method != "GET" or op.params or op.permission == "public":
            continue
        response = client.get(op.url({}), headers=headers, params=QUERIES.get(op.operation_id))
        if response.status_code == 403:  # e.g. the audit log: for principals with an unrestricted scope only
            assert response.json()["error"]["code"] == "outside_scope", op.path
            continue
        assert response.status_code == 200, f"{op.path}: {response.text}"
        body = response.json()
        for row in _rows(body):
            assert row.get("warehouse_id") != world.w2 and row.get("owner_id") != world.o2, f"{op.path}: {row}"
        kind = op.path.removeprefix(API).split("/")[1]
        items = body["items"] if isinstance(body, dict) and "items" in body else body
        if kind in world.outside and kind not in SHARED:
            assert world.outside[kind] not in [item.get("id") for item in items], f"{op.path}: {items}"
        listed += 1
    assert listed >= 15


def test_every_successful_command_is_audited(setting: tuple[TestClient, World, list[Operation]],
                                             db: Database) -> None:
    client, world, operations = setting
    for op in operations:
        if op.method == "GET" or op.operation_id in SKIP_AUDIT or op.permission == "public":
            continue
        before = _audit_count(db)
        response = _call(client, op, world.inside, {})
        if response.status_code < 300 and op.operation_id not in ("verify_ledger", "verify_audit_log"):
            assert _audit_count(db) > before, f"{op.method} {op.path} changed something without an audit entry"
        if response.status_code >= 400:
            assert _audit_count(db) == before, f"{op.method} {op.path} failed but wrote to the audit log"


def _audit_count(db: Database) -> int:
    return int(db.read(lambda conn: conn.execute(select(func.count()).select_from(t.audit_entry)).scalar_one()))
