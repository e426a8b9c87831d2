"""The master data forms of the console over HTTP: they save through the API's service and bodies, refuse bad
input naming the field with nothing written, and keep to the person's permission and scope."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.master import gs1_check_digit
from stockyard.web.routes.masterdata import FORMS, SCREENS
from tests.e2e.console import csrf_of, demo_with_users, signed_in


@pytest.fixture
def demo(db: Database) -> tuple[Database, str]:
    return db, demo_with_users(db)


def _gtin(body: str) -> str:
    return body + str(gs1_check_digit(body))


def _count(db: Database, table: object) -> int:
    return int(db.read(lambda c: c.execute(select(func.count()).select_from(table)).scalar_one()))  # type: ignore[arg-type]


def test_a_sku_made_in_the_form_has_its_packs_and_barcodes_in_the_api(demo: tuple[Database, str]) -> None:
    db, password = demo
    owner = db.read(lambda c: c.execute(select(t.owner.c.id).order_by(t.owner.c.id)).scalars().first())
    each, case = _gtin("690123456780"), _gtin("690123456781")
    with signed_in(db, password, "admin") as admin:
        assert 'href="/masterdata/skus/new"' in admin.get("/masterdata/skus").text
        form = admin.get("/masterdata/skus/new")
        assert form.status_code == 200 and 'name="packs[0].factor"' in form.text
        answer = admin.post("/masterdata/skus", follow_redirects=False, data={
            "csrf_token": csrf_of(admin), "owner_id": str(owner), "code": "FORM-SKU-1", "name": "Form SKU",
            "base_uom": "C62", "decimals": "0", "lot_control": "true", "abc_class": "B",
            "packs[0].level": "each", "packs[0].uom": "C62", "packs[0].factor": "1",
            "packs[1].level": "inner", "packs[1].uom": "", "packs[1].factor": "",  # an empty row is skipped
            "packs[2].level": "case", "packs[2].uom": "CS", "packs[2].factor": "12",
            "barcodes[0].barcode": each, "barcodes[0].kind": "gtin", "barcodes[0].pack_level": "each",
            "barcodes[1].barcode": case, "barcodes[1].kind": "gtin", "barcodes[1].pack_level": "case",
        })
        assert answer.status_code == 303, answer.text
        sku_id = int(answer.headers["location"].rsplit("/", 1)[1])
        sku = admin.get(f"/api/v1/skus/{sku_id}").json()
        assert sku["code"] == "FORM-SKU-1" and sku["lot_control"] is True and sku["abc_class"] == "B"
        assert [(p["level"], p["uom"], float(p["factor"])) for p in sku["packs"]] == [("each", "C62", 1.0),
                                                                                     ("case", "CS", 12.0)]
        # A GTIN-13 is kept as the 14 digits of GTIN-14, so a scan of either form finds it.
        assert {(b["barcode"], b["pack_level"]) for b in sku["barcodes"]} == {("0" + each, "each"),
                                                                              ("0" + case, "case")}
        # The edit form shows the packs again, and a save without changes changes nothing.
        edit = admin.get(f"/masterdata/skus/{sku_id}/edit")
        assert f'value="0{case}"' in edit.text and 'value="12"' in edit.text
        audits = _count(db, t.audit_entry)
        unchanged = dict(re.findall(r'<input (?:type="hidden" )?name="([^"]+)" value="([^"]*)"', edit.text))
        checked = re.findall(r'<input type="checkbox" name="([^"]+)" value="true" checked', edit.text)
        selected = re.findall(r'<select name="([^"]+)"[^>]*>(?:(?!</select>).)*?<option value="([^"]*)" selected',
                              edit.text, re.S)
        again = admin.post(f"/masterdata/skus/{sku_id}", follow_redirects=False, data={
            **unchanged, **dict(selected), **dict.fromkeys(checked, "true")})
        assert again.status_code == 303, again.text
        assert _count(db, t.audit_entry) == audits  # nothing differed, so nothing was written


def test_a_location_is_edited_and_a_bad_value_is_refused_naming_the_field(demo: tuple[Database, str]) -> None:
    db, password = demo
    location = db.read(lambda c: c.execute(select(t.location).where(t.location.c.virtual_kind.is_(None))
                                           .order_by(t.location.c.id).limit(1)).one())
    with signed_in(db, password, "admin") as admin:
        page = admin.get(f"/masterdata/locations/{location.id}")
        assert f'href="/masterdata/locations/{location.id}/edit"' in page.text
        values = {"csrf_token": csrf_of(admin), "code": location.code, "kind": location.kind,
                  "zone_id": str(location.zone_id or ""), "aisle": "Z9", "max_units": "250", "status": "active",
                  "mix_skus": "true", "mix_lots": "true", "active": "true"}
        saved = admin.post(f"/masterdata/locations/{location.id}", data=values, follow_redirects=False)
        assert saved.status_code == 303, saved.text
        after = admin.get(f"/api/v1/locations/{location.id}").json()
        assert after["aisle"] == "Z9" and float(after["max_units"]) == 250 and after["code"] == location.code
        audits = _count(db, t.audit_entry)
        refused = admin.post(f"/masterdata/locations/{location.id}", headers={"HX-Request": "true"},
                             data={**values, "aisle": "Z1", "max_units": "lots"})
        assert refused.status_code == 422
        assert "max_units" in refused.text and 'value="lots"' in refused.text  # what was typed stays
        assert refused.headers["HX-Retarget"] == "#record-form"
        assert admin.get(f"/api/v1/locations/{location.id}").json()["aisle"] == "Z9"
        assert _count(db, t.audit_entry) == audits


def test_a_duplicate_code_and_a_bad_pack_name_their_fields(demo: tuple[Database, str]) -> None:
    db, password = demo
    sku = db.read(lambda c: c.execute(select(t.sku).order_by(t.sku.c.id).limit(1)).one())
    before = _count(db, t.sku)
    with signed_in(db, password, "admin") as admin:
        token = csrf_of(admin)
        duplicate = admin.post("/masterdata/skus", data={"csrf_token": token, "owner_id": str(sku.owner_id),
                                                         "code": sku.code, "name": "Again"})
        assert duplicate.status_code == 409 and "code" in duplicate.text and 'value="Again"' in duplicate.text
        bad_pack = admin.post("/masterdata/skus", data={
            "csrf_token": token, "owner_id": str(sku.owner_id), "code": "FORM-SKU-2", "name": "Bad pack",
            "packs[0].level": "each", "packs[0].uom": "", "packs[0].factor": "",
            "packs[1].level": "case", "packs[1].uom": "CS", "packs[1].factor": "-3"})
        assert bad_pack.status_code == 422 and "packs[1].factor" in bad_pack.text  # the row the person sees
    assert _count(db, t.sku) == before


def test_an_operator_may_not_open_or_post_the_forms(demo: tuple[Database, str]) -> None:
    db, password = demo
    location = db.read(lambda c: c.execute(select(t.location.c.id).where(t.location.c.virtual_kind.is_(None))
                                           .order_by(t.location.c.id).limit(1)).scalar_one())
    with signed_in(db, password, "operator") as operator:
        assert 'href="/masterdata/skus/new"' not in operator.get("/masterdata/skus").text
        assert "/edit" not in operator.get(f"/masterdata/locations/{location}").text
        token = csrf_of(operator)
        assert operator.get("/masterdata/skus/new").status_code == 403
        assert operator.get(f"/masterdata/locations/{location}/edit").status_code == 403
        assert operator.post("/masterdata/carriers", data={"csrf_token": token, "code": "OPC",
                                                           "name": "x"}).status_code == 403
        assert operator.post(f"/masterdata/locations/{location}/deactivate",
                             data={"csrf_token": token}).status_code == 403
    assert db.read(lambda c: c.execute(select(t.carrier.c.id).where(t.carrier.c.code == "OPC")).first()) is None


def test_a_scoped_manager_creates_only_in_its_own_warehouse(demo: tuple[Database, str]) -> None:
    db, password = demo
    first, other = db.read(lambda c: c.execute(select(t.warehouse.c.id).order_by(t.warehouse.c.id)).scalars()
                           .all()[:2])
    with signed_in(db, password, "manager") as manager:
        form = manager.get("/masterdata/locations/new").text
        warehouses = re.search(r'<select name="warehouse_id".*?</select>', form, re.S)
        assert warehouses is not None
        assert f'<option value="{first}"' in warehouses.group(0)
        assert f'<option value="{other}"' not in warehouses.group(0)
        assert 'href="/masterdata/warehouses/new"' not in manager.get("/masterdata/warehouses").text
        token = csrf_of(manager)
        refused = manager.post("/masterdata/locations", data={"csrf_token": token, "warehouse_id": str(other),
                                                              "code": "FORM-LOC-X", "kind": "storage"})
        assert refused.status_code == 422 and "warehouse_id" in refused.text
        made = manager.post("/masterdata/locations", follow_redirects=False, data={
            "csrf_token": token, "warehouse_id": str(first), "code": "FORM-LOC-1", "kind": "storage",
            "mix_skus": "true"})
        assert made.status_code == 303, made.text
        assert manager.post("/masterdata/warehouses", data={"csrf_token": token, "code": "NEWWH",
                                                            "name": "x"}).status_code == 403
    codes = db.read(lambda c: c.execute(select(t.location.c.warehouse_id, t.location.c.mix_lots)
                                        .where(t.location.c.code.like("FORM-LOC-%"))).all())
    assert [(r.warehouse_id, r.mix_lots) for r in codes] == [(first, False)]


def test_every_new_and_edit_form_opens_for_the_administrator(demo: tuple[Database, str]) -> None:
    db, password = demo
    with signed_in(db, password, "admin") as admin:
        for kind in FORMS:
            blank = admin.get(f"/masterdata/{kind}/new")
            assert blank.status_code == 200, kind
            # A required field starts empty, not with a placeholder of the schema.
            assert 'name="code" value=""' in blank.text or 'name="code"' not in blank.text, kind
            table = SCREENS[kind].entity.table
            record = db.read(lambda c, table=table: c.execute(select(func.max(table.c.id))).scalar_one())
            if record is not None:
                assert admin.get(f"/masterdata/{kind}/{record}/edit").status_code == 200, kind
