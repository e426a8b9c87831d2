"""The administration forms of the console over HTTP on the demo warehouse: a user made through the form signs
in and sees only their scope; roles edited; custom roles that grant exactly what was ticked; refusals in place
with nothing written."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from stockyard.api.app import create_app
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.demo import load_demo
from stockyard.demo_users import create_demo_users
from stockyard.domain.access import PERMISSIONS
from stockyard.web.routes.admin import PERMISSION_TEXTS

NEW_PASSWORD = "quiet-harbour-lantern-42"


@pytest.fixture
def demo(db: Database) -> tuple[Database, str]:
    load_demo(db)
    made = create_demo_users(db)
    assert made is not None
    return db, made[0]


def _browser(db: Database, password: str, username: str) -> TestClient:
    browser = TestClient(create_app(db), base_url="http://testserver")
    answer = browser.post("/login", data={"username": username, "password": password}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return browser


def _csrf(browser: TestClient, path: str = "/admin/users") -> str:
    found = re.search(r'name="csrf-token" content="([0-9a-f]+)"', browser.get(path).text)
    assert found
    return found.group(1)


def _post(browser: TestClient, path: str, data: dict[str, Any], *, htmx: bool = False) -> Any:
    headers = {"HX-Request": "true"} if htmx else {}
    return browser.post(path, data={**data, "csrf_token": _csrf(browser)}, headers=headers,
                        follow_redirects=False)


def _users(db: Database) -> int:
    return int(db.read(lambda c: c.execute(select(func.count()).select_from(t.app_user)).scalar_one()))


def _user_id(db: Database, username: str) -> int:
    return int(db.read(lambda c: c.execute(select(t.app_user.c.id).where(t.app_user.c.username == username))
                       .scalar_one()))


def _warehouses(db: Database) -> list[Any]:
    return list(db.read(lambda c: c.execute(select(t.warehouse.c.id, t.warehouse.c.code)
                                            .order_by(t.warehouse.c.id)).all()))


def _form_user(username: str, warehouse_id: int | None = None, roles: tuple[str, ...] = ("operator",),
               **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"username": username, "display_name": f"{username.title()} Form", "language": "en",
                            "roles": list(roles), "password": NEW_PASSWORD, **extra}
    if warehouse_id is not None:
        data["warehouse_ids"] = [str(warehouse_id)]
    return data


def test_a_user_made_through_the_form_signs_in_and_sees_only_their_warehouse(demo: tuple[Database, str]) -> None:
    db, password = demo
    warehouses = _warehouses(db)
    assert len(warehouses) >= 2, "the demo should have more than one warehouse"
    second = warehouses[1]
    with _browser(db, password, "admin") as admin:
        form = admin.get("/admin/users/new")
        assert form.status_code == 200
        assert 'value="operator"' in form.text and f'<option value="{second.id}"' in form.text
        made = _post(admin, "/admin/users", _form_user("wen", second.id))
        assert made.status_code == 303, made.text
        user_id = _user_id(db, "wen")
        assert made.headers["location"] == f"/admin/users/{user_id}?done=created"
        shown = admin.get(made.headers["location"])
        assert shown.status_code == 200 and "The user was created." in shown.text
        assert re.search(rf'<option value="{second.id}" selected', shown.text)
    b = t.balance
    expected = db.read(lambda c: c.execute(select(func.count()).select_from(b).where(
        ~b.c.is_virtual, b.c.on_hand != 0, b.c.warehouse_id == second.id)).scalar_one())
    assert expected > 0, "the demo should hold stock in its second warehouse"
    with _browser(db, NEW_PASSWORD, "wen") as wen:
        me = wen.get("/api/v1/auth/me").json()
        assert me["roles"] == ["operator"] and me["warehouse_ids"] == [second.id]
        exported = wen.get("/inventory/balances", params={"format": "csv"})
        rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
        column = rows[0].index("Warehouse")
        assert len(rows) - 1 == expected
        assert {r[column] for r in rows[1:]} == {second.code}
        assert wen.get("/admin/users/new").status_code == 403


def test_editing_a_user_changes_roles_scope_and_active_and_ends_sessions(demo: tuple[Database, str]) -> None:
    db, password = demo
    first = _warehouses(db)[0]
    with _browser(db, password, "admin") as admin:
        assert _post(admin, "/admin/users", _form_user("lin", first.id)).status_code == 303
        user_id = _user_id(db, "lin")
        with _browser(db, NEW_PASSWORD, "lin") as lin:
            assert lin.get("/inventory/approvals").status_code == 403
            saved = _post(admin, f"/admin/users/{user_id}", {
                "display_name": "Lin Lead", "language": "zh-CN", "roles": ["operator", "coordinator"],
                "active": ["false", "true"]}, htmx=True)
            assert saved.status_code == 204 and saved.headers["HX-Redirect"] == f"/admin/users/{user_id}?done=saved"
            stored = db.read(lambda c: c.execute(select(t.app_user).where(t.app_user.c.id == user_id)).one())
            assert stored.display_name == "Lin Lead" and stored.language == "zh-CN"
            assert sorted(stored.roles) == ["coordinator", "operator"]
            assert stored.warehouse_ids is None, "an empty warehouse list means every warehouse"
            assert lin.get("/inventory/approvals").status_code == 200, "the new role's permission applies"
            ended = _post(admin, f"/admin/users/{user_id}/end-sessions", {})
            assert ended.status_code == 303
            assert lin.get("/inventory/balances", follow_redirects=False).status_code == 303, "signed out"
        assert _post(admin, f"/admin/users/{user_id}/password", {"password": "another-long-secret-7"}
                     ).status_code == 303
        with _browser(db, "another-long-secret-7", "lin"):
            pass
        off = _post(admin, f"/admin/users/{user_id}", {"display_name": "Lin Lead", "roles": ["operator"],
                                                     "active": "false"})
        assert off.status_code == 303
        page = admin.get(f"/admin/users/{user_id}")
        assert "Inactive" in page.text
    refused = TestClient(create_app(db), base_url="http://testserver").post(
        "/login", data={"username": "lin", "password": "another-long-secret-7"}, follow_redirects=False)
    assert refused.status_code != 303, "a switched-off user cannot sign in"


def test_a_manager_without_users_manage_is_refused_the_forms(demo: tuple[Database, str]) -> None:
    db, password = demo
    operator_id = _user_id(db, "operator")
    before = _users(db)
    with _browser(db, password, "manager") as manager:
        assert manager.get("/admin/users").status_code == 200
        assert "/admin/users/new" not in manager.get("/admin/users").text
        assert manager.get("/admin/users/new").status_code == 403
        assert manager.get("/admin/roles/new").status_code == 403
        assert _post(manager, "/admin/users", _form_user("sneaky", _warehouses(db)[0].id)).status_code == 403
        assert _post(manager, "/admin/roles", {"code": "sneaky", "name": "Sneaky",
                                               "permissions": ["stock.read"]}).status_code == 403
        page = manager.get(f"/admin/users/{operator_id}")
        assert page.status_code == 200 and "Save" not in page.text and "disabled" in page.text
        assert "Read-only: changing users and roles needs the permission users.manage." in page.text
        refused = _post(manager, f"/admin/users/{operator_id}", {"display_name": "Renamed", "roles": ["operator"]})
        assert refused.status_code == 403
        assert _post(manager, f"/admin/users/{operator_id}/end-sessions", {}).status_code == 403
    assert _users(db) == before
    assert db.read(lambda c: c.execute(select(t.custom_role.c.id).where(t.custom_role.c.code == "sneaky"))
                   .first()) is None
    assert db.read(lambda c: c.execute(select(t.app_user.c.display_name).where(t.app_user.c.id == operator_id))
                   .scalar_one()) != "Renamed"


@pytest.mark.parametrize(("change", "field"), [
    ({"password": "short"}, "password"),
    ({"username": "has space"}, "username"),
    ({"display_name": ""}, "display_name"),
    ({"roles": []}, "roles"),
    ({"roles": ["no_such_role"]}, "roles[0]"),
    ({"warehouse_ids": ["abc"]}, "warehouse_ids[0]"),
    ({"warehouse_ids": ["999999"]}, "warehouse_ids[0]"),
    ({"language": "fr"}, "language"),
])
def test_a_bad_field_is_named_and_nothing_is_written(demo: tuple[Database, str], change: dict[str, Any],
                                                     field: str) -> None:
    db, password = demo
    before = _users(db)
    with _browser(db, password, "admin") as admin:
        answer = _post(admin, "/admin/users", {**_form_user("bad"), **change}, htmx=True)
        assert 400 <= answer.status_code < 500, answer.text
        assert answer.headers["HX-Retarget"] == "#feedback"
        assert f"<code>{field}</code>" in answer.text
    assert _users(db) == before


def test_refusals_of_the_service_are_shown_in_place(demo: tuple[Database, str]) -> None:
    db, password = demo
    admin_id = _user_id(db, "admin")
    before = _users(db)
    with _browser(db, password, "itsupport") as it:
        beyond = _post(it, "/admin/users", _form_user("opx"), htmx=True)
        assert beyond.status_code == 403 and beyond.headers["HX-Retarget"] == "#feedback"
        assert "You may not do this" in beyond.text and "cannot grant permissions you do not hold" in beyond.text
        role = _post(it, "/admin/roles", {"code": "stock_peek", "name": "Peek", "permissions": ["stock.read"]},
                     htmx=True)
        assert role.status_code == 403 and "<code>permissions</code>" in role.text
    assert _users(db) == before
    with _browser(db, password, "admin") as admin:
        last = _post(admin, f"/admin/users/{admin_id}", {"display_name": "Admin", "roles": ["system_administrator"],
                                                         "active": ["false"]}, htmx=True)
        assert last.status_code == 409 and "last active system administrator" in last.text
        demoted = _post(admin, f"/admin/users/{admin_id}", {"display_name": "Admin", "roles": ["operator"]},
                        htmx=True)
        assert demoted.status_code == 409
    stored = db.read(lambda c: c.execute(select(t.app_user).where(t.app_user.c.id == admin_id)).one())
    assert stored.active and stored.roles == ["system_administrator"]


def test_a_custom_role_made_through_the_form_grants_exactly_its_permissions(demo: tuple[Database, str]) -> None:
    db, password = demo
    chosen = ["inbound.read", "masterdata.read", "stock.read"]
    with _browser(db, password, "admin") as admin:
        form = admin.get("/admin/roles/new")
        assert form.status_code == 200
        assert all(f'value="{p}"' in form.text for p in PERMISSIONS)
        assert "<legend>Inbound</legend>" in form.text
        made = _post(admin, "/admin/roles", {"code": "stock_viewer", "name": "Stock viewer", "permissions": chosen})
        assert made.status_code == 303, made.text
        role_id = db.read(lambda c: c.execute(select(t.custom_role.c.id).where(t.custom_role.c.code == "stock_viewer"))
                          .scalar_one())
        assert made.headers["location"] == f"/admin/roles/{role_id}?done=role_created"
        listed = admin.get("/admin/roles").text
        assert f'href="/admin/roles/{role_id}"' in listed and "Read-only" in listed
        assert admin.get("/admin/users/new").text.count('value="stock_viewer"') == 1
        assert _post(admin, "/admin/users", _form_user("viv", roles=("stock_viewer",))).status_code == 303
        with _browser(db, NEW_PASSWORD, "viv") as viv:
            assert viv.get("/api/v1/auth/me").json()["permissions"] == chosen
            assert viv.get("/inventory/balances").status_code == 200
            assert viv.get("/inventory/freezes").status_code == 403
            edited = _post(admin, f"/admin/roles/{role_id}", {"name": "Stock and counts",
                                                              "permissions": [*chosen, "inventory.count"],
                                                              "active": ["false", "true"]})
            assert edited.status_code == 303
            assert viv.get("/api/v1/auth/me").json()["permissions"] == sorted([*chosen, "inventory.count"])
            assert viv.get("/inventory/counts").status_code == 200
            bad = _post(admin, f"/admin/roles/{role_id}", {"name": "X", "permissions": ["stock.fly"]}, htmx=True)
            assert bad.status_code == 422 and "<code>permissions[0]</code>" in bad.text
            off = _post(admin, f"/admin/roles/{role_id}", {"name": "Stock and counts", "permissions": chosen,
                                                           "active": "false"})
            assert off.status_code == 303
            assert viv.get("/api/v1/auth/me").json()["permissions"] == []
        stored = db.read(lambda c: c.execute(select(t.custom_role).where(t.custom_role.c.id == role_id)).one())
        assert stored.name == "Stock and counts" and not stored.active
        duplicate = _post(admin, "/admin/roles", {"code": "stock_viewer", "name": "Again", "permissions": []},
                          htmx=True)
        assert duplicate.status_code == 409 and "<code>code</code>" in duplicate.text
        builtin = _post(admin, "/admin/roles", {"code": "operator", "name": "Mine", "permissions": []}, htmx=True)
        assert builtin.status_code == 422 and "<code>code</code>" in builtin.text


def test_every_permission_has_a_text_to_translate() -> None:
    assert set(PERMISSION_TEXTS) == set(PERMISSIONS)


def test_the_users_list_opens_a_user_page(demo: tuple[Database, str]) -> None:
    db, password = demo
    operator_id = _user_id(db, "operator")
    with _browser(db, password, "admin") as admin:
        listed = admin.get("/admin/users").text
        assert f'href="/admin/users/{operator_id}"' in listed and 'href="/admin/users/new"' in listed
        assert admin.get("/admin/users/999999").status_code == 404
        assert admin.get("/admin/roles/999999").status_code == 404


NASTY = ["", "x" * 5000, "-1", "99999999999999999999", "abc", "'; DROP TABLE app_user; --", "\x00"]


def test_no_admin_form_answers_500_to_malformed_input(demo: tuple[Database, str]) -> None:
    db, password = demo
    with _browser(db, password, "admin") as admin:
        token = _csrf(admin)
        admin = TestClient(admin.app, base_url="http://testserver", raise_server_exceptions=False,
                           cookies=admin.cookies)
        fields = ["username", "display_name", "language", "roles", "password", "warehouse_ids", "owner_ids",
                  "zone_ids", "active", "code", "name", "permissions"]
        failures = []
        for path in ("/admin/users", "/admin/users/{id}", "/admin/users/{id}/password",
                     "/admin/users/{id}/end-sessions", "/admin/roles", "/admin/roles/{id}"):
            for ident in ("999999", "99999999999999999999", "abc"):
                url = path.replace("{id}", ident)
                for field in fields:
                    for value in NASTY:
                        answer = admin.post(url, data={**_form_user("nasty"), field: value, "csrf_token": token},
                                            follow_redirects=False)
                        if answer.status_code >= 500:
                            failures.append((url, field, value[:20], answer.status_code))
                if "{id}" not in path:
                    break
        assert not failures, failures
