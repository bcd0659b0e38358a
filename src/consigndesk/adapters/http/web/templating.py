"""Jinja2 for the web pages: per-request gettext, the locale choice, formatting filters."""

from __future__ import annotations

import gettext as gettext_module
import re
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from consigndesk.adapters.http.deps import csrf_token
from consigndesk.domain.orders import format_amount
from consigndesk.i18n import LOCALES, locale_for_language, negotiate, translations

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
DISPLAY_TZ = ZoneInfo("Asia/Shanghai")  # the marketplace's home time zone

_active: ContextVar[gettext_module.NullTranslations | None] = ContextVar(
    "consigndesk_web_translations", default=None
)
_NULL = gettext_module.NullTranslations()


def _gettext(message: str) -> str:
    return (_active.get() or _NULL).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return (_active.get() or _NULL).ngettext(singular, plural, n)


def as_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_datetime(value: Any) -> str:
    moment = as_datetime(value)
    return moment.astimezone(DISPLAY_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


def iso(value: Any) -> str:
    moment = as_datetime(value)
    return moment.isoformat() if moment else ""


def format_age(value: Any, now: datetime | None = None) -> str:
    """Time since `value`, short: `12 min`, `3 h`, `2 d` (translated)."""
    moment = as_datetime(value)
    if moment is None:
        return ""
    minutes = max(0, int(((now or datetime.now(UTC)) - moment).total_seconds() // 60))
    if minutes < 60:
        return gettext("%(n)d min") % {"n": minutes}
    if minutes < 48 * 60:
        return gettext("%(n)d h") % {"n": minutes // 60}
    return gettext("%(n)d d") % {"n": minutes // (24 * 60)}


def clock(value: Any, now: datetime | None = None) -> str:
    """A moment as `HH:MM` when it is today (marketplace time), else `MM-DD HH:MM`."""
    moment = as_datetime(value)
    if moment is None:
        return ""
    local = moment.astimezone(DISPLAY_TZ)
    today = (now or datetime.now(UTC)).astimezone(DISPLAY_TZ).date()
    return local.strftime("%H:%M" if local.date() == today else "%m-%d %H:%M")


def expected_at(created_at: Any, eta_seconds: int | None) -> datetime | None:
    """When the first reply is expected: stored ETAs count from the ticket's creation."""
    moment = as_datetime(created_at)
    if moment is None or eta_seconds is None:
        return None
    return moment + timedelta(seconds=int(eta_seconds))


def is_past(value: Any) -> bool:
    moment = as_datetime(value)
    return moment is not None and moment < datetime.now(UTC)


def file_size(size: Any) -> str:
    """Bytes for people: `812 B`, `14.2 KB`, `3.1 MB`."""
    try:
        n = int(size)
    except (TypeError, ValueError):
        return ""
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def highlight(text: str, words: list[str]) -> Markup:
    """Escape `text` and wrap each occurrence of the search words in <mark> (case-insensitive)."""
    wanted = sorted({w for w in words if w and len(w.strip()) > 0}, key=len, reverse=True)
    if not text or not wanted:
        return Markup(escape(text or ""))
    pattern = re.compile("|".join(re.escape(w) for w in wanted), re.IGNORECASE)
    out, last = [], 0
    for found in pattern.finditer(text):
        out.append(escape(text[last : found.start()]))
        out.append(f"<mark>{escape(found.group(0))}</mark>")
        last = found.end()
    out.append(escape(text[last:]))
    return Markup("".join(out))


def format_duration(seconds: Any) -> str:
    """A wait for people: `45 min`, `2 h 10 min` (translated)."""
    try:
        minutes = max(0, round(float(seconds) / 60))
    except (TypeError, ValueError):
        return ""
    if minutes < 1:
        return gettext("under a minute")
    if minutes < 60:
        return gettext("%(n)d min") % {"n": minutes}
    hours, rest = divmod(minutes, 60)
    if not rest:
        return gettext("%(n)d h") % {"n": hours}
    return gettext("%(h)d h %(m)d min") % {"h": hours, "m": rest}


def format_money(amount: Any, currency: str | None = None) -> str:
    """`¥4,999.00`; an amount that is not a plain decimal is shown as it was sent."""
    if amount is None or amount == "":
        return ""
    return format_amount(amount, currency) or str(amount)[:40]


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # newstyle: `_("Hello %(name)s", name=x)` formats and escapes; the callables read the
    # translations of the request being rendered from a context variable.
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        datetime=format_datetime,
        iso=iso,
        age=format_age,
        money=format_money,
        clock=clock,
        filesize=file_size,
        highlight=highlight,
        past=is_past,
        duration=format_duration,
    )
    env.globals.update(expected_at=expected_at)
    return env


ENV = build_environment()


def locale_of(request: Request, preferred: str | None = None) -> str:
    """The language switcher's choice, else the person's own setting, else Accept-Language."""
    chosen = request.session.get("lang")
    if chosen in LOCALES:
        return str(chosen)
    if preferred:
        return locale_for_language(preferred)
    return negotiate(request.headers.get("accept-language"))


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    locale: str,
    status_code: int = 200,
    notices: list[tuple[str, str, dict[str, Any]]] | None = None,
) -> HTMLResponse:
    """Render `template` in `locale` with the things every page needs.

    `notices` are (kind, msgid, params) shown above the page, translated here like flashes;
    a param may be a callable, called while the page's locale is active.
    """
    token = _active.set(translations(locale))
    try:
        pending = [*request.session.pop("flash", []), *(notices or [])]
        flashes = [
            {"kind": kind, "text": _notice_text(message, params)}
            for kind, message, params in pending
        ]
        html = _render(request, template, {**context, "flashes": flashes}, locale)
    finally:
        _active.reset(token)
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={"Content-Language": "zh-CN" if locale == "zh_CN" else "en"},
    )


def _notice_text(message: str, params: dict[str, Any]) -> str:
    """Translate a notice; callable params (labels) are evaluated in the page's locale too."""
    if not params:
        return _gettext(message)
    values = {k: v() if callable(v) else v for k, v in params.items()}
    return _gettext(message) % values


def _render(request: Request, template: str, context: dict[str, Any], locale: str) -> str:
    ctx: dict[str, Any] = {
        "request": request,
        "locale": locale,
        "html_lang": "zh-CN" if locale == "zh_CN" else "en",
        "csrf": csrf_token(request),
        "path": request.url.path,
        "full_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    ctx.update(context)
    return ENV.get_template(template).render(ctx)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where it is shown."""
    return message


def gettext(message: str) -> str:
    """Translate in the locale of the page being rendered (inside `render` only)."""
    return _gettext(message)


def flash(request: Request, kind: str, message: str, **params: Any) -> None:
    """Remember a message (an untranslated msgid) for the next page this session renders."""
    request.session.setdefault("flash", [])
    request.session["flash"] = [*request.session["flash"], [kind, message, params]]


def content_language(locale: str) -> str:
    """The language code articles and triage use (`zh`, `en`) for a page locale."""
    return "en" if locale == "en" else "zh"
