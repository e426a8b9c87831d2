"""Put wall, check, packing, weighing, shipping and the outbound documents over HTTP: the answers a handheld, a
scale and a printer get, the 4xx of bad input naming the field, 404 outside the caller's scope, 403 without the
permission."""

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
from tests.helpers import World, bearer
from tests.unit.test_documents import page_contents, pdf_text

Json = dict[str, Any]


@dataclass
class Site:
    world: World
    wh: int
    owner: int


@pytest.fixture
def site(db: Database) -> Site:
    w = World(db)
    wh, owner = w.warehouse(), w.owner()
    w.sku("PEN", weight="0.02")
    w.sku("INK", weight="0.1")
    w.sku("GLUE")
    w.location("STAGE-1", kind="staging", x=0, y=0)
    w.receive(w.location("A-01", aisle="A", x=3, y=2), 20, w.item("PEN"))
    w.receive(w.location("A-02", aisle="A", x=3, y=4), 20, w.item("INK"))
    return Site(w, wh, owner)


def order(client: TestClient, site: Site, ref: str, lines: list[tuple[str, int]], **extra: Any) -> int:
    body = {"owner_id": site.owner, "warehouse_id": site.wh, "external_ref": ref, "type": "sales_b2c",
            "lines": [{"sku_code": sku, "quantity": str(q)} for sku, q in lines], **extra}
    return int(create(client, "orders", body)["id"])


def released_wave(client: TestClient, site: Site, order_ids: list[int], mode: str = "cluster") -> Json:
    made = create(client, "waves", {"warehouse_id": site.wh, "order_ids": order_ids, "pick_mode": mode})
    released: Json = ok(client.post(f"{API}/waves/{made['id']}/release"))
    return released


def picked_wave(client: TestClient, site: Site, order_ids: list[int], mode: str = "cluster") -> Json:
    released = released_wave(client, site, order_ids, mode)
    pick(client, released)
    return released


def pick(client: TestClient, released: Json) -> None:
    for trip in released["trips"]:
        for task in ok(client.get(f"{API}/trips/{trip['id']}"))["tasks"]:
            ok(client.post(f"{API}/pick-tasks/{task['id']}/confirm", json={
                "location": task["location_code"], "scan": task["sku_code"], "quantity": task["quantity"]}))


def count(db: Database, table: Any) -> int:
    return int(db.read(lambda conn: conn.execute(select(func.count()).select_from(table)).scalar_one()))


def test_check_pack_weigh_close_and_ship(client: TestClient, db: Database, site: Site) -> None:
    carrier = create(client, "carriers", {"code": "SF", "name": "SF Express"})["id"]
    order_id = order(client, site, "SO-1", [("PEN", 2), ("INK", 1)], carrier_id=carrier, service_level="express",
                     ship_to={"name": "Ann", "city": "Oslo", "street": "Storgata 1", "phone": "+47 1"})
    wave = released_wave(client, site, [order_id])
    # The picker's paper: the stops of the trip in walking order, before anything is picked.
    picks = client.get(f"{API}/trips/{wave['trips'][0]['id']}/pick-list.pdf")
    assert picks.status_code == 200 and picks.content.startswith(b"%PDF")
    pick(client, wave)
    package = ok(client.post(f"{API}/orders/{order_id}/packages",
                             json={"carton_type": "S", "length": "30", "width": "20", "height": "10",
                                   "tare_weight": "0.2"}), 201)
    items = f"{API}/packages/{package['id']}/items"
    error(client.post(items, json={"scan": "GLUE"}), 422, "wrong_item", "scan")
    error(client.post(items, json={"scan": "PEN", "quantity": "3"}), 422, "extra_item", "quantity")
    error(client.post(items, json={"scan": "PEN", "quantity": "-1"}), 422, "invalid", "quantity")
    error(client.post(items, json={"scan": "PEN", "colour": "red"}), 422, "invalid", "colour")
    error(client.post(items, json={}), 422, "invalid", "scan")
    packed = ok(client.post(items, json={"scan": "PEN", "quantity": "2"}))
    assert (packed["line_no"], packed["line_left"], packed["order_left"]) == (1, "0", "1")
    ok(client.post(items, json={"scan": "INK"}))
    # The scale says 0.9 kg for 0.34 expected: recorded, and the package stays open until it passes.
    weighed = ok(client.post(f"{API}/packages/{package['id']}/weight", json={"weight": "0.9"}))
    assert weighed["weight_checked"] is False and weighed["weight_difference"] == "0.56"
    error(client.post(f"{API}/packages/{package['id']}/close", json={}), 409, "weight_mismatch", "weight")
    error(client.post(f"{API}/packages/{package['id']}/weight", json={"weight": "0"}), 422, "invalid", "weight")
    assert ok(client.post(f"{API}/packages/{package['id']}/weight", json={"weight": "0.35"}))["weight_checked"]
    error(client.post(f"{API}/packages/{package['id']}/close", json={"sscc": "12345"}), 422, "invalid_sscc", "sscc")
    error(client.post(f"{API}/orders/{order_id}/ship"), 409, "order_not_packed", "order_id")
    closed = ok(client.post(f"{API}/packages/{package['id']}/close", json={"tracking_number": "SF123"}))
    assert closed["order_status"] == "packed"
    listed = ok(client.get(f"{API}/orders/{order_id}/packages"))
    assert [(p["package_no"], p["status"], len(p["items"])) for p in listed] == [(1, "closed", 2)]
    # Documents: the packing list, the label for the printer, the pick list of the trip.
    pdf = client.get(f"{API}/orders/{order_id}/packing-list.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # The console's order page links the same document once the order is packed.
    assert f'href="/outbound/orders/{order_id}/packing-list.pdf"' in client.get(f"/outbound/orders/{order_id}").text
    assert client.get(f"/outbound/orders/{order_id}/packing-list.pdf").content.startswith(b"%PDF")
    zpl = client.get(f"{API}/packages/{package['id']}/label.zpl")
    assert zpl.status_code == 200 and zpl.text.startswith("^XA") and "SF123" in zpl.text
    assert client.get(f"{API}/packages/{package['id']}/label.pdf").content.startswith(b"%PDF")
    # Shipping: once, and the event says what left in which package.
    shipped = ok(client.post(f"{API}/orders/{order_id}/ship"))
    assert shipped["status"] == "shipped" and shipped["backorder"] is None
    assert [(x["shipped_quantity"], x["short_quantity"]) for x in shipped["lines"]] == [("2", "0"), ("1", "0")]
    event = db.read(lambda conn: conn.execute(select(t.outbox_event.c.payload).where(
        t.outbox_event.c.id == shipped["event_id"])).scalar_one())
    assert (event["carrier"], event["service_level"], event["packages"][0]["tracking_number"]) == (
        "SF", "express", "SF123")
    error(client.post(f"{API}/orders/{order_id}/ship"), 409, "order_shipped")
    assert verify(db).ok


def test_put_wall_over_http(client: TestClient, db: Database, site: Site) -> None:
    first = order(client, site, "SO-1", [("PEN", 1), ("INK", 1)])
    second = order(client, site, "SO-2", [("PEN", 1), ("INK", 2)])
    wave = picked_wave(client, site, [first, second], mode="batch")
    sort = f"{API}/waves/{wave['id']}/sort"
    answers = [ok(client.post(sort, json={"scan": scan})) for scan in ("PEN", "PEN", "INK", "INK", "INK")]
    assert [a["slot_full"] for a in answers] == [False, False, True, False, True]
    assert {a["order_id"] for a in answers[:3]} == {first, second}
    assert answers[2]["slot"] == answers[0]["slot"]  # the lower slot fills first
    error(client.post(sort, json={"scan": "INK"}), 422, "not_needed", "scan")
    error(client.post(sort, json={"scan": ""}), 422, "invalid", "scan")
    error(client.post(f"{API}/waves/999999/sort", json={"scan": "PEN"}), 404, "not_found", "wave_id")
    assert count(db, t.movement) == 6  # 2 receipts, 4 picks: sorting moves nothing


def test_out_of_scope_is_not_found_and_missing_permission_forbidden(client: TestClient, db: Database,
                                                                    site: Site) -> None:
    order_id = order(client, site, "SO-1", [("PEN", 1)])
    wave = picked_wave(client, site, [order_id])
    package = ok(client.post(f"{API}/orders/{order_id}/packages", json={}), 201)
    other = site.world.warehouse("WH2")
    stranger = bearer(db, "stranger", roles=["operator"], warehouse_ids=[other])
    foreign_owner = bearer(db, "foreign", roles=["operator"], owner_ids=[site.world.owner("OTHER")])
    for headers in (stranger, foreign_owner):
        for method, path, body in (
                ("POST", f"/packages/{package['id']}/items", {"scan": "PEN"}),
                ("POST", f"/packages/{package['id']}/weight", {"weight": "1"}),
                ("POST", f"/packages/{package['id']}/close", {}),
                ("GET", f"/packages/{package['id']}/label.zpl", None),
                ("GET", f"/orders/{order_id}/packages", None),
                ("POST", f"/orders/{order_id}/packages", {}),
                ("POST", f"/orders/{order_id}/ship", None),
                ("GET", f"/orders/{order_id}/packing-list.pdf", None)):
            response = client.request(method, API + path, json=body, headers=headers)
            assert response.status_code == 404, f"{method} {path}: {response.text}"
    error(client.post(f"{API}/waves/{wave['id']}/sort", json={"scan": "PEN"}, headers=stranger), 404, None,
          "wave_id")
    error(client.get(f"{API}/trips/{wave['trips'][0]['id']}/pick-list.pdf", headers=stranger), 404, None,
          "trip_id")
    # Roles without the permission: an analyst does not pack, a coordinator does not ship, finance reads no stock.
    analyst = bearer(db, "analyst", roles=["data_analyst"])
    refusal = error(client.post(f"{API}/packages/{package['id']}/items", json={"scan": "PEN"}, headers=analyst),
                    403, "forbidden")
    assert refusal["details"]["permission"] == "outbound.pack"
    coordinator = bearer(db, "coordinator", roles=["coordinator"])
    refusal = error(client.post(f"{API}/orders/{order_id}/ship", headers=coordinator), 403, "forbidden")
    assert refusal["details"]["permission"] == "outbound.ship"
    finance = bearer(db, "finance", roles=["finance"])
    error(client.get(f"{API}/orders/{order_id}/packages", headers=finance), 403, "forbidden")
    error(client.post(f"{API}/waves/{wave['id']}/sort", json={"scan": "PEN"}, headers=finance), 403, "forbidden")
    # Nothing of that was written: the package is as it was opened.
    assert ok(client.get(f"{API}/orders/{order_id}/packages"))[0]["items"] == []
    assert Decimal(ok(client.get(f"{API}/orders/{order_id}"))["lines"][0]["packed_quantity"]) == 0


def test_a_wave_prints_every_trip_in_one_pdf_from_the_api_and_the_console(client: TestClient, site: Site) -> None:
    first = order(client, site, "SO-W1", [("PEN", 1)])
    second = order(client, site, "SO-W2", [("INK", 2)])
    unreleased = create(client, "waves", {"warehouse_id": site.wh, "order_ids": [second]})
    assert error(client.get(f"{API}/waves/{unreleased['id']}/pick-lists.pdf"), 409)["field"] == "wave_id"
    ok(client.post(f"{API}/waves/{unreleased['id']}/cancel"))
    made = create(client, "waves", {"warehouse_id": site.wh, "order_ids": [first, second],
                                    "max_orders_per_trip": 1})
    wave = ok(client.post(f"{API}/waves/{made['id']}/release"))
    trips = [trip["id"] for trip in wave["trips"]]
    assert len(trips) == 2  # one order a trip
    for url in (f"{API}/waves/{wave['id']}/pick-lists.pdf", f"/outbound/waves/{wave['id']}/pick-lists.pdf"):
        answer = client.get(url)
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
        pages = page_contents(answer.content)
        assert len(pages) == 2  # each trip from a new page
        for page, trip in zip(pages, trips, strict=True):
            assert f"TRIP-{trip}" in pdf_text(page)
    assert f'href="/outbound/waves/{wave["id"]}/pick-lists.pdf"' in client.get(f"/outbound/waves/{wave['id']}").text
    trip_page = client.get(f"/outbound/trips/{trips[0]}").text
    assert f'href="/outbound/trips/{trips[0]}/pick-list.pdf"' in trip_page
    assert client.get(f"/outbound/trips/{trips[0]}/pick-list.pdf").content.startswith(b"%PDF")
    assert client.get(f"{API}/waves/999999/pick-lists.pdf").status_code == 404
