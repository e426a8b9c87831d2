"""The inventory forms of the console over HTTP on the demo warehouse: adjustments that wait for approval,
counts started, entered, recounted and posted, transfers created, shipped, received and closed; bad input is
refused naming the field with nothing written, and an operator is refused what the API refuses them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from stockyard.config import get_settings
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import SYSTEM
from stockyard.services import approvals
from tests.e2e.test_console_inventory import _browser, demo  # noqa: F401 - the demo fixture

Demo = tuple[Database, str]


def _csrf(client: TestClient, path: str = "/inventory/balances") -> str:
    found = re.search(r'name="csrf-token" content="([0-9a-f]+)"', client.get(path).text)
    assert found
    return found.group(1)


def _shelf(db: Database, warehouse: str = "SH-DC1", **where: Any) -> Any:
    """A physical bucket of a plain SKU (no lot, serial or container) alone at its location, nothing allocated."""
    b, loc, s = t.balance, t.location, t.sku
    alone = (select(b.c.location_id).where(~b.c.is_virtual, b.c.on_hand > 0).group_by(b.c.location_id)
             .having(func.count() == 1).subquery())
    query = (select(b.c.id, b.c.warehouse_id, b.c.location_id, b.c.owner_id, b.c.sku_id, b.c.on_hand,
                    loc.c.code.label("location"), s.c.code.label("sku"))
             .join(alone, alone.c.location_id == b.c.location_id).join(loc, loc.c.id == b.c.location_id)
             .join(s, s.c.id == b.c.sku_id).join(t.warehouse, t.warehouse.c.id == b.c.warehouse_id)
             .where(t.warehouse.c.code == warehouse, b.c.status == "available", b.c.allocated == 0,
                    b.c.lot_id.is_(None), b.c.serial.is_(None), b.c.container_id.is_(None), b.c.on_hand >= 10,
                    s.c.decimals == 0, loc.c.kind == "storage"))
    for column, value in where.items():
        query = query.where(b.c[column] == value)
    return db.read(lambda c: c.execute(query.order_by(b.c.id).limit(1)).one())


def _on_hand(db: Database, balance_id: int) -> Decimal:
    return Decimal(db.read(lambda c: c.execute(select(t.balance.c.on_hand).where(
        t.balance.c.id == balance_id)).scalar_one()))


def _count_of(db: Database, table: Any) -> int:
    return int(db.read(lambda c: c.execute(select(func.count()).select_from(table)).scalar_one()))


def _location_stock(db: Database, warehouse_id: int, location_code: str, sku_id: int) -> Decimal:
    b, loc = t.balance, t.location
    return Decimal(db.read(lambda c: c.execute(select(func.coalesce(func.sum(b.c.on_hand), 0))
                                               .join(loc, loc.c.id == b.c.location_id).where(
        loc.c.code == location_code, loc.c.warehouse_id == warehouse_id, b.c.sku_id == sku_id)).scalar_one()))


@pytest.fixture
def threshold(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    get_settings.cache_clear()
    monkeypatch.setenv("STOCKYARD_ADJUSTMENT_APPROVAL_QUANTITY", "5")
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_an_adjustment_above_the_limit_waits_for_approval_and_then_changes_the_balance(
        demo: Demo, threshold: None) -> None:  # noqa: F811
    db, password = demo
    shelf = _shelf(db)
    before = shelf.on_hand
    with _browser(db, password, "manager") as manager, _browser(db, password, "admin") as admin:
        token = _csrf(manager, "/inventory/adjustments/new")
        form = {"csrf_token": token, "warehouse_id": str(shelf.warehouse_id), "location": shelf.location,
                "sku": shelf.sku, "reason_code": "FOUND", "quantity": "7"}
        sent = manager.post("/inventory/adjustments", data=form, follow_redirects=False)
        assert sent.status_code == 303 and "requested=" in sent.headers["location"]
        told = manager.get(sent.headers["location"])
        request_id = int(re.search(r"requested=(\d+)", sent.headers["location"]).group(1))  # type: ignore[union-attr]
        assert "waits for approval" in told.text and f"/inventory/approvals/{request_id}" in told.text
        assert _on_hand(db, shelf.id) == before, "nothing moves before the approval"
        listed = admin.get("/inventory/approvals", params={"status": "pending"})
        assert f"/inventory/approvals/{request_id}" in listed.text
        own = manager.post(f"/inventory/approvals/{request_id}/decide",
                           data={"csrf_token": token, "decision": "approve"})
        assert own.status_code == 403 and _on_hand(db, shelf.id) == before
        decided = admin.post(f"/inventory/approvals/{request_id}/decide",
                             data={"csrf_token": _csrf(admin), "decision": "approve"}, follow_redirects=False)
        assert decided.status_code == 303
        assert _on_hand(db, shelf.id) == before + 7
        # Below the limit it posts at once, a loss by its reason: the signed quantity agrees.
        small = manager.post("/inventory/adjustments", data={**form, "reason_code": "DAMAGED", "quantity": "-2"},
                             follow_redirects=False)
        assert small.status_code == 303 and "posted=" in small.headers["location"]
        assert _on_hand(db, shelf.id) == before + 5
        assert shelf.sku in manager.get("/inventory/adjustments").text


def test_asking_for_approval_files_it_even_below_the_limit_and_a_rejection_writes_nothing(demo: Demo) -> None:  # noqa: F811
    db, password = demo
    shelf = _shelf(db)
    with _browser(db, password, "manager") as manager:
        sent = manager.post("/inventory/adjustments", data={
            "csrf_token": _csrf(manager), "warehouse_id": str(shelf.warehouse_id), "location": shelf.location,
            "sku": shelf.sku, "reason_code": "LOST", "quantity": "1", "ask_approval": "1"}, follow_redirects=False)
        request_id = int(re.search(r"requested=(\d+)", sent.headers["location"]).group(1))  # type: ignore[union-attr]
    approvals.decide(db, SYSTEM, request_id, approve=False, note="found it")
    assert _on_hand(db, shelf.id) == shelf.on_hand


@pytest.mark.parametrize(("change", "field"), [
    ({"sku": "NO-SUCH-SKU"}, "sku"), ({"location": "NOWHERE"}, "location"), ({"quantity": "lots"}, "quantity"),
    ({"quantity": "0"}, "quantity"), ({"quantity": "1e400"}, "quantity"), ({"quantity": "-3"}, "quantity"),
    ({"reason_code": "WHIM"}, "reason_code"), ({"warehouse_id": "x"}, "warehouse_id"), ({"sku": ""}, "sku"),
    ({"quantity": "100000000"}, "lines[0]"),
])
def test_a_bad_adjustment_names_the_field_and_writes_nothing(demo: Demo, change: dict[str, str],  # noqa: F811
                                                             field: str) -> None:
    db, password = demo
    shelf = _shelf(db)
    postings, requests = _count_of(db, t.posting), _count_of(db, t.approval_request)
    with _browser(db, password, "manager") as manager:
        form = {"csrf_token": _csrf(manager), "warehouse_id": str(shelf.warehouse_id), "location": shelf.location,
                "sku": shelf.sku, "reason_code": "FOUND", "quantity": "1", **change}
        if change.get("quantity") == "100000000":
            form["reason_code"] = "LOST"  # more than is there
        refused = manager.post("/inventory/adjustments", data=form, headers={"hx-request": "true"})
        assert 400 <= refused.status_code < 500, refused.text
        assert f"<code>{field}" in refused.text
    assert (_count_of(db, t.posting), _count_of(db, t.approval_request)) == (postings, requests)
    assert _on_hand(db, shelf.id) == shelf.on_hand


def test_a_blind_count_is_entered_recounted_and_posts_its_variance_once_approved(demo: Demo) -> None:  # noqa: F811
    db, password = demo
    shelf = _shelf(db)
    with (_browser(db, password, "manager") as manager, _browser(db, password, "operator") as operator,
          _browser(db, password, "admin") as admin):
        token = _csrf(manager, "/inventory/counts/new")
        started = manager.post("/inventory/counts", data={
            "csrf_token": token, "warehouse_id": str(shelf.warehouse_id), "location_codes": shelf.location,
            "blind": "1"}, follow_redirects=False)
        assert started.status_code == 303
        count_url = started.headers["location"]
        count_id = int(count_url.rsplit("/", 1)[1])
        line_id = db.read(lambda c: c.execute(select(t.count_line.c.id).where(
            t.count_line.c.count_id == count_id)).scalar_one())
        page = operator.get(count_url)
        assert page.status_code == 200 and shelf.sku in page.text and f'name="qty_{line_id}"' in page.text
        assert ">Book<" not in page.text and f">{shelf.on_hand}<" not in page.text, "a blind counter sees no books"
        assert ">Book<" in manager.get(count_url).text, "a supervisor sees them"
        counted = shelf.on_hand + 2
        op_token = _csrf(operator)
        empty = operator.post(f"{count_url}/entries", data={"csrf_token": op_token, f"qty_{line_id}": ""})
        assert empty.status_code == 422 and "qty" in empty.text
        negative = operator.post(f"{count_url}/entries", data={"csrf_token": op_token, f"qty_{line_id}": "-1"})
        assert negative.status_code == 422 and f"qty_{line_id}" in negative.text
        assert operator.post(f"{count_url}/entries", data={"csrf_token": op_token, f"qty_{line_id}": str(counted)},
                             follow_redirects=False).status_code == 303
        assert operator.post(f"{count_url}/finish", data={"csrf_token": op_token},
                             follow_redirects=False).status_code == 303
        assert db.read(lambda c: c.execute(select(t.stock_count.c.status).where(
            t.stock_count.c.id == count_id)).scalar_one()) == "recount"
        same = operator.post(f"{count_url}/entries", data={"csrf_token": op_token, f"qty_{line_id}": str(counted)})
        assert same.status_code == 403, "the recount is someone else's"
        assert manager.post(f"{count_url}/entries", data={"csrf_token": token, f"qty_{line_id}": str(counted)},
                            follow_redirects=False).status_code == 303
        assert manager.post(f"{count_url}/finish", data={"csrf_token": token},
                            follow_redirects=False).status_code == 303
        request_id = db.read(lambda c: c.execute(select(t.stock_count.c.approval_request_id).where(
            t.stock_count.c.id == count_id)).scalar_one())
        assert request_id and _on_hand(db, shelf.id) == shelf.on_hand
        assert admin.post(f"/inventory/approvals/{request_id}/decide", data={
            "csrf_token": _csrf(admin), "decision": "approve"}, follow_redirects=False).status_code == 303
        assert _on_hand(db, shelf.id) == counted
        done = manager.get(count_url)
        assert "Posted" in done.text and 'name="finish"' not in done.text
        assert manager.post(f"{count_url}/cancel", data={"csrf_token": token}).status_code == 409


def test_a_count_is_cancelled_and_bad_criteria_start_none(demo: Demo) -> None:  # noqa: F811
    db, password = demo
    shelf = _shelf(db)
    counts_before = _count_of(db, t.stock_count)
    with _browser(db, password, "operator") as operator:
        token = _csrf(operator)
        form = {"csrf_token": token, "warehouse_id": str(shelf.warehouse_id)}
        for change, field in (({"location_codes": f"{shelf.location}, NOWHERE"}, "location_codes"),
                              ({"zone": "NO-ZONE"}, "zone"), ({"sku": "NO-SUCH"}, "sku"),
                              ({"abc_class": "Z"}, "abc_class"), ({"warehouse_id": ""}, "warehouse_id")):
            refused = operator.post("/inventory/counts", data={**form, **change})
            assert refused.status_code == 422 and field in refused.text, change
        assert _count_of(db, t.stock_count) == counts_before
        started = operator.post("/inventory/counts", data={**form, "sku": shelf.sku}, follow_redirects=False)
        count_url = started.headers["location"]
        assert operator.post(f"{count_url}/cancel", data={"csrf_token": token},
                             follow_redirects=False).status_code == 303
        assert "Cancelled" in operator.get(count_url).text
        assert operator.get("/inventory/counts/999999").status_code == 404


def test_a_transfer_created_shipped_and_received_moves_the_stock(demo: Demo) -> None:  # noqa: F811
    db, password = demo
    huaxin = db.read(lambda c: c.execute(select(t.owner.c.id).where(t.owner.c.code == "HUAXIN")).scalar_one())
    shelf = _shelf(db, owner_id=huaxin)
    to_id = db.read(lambda c: c.execute(select(t.warehouse.c.id).where(t.warehouse.c.code == "SZ-PW1")).scalar_one())
    with _browser(db, password, "admin") as admin:
        token = _csrf(admin, "/inventory/transfers/new")
        form = {"csrf_token": token, "owner_id": str(huaxin), "from_warehouse_id": str(shelf.warehouse_id),
                "to_warehouse_id": str(to_id), "external_ref": "TR-FORM-1", "sku_1": shelf.sku,
                "from_1": shelf.location, "qty_1": "4"}
        made = admin.post("/inventory/transfers", data=form, follow_redirects=False)
        assert made.status_code == 303
        url = made.headers["location"]
        page = admin.get(url)
        assert page.status_code == 200 and "TR-FORM-1" in page.text and 'name="ship"' in page.text
        assert admin.post(f"{url}/ship", data={"csrf_token": token}, follow_redirects=False).status_code == 303
        assert _on_hand(db, shelf.id) == shelf.on_hand - 4
        shipped = admin.get(url)
        assert 'name="location"' in shipped.text, "a shipped transfer is received on its page"
        wrong = admin.post(f"{url}/receive", data={"csrf_token": token, "location": "NOWHERE", "line_no": "1",
                                                   "quantity": "1"})
        assert wrong.status_code == 422 and "location" in wrong.text
        too_many = admin.post(f"{url}/receive", data={"csrf_token": token, "location": "DOCK-I01", "line_no": "1",
                                                      "quantity": "5"})
        assert 400 <= too_many.status_code < 500
        assert _location_stock(db, to_id, "DOCK-I01", shelf.sku_id) == 0
        no_serial = admin.post(f"{url}/receive", data={"csrf_token": token, "location": "DOCK-I01", "line_no": "1",
                                                       "serial": "SN-NOT-HERE"})
        assert no_serial.status_code == 422 and "serial" in no_serial.text
        long_lpn = admin.post(f"{url}/receive", data={"csrf_token": token, "location": "DOCK-I01", "line_no": "1",
                                                      "quantity": "1", "lpn": "P" * 40})
        assert long_lpn.status_code == 422 and "lpn" in long_lpn.text
        assert admin.post(f"{url}/receive", data={"csrf_token": token, "location": "DOCK-I01", "line_no": "1",
                                                  "quantity": "3", "lpn": "PAL-TR-FORM-1"},
                          follow_redirects=False).status_code == 303
        assert _location_stock(db, to_id, "DOCK-I01", shelf.sku_id) == 3
        pallet = db.read(lambda c: c.execute(select(t.container.c.warehouse_id, func.sum(t.balance.c.on_hand))
                                             .join(t.balance, t.balance.c.container_id == t.container.c.id)
                                             .where(t.container.c.lpn == "PAL-TR-FORM-1")
                                             .group_by(t.container.c.warehouse_id)).one())
        assert tuple(pallet) == (to_id, 3), "received onto the pallet label given, in the destination"
        assert admin.post(f"{url}/close", data={"csrf_token": token}, follow_redirects=False).status_code == 303
        closed = admin.get(url)
        assert "Closed" in closed.text and 'name="ship"' not in closed.text
        assert _on_hand(db, shelf.id) == shelf.on_hand - 4, "the one lost in transit is written off, not returned"


@pytest.mark.parametrize(("change", "field"), [
    ({"sku_1": "NO-SUCH"}, "sku_1"), ({"from_1": "NOWHERE"}, "from_1"), ({"qty_1": "0"}, "qty_1"),
    ({"qty_1": "abc"}, "qty_1"), ({"external_ref": ""}, "external_ref"), ({"owner_id": "no"}, "owner_id"),
    ({"sku_1": "", "from_1": "", "qty_1": ""}, "sku_1"), ({"lot_1": "NO-LOT"}, "lot_1"),
    ({"to_warehouse_id": "FROM"}, "to_warehouse_id"), ({"qty_1": "1.5"}, "lines[0].quantity"),
])
def test_a_bad_transfer_names_the_field_and_writes_nothing(demo: Demo, change: dict[str, str],  # noqa: F811
                                                           field: str) -> None:
    db, password = demo
    huaxin = db.read(lambda c: c.execute(select(t.owner.c.id).where(t.owner.c.code == "HUAXIN")).scalar_one())
    shelf = _shelf(db, owner_id=huaxin)
    to_id = db.read(lambda c: c.execute(select(t.warehouse.c.id).where(t.warehouse.c.code == "SZ-PW1")).scalar_one())
    before = _count_of(db, t.transfer_order)
    with _browser(db, password, "admin") as admin:
        form = {"csrf_token": _csrf(admin), "owner_id": str(huaxin), "from_warehouse_id": str(shelf.warehouse_id),
                "to_warehouse_id": str(to_id), "external_ref": "TR-BAD", "sku_1": shelf.sku,
                "from_1": shelf.location, "qty_1": "1", **change}
        if form["to_warehouse_id"] == "FROM":
            form["to_warehouse_id"] = form["from_warehouse_id"]
        refused = admin.post("/inventory/transfers", data=form, headers={"hx-request": "true"})
        assert 400 <= refused.status_code < 500 and f"<code>{field}" in refused.text, refused.text
    assert _count_of(db, t.transfer_order) == before


def test_an_operator_is_refused_what_the_api_refuses_them(demo: Demo) -> None:  # noqa: F811
    db, password = demo
    shelf = _shelf(db)
    postings, transfers_before = _count_of(db, t.posting), _count_of(db, t.transfer_order)
    with _browser(db, password, "operator") as operator, _browser(db, password, "admin") as admin:
        token = _csrf(operator)
        for path in ("/inventory/adjustments/new", "/inventory/transfers/new"):
            assert operator.get(path).status_code == 403, path
        adjusted = operator.post("/inventory/adjustments", data={
            "csrf_token": token, "warehouse_id": str(shelf.warehouse_id), "location": shelf.location,
            "sku": shelf.sku, "reason_code": "FOUND", "quantity": "1"})
        assert adjusted.status_code == 403
        api = operator.post("/api/v1/stock/adjustments", json={"reason_code": "FOUND", "lines": [{
            "owner_id": shelf.owner_id, "sku_id": shelf.sku_id, "location_id": shelf.location_id, "quantity": "1"}]},
            headers={"x-csrf-token": token})
        assert api.status_code == 403, "the API refuses them too"
        created = operator.post("/inventory/transfers", data={"csrf_token": token, "owner_id": "1",
                                                              "from_warehouse_id": "1", "to_warehouse_id": "2",
                                                              "external_ref": "X", "sku_1": shelf.sku,
                                                              "from_1": shelf.location, "qty_1": "1"})
        assert created.status_code == 403
        made = admin.post("/inventory/transfers", data={
            "csrf_token": _csrf(admin), "owner_id": str(shelf.owner_id), "from_warehouse_id": str(shelf.warehouse_id),
            "to_warehouse_id": str(db.read(lambda c: c.execute(select(t.warehouse.c.id).where(
                t.warehouse.c.code == "SZ-PW1")).scalar_one())), "external_ref": "TR-OP", "sku_1": shelf.sku,
            "from_1": shelf.location, "qty_1": "1"}, follow_redirects=False)
        assert made.status_code == 303
        url = made.headers["location"]
        assert operator.post(f"{url}/ship", data={"csrf_token": token}).status_code == 403
        assert operator.post(f"{url}/close", data={"csrf_token": token}).status_code == 403
        assert 'name="ship"' not in operator.get(url).text
    assert (_count_of(db, t.posting), _count_of(db, t.transfer_order)) == (postings, transfers_before + 1)
