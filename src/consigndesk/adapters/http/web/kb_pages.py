"""The knowledge-base editor for supervisors and admins: list, write zh and en side by side,
preview, publish, and read earlier versions. Every save of a changed translation is a version."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from consigndesk.adapters.http.deps import AppDep
from consigndesk.adapters.http.guard import CheckedRoute
from consigndesk.adapters.http.params import RowId, VersionNumber
from consigndesk.adapters.http.web.common import (
    Notice,
    csrf_failed,
    csrf_ok,
    domain_notice,
    not_found,
    redirect,
)
from consigndesk.adapters.http.web.staff import manager_or_refusal
from consigndesk.adapters.http.web.templating import (
    N_,
    content_language,
    flash,
    locale_of,
    render,
)
from consigndesk.bootstrap import App
from consigndesk.domain.errors import DomainError, InvalidTransition, StaleVersion
from consigndesk.domain.knowledge import CATEGORIES, LANGUAGES, Author
from consigndesk.domain.taxonomy import Intent
from consigndesk.services import knowledge

router = APIRouter(prefix="/admin/articles", include_in_schema=False, route_class=CheckedRoute)
INTENTS = [i.value for i in Intent]
STATUSES = ("draft", "published")


def _author(agent: dict[str, Any]) -> Author:
    return Author(id=int(agent["id"]), name=str(agent["name"] or agent["email"]))


def _tags(text: str) -> list[str]:
    return [t for t in (part.strip() for part in text.replace("，", ",").split(",")) if t]


def _base_context(agent: dict[str, Any], locale: str, **extra: Any) -> dict[str, Any]:
    lang = content_language(locale)
    return {
        "agent": agent,
        "languages": LANGUAGES,
        "categories": {key: names[LANGUAGES.index(lang)] for key, names in CATEGORIES.items()},
        "intents": INTENTS,
        **extra,
    }


@router.get("", response_class=HTMLResponse)
def list_page(
    request: Request, core: AppDep, status: str = "", category: str = "", intent: str = ""
) -> Response:
    agent = manager_or_refusal(request, core)
    if isinstance(agent, Response):
        return agent
    locale = locale_of(request, agent["language"])
    status = status if status in STATUSES else ""
    category = category if category in CATEGORIES else ""
    intent = intent if intent in INTENTS else ""
    rows = knowledge.list_articles(
        core.read_uow(), status=status or None, category=category or None, intent=intent or None
    )
    context = _base_context(
        agent,
        locale,
        rows=rows,
        f={"status": status, "category": category, "intent": intent},
        statuses=STATUSES,
    )
    return render(request, "kb_list.html", context, locale=locale)


# -- writing ---------------------------------------------------------------------------------


def _form_from(article: dict[str, Any]) -> dict[str, Any]:
    """The editor's fields from a stored article."""
    trs = article["translations"]
    return {
        "slug": article["slug"],
        "category": article["category"],
        "tags": ", ".join(article["tags"]),
        "intents": list(article["intents"]),
        **{f"title_{lang}": trs.get(lang, {}).get("title", "") for lang in LANGUAGES},
        **{f"body_{lang}": trs.get(lang, {}).get("body_md", "") for lang in LANGUAGES},
    }


def _editor(
    request: Request,
    core: App,
    agent: dict[str, Any],
    form: dict[str, Any],
    *,
    article: dict[str, Any] | None = None,
    status_code: int = 200,
    notices: list[Notice] | None = None,
) -> Response:
    locale = locale_of(request, agent["language"])
    versions = knowledge.article_versions(core.read_uow(), article["id"]) if article else []
    context = _base_context(agent, locale, form=form, article=article, versions=versions)
    return render(
        request, "kb_edit.html", context, locale=locale, status_code=status_code, notices=notices
    )


def _kb_notice(exc: DomainError) -> tuple[int, Notice]:
    if exc.code == "slug_taken":
        return 422, ("error", N_("Another article already uses this address (slug)."), {})
    if isinstance(exc, InvalidTransition) and exc.code == "translation_missing":
        return 409, (
            "error",
            N_("An article needs both its Chinese and its English version to be published."),
            {},
        )
    return domain_notice(exc)


@router.post("/preview", response_class=HTMLResponse)
def preview(
    request: Request,
    core: AppDep,
    title_zh: Annotated[str, Form(max_length=200)] = "",
    body_zh: Annotated[str, Form(max_length=50_000)] = "",
    title_en: Annotated[str, Form(max_length=200)] = "",
    body_en: Annotated[str, Form(max_length=50_000)] = "",
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """Both languages rendered exactly as the help center will show them (sanitized)."""
    agent = manager_or_refusal(request, core)
    if isinstance(agent, Response):
        return agent
    if not csrf_ok(request, csrf):
        return csrf_failed(request, locale_of(request, agent["language"]))
    sides = {
        "zh": (title_zh, knowledge.render_markdown(body_zh)),
        "en": (title_en, knowledge.render_markdown(body_en)),
    }
    return render(
        request, "_kb_preview.html", {"sides": sides}, locale=locale_of(request, agent["language"])
    )


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, core: AppDep) -> Response:
    agent = manager_or_refusal(request, core)
    if isinstance(agent, Response):
        return agent
    return _editor(request, core, agent, {"category": "buying", "intents": []})


@router.post("", response_class=HTMLResponse)
def create(
    request: Request,
    core: AppDep,
    slug: Annotated[str, Form(max_length=80)] = "",
    category: Annotated[str, Form()] = "",
    tags: Annotated[str, Form(max_length=1000)] = "",
    intents: Annotated[list[str] | None, Form()] = None,
    title_zh: Annotated[str, Form(max_length=200)] = "",
    body_zh: Annotated[str, Form(max_length=50_000)] = "",
    title_en: Annotated[str, Form(max_length=200)] = "",
    body_en: Annotated[str, Form(max_length=50_000)] = "",
    publish: Annotated[str, Form()] = "",
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    agent = manager_or_refusal(request, core)
    if isinstance(agent, Response):
        return agent
    if not csrf_ok(request, csrf):
        return csrf_failed(request, locale_of(request, agent["language"]))
    form: dict[str, Any] = {
        "slug": slug.strip().lower(),
        "category": category,
        "tags": tags,
        "intents": intents or [],
        "title_zh": title_zh,
        "body_zh": body_zh,
        "title_en": title_en,
        "body_en": body_en,
    }
    texts = {
        lang: knowledge.TranslationInput(title=form[f"title_{lang}"], body=form[f"body_{lang}"])
        for lang in LANGUAGES
        if form[f"title_{lang}"].strip() or form[f"body_{lang}"].strip()
    }
    try:
        article_id = knowledge.create_article(
            core.uow(),
            knowledge.ArticleInput(
                slug=form["slug"],
                category=category,
                translations=texts,
                tags=_tags(tags),
                intents=form["intents"],
                publish=bool(publish),
            ),
            _author(agent),
        )
    except DomainError as exc:
        status_code, notice = _kb_notice(exc)
        return _editor(request, core, agent, form, status_code=status_code, notices=[notice])
    flash(request, "success", N_("Article saved."))
    return redirect(f"/admin/articles/{article_id}")


def _posting_on_article(
    request: Request, core: App, article_id: int, csrf: str | None
) -> tuple[dict[str, Any], dict[str, Any]] | Response:
    """A form post on an article: the editing manager and the article, or the refusal page."""
    agent = manager_or_refusal(request, core)
    if isinstance(agent, Response):
        return agent
    if not csrf_ok(request, csrf):
        return csrf_failed(request, locale_of(request, agent["language"]))
    article = _load(core, article_id)
    if article is None:
        return not_found(request, locale_of(request, agent["language"]))
    return agent, article


def _load(core: App, article_id: int, **kwargs: Any) -> dict[str, Any] | None:
    try:
        return knowledge.get_article(core.read_uow(), article_id, published_only=False, **kwargs)
    except DomainError:
        return None


@router.get("/{article_id}", response_class=HTMLResponse)
def edit_form(request: Request, core: AppDep, article_id: RowId) -> Response:
    agent = manager_or_refusal(request, core)
    if isinstance(agent, Response):
        return agent
    article = _load(core, article_id)
    if article is None:
        return not_found(request, locale_of(request, agent["language"]))
    return _editor(request, core, agent, _form_from(article), article=article)


@router.post("/{article_id}", response_class=HTMLResponse)
def save(
    request: Request,
    core: AppDep,
    article_id: RowId,
    category: Annotated[str, Form()] = "",
    tags: Annotated[str, Form(max_length=1000)] = "",
    intents: Annotated[list[str] | None, Form()] = None,
    title_zh: Annotated[str, Form(max_length=200)] = "",
    body_zh: Annotated[str, Form(max_length=50_000)] = "",
    title_en: Annotated[str, Form(max_length=200)] = "",
    body_en: Annotated[str, Form(max_length=50_000)] = "",
    version: Annotated[int | None, Form()] = None,
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """Save what changed; only changed translations become new versions. A stale form is 409."""
    checked = _posting_on_article(request, core, article_id, csrf)
    if isinstance(checked, Response):
        return checked
    agent, article = checked
    stored = _form_from(article)
    form: dict[str, Any] = {
        **stored,
        "category": category or stored["category"],
        "tags": tags,
        "intents": intents or [],
        "title_zh": title_zh,
        "body_zh": body_zh,
        "title_en": title_en,
        "body_en": body_en,
    }
    changed = {
        lang: knowledge.TranslationInput(title=form[f"title_{lang}"], body=form[f"body_{lang}"])
        for lang in LANGUAGES
        if (form[f"title_{lang}"], form[f"body_{lang}"])
        != (stored[f"title_{lang}"], stored[f"body_{lang}"])
    }
    same_meta = (
        form["category"] == stored["category"]
        and _tags(form["tags"]) == _tags(stored["tags"])
        and form["intents"] == stored["intents"]
    )
    if not changed and same_meta and version == article["version"]:
        flash(request, "info", N_("Nothing to change."))
        return redirect(f"/admin/articles/{article_id}")
    try:
        knowledge.update_article(
            core.uow(),
            article_id,
            _author(agent),
            translations=changed,
            category=form["category"],
            tags=_tags(form["tags"]),
            intents=form["intents"],
            expected_version=version,
        )
    except StaleVersion:
        fresh = _load(core, article_id) or article
        notice: Notice = (
            "error",
            N_(
                "Someone else saved this article while you were editing it (it is now at "
                "version %(version)s). Your text is kept below: copy what you need, reload "
                "the page and apply your changes again."
            ),
            {"version": fresh["version"]},
        )
        return _editor(
            request, core, agent, form, article=article, status_code=409, notices=[notice]
        )
    except DomainError as exc:
        status_code, notice = _kb_notice(exc)
        return _editor(
            request, core, agent, form, article=article, status_code=status_code, notices=[notice]
        )
    flash(request, "success", N_("Article saved."))
    return redirect(f"/admin/articles/{article_id}")


@router.post("/{article_id}/publication", response_class=HTMLResponse)
def publication(
    request: Request,
    core: AppDep,
    article_id: RowId,
    publish: Annotated[str, Form()] = "",
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """Publish (both languages needed) or take back to draft."""
    checked = _posting_on_article(request, core, article_id, csrf)
    if isinstance(checked, Response):
        return checked
    agent, article = checked
    try:
        if publish == "1":
            knowledge.publish_article(core.uow(), article_id)
        else:
            knowledge.unpublish_article(core.uow(), article_id)
    except DomainError as exc:
        status_code, notice = _kb_notice(exc)
        return _editor(
            request,
            core,
            agent,
            _form_from(article),
            article=article,
            status_code=status_code,
            notices=[notice],
        )
    if publish == "1":
        flash(request, "success", N_("Published: the article is in the help center now."))
    else:
        flash(request, "success", N_("Unpublished: the article is a draft again."))
    return redirect(f"/admin/articles/{article_id}")


@router.get("/{article_id}/versions/{lang}/{number}", response_class=HTMLResponse)
def old_version(
    request: Request, core: AppDep, article_id: RowId, lang: str, number: VersionNumber
) -> Response:
    agent = manager_or_refusal(request, core)
    if isinstance(agent, Response):
        return agent
    locale = locale_of(request, agent["language"])
    if lang not in LANGUAGES:
        return not_found(request, locale)
    article = _load(core, article_id, lang=lang, version=number)
    if article is None:
        return not_found(request, locale)
    context = _base_context(
        agent,
        locale,
        article=article,
        lang=lang,
        tr=article["translations"][lang],
    )
    return render(request, "kb_version.html", context, locale=locale)
