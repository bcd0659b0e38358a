"""gettext catalogs (zh_CN, en) for everything a person reads: UI, notices, emails."""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """Compile the .po catalog in memory once (no build step, no binary files in the repo)."""
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def locale_for_language(language: str | None) -> str:
    """A customer's or agent's language code (`zh`, `en`, `zh-CN`, …) → one of LOCALES."""
    if not language:
        return DEFAULT_LOCALE
    lang = language.replace("-", "_").lower()
    if lang.startswith("en"):
        return "en"
    if lang.startswith("zh"):
        return "zh_CN"
    return DEFAULT_LOCALE


def negotiate(accept_language: str | None, preferred: str | None = None) -> str:
    """The user's own setting wins; else the browser's Accept-Language; else the default."""
    if preferred:
        return locale_for_language(preferred)
    if not accept_language:
        return DEFAULT_LOCALE
    weighted: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        piece = part.strip()
        if not piece:
            continue
        lang, _, q = piece.partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        weighted.append((weight, lang.strip()))
    for _, lang in sorted(weighted, key=lambda w: -w[0]):
        low = lang.lower()
        if low.startswith(("zh", "en")):
            return locale_for_language(low)
    return DEFAULT_LOCALE


def gettext_for(locale: str, message: str) -> str:
    return translations(locale).gettext(message)
