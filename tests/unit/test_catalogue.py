"""The console's catalogue: every text the pages show has its Chinese translation, and the placeholders match."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from stockyard.web import i18n

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "src" / "stockyard" / "web"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _texts_in_code() -> set[str]:
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true",
                                        "lstrip_blocks": "true"}}
    found: set[str] = set()
    for _, _, message, _, _ in extract_from_dir(str(WEB), method_map, options, keywords={
            "_": None, "gettext": None, "ngettext": (1, 2), "N_": None}):
        found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def _catalogue() -> dict[str, str]:
    with (i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source)
    return {m.id if isinstance(m.id, str) else m.id[0]: (m.string if isinstance(m.string, str) else m.string[0])
            for m in catalogue if m.id and not m.fuzzy}


def test_every_text_of_the_console_has_a_chinese_translation() -> None:
    texts = _texts_in_code()
    assert len(texts) > 50, "the extraction found too few texts: is the mapping right?"
    translated = _catalogue()
    missing = sorted(t for t in texts if not translated.get(t))
    assert not missing, f"untranslated (run scripts/translations and fill them in): {missing}"


def test_translations_keep_every_placeholder() -> None:
    for source, target in _catalogue().items():
        assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(target)), source


def test_the_compiled_catalogue_translates_and_english_is_the_source() -> None:
    assert i18n.translations("zh-CN").gettext("Sign in") == "登录"
    assert i18n.translations("en").gettext("Sign in") == "Sign in"


def test_numbers_and_dates_are_written_the_way_each_language_writes_them() -> None:
    from datetime import UTC, date, datetime
    from decimal import Decimal

    english, chinese = i18n.Formats("en"), i18n.Formats("zh-CN", "Asia/Shanghai")
    assert english.number(Decimal("12345.500000")) == "12,345.5"
    assert english.number(Decimal("3.000000")) == "3"
    assert chinese.date(date(2026, 12, 4)) == "2026年12月4日"
    # 23:30 UTC is already the next morning in Shanghai.
    assert chinese.datetime(datetime(2026, 12, 4, 23, 30, tzinfo=UTC)).startswith("2026年12月5日")


def test_the_language_is_the_persons_choice_else_their_browsers() -> None:
    assert i18n.negotiate("zh-CN", "en-US,en;q=0.9") == "zh-CN"
    assert i18n.negotiate(None, "zh-TW,zh;q=0.8") == "zh-CN"
    assert i18n.negotiate("klingon", "fr-FR") == "en"
