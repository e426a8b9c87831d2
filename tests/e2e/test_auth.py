"""Signing in, sessions, throttling, users, roles and integration clients, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from stockyard.config import get_settings
from stockyard.db import tables as t
from stockyard.db.engine import Database
from tests.e2e.support import API, error, ok
from tests.helpers import bearer, make_user

PASSWORD = "blue-pallet-42-racking"


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Change STOCKYARD_ settings for one test."""
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def sign_in(anonymous: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    body = ok(anonymous.post(f"{API}/auth/login", json={"username": username, "password": password}))
    return {"Authorization": f"Bearer {body['token']}"}


def test_sign_in_gives_a_session_that_works_by_token_and_by_cookie(anonymous: TestClient, db: Database) -> None:
    make_user(db, "mia", roles=["warehouse_manager"], password=PASSWORD)
    assert anonymous.get(f"{API}/warehouses").status_code == 401
    response = anonymous.post(f"{API}/auth/login", json={"username": "Mia", "password": PASSWORD})
    body = ok(response)
    assert len(body["token"]) >= 43  # 256 random bits, URL-safe
    cookie = response.cookies.get("stockyard_session")
    assert cookie == body["token"]
    assert "httponly" in response.headers["set-cookie"].lower()
    me = ok(anonymous.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {body['token']}"}))
    assert me["name"] == "mia" and me["roles"] == ["warehouse_manager"] and "stock.adjust" in me["permissions"]
    # The cookie alone (as the web console sends it) is a session too.
    assert ok(anonymous.get(f"{API}/warehouses"))["items"] == []
    with db.engine.connect() as conn:
        stored = conn.execute(select(t.app_user.c.password_hash)).scalar_one()
        hashes = conn.execute(select(t.user_session.c.token_hash)).scalars().all()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert body["token"] not in hashes and len(hashes) == 1


def test_wrong_password_and_unknown_user_look_the_same(anonymous: TestClient, db: Database) -> None:
    make_user(db, "mia", password=PASSWORD)
    wrong = anonymous.post(f"{API}/auth/login", json={"username": "mia", "password": "not-the-password"})
    nobody = anonymous.post(f"{API}/auth/login", json={"username": "nobody", "password": PASSWORD})
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json()["error"]["code"] == nobody.json()["error"]["code"] == "bad_credentials"
    assert wrong.json()["error"]["message"] == nobody.json()["error"]["message"]
    error(anonymous.post(f"{API}/auth/login", json={"username": "mia"}), 422, "invalid", "password")


def test_failed_sign_ins_are_throttled_per_account(anonymous: TestClient, db: Database,
                                                   settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("STOCKYARD_LOGIN_FAILURES_PER_ACCOUNT", "3")
    make_user(db, "mia", password=PASSWORD)
    make_user(db, "leo", password=PASSWORD)
    for _ in range(3):
        assert anonymous.post(f"{API}/auth/login", json={"username": "mia", "password": "guess-guess-1"}
                              ).status_code == 401
    # Now even the right password waits: the throttle comes before the password is looked at.
    throttled = anonymous.post(f"{API}/auth/login", json={"username": "mia", "password": PASSWORD})
    error(throttled, 429, "throttled", "username")
    assert 0 < int(throttled.headers["retry-after"]) <= 15 * 60
    # Another account from the same address is not affected.
    sign_in(anonymous, "leo")
    # Once the window has passed, the account may try again.
    with db.engine.begin() as conn:
        conn.execute(update(t.login_failure).values(at=datetime.now(UTC) - timedelta(minutes=16)))
    sign_in(anonymous, "mia")


def test_failed_sign_ins_are_throttled_per_address(anonymous: TestClient, db: Database,
                                                   settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("STOCKYARD_LOGIN_FAILURES_PER_ADDRESS", "4")
    make_user(db, "mia", password=PASSWORD)
    for name in ("a", "b", "c", "d"):
        anonymous.post(f"{API}/auth/login", json={"username": name, "password": "guess-guess-1"})
    error(anonymous.post(f"{API}/auth/login", json={"username": "mia", "password": PASSWORD}), 429, "throttled")


def test_a_new_sign_in_rotates_the_session(anonymous: TestClient, db: Database) -> None:
    make_user(db, "mia", password=PASSWORD)
    first = ok(anonymous.post(f"{API}/auth/login", json={"username": "mia", "password": PASSWORD}))["token"]
    # The browser still holds the first cookie when it signs in again: that session ends.
    second = ok(anonymous.post(f"{API}/auth/login", json={"username": "mia", "password": PASSWORD}))["token"]
    assert first != second
    assert anonymous.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    ok(anonymous.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {second}"}))


def test_logout_ends_every_session_of_the_user(anonymous: TestClient, db: Database) -> None:
    make_user(db, "mia", password=PASSWORD)
    phone = bearer_for(db, "mia")
    desk = sign_in(anonymous, "mia")
    assert ok(anonymous.post(f"{API}/auth/logout", headers=desk))["sessions_ended"] == 2
    for headers in (phone, desk):
        error(anonymous.get(f"{API}/auth/me", headers=headers), 401, "unauthenticated")


def test_idle_and_absolute_timeouts(anonymous: TestClient, db: Database) -> None:
    make_user(db, "mia", password=PASSWORD)
    idle, old = sign_in(anonymous, "mia"), bearer_for(db, "mia")
    s = t.user_session
    with db.engine.begin() as conn:
        first, second = conn.execute(select(s.c.id).order_by(s.c.id)).scalars().all()
        conn.execute(update(s).where(s.c.id == first).values(last_seen_at=datetime.now(UTC) - timedelta(minutes=31)))
        conn.execute(update(s).where(s.c.id == second).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    error(anonymous.get(f"{API}/auth/me", headers=idle), 401, "unauthenticated")
    error(anonymous.get(f"{API}/auth/me", headers=old), 401, "unauthenticated")


def test_disabling_a_user_or_changing_the_password_ends_their_sessions(client: TestClient, db: Database) -> None:
    user_id = make_user(db, "mia", roles=["operator"])
    session = bearer_for(db, "mia")
    ok(client.get(f"{API}/auth/me", headers=session))
    assert client.post(f"{API}/users/{user_id}/password", json={"password": "a-new-long-passphrase"}
                       ).status_code == 204
    error(client.get(f"{API}/auth/me", headers=session), 401, "unauthenticated")
    session = bearer_for(db, "mia")
    ok(client.patch(f"{API}/users/{user_id}", json={"active": False}))
    error(client.get(f"{API}/auth/me", headers=session), 401, "unauthenticated")
    error(client.post(f"{API}/auth/login", json={"username": "mia", "password": "a-new-long-passphrase"}), 401,
          "bad_credentials")


def test_users_are_created_with_roles_scopes_and_a_strong_password(client: TestClient, db: Database) -> None:
    wh = ok(client.post(f"{API}/warehouses", json={"code": "W1", "name": "One"}), 201)
    body: dict[str, Any] = {"username": "ops1", "display_name": "Ops One", "password": PASSWORD,
                            "roles": ["operator"], "warehouse_ids": [wh["id"]]}
    user = ok(client.post(f"{API}/users", json=body), 201)
    assert user["warehouse_ids"] == [wh["id"]] and "password_hash" not in user and "password" not in user
    error(client.post(f"{API}/users", json=body), 409, "duplicate", "username")
    error(client.post(f"{API}/users", json={**body, "username": "ops2", "password": "short"}), 422,
          "weak_password", "password")
    error(client.post(f"{API}/users", json={**body, "username": "ops2", "roles": ["wizard"]}), 422,
          "unknown_role", "roles[0]")
    error(client.post(f"{API}/users", json={**body, "username": "ops2", "warehouse_ids": [999]}), 422,
          "unknown", "warehouse_ids[0]")
    signed = sign_in(client, "ops1")
    assert ok(client.get(f"{API}/auth/me", headers=signed))["warehouse_ids"] == [wh["id"]]


def test_nobody_grants_more_than_they_hold(client: TestClient, db: Database) -> None:
    w1 = ok(client.post(f"{API}/warehouses", json={"code": "W1", "name": "One"}), 201)["id"]
    w2 = ok(client.post(f"{API}/warehouses", json={"code": "W2", "name": "Two"}), 201)["id"]
    it = bearer(db, "it", roles=["it_support"], warehouse_ids=[w1])
    body: dict[str, Any] = {"username": "new1", "display_name": "New", "password": PASSWORD, "roles": ["operator"],
                            "warehouse_ids": [w1]}
    # IT support cannot hand out stock permissions it does not hold itself...
    error(client.post(f"{API}/users", json=body, headers=it), 403, "grant_beyond_own", "roles")
    ok(client.post(f"{API}/users", json={**body, "roles": ["it_support"]}, headers=it), 201)
    # ...nor a wider scope than its own.
    error(client.post(f"{API}/users", json={**body, "username": "new2", "roles": ["it_support"],
                                            "warehouse_ids": [w1, w2]}, headers=it), 403, "scope_beyond_own")
    error(client.post(f"{API}/users", json={**body, "username": "new3", "roles": ["it_support"],
                                            "warehouse_ids": None}, headers=it), 403, "scope_beyond_own")
    # Users outside its scope are invisible to it.
    admin_id = ok(client.get(f"{API}/auth/me"))["user_id"]
    error(client.get(f"{API}/users/{admin_id}", headers=it), 404, "not_found")
    assert "admin" not in [u["username"] for u in ok(client.get(f"{API}/users", headers=it))]


def test_the_last_administrator_stays(client: TestClient) -> None:
    me = ok(client.get(f"{API}/auth/me"))
    error(client.patch(f"{API}/users/{me['user_id']}", json={"active": False}), 409, "last_administrator")
    error(client.patch(f"{API}/users/{me['user_id']}", json={"roles": ["operator"]}), 409, "last_administrator")


def test_custom_roles_grant_their_permissions_until_deactivated(client: TestClient, db: Database) -> None:
    role = ok(client.post(f"{API}/roles", json={"code": "stock_viewer", "name": "Stock viewer",
                                                "permissions": ["stock.read", "masterdata.read"]}), 201)
    error(client.post(f"{API}/roles", json={"code": "bad", "name": "Bad", "permissions": ["stock.fly"]}), 422,
          "unknown_permission", "permissions[0]")
    error(client.post(f"{API}/roles", json={"code": "operator", "name": "X", "permissions": []}), 422,
          "builtin_role", "code")
    viewer = bearer(db, "viewer", roles=["stock_viewer"])
    ok(client.get(f"{API}/stock/balances", headers=viewer))
    error(client.post(f"{API}/warehouses", json={"code": "W", "name": "W"}, headers=viewer), 403, "forbidden")
    ok(client.patch(f"{API}/roles/{role['id']}", json={"active": False}))
    error(client.get(f"{API}/stock/balances", headers=viewer), 403, "forbidden")
    codes = {r["code"]: r for r in ok(client.get(f"{API}/roles"))}
    assert codes["finance"]["permissions"] == ["reports.read"] and codes["finance"]["builtin"]


def test_integration_client_tokens(client: TestClient, anonymous: TestClient, db: Database) -> None:
    created = ok(client.post(f"{API}/clients", json={"name": "ERP", "kind": "erp",
                                                     "permissions": ["masterdata.read"]}), 201)
    token = created.pop("token")
    assert token.startswith(f"sy_{created['token_prefix']}_")
    shown_later = ok(client.get(f"{API}/clients/{created['id']}"))
    assert "token" not in shown_later and token not in str(ok(client.get(f"{API}/clients")))
    erp = {"Authorization": f"Bearer {token}"}
    me = ok(anonymous.get(f"{API}/auth/me", headers=erp))
    assert me["client"] == "ERP" and me["permissions"] == ["masterdata.read"]
    ok(anonymous.get(f"{API}/warehouses", headers=erp))
    error(anonymous.post(f"{API}/warehouses", json={"code": "W", "name": "W"}, headers=erp), 403, "forbidden")
    error(anonymous.post(f"{API}/auth/logout", headers=erp), 401, "not_a_session")
    ok(client.post(f"{API}/clients/{created['id']}/revoke"))
    error(anonymous.get(f"{API}/warehouses", headers=erp), 401, "unauthenticated")
    # An expired token stops working without anyone revoking it.
    second = ok(client.post(f"{API}/clients", json={"name": "OMS", "kind": "oms",
                                                    "permissions": ["masterdata.read"]}), 201)
    with db.engine.begin() as conn:
        conn.execute(update(t.api_client).where(t.api_client.c.id == second["id"])
                     .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    error(anonymous.get(f"{API}/warehouses", headers={"Authorization": f"Bearer {second['token']}"}), 401,
          "unauthenticated")
    error(client.post(f"{API}/clients", json={"name": "TMS", "kind": "tms", "permissions": ["masterdata.read"],
                                              "expires_at": "2020-01-01T00:00:00Z"}), 422, "invalid", "expires_at")


def test_commands_on_users_and_sessions_are_audited(client: TestClient, anonymous: TestClient,
                                                   db: Database) -> None:
    make_user(db, "mia", password=PASSWORD)
    anonymous.post(f"{API}/auth/login", json={"username": "mia", "password": "guess-guess-1"})
    sign_in(anonymous, "mia")
    ok(client.post(f"{API}/roles", json={"code": "viewer", "name": "Viewer", "permissions": ["stock.read"]}), 201)
    with db.engine.connect() as conn:
        rows = conn.execute(select(t.audit_entry.c.actor, t.audit_entry.c.action).order_by(t.audit_entry.c.seq))
        entries = [tuple(r) for r in rows]
    assert entries == [("anonymous", "session.login_failed"), ("mia", "session.login"), ("admin", "role.create")]


def bearer_for(db: Database, username: str) -> dict[str, str]:
    from stockyard.services.auth import open_session

    user_id = db.read(lambda conn: conn.execute(select(t.app_user.c.id).where(t.app_user.c.username == username))
                      .scalar_one())
    token, _ = db.write(lambda conn: open_session(conn, user_id))
    return {"Authorization": f"Bearer {token}"}


def test_nobody_takes_over_a_user_who_holds_more(client: TestClient, anonymous: TestClient, db: Database) -> None:
    root_id = ok(client.get(f"{API}/auth/me"))["user_id"]
    helpdesk = bearer(db, "helpdesk", roles=["it_support"])
    error(client.post(f"{API}/users/{root_id}/password", json={"password": "taken-over-at-last"}, headers=helpdesk),
          403, "target_beyond_own")
    error(client.patch(f"{API}/users/{root_id}", json={"display_name": "Pwned"}, headers=helpdesk), 403,
          "target_beyond_own")
    error(client.post(f"{API}/users/{root_id}/end-sessions", headers=helpdesk), 403, "target_beyond_own")
    # A user holding no more than the helpdesk can be helped.
    peer = make_user(db, "peer", roles=["it_support"])
    assert client.post(f"{API}/users/{peer}/password", json={"password": "a-fresh-long-phrase"},
                       headers=helpdesk).status_code == 204


def test_roles_are_changed_only_within_what_the_changer_holds(client: TestClient, db: Database) -> None:
    role = ok(client.post(f"{API}/roles", json={"code": "stock_boss", "name": "Boss",
                                                "permissions": ["stock.adjust", "users.manage"]}), 201)
    ok(client.patch(f"{API}/roles/{role['id']}", json={"active": False}))
    helpdesk = bearer(db, "helpdesk", roles=["it_support"])
    error(client.patch(f"{API}/roles/{role['id']}", json={"active": True}, headers=helpdesk), 403,
          "grant_beyond_own", "role_id")
    error(client.patch(f"{API}/roles/{role['id']}", json={"permissions": ["users.manage"]}, headers=helpdesk), 403,
          "grant_beyond_own", "role_id")
    scoped = bearer(db, "scoped_admin", roles=["system_administrator"],
                    warehouse_ids=[ok(client.post(f"{API}/warehouses", json={"code": "W", "name": "W"}), 201)["id"]])
    error(client.patch(f"{API}/roles/{role['id']}", json={"name": "x"}, headers=scoped), 403, "outside_scope")


def test_unknown_users_cost_as_long_as_wrong_passwords(anonymous: TestClient, db: Database) -> None:
    import time

    make_user(db, "mia", password=PASSWORD)

    def cost(username: str) -> float:
        start = time.perf_counter()
        anonymous.post(f"{API}/auth/login", json={"username": username, "password": "not-it-at-all"})
        return time.perf_counter() - start

    known = min(cost("mia") for _ in range(2))
    unknown = min(cost(f"ghost{n}") for n in range(2))
    # Both verify an Argon2 hash (tens of milliseconds); without the dummy hash the unknown name is ~10x quicker.
    assert unknown > known / 3
