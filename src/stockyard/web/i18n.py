"""Languages of the web console: gettext catalogues (Babel) read from ``locale/``, localised numbers and dates.

The catalogues are the ``.po`` files themselves, compiled in memory when the app starts, so a translation is
one text file to review and nothing binary is committed."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = {"en": "English", "zh-CN": "简体中文"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "stockyard_lang"


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker
    """Marks a text for the catalogue where it is defined; it is translated where it is shown."""
    return message


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of a language (English is the source language: no catalogue)."""
    if language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    po = LOCALE_DIR / language.replace("-", "_") / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as source:
        catalogue = read_po(source, locale=language.replace("-", "_"))
    compiled = BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The language of a page: the person's choice (a cookie set from their profile), else their browser's."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Formats:
    """Numbers and dates the way a language writes them, in the console's time zone."""

    language: str
    timezone: str = "UTC"

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.language.replace("-", "_"))

    def number(self, value: Decimal | int | float | None) -> str:
        if value is None:
            return ""
        if isinstance(value, Decimal):
            value = value.normalize() if value == value.to_integral_value() else value
            places = max(0, -int(value.as_tuple().exponent))
            return format_decimal(value, format=f"#,##0.{'#' * places}" if places else "#,##0",
                                  locale=self.locale)
        return format_decimal(value, locale=self.locale)

    def date(self, value: date | None) -> str:
        return "" if value is None else format_date(value, format="medium", locale=self.locale)

    def datetime(self, value: datetime | None) -> str:
        if value is None:
            return ""
        return format_datetime(value, format="medium", tzinfo=ZoneInfo(self.timezone), locale=self.locale)
