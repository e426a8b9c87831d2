"""The console's inbound and outbound pages over HTTP, on the demo data: lists that filter, sort and export,
the receipt and wave forms, and who may see what."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from stockyard.api.app import create_app
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.demo import load_demo
from stockyard.demo_users import create_demo_users
from stockyard.domain.access import SYSTEM
from stockyard.services import orders, packing, picking, receipts, waves

# Opening stock in the demo's SH-DC1 that sells: enough for a test's own order.
SH_SKU = "BH-TPS-02"


@pytest.fixture
def demo(db: Database) -> str:
    load_demo(db)
    password, _ = create_demo_users(db)
    return password


@pytest.fixture
def app_client(db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(db), base_url="http://testserver") as client:
        yield client


def _sign_in(client: TestClient, user: str, password: str) -> None:
    answer = client.post("/login", data={"username": user, "password": password}, follow_redirects=False)
    assert answer.status_code == 303


def _csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf-token" content="([0-9a-f]+)"', client.get(path).text)
    assert found
    return found.group(1)


def _cells(html: str, column: int) -> list[str]:
    """The text of one column of the list's table body (0 is the first)."""
    body = html.split('<table class="list">', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [re.sub(r"<[^>]+>|\s+", " ", re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[column]).strip()
            for row in rows]


def _count(db: Database, table: t.Table) -> int:
    return int(db.read(lambda conn: conn.execute(select(func.count()).select_from(table)).scalar_one()))


def _ids(db: Database) -> dict[str, int]:
    def work(conn: object) -> dict[str, int]:
        found = {}
        for table in (t.warehouse, t.owner):
            for row in conn.execute(select(table.c.id, table.c.code)):  # type: ignore[attr-defined]
                found[row.code] = row.id
        return found
    return db.read(work)


# ---------------------------------------------------------------- receipts


def test_the_receipt_list_shows_filters_sorts_and_exports_the_demo_receipts(demo: str, db: Database,
                                                                           app_client: TestClient) -> None:
    _sign_in(app_client, "coordinator", demo)
    page = app_client.get("/inbound/receipts")
    assert page.status_code == 200
    refs = _cells(page.text, 1)
    everything = receipts.list_receipts(db, SYSTEM, limit=100)[0]
    assert sorted(refs) == sorted(r["external_ref"] for r in everything) and len(refs) >= 4
    assert refs == sorted(refs, key=lambda ref: -next(r["id"] for r in everything if r["external_ref"] == ref))

    by_ref = app_client.get("/inbound/receipts?sort=external_ref&dir=asc")
    assert _cells(by_ref.text, 1) == sorted(refs)
    filtered = app_client.get("/inbound/receipts?warehouse=SZ-PW1")
    assert _cells(filtered.text, 1) and all(ref.startswith("PO-SZ-PW1") for ref in _cells(filtered.text, 1))
    assert app_client.get("/inbound/receipts?status=closed").text.count("Nothing matches.") == 1

    exported = app_client.get("/inbound/receipts?format=csv&sort=external_ref&dir=asc")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert lines[0][:2] == ["No.", "Reference"] and [line[1] for line in lines[1:]] == sorted(refs)
    book = load_workbook(io.BytesIO(app_client.get("/inbound/receipts?format=xlsx&status=created").content))
    sheet = list(book.active.iter_rows(values_only=True))
    assert sheet[0][1] == "Reference" and {row[1] for row in sheet[1:]} == set(refs)
    assert {row[3] for row in sheet[1:]} == {"Awaiting arrival"}


def test_a_receipt_made_through_the_form_is_there_with_its_lines(demo: str, db: Database,
                                                                 app_client: TestClient) -> None:
    _sign_in(app_client, "coordinator", demo)
    ids = _ids(db)
    token = _csrf(app_client, "/inbound/receipts/new")
    made = app_client.post("/inbound/receipts", data={
        "csrf_token": token, "owner_id": ids["BRIGHTHOME"], "warehouse_id": ids["SH-DC1"],
        "external_ref": "ASN-FORM-1", "type": "purchase", "sku_1": SH_SKU, "qty_1": "12", "sku_2": "", "qty_2": ""},
        follow_redirects=False)
    assert made.status_code == 303
    receipt_id = int(made.headers["location"].rsplit("/", 1)[1])
    shown = app_client.get(made.headers["location"])
    assert "ASN-FORM-1" in shown.text and SH_SKU in shown.text
    found = receipts.get_receipt(db, SYSTEM, receipt_id)
    assert [(line["sku_code"], line["expected_quantity"]) for line in found["lines"]] == [(SH_SKU, 12)]
    report = app_client.get(f"/inbound/receipts/{receipt_id}/report.pdf")
    assert report.status_code == 200 and report.content.startswith(b"%PDF")

    cancelled = app_client.post(f"/inbound/receipts/{receipt_id}/cancel", data={"csrf_token": token},
                                follow_redirects=False)
    assert cancelled.status_code == 303
    assert receipts.get_receipt(db, SYSTEM, receipt_id)["status"] == "cancelled"


def test_a_bad_receipt_form_names_the_field_and_writes_nothing(demo: str, db: Database,
                                                               app_client: TestClient) -> None:
    _sign_in(app_client, "coordinator", demo)
    ids = _ids(db)
    token = _csrf(app_client, "/inbound/receipts/new")
    before = _count(db, t.receipt)
    good = {"csrf_token": token, "owner_id": str(ids["BRIGHTHOME"]), "warehouse_id": str(ids["SH-DC1"]),
            "external_ref": "ASN-BAD", "sku_1": SH_SKU, "qty_1": "5"}
    for field, value in (("qty_1", "five"), ("qty_1", "-1"), ("owner_id", "x"), ("sku_1", "NO-SUCH-SKU"),
                         ("external_ref", "")):
        refused = app_client.post("/inbound/receipts", data={**good, field: value}, follow_redirects=False)
        assert 400 <= refused.status_code < 500, (field, refused.status_code)
        assert "feedback-error" in refused.text and field.split("_")[0] in refused.text
    assert _count(db, t.receipt) == before


# ---------------------------------------------------------------- QC, putaway


def test_the_qc_queue_lists_stock_in_qc_and_a_pass_makes_it_available(demo: str, db: Database,
                                                                      app_client: TestClient) -> None:
    _sign_in(app_client, "manager", demo)  # a coordinator does not inspect; the demo's manager does, in SH-DC1
    page = app_client.get("/inbound/qc?sort=on_hand&dir=desc")
    quantities = [int(q.replace(",", "")) for q in _cells(page.text, 7)]
    assert quantities and quantities == sorted(quantities, reverse=True)
    assert set(_cells(page.text, 5)) == {"SH-DC1"}
    balance_id = int(re.findall(r'href="/inbound/qc/(\d+)"', page.text)[0])
    token = _csrf(app_client, f"/inbound/qc/{balance_id}")
    refused = app_client.post(f"/inbound/qc/{balance_id}", data={"csrf_token": token, "result": "maybe",
                                                                "quantity": "1"}, follow_redirects=False)
    assert refused.status_code == 422 and "result" in refused.text
    passed = app_client.post(f"/inbound/qc/{balance_id}", data={
        "csrf_token": token, "result": "pass", "quantity": str(quantities[0]), "sampled_quantity": "10"},
        follow_redirects=False)
    assert passed.status_code == 303
    after = app_client.get("/inbound/qc")
    assert len(_cells(after.text, 7)) == len(quantities) - 1
    tasks = app_client.get("/inbound/putaway?status=open")
    assert tasks.status_code == 200 and len(_cells(tasks.text, 0)) == 1
    assert app_client.get("/inbound/putaway", follow_redirects=False).headers["location"] == \
        "/inbound/putaway?status=open"


# ---------------------------------------------------------------- orders and waves


def test_the_order_list_filters_by_status_and_an_order_page_shows_allocations(demo: str, db: Database,
                                                                               app_client: TestClient) -> None:
    _sign_in(app_client, "coordinator", demo)
    picking = app_client.get("/outbound/orders?status=picking&sort=external_ref&dir=asc")
    refs = _cells(picking.text, 1)
    expected = sorted(o["external_ref"] for o in orders.list_orders(db, SYSTEM, status="picking", limit=100)[0])
    assert refs == expected and len(refs) == 12
    book = load_workbook(io.BytesIO(app_client.get("/outbound/orders?status=picking&format=xlsx").content))
    assert len(list(book.active.iter_rows(values_only=True))) == 13
    order_id = int(re.findall(r'href="/outbound/orders/(\d+)"', picking.text)[0])
    shown = app_client.get(f"/outbound/orders/{order_id}")
    assert shown.status_code == 200 and "Allocations" in shown.text


def test_a_wave_made_from_chosen_orders_is_released_into_trips(demo: str, db: Database,
                                                               app_client: TestClient) -> None:
    _sign_in(app_client, "coordinator", demo)
    ids = _ids(db)
    form = app_client.get("/outbound/waves/new")
    candidates = [int(i) for i in re.findall(r'name="order_ids" value="(\d+)"', form.text)]
    sh = [o["id"] for o in waves.wavable_orders(db, SYSTEM) if o["warehouse_id"] == ids["SH-DC1"]]
    assert sh and set(sh) <= set(candidates)
    token = _csrf(app_client, "/outbound/waves")
    waves_before = _count(db, t.wave)
    refused = app_client.post("/outbound/waves", data={"csrf_token": token, "warehouse_id": ids["SH-DC1"],
                                                       "order_ids": sh[:2], "max_orders_per_trip": "0"},
                              follow_redirects=False)
    assert refused.status_code == 422 and "max_orders_per_trip" in refused.text
    assert _count(db, t.wave) == waves_before

    made = app_client.post("/outbound/waves", data={"csrf_token": token, "warehouse_id": ids["SH-DC1"],
                                                    "order_ids": sh[:2], "pick_mode": "cluster"},
                           follow_redirects=False)
    assert made.status_code == 303
    wave_id = int(made.headers["location"].rsplit("/", 1)[1])
    assert waves.get_wave(db, SYSTEM, wave_id)["status"] == "created"
    released = app_client.post(f"/outbound/waves/{wave_id}/release", data={"csrf_token": token},
                               follow_redirects=False)
    assert released.status_code == 303
    wave = waves.get_wave(db, SYSTEM, wave_id)
    assert wave["status"] == "released" and wave["trips"]
    shown = app_client.get(f"/outbound/waves/{wave_id}")
    assert all(f'href="/outbound/trips/{trip["id"]}"' in shown.text for trip in wave["trips"])
    listed = app_client.get("/outbound/waves?status=released&sort=id&dir=asc")
    assert [int(n) for n in _cells(listed.text, 0)] == sorted(w["id"] for w in waves.list_waves(
        db, SYSTEM, status="released")[0]) and str(wave_id) in _cells(listed.text, 0)
    exported = app_client.get("/outbound/waves?format=csv")
    assert len(list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))) == 1 + _count(db, t.wave)


def _packages_of_the_demo_wave(db: Database) -> tuple[int, int]:
    """Pick the demo's released SH-DC1 wave and check two of its orders into packages: one left open, one
    closed; their package ids."""
    wave = next(w for w in waves.list_waves(db, SYSTEM, status="released")[0]
                if w["warehouse_id"] == _ids(db)["SH-DC1"])
    for trip in waves.get_wave(db, SYSTEM, wave["id"])["trips"]:
        for task in picking.get_trip(db, SYSTEM, trip["id"])["tasks"]:
            if task["status"] == "open":
                picking.confirm_pick(db, SYSTEM, task["id"], picking.PickScan(
                    task["location_code"], task["sku_code"], task["quantity"], task["lot_number"]))
    made = []
    for order in waves.get_wave(db, SYSTEM, wave["id"])["orders"][:2]:
        package = packing.open_package(db, SYSTEM, order["id"], packing.NewPackage())
        for line in orders.get_order(db, SYSTEM, order["id"])["lines"]:
            if line["picked_quantity"] > 0:
                packing.pack_item(db, SYSTEM, package["id"], packing.ItemScan(line["sku_code"],
                                                                              line["picked_quantity"]))
        made.append(package["id"])
    packing.close_package(db, SYSTEM, made[1], packing.ClosePackage())
    return made[0], made[1]


def test_the_packing_list_shows_open_and_closed_packages_with_their_contents(demo: str, db: Database,
                                                                             app_client: TestClient) -> None:
    still_open, closed = _packages_of_the_demo_wave(db)
    _sign_in(app_client, "manager", demo)
    everything = app_client.get("/outbound/packing?sort=id&dir=asc")
    assert [int(n) for n in _cells(everything.text, 0)] == [still_open, closed]
    assert _cells(everything.text, 1) == ["Being packed", "Closed"]
    assert [int(n) for n in _cells(app_client.get("/outbound/packing?status=closed").text, 0)] == [closed]
    book = load_workbook(io.BytesIO(app_client.get("/outbound/packing?format=xlsx&status=open").content))
    assert [row[0] for row in book.active.iter_rows(values_only=True)][1:] == [still_open]
    shown = app_client.get(f"/outbound/packing/{closed}")
    package = packing.get_package(db, SYSTEM, closed)
    assert shown.status_code == 200 and all(item["sku_code"] in shown.text for item in package["items"])
    label = app_client.get(f"/outbound/packing/{closed}/label.pdf")
    assert label.status_code == 200 and label.content.startswith(b"%PDF")


# ---------------------------------------------------------------- who sees what


def test_an_operator_may_not_open_the_waves(demo: str, app_client: TestClient) -> None:
    _sign_in(app_client, "operator", demo)
    assert app_client.get("/outbound/waves", follow_redirects=False).status_code == 403
    assert app_client.get("/outbound/waves/new", follow_redirects=False).status_code == 403


def test_a_warehouse_scoped_manager_sees_only_its_warehouses_rows(demo: str, db: Database,
                                                                  app_client: TestClient) -> None:
    _sign_in(app_client, "manager", demo)  # the demo's manager works in the first warehouse, SH-DC1
    for path, column, prefix in (("/inbound/receipts", 1, "PO-SH-DC1"), ("/outbound/orders?per=100", 1, "SO-SH-DC1")):
        refs = _cells(app_client.get(path).text, column)
        assert refs and all(ref.startswith(prefix) for ref in refs), path
    waves_seen = _cells(app_client.get("/outbound/waves").text, 3)
    assert waves_seen == ["SH-DC1"]
    other = receipts.list_receipts(db, SYSTEM, warehouse_id=_ids(db)["SZ-PW1"])[0][0]["id"]
    assert app_client.get(f"/inbound/receipts/{other}").status_code == 404
