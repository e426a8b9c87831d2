"""Console pages of administration and approvals over HTTP: lists, the audit verdict, deciding a request."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient
from sqlalchemy import text

from stockyard.api.app import create_app
from stockyard.db.engine import Database
from stockyard.domain.access import SYSTEM
from stockyard.services import access
from tests.conftest import _suspend_audit_triggers
from tests.e2e.support import API, create, ok
from tests.helpers import bearer

PASSWORD = "correct horse battery"


def _console(db: Database, username: str, roles: list[str]) -> TestClient:
    access.create_user(db, SYSTEM, access.NewUser(username, username.title(), PASSWORD, roles))
    browser = TestClient(create_app(db), base_url="http://testserver")
    assert browser.post("/login", data={"username": username, "password": PASSWORD},
                        follow_redirects=False).status_code == 303
    return browser


def _csrf(browser: TestClient, path: str) -> str:
    found = re.search(r'name="csrf-token" content="([0-9a-f]+)"', browser.get(path).text)
    assert found
    return found.group(1)


def test_the_users_list_filters_sorts_and_exports(db: Database) -> None:
    with _console(db, "mia", ["warehouse_manager"]) as browser:
        access.create_user(db, SYSTEM, access.NewUser("zed", "Zed", PASSWORD, ["operator"]))
        access.create_user(db, SYSTEM, access.NewUser("amy", "Amy", PASSWORD, ["operator"]))
        page = browser.get("/admin/users", params={"sort": "username", "dir": "desc"})
        assert page.status_code == 200
        names = re.findall(r'<td class="text">\s*(zed|mia|amy)\s*</td>', page.text)
        assert names == ["zed", "mia", "amy"]
        found = browser.get("/admin/users", params={"q": "ze"}).text
        assert "zed" in found and "amy" not in found
        exported = browser.get("/admin/users", params={"format": "csv", "sort": "username"})
        rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
        assert rows[0][0] == "User name" and [r[0] for r in rows[1:]] == ["amy", "mia", "zed"]
        refused = browser.get("/admin/users", params={"per": "7"})
        assert refused.status_code == 422 and "per" in refused.text


def test_an_operator_is_refused_the_administration_pages(db: Database) -> None:
    with _console(db, "olga", ["operator"]) as browser:
        for path in ("/admin/users", "/admin/roles", "/admin/audit", "/inventory/approvals"):
            answer = browser.get(path)
            assert answer.status_code == 403, path
            assert "feedback-error" in answer.text


def test_the_verify_button_says_whether_the_audit_chain_holds(db: Database) -> None:
    with _console(db, "ivy", ["it_support"]) as browser:
        token = _csrf(browser, "/admin/audit")
        verdict = browser.post("/admin/audit/verify", headers={"X-CSRF-Token": token, "HX-Request": "true"})
        assert verdict.status_code == 200 and "verdict-ok" in verdict.text
        with db.engine.begin() as conn:  # break the chain behind the triggers' back, and put them back
            restore = _suspend_audit_triggers(conn, db.dialect)
            conn.execute(text("UPDATE audit_entry SET actor = 'mallory' WHERE seq = 1"))
            for statement in restore:
                conn.execute(text(statement))
        broken = browser.post("/admin/audit/verify", headers={"X-CSRF-Token": token, "HX-Request": "true"})
        assert "verdict-broken" in broken.text
        assert browser.post("/admin/audit/verify", headers={"HX-Request": "true"}).status_code == 422


def test_a_manager_approves_another_persons_adjustment_from_the_console(client: TestClient, db: Database) -> None:
    wh = create(client, "warehouses", {"code": "W1", "name": "One"})
    acme = create(client, "owners", {"code": "ACME", "name": "Acme"})
    sku = create(client, "skus", {"owner_id": acme["id"], "code": "TEA", "name": "Tea"})
    loc = create(client, "locations", {"warehouse_id": wh["id"], "code": "A-1"})
    line = {"owner_id": acme["id"], "sku_id": sku["id"], "location_id": loc["id"]}
    create(client, "stock/opening", {"lines": [{**line, "quantity": "100"}]})
    alice = bearer(db, "alice", roles=["warehouse_manager"])
    pending = ok(client.post(f"{API}/stock/adjustments", headers=alice, json={
        "reason_code": "DAMAGED", "approval": "request", "lines": [{**line, "quantity": "30"}]}), 202)
    request_id = pending["approval_request_id"]
    with _console(db, "bob", ["warehouse_manager"]) as browser:
        listed = browser.get("/inventory/approvals", params={"status": "pending"}).text
        assert f"/inventory/approvals/{request_id}" in listed
        token = _csrf(browser, f"/inventory/approvals/{request_id}")
        bad = browser.post(f"/inventory/approvals/{request_id}/decide",
                           data={"decision": "maybe", "csrf_token": token})
        assert bad.status_code == 422 and "decision" in bad.text
        done = browser.post(f"/inventory/approvals/{request_id}/decide",
                            data={"decision": "approve", "note": "seen", "csrf_token": token},
                            follow_redirects=False)
        assert done.status_code == 303
        shown = browser.get(f"/inventory/approvals/{request_id}").text
        assert "badge-approved" in shown and "seen" in shown
    rows = ok(client.get(f"{API}/stock/balances", params={"location_id": loc["id"]}))["items"]
    assert sum(float(r["on_hand"]) for r in rows) == 70.0
