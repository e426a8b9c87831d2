"""The administration forms in a real browser, in Chinese: an administrator creates a user scoped to one
warehouse (a refusal first, shown in place), and that user signs in and sees only that warehouse's stock."""

from __future__ import annotations

from sqlalchemy import select

from stockyard.db import tables as t
from tests.ui.conftest import Console, open_context, sign_in, snap

PASSWORD = "lantern-harbour-quiet-73"


def test_an_administrator_creates_a_user_who_then_signs_in(browser: object, console: Console) -> None:
    warehouse = console.db.read(lambda c: c.execute(
        select(t.warehouse.c.id, t.warehouse.c.code).where(t.warehouse.c.code == "SH-DC1")).one())
    context = open_context(browser, language="zh-CN")
    page = context.new_page()  # type: ignore[attr-defined]
    sign_in(page, console, "admin", "zh-CN")
    page.goto(f"{console.url}/admin/users")
    page.click("a.button.primary[href='/admin/users/new']")
    page.wait_for_url("**/admin/users/new")
    assert page.locator("h1").inner_text().endswith("新建用户")
    page.fill("input[name=username]", "ui_liu")
    page.fill("input[name=display_name]", "刘工")
    page.select_option("select[name=language]", "zh-CN")
    page.check("input[name=roles][value=operator]")
    page.select_option("select[name=warehouse_ids]", [str(warehouse.id)])
    page.fill("input[name=password]", "short-pw-1")
    # The browser would stop a short password itself; without that check the server's refusal shows in place.
    page.evaluate("document.querySelector('input[name=password]').removeAttribute('minlength')")
    page.click("form.admin-form button.primary")
    page.wait_for_selector("#feedback .feedback-error")
    assert page.url.endswith("/admin/users/new"), "a refusal keeps the form and what was typed"
    assert page.locator("#feedback .feedback-error code").inner_text() == "password"
    assert page.input_value("input[name=username]") == "ui_liu"
    snap(page, "admin-user-new-refused-zh")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.admin-form button.primary")
    page.wait_for_url("**/admin/users/*?done=created")
    assert page.locator("#feedback .feedback-ok").inner_text() == "用户已创建。"
    assert page.locator("input[name=roles][value=operator]").is_checked()
    snap(page, "admin-user-zh")
    page.goto(f"{console.url}/admin/roles")
    assert page.locator("a.button.primary[href='/admin/roles/new']").inner_text() == "新建角色"
    snap(page, "admin-roles-zh")
    page.goto(f"{console.url}/admin/roles/new")
    snap(page, "admin-role-new-zh")
    context.close()  # type: ignore[attr-defined]

    context = open_context(browser, language="zh-CN")
    page = context.new_page()  # type: ignore[attr-defined]
    page.goto(f"{console.url}/login")
    page.fill("input[name=username]", "ui_liu")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    assert "/login" not in page.url
    assert page.locator(".who").first.inner_text() == "ui_liu"
    snap(page, "admin-new-user-signed-in-zh")
    assert page.locator("html").get_attribute("lang") == "zh-CN", "the language chosen on the form"
    page.goto(f"{console.url}/inventory/balances")
    cells = page.locator("table.list tbody tr td:first-child").all_inner_texts()
    assert cells and {c.strip() for c in cells} == {warehouse.code}
    assert page.locator("nav.sidebar a[href='/admin/users']").count() == 0
    snap(page, "admin-new-user-balances-zh")
    context.close()  # type: ignore[attr-defined]
