"""Languages: negotiation, the switcher, personal settings, and complete catalogs."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import consigndesk
from consigndesk.adapters.db import queries
from tests.web import seed
from tests.web.conftest import Web, csrf_of

PACKAGE = Path(consigndesk.__file__).parent
TEMPLATES = PACKAGE / "adapters" / "http" / "web" / "templates"
LOCALE_DIR = PACKAGE / "i18n" / "locale"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "gettext_for": (2,)}
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
# Text a template may show without translation: endonyms, the logo glyph.
UNTRANSLATED_OK = {"中文", "English", "寄"}


def used_msgids() -> set[str]:
    found: set[str] = set()
    for _, _, message, _, _ in extract_from_dir(
        str(PACKAGE), METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        if isinstance(message, tuple):
            found.update(m for m in message if m)
        elif message:
            found.add(message)
    return found


def catalog(locale: str) -> dict[str, str]:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return {m.id: m.string for m in read_po(fh) if m.id and not m.fuzzy}  # type: ignore[misc]


def test_every_message_is_translated_in_both_catalogs() -> None:
    used = used_msgids()
    assert "Sign in" in used and "Urgent" in used  # extraction reaches templates and labels
    zh, en = catalog("zh_CN"), catalog("en")
    assert sorted(m for m in used if not zh.get(m)) == []
    assert sorted(m for m in used if m not in en) == []
    # placeholders survive translation
    for msgid, text in zh.items():
        assert sorted(re.findall(r"%\(\w+\)\w", msgid)) == sorted(
            re.findall(r"%\(\w+\)\w", text)
        ), msgid


def test_templates_show_no_literal_text() -> None:
    """Whatever a template shows must come through `_()`: strip tags and Jinja, expect none."""
    leftovers: dict[str, list[str]] = {}
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", text, flags=re.S)
        text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
        text = re.sub(r"<[^>]*>", " ", text, flags=re.S)
        words = [w for w in re.split(r"\s+", text) if any(ch.isalpha() for ch in w)]
        words = [w for w in words if w not in UNTRANSLATED_OK]
        if words:
            leftovers[path.name] = words
    assert leftovers == {}


def test_accept_language_picks_the_language(web: Web) -> None:
    english = web.client("en-US,en;q=0.9").get("/login")
    assert "Agent sign in" in english.text and 'lang="en"' in english.text
    chinese = web.client("zh-CN,zh;q=0.9,en;q=0.8").get("/login")
    assert "客服登录" in chinese.text and 'lang="zh-CN"' in chinese.text
    assert "客服登录" in web.client("fr-FR").get("/login").text  # default: zh_CN


def test_the_switcher_remembers_the_choice(web: Web) -> None:
    client = web.client("zh-CN")
    token = csrf_of(client.get("/login").text)
    assert client.post("/lang", data={"lang": "en"}).status_code == 403  # no CSRF token
    switched = client.post(
        "/lang", data={"lang": "en", "csrf": token, "next": "/login"}, follow_redirects=False
    )
    assert (switched.status_code, switched.headers["location"]) == (303, "/login")
    assert "Agent sign in" in client.get("/login").text
    away = client.post(
        "/lang",
        data={"lang": "zh_CN", "csrf": token, "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert away.headers["location"] == "/"
    assert "客服登录" in client.get("/login").text


def test_personal_settings_beat_the_browser(web: Web) -> None:
    seed.agent(web.core, "emily@desk.test", "Emily Carter", language="en")
    agent, _ = web.agent_client("emily@desk.test", accept_language="zh-CN")
    assert "Inbox" in agent.get("/").text and "Most urgent first" in agent.get("/").text

    seed.customer_ticket(
        web.core, "u-en", "Where is my parcel?", subject="Parcel", name="Owen", language="en"
    )
    customer = web.customer_client("u-en", accept_language="zh-CN")
    assert "My requests" in customer.get("/portal/tickets").text


def test_the_receipt_notice_is_translated(web: Web) -> None:
    ticket_id = seed.customer_ticket(web.core)  # a Chinese message: a zh ticket
    web.core.relay.drain()
    with web.core.database.read_sessions() as session:
        found = queries.ticket_detail(session, ticket_id)
    assert found is not None
    notice = found["messages"][-1]
    assert notice["author_type"] == "system"
    assert notice["body"].startswith(f"我们已收到您的请求 {found['reference']}")
