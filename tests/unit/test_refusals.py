"""The translated meanings of refusals name codes the services really raise, and read in Chinese."""

from __future__ import annotations

import re
from pathlib import Path

from stockyard.web import i18n
from stockyard.web.refusals import REFUSALS

SOURCE = Path(__file__).resolve().parents[2] / "src" / "stockyard"


def test_every_refusal_meaning_belongs_to_a_code_the_services_raise() -> None:
    raised = {m for path in SOURCE.rglob("*.py") for m in re.findall(r'code="([a-z_]+)"', path.read_text())}
    raised.add("invalid")  # the default code of every InvalidInput
    assert set(REFUSALS) - raised == set()


def test_each_meaning_has_its_chinese_text() -> None:
    chinese = i18n.translations("zh-CN")
    untranslated = [text for text in REFUSALS.values() if chinese.gettext(text) == text]
    assert untranslated == []
