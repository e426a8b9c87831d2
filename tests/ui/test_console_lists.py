"""The desktop console's lists and the audit verification, in a real browser."""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import Console, open_context, sign_in, snap


def test_a_manager_filters_the_balances_in_chinese_and_downloads_them(browser: object, console: Console) -> None:
    context = open_context(browser, language="zh-CN")
    page = context.new_page()
    sign_in(page, console, "manager", "zh-CN")
    page.goto(f"{console.url}/inventory/balances")
    assert page.locator("h1").inner_text() == "库存余额"
    before = page.locator("#listing tbody tr").count()
    assert before > 0
    page.select_option("select[name=status]", "frozen")
    page.wait_for_url("**status=frozen**")
    badges = page.locator("#listing tbody .badge").all_inner_texts()
    assert all(text == "冻结" for text in badges)
    page.select_option("select[name=status]", "available")
    page.wait_for_url("**status=available**")
    assert set(page.locator("#listing tbody .badge").all_inner_texts()) == {"可用"}
    with page.expect_download() as download:
        page.click("a[href*='format=csv']")
    saved = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert saved.splitlines()[0].startswith("仓库,库位")
    assert all(",可用," in line for line in saved.splitlines()[1:])
    snap(page, "balances-zh")
    context.close()


def test_it_support_verifies_the_audit_chain_with_one_click(browser: object, console: Console) -> None:
    context = open_context(browser)
    page = context.new_page()
    sign_in(page, console, "itsupport")
    page.goto(f"{console.url}/admin/audit")
    assert page.locator("#listing tbody tr").count() > 0
    page.click("text=Verify the chain")
    verdict = page.locator("#verdict .verdict-ok")
    verdict.wait_for()
    assert "intact" in verdict.inner_text()
    snap(page, "audit-verified")
    context.close()


def test_the_manager_lands_on_the_dashboard_and_its_charts_are_drawn(browser: object, console: Console) -> None:
    context = open_context(browser, language="zh-CN")
    page = context.new_page()
    sign_in(page, console, "manager", "zh-CN")
    assert page.url.rstrip("/") == console.url
    assert page.locator("h1").inner_text() == "仪表盘"
    assert page.locator("[data-figure=on_hand] .card-value").inner_text() not in ("", "0")
    page.locator("#chart-zones svg").first.wait_for()
    assert page.locator("#chart-zones svg path, #chart-zones svg rect").count() > 0
    snap(page, "dashboard-zh")
    context.close()
