"""Signing in, the language switch and the menus, in a real browser."""

from __future__ import annotations

import pytest

from tests.ui.conftest import Console, open_context, sign_in, snap


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_operator_lands_on_the_handheld_menu_in_their_language(browser: object, console: Console,
                                                              language: str) -> None:
    context = open_context(browser, phone=True, language=language)
    page = context.new_page()
    sign_in(page, console, "operator", language)
    assert page.url.endswith("/m")
    tiles = page.locator(".hh-tile").all_inner_texts()
    assert ("Pick" if language == "en" else "拣货") in tiles
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the menu overflows a phone screen"
    snap(page, f"handheld-menu-{language}")
    context.close()


def test_an_operator_cannot_open_a_supervisor_page(browser: object, console: Console) -> None:
    context = open_context(browser)
    page = context.new_page()
    sign_in(page, console, "operator")
    for path in ("/admin/users", "/inventory/approvals", "/outbound/waves"):
        response = page.goto(console.url + path)
        assert response is not None and response.status == 403, path
        assert page.locator(".feedback-error").is_visible()
    assert "/admin/users" not in page.locator("nav.sidebar").inner_html()
    context.close()


def test_signing_in_with_a_wrong_password_says_so_and_signs_nobody_in(browser: object, console: Console) -> None:
    context = open_context(browser)
    page = context.new_page()
    page.goto(f"{console.url}/login")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit].primary")
    assert page.locator(".feedback-error").is_visible()
    assert page.goto(f"{console.url}/m") is not None
    assert "/login" in page.url
    context.close()
