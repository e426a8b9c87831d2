"""What the console's HTTP tests share: the demo warehouse with its users, a signed-in browser, its CSRF token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from stockyard.api.app import create_app
from stockyard.db.engine import Database
from stockyard.demo import load_demo
from stockyard.demo_users import create_demo_users


def demo_with_users(db: Database) -> str:
    """Load the demo warehouse and its users (admin, manager, coordinator, operator, ...); returns their password."""
    load_demo(db)
    made = create_demo_users(db)
    assert made is not None
    return made[0]


def signed_in(db: Database, password: str, username: str) -> TestClient:
    """A browser signed in through the login form (the session cookie is kept by the client)."""
    browser = TestClient(create_app(db), base_url="http://testserver")
    assert browser.post("/login", data={"username": username, "password": password},
                        follow_redirects=False).status_code == 303
    return browser


def csrf_of(browser: TestClient, path: str = "/") -> str:
    """The CSRF token a page of the browser's session carries."""
    found = re.search(r'name="csrf-token" content="([^"]+)"', browser.get(path).text)
    assert found is not None
    return found.group(1)
