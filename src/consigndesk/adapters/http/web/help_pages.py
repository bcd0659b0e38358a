"""The public help centre (no sign-in): categories, search with "did you mean", articles and
"was this helpful?". Reads go through the read-only unit of work; drafts look like missing pages."""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from consigndesk.adapters.http.deps import AppDep
from consigndesk.adapters.http.guard import CheckedRoute
from consigndesk.adapters.http.params import RowId
from consigndesk.adapters.http.web.common import csrf_failed, csrf_ok, not_found, redirect
from consigndesk.adapters.http.web.templating import content_language, locale_of, render
from consigndesk.domain.errors import DomainError
from consigndesk.domain.knowledge import CATEGORIES, LANGUAGES
from consigndesk.services import knowledge

router = APIRouter(prefix="/help", include_in_schema=False, route_class=CheckedRoute)
VOTER_KEY = "kb_voter"  # the same visitor token the help-centre API uses
VOTED_KEY = "kb_voted"  # article id → helpful, so the page shows counts once you voted
MAX_REMEMBERED_VOTES = 50


def _context(request: Request, locale: str, **extra: Any) -> dict[str, Any]:
    lang = content_language(locale)
    customer = request.session.get("customer")
    return {
        "lang": lang,
        "customer": customer if isinstance(customer, dict) else None,
        "signed_in_agent": request.session.get("agent_id") is not None,
        "category_names": {key: names[LANGUAGES.index(lang)] for key, names in CATEGORIES.items()},
        **extra,
    }


@router.get("", response_class=HTMLResponse)
def home(request: Request, core: AppDep) -> Response:
    locale = locale_of(request)
    lang = content_language(locale)
    categories = knowledge.help_center_index(core.read_uow(), lang)
    return render(
        request, "help_index.html", _context(request, locale, categories=categories), locale=locale
    )


def did_you_mean(query: str, corrections: dict[str, str]) -> str | None:
    """The query with each corrected word replaced, or None when nothing was corrected."""
    if not corrections:
        return None
    fixed = query
    for typo, word in corrections.items():
        fixed = re.sub(re.escape(typo), word, fixed, flags=re.IGNORECASE)
    return fixed if fixed != query else None


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request, core: AppDep, q: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    locale = locale_of(request)
    lang = content_language(locale)
    found = knowledge.search_help(core.read_uow(), q, lang, limit=20)
    suggestion = did_you_mean(found["query"], found["corrections"])
    words = [w for w in (*found["terms"], *found["query"].split()) if len(w) > 1]
    context = _context(
        request,
        locale,
        q=found["query"],
        results=found["results"],
        words=words,
        suggestion=suggestion,
        suggestion_url="/help/search?" + urlencode({"q": suggestion}) if suggestion else None,
    )
    return render(request, "help_search.html", context, locale=locale)


def _voted(request: Request) -> dict[str, bool]:
    stored = request.session.get(VOTED_KEY)
    return dict(stored) if isinstance(stored, dict) else {}


def _article_page(
    request: Request, core: AppDep, article_id: int, *, status_code: int = 200
) -> Response:
    locale = locale_of(request)
    lang = content_language(locale)
    try:
        view = knowledge.get_article(core.read_uow(), article_id, lang=lang)
    except DomainError:
        return not_found(request, locale)
    index = knowledge.help_center_index(core.read_uow(), lang)
    siblings: list[dict[str, Any]] = next(
        (c["articles"] for c in index if c["category"] == view["category"]), []
    )
    context = _context(
        request,
        locale,
        article=view,
        tr=view["translations"][lang],
        votes=view["votes"].get(lang, {"helpful": 0, "not_helpful": 0}),
        my_vote=_voted(request).get(str(article_id)),
        related=[a for a in siblings if a["id"] != article_id][:6],
    )
    return render(request, "help_article.html", context, locale=locale, status_code=status_code)


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article(request: Request, core: AppDep, article_id: RowId) -> Response:
    return _article_page(request, core, article_id)


@router.post("/articles/{article_id}/vote", response_class=HTMLResponse)
def vote(
    request: Request,
    core: AppDep,
    article_id: RowId,
    helpful: Annotated[str, Form()] = "",
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """One vote per visitor session and article (voting again changes it), then the counts."""
    locale = locale_of(request)
    if not csrf_ok(request, csrf):
        return csrf_failed(request, locale)
    if helpful not in ("yes", "no"):
        return _article_page(request, core, article_id, status_code=422)
    token = request.session.get(VOTER_KEY)
    if not token:
        token = secrets.token_urlsafe(24)
        request.session[VOTER_KEY] = token
    lang = content_language(locale)
    try:
        result = knowledge.vote_article(core.uow(), article_id, lang, str(token), helpful == "yes")
    except DomainError:
        return not_found(request, locale)
    voted = _voted(request)
    voted[str(article_id)] = helpful == "yes"
    request.session[VOTED_KEY] = dict(list(voted.items())[-MAX_REMEMBERED_VOTES:])
    if request.headers.get("hx-request"):
        context = _context(
            request,
            locale,
            article={"id": article_id},
            votes=result["votes"].get(lang, {"helpful": 0, "not_helpful": 0}),
            my_vote=helpful == "yes",
        )
        return render(request, "_help_vote.html", context, locale=locale)
    return redirect(f"/help/articles/{article_id}#vote")
