"""Browser tests: the real app served by uvicorn on a free loopback port, the demo warehouse loaded into a
SQLite file, and Debian's Chromium driven headless by Playwright.

The server and the browser live for the whole session (loading the demo takes seconds); each test opens its own
browser context, so cookies and language never leak between tests. Tests change the demo's data as a person
would, so each one works with orders, SKUs and references of its own."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from stockyard.api.app import create_app
from stockyard.db.engine import Database
from stockyard.db.migrate import upgrade
from stockyard.demo import load_demo
from stockyard.demo_users import create_demo_users

CHROMIUM = os.environ.get("STOCKYARD_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = os.environ.get("STOCKYARD_SCREENSHOTS")  # a folder: tests save what they saw there
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 860}

playwright_api = pytest.importorskip("playwright.sync_api")


@dataclass(frozen=True)
class Console:
    url: str
    password: str
    db: Database


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    path = tmp_path_factory.mktemp("ui") / "stockyard.db"
    db = Database.from_url(f"sqlite:///{path}")
    upgrade(db.engine)
    load_demo(db)
    made = create_demo_users(db)
    assert made is not None
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the console did not start"
        time.sleep(0.05)
    yield Console(f"http://127.0.0.1:{port}", made[0], db)
    server.should_exit = True
    thread.join(10)
    db.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not at {CHROMIUM}: scripts/test installs Debian's chromium package")
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        yield launched
        launched.close()


def open_context(browser: object, *, phone: bool = False, language: str = "en") -> object:
    """A fresh browser profile: phone-sized with touch for handhelds, else a desktop screen."""
    locale = "zh-CN" if language == "zh-CN" else "en-US"
    if phone:
        return browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale=locale,  # type: ignore[attr-defined]
                                   accept_downloads=True)
    return browser.new_context(viewport=DESKTOP, locale=locale, accept_downloads=True)  # type: ignore[attr-defined]


def sign_in(page: object, console: Console, username: str, language: str = "en") -> None:
    """Sign in through the login form in ``language`` (chosen on the form, kept in the user's profile)."""
    page.goto(f"{console.url}/login")  # type: ignore[attr-defined]
    current = page.locator("button.lang.current").get_attribute("value")  # type: ignore[attr-defined]
    if current != language:
        page.click(f"button.lang[value='{language}']")  # type: ignore[attr-defined]
    page.fill("input[name=username]", username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", console.password)  # type: ignore[attr-defined]
    page.click("button[type=submit].primary")  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]
    if page.locator("html").get_attribute("lang") != language:  # type: ignore[attr-defined]
        # The profile's language wins at sign-in; switch as a person would.
        page.click(f"button.lang[value='{language}']")  # type: ignore[attr-defined]
        page.wait_for_load_state()  # type: ignore[attr-defined]


def snap(page: object, name: str) -> None:
    """Keep a screenshot for a person to look at (only when STOCKYARD_SCREENSHOTS names a folder)."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
