"""The console's shipment order form and the receipt form's selects over HTTP: what the form makes is there in
the API with its lines and ship-to, bad input is refused naming the field with nothing written, and the form keeps
to the person's permission and scope."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from tests.e2e.console import csrf_of, demo_with_users, signed_in

SH_SKU = "BH-TPS-02"  # a SKU of BRIGHTHOME's, in SH-DC1


@pytest.fixture
def demo(db: Database) -> tuple[Database, str]:
    return db, demo_with_users(db)


def _count(db: Database, table: t.Table) -> int:
    return int(db.read(lambda c: c.execute(select(func.count()).select_from(table)).scalar_one()))


def _id(db: Database, table: t.Table, code: str) -> int:
    return int(db.read(lambda c: c.execute(select(table.c.id).where(table.c.code == code)).scalar_one()))


def _options(html: str, name: str) -> dict[str, str]:
    """A select's options: value to text."""
    found = re.search(rf'<select name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    assert found is not None, name
    return {v: re.sub(r"\s+", " ", text).strip()
            for v, text in re.findall(r'<option value="([^"]*)"[^>]*>(.*?)</option>', found.group(1), re.S)}


def _order(db: Database, token: str, **changes: str) -> dict[str, str]:
    carrier = db.read(lambda c: c.execute(select(t.carrier.c.id).order_by(t.carrier.c.id)).scalars().first())
    form = {"csrf_token": token, "owner_id": str(_id(db, t.owner, "BRIGHTHOME")),
            "warehouse_id": str(_id(db, t.warehouse, "SH-DC1")), "external_ref": "SO-FORM-1", "type": "sales_b2c",
            "rule": "fifo", "priority": "5", "requested_ship_date": "2031-03-04", "carrier_id": str(carrier),
            "service_level": "standard",
            "ship_to.name": "Li Lei", "ship_to.phone": "13800000000", "ship_to.province": "Shanghai",
            "ship_to.city": "Shanghai", "ship_to.district": "Pudong", "ship_to.street": "1 Century Avenue",
            "ship_to.postal_code": "200120",
            "lines[0].sku_code": SH_SKU, "lines[0].quantity": "3", "lines[0].level": "each",
            "lines[1].sku_code": "", "lines[1].quantity": "", "lines[1].level": "each",  # an empty row is skipped
            "lines[2].sku_code": SH_SKU, "lines[2].quantity": "2", "lines[2].level": "each"}
    return {**form, **changes}


def test_an_order_made_in_the_form_is_in_the_api_with_its_lines_and_ship_to(demo: tuple[Database, str]) -> None:
    db, password = demo
    with signed_in(db, password, "coordinator") as coordinator:
        assert 'href="/outbound/orders/new"' in coordinator.get("/outbound/orders").text
        form = coordinator.get("/outbound/orders/new")
        assert form.status_code == 200
        assert set(_options(form.text, "type")) == {"sales_b2c", "sales_b2b", "material_issue", "transfer_out",
                                                    "return_to_vendor"}
        assert {"fefo", "fifo", "lifo"} <= set(_options(form.text, "rule"))
        assert set(_options(form.text, "lines[0].level")) == {"each", "inner", "case", "pallet"}
        assert "BRIGHTHOME" in " ".join(_options(form.text, "owner_id").values())
        made = coordinator.post("/outbound/orders", data=_order(db, csrf_of(coordinator)), follow_redirects=False)
        assert made.status_code == 303, made.text
        order_id = int(made.headers["location"].rsplit("/", 1)[1])
        shown = coordinator.get(made.headers["location"]).text
        assert "SO-FORM-1" in shown
        # The order's page reads back what was given: rule, carrier with its service level, ship-to.
        assert "FIFO" in shown and "standard" in shown and "1 Century Avenue" in shown and "200120" in shown
        order = coordinator.get(f"/api/v1/orders/{order_id}").json()
    assert order["external_ref"] == "SO-FORM-1" and order["type"] == "sales_b2c" and order["rule"] == "fifo"
    assert order["priority"] == 5 and order["requested_ship_date"] == "2031-03-04"
    assert order["service_level"] == "standard" and order["carrier_id"] is not None
    assert [(line["line_no"], line["sku_code"], float(line["quantity"])) for line in order["lines"]] == \
        [(1, SH_SKU, 3.0), (2, SH_SKU, 2.0)]
    assert order["ship_to"] == {"name": "Li Lei", "phone": "13800000000", "province": "Shanghai",
                                "city": "Shanghai", "district": "Pudong", "street": "1 Century Avenue",
                                "postal_code": "200120"}


def test_a_bad_quantity_or_an_unknown_sku_is_refused_at_its_row_with_nothing_written(
        demo: tuple[Database, str]) -> None:
    db, password = demo
    before, lines = _count(db, t.shipment_order), _count(db, t.shipment_line)
    with signed_in(db, password, "coordinator") as coordinator:
        token = csrf_of(coordinator)
        for field, value in (("lines[2].quantity", "lots"), ("lines[2].quantity", "-1"),
                             ("lines[2].sku_code", "NO-SUCH-SKU"), ("lines[0].level", "crate"),
                             ("requested_ship_date", "tomorrow"), ("owner_id", ""), ("priority", "-3"),
                             ("external_ref", "")):
            refused = coordinator.post("/outbound/orders", data=_order(db, token, **{field: value}),
                                       headers={"HX-Request": "true"})
            assert 400 <= refused.status_code < 500, (field, refused.status_code)
            assert f"<code>{field}</code>" in refused.text, field  # the feedback names the field
            assert refused.headers["HX-Retarget"] == "#order-form"
            assert 'value="Li Lei"' in refused.text  # what was typed stays
        # Without htmx the whole page comes back, the refused row marked and its text kept.
        plain = coordinator.post("/outbound/orders", data=_order(db, token, **{"lines[2].sku_code": "NO-SUCH-SKU"}),
                                 follow_redirects=False)
        assert plain.status_code == 422 and 'value="NO-SUCH-SKU" maxlength=64 aria-invalid=true' in plain.text
    assert (_count(db, t.shipment_order), _count(db, t.shipment_line)) == (before, lines)


def test_an_operator_gets_no_new_order_link_and_a_403(demo: tuple[Database, str]) -> None:
    db, password = demo
    before = _count(db, t.shipment_order)
    with signed_in(db, password, "operator") as operator:
        listed = operator.get("/outbound/orders")
        assert listed.status_code == 200 and "/outbound/orders/new" not in listed.text
        assert operator.get("/outbound/orders/new").status_code == 403
        assert operator.post("/outbound/orders", data=_order(db, csrf_of(operator))).status_code == 403
    assert _count(db, t.shipment_order) == before


def test_a_scoped_manager_is_offered_only_its_warehouse(demo: tuple[Database, str]) -> None:
    db, password = demo
    with signed_in(db, password, "manager") as manager:  # the demo's manager works in SH-DC1 only
        form = manager.get("/outbound/orders/new").text
        warehouses = _options(form, "warehouse_id")
        assert {v: text.split()[0] for v, text in warehouses.items() if v} == \
            {str(_id(db, t.warehouse, "SH-DC1")): "SH-DC1"}
        # A warehouse not offered is not taken either, and nothing is written.
        before = _count(db, t.shipment_order)
        other = str(_id(db, t.warehouse, "SZ-PW1"))
        refused = manager.post("/outbound/orders", data=_order(db, csrf_of(manager), warehouse_id=other))
        assert 400 <= refused.status_code < 500 and "warehouse_id" in refused.text
        assert _count(db, t.shipment_order) == before
        receipt_form = manager.get("/inbound/receipts/new").text
        assert set(_options(receipt_form, "warehouse_id")) == {"", str(_id(db, t.warehouse, "SH-DC1"))}


def test_a_receipt_is_made_with_the_owner_warehouse_and_supplier_selects(demo: tuple[Database, str]) -> None:
    db, password = demo
    owner = _id(db, t.owner, "BRIGHTHOME")
    supplier = db.read(lambda c: c.execute(select(t.supplier.c.id, t.supplier.c.code)
                                           .where(t.supplier.c.owner_id == owner).order_by(t.supplier.c.id)).first())
    other_supplier = db.read(lambda c: c.execute(select(t.supplier.c.id).where(t.supplier.c.owner_id != owner)
                                                 .order_by(t.supplier.c.id)).scalars().first())
    with signed_in(db, password, "coordinator") as coordinator:
        form = coordinator.get("/inbound/receipts/new").text
        assert "Owner no." not in form
        assert str(owner) in _options(form, "owner_id")
        assert str(_id(db, t.warehouse, "SH-DC1")) in _options(form, "warehouse_id")
        suppliers = _options(form, "supplier_id")
        assert suppliers[""] and suppliers[str(supplier.id)].startswith(f"BRIGHTHOME · {supplier.code}")
        good = {"csrf_token": csrf_of(coordinator), "owner_id": str(owner),
                "warehouse_id": str(_id(db, t.warehouse, "SH-DC1")), "supplier_id": str(supplier.id),
                "external_ref": "ASN-SELECT-1", "type": "purchase", "sku_1": "", "qty_1": "",
                "sku_2": SH_SKU, "qty_2": "7"}
        before = _count(db, t.receipt)
        # A supplier of another owner is refused at its select, and the form keeps what was typed.
        refused = coordinator.post("/inbound/receipts", data={**good, "supplier_id": str(other_supplier)},
                                   headers={"HX-Request": "true"})
        assert refused.status_code == 422 and "<code>supplier_id</code>" in refused.text
        assert 'value="ASN-SELECT-1"' in refused.text and refused.headers["HX-Retarget"] == "#receipt-form"
        unknown = coordinator.post("/inbound/receipts", data={**good, "sku_2": "NO-SUCH-SKU"},
                                   headers={"HX-Request": "true"})
        assert unknown.status_code == 422 and "<code>sku_2</code>" in unknown.text  # the row typed, not the line
        assert _count(db, t.receipt) == before
        made = coordinator.post("/inbound/receipts", data=good, follow_redirects=False)
        assert made.status_code == 303, made.text
        receipt = coordinator.get(f"/api/v1/receipts/{made.headers['location'].rsplit('/', 1)[1]}").json()
    assert receipt["supplier_id"] == supplier.id and receipt["owner_id"] == owner
    assert [(line["sku_code"], float(line["expected_quantity"])) for line in receipt["lines"]] == [(SH_SKU, 7.0)]


def test_the_forms_read_in_chinese(demo: tuple[Database, str]) -> None:
    db, password = demo
    with signed_in(db, password, "coordinator") as coordinator:
        coordinator.cookies.set("stockyard_lang", "zh-CN")
        order = coordinator.get("/outbound/orders/new").text
        for text in ("新建出库单", "分配规则", "收货地址", "邮政编码", "承运商", "创建出库单"):
            assert text in order, text
        assert _options(order, "rule")["fefo"] == "FEFO：先到期先出"
        assert _options(order, "lines[0].level")["case"] == "箱"
        for english in ("Allocation rule", "Ship to", "Postal code", "Create order", "Empty rows"):
            assert english not in order, english
        receipt = coordinator.get("/inbound/receipts/new").text
        assert "供应商" in receipt and "明细行" in receipt and "Supplier" not in receipt
        assert 'href="/outbound/orders/new"' in coordinator.get("/outbound/orders").text
