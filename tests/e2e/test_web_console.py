"""The console's sign-in, language and protections over HTTP: what a person's browser would send."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from stockyard.api.app import create_app
from stockyard.db.engine import Database
from stockyard.domain.access import SYSTEM
from stockyard.services import access

PASSWORD = "correct horse battery"


def _console(db: Database, roles: tuple[str, ...] = ("warehouse_manager",), language: str = "en") -> TestClient:
    access.create_user(db, SYSTEM, access.NewUser("pat", "Pat", PASSWORD, list(roles), language=language))
    return TestClient(create_app(db), base_url="http://testserver")


def _sign_in(client: TestClient, next_url: str = "") -> str:
    answer = client.post("/login", data={"username": "pat", "password": PASSWORD, "next": next_url},
                         follow_redirects=False)
    assert answer.status_code == 303
    return str(answer.headers["location"])


def _csrf(client: TestClient, path: str = "/m") -> str:
    found = re.search(r'name="csrf-token" content="([0-9a-f]+)"', client.get(path).text)
    assert found
    return found.group(1)


def test_a_wrong_password_shows_the_form_again_and_signs_nobody_in(db: Database) -> None:
    with _console(db) as client:
        answer = client.post("/login", data={"username": "pat", "password": "wrong"}, follow_redirects=False)
        assert answer.status_code == 401
        assert "feedback-error" in answer.text and 'name="username"' in answer.text
        assert "stockyard_session" not in answer.cookies
        assert client.get("/m", follow_redirects=False).headers["location"] == "/login?next=/m"


def test_signing_in_returns_to_the_page_asked_for_but_never_to_another_site(db: Database) -> None:
    with _console(db) as client:
        assert _sign_in(client, "/m?x=1") == "/m?x=1"
        assert _sign_in(client, "//evil.example/") == "/"
        assert _sign_in(client, "https://evil.example/") == "/"


def test_operators_land_on_the_handheld_menu_and_supervisors_on_the_console(db: Database) -> None:
    with _console(db, roles=("operator",)) as client:
        assert _sign_in(client) == "/m"


def test_a_post_without_the_pages_token_changes_nothing(db: Database) -> None:
    with _console(db) as client:
        _sign_in(client)
        refused = client.post("/language", data={"language": "zh-CN", "next": "/m"}, follow_redirects=False)
        assert refused.status_code == 422
        assert "csrf_token" in refused.text
        assert access.me(db, _principal(db))["language"] == "en"


def test_the_language_switch_is_kept_in_the_persons_profile(db: Database) -> None:
    with _console(db) as client:
        _sign_in(client)
        token = _csrf(client)
        switched = client.post("/language", data={"language": "zh-CN", "next": "/m", "csrf_token": token},
                               follow_redirects=False)
        assert switched.status_code == 303
        assert access.me(db, _principal(db))["language"] == "zh-CN"
        assert 'lang="zh-CN"' in client.get("/m").text
    # Signing in again elsewhere (a new browser, no cookies) brings the choice back.
    with TestClient(create_app(db)) as fresh:
        _sign_in(fresh)
        assert "退出登录" in fresh.get("/m").text


def test_the_api_still_answers_json_and_the_console_html(db: Database) -> None:
    with _console(db) as client:
        api = client.get("/api/v1/stock/balances")
        assert api.status_code == 401 and api.json()["error"]["code"] == "unauthenticated"
        _sign_in(client)
        missing = client.get("/no/such/page")
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
        script = client.get("/static/vendor/htmx.min.js")
        assert script.status_code == 200 and "htmx" in script.text[:2000]
        assert client.get("/static/vendor/nothing.js").status_code == 404


def test_signing_out_ends_the_session(db: Database) -> None:
    with _console(db) as client:
        _sign_in(client)
        token = _csrf(client)
        assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
        assert client.get("/m", follow_redirects=False).status_code == 303


def _principal(db: Database) -> object:
    from sqlalchemy import select

    from stockyard.db import tables as t
    from stockyard.services.auth import user_principal

    def work(conn: object) -> object:
        user = conn.execute(select(t.app_user).where(t.app_user.c.username == "pat")).first()  # type: ignore[attr-defined]
        return user_principal(conn, user)  # type: ignore[arg-type]
    return db.read(work)  # type: ignore[arg-type]
