"""Every page of the menus, and the record pages and forms reached from them, opened in a real browser by the
administrator in Chinese: it opens, nothing on it overflows sideways, and no label, heading, column or button is
left in English. Screenshots of each go to STOCKYARD_SCREENSHOTS when it is set, for a person to look at."""

from __future__ import annotations

import re
from typing import Any

import pytest

from stockyard.web import nav
from tests.ui.conftest import Console, open_context, sign_in, snap

# Texts of the page's frame a person reads as words; data (codes, names) sits in cells, not here.
FRAME = "h1, h2, thead th, label, button, summary, nav a, .hh-tile, legend, dt, .card-label"
CJK = re.compile("[\u4e00-\u9fff]")
# Abbreviations Chinese warehouse staff use as they are (SKU, LPN, SSCC, GTIN, PDF, CSV, XLSX, ABC, QC, ...),
# numbers, and the language switch's own name for English.
AS_IS = re.compile(r"^[A-Z0-9#][A-Z0-9 #./:()%×·+*\-–]*$|^English$|^$")


def _untranslated(page: Any) -> list[str]:
    texts = page.eval_on_selector_all(FRAME, "els => els.filter(e => e.offsetParent !== null)"
                                             ".map(e => e.innerText.trim())")
    return sorted({x for x in texts if not CJK.search(x) and not AS_IS.match(x)})


def _pages(entries: list[nav.Entry]) -> list[str]:
    return [e.url for e in entries]


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "handheld"])
def test_every_menu_page_opens_fits_and_speaks_chinese(browser: object, console: Console, phone: bool) -> None:
    urls = _pages(list(nav.HANDHELD)) if phone else _pages([e for s in nav.DESKTOP for e in s.entries])
    context: Any = open_context(browser, phone=phone, language="zh-CN")
    page = context.new_page()
    sign_in(page, console, "admin", "zh-CN")
    width = 360 if phone else 1366
    problems: list[str] = []
    seen = set(urls)
    for url in urls:
        response = page.goto(console.url + url)
        page.wait_for_load_state("networkidle")
        if response is None or response.status != 200:
            problems.append(f"{url}: {response.status if response else 'no answer'}")
            continue
        if page.evaluate("document.documentElement.scrollWidth") > width:
            problems.append(f"{url}: wider than the screen")
        left = _untranslated(page)
        if left:
            problems.append(f"{url}: untranslated {left}")
        snap(page, ("handheld" if phone else "desktop") + url.replace("/", "-").rstrip("-") + "-zh-CN")
        # A list's first record opens its own page (a SKU, a receipt, a wave...): that page is checked too.
        first = page.locator("#listing tbody a[href^='/']").first
        if first.count():
            record = str(first.get_attribute("href")).split("?", 1)[0]
            if record not in seen and re.search(r"/\d+$", record):
                seen.add(record)
                urls.append(record)
        # So does each form a page offers (a new record, an edit): its labels and choices are checked too.
        for href in page.eval_on_selector_all("a.button[href$='/new'], a.button[href$='/edit']",
                                              "els => els.map(e => e.getAttribute('href'))"):
            if href not in seen:
                seen.add(href)
                urls.append(href)
    context.close()
    assert not problems, "\n".join(problems)
