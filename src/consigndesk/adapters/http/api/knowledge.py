"""Help centre (public: search, read, vote) and the article editor API (admins, supervisors)."""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from consigndesk.adapters.http import schemas
from consigndesk.adapters.http.deps import AppDep, PrincipalDep
from consigndesk.adapters.http.errors import ApiError
from consigndesk.adapters.http.guard import CheckedRoute
from consigndesk.adapters.http.params import MAX_VERSION, RowId
from consigndesk.domain.knowledge import Author
from consigndesk.services import knowledge

router = APIRouter(prefix="/api/v1", tags=["knowledge base"], route_class=CheckedRoute)
ERRORS: dict[int | str, dict[str, Any]] = {
    c: {"model": schemas.ErrorResponse} for c in (401, 403, 404, 409, 422)
}
Lang = Literal["zh", "en"]
VOTER_KEY = "kb_voter"


def editor(who: PrincipalDep) -> Author:
    """Admins and supervisors edit the knowledge base."""
    if not who.is_supervisor or who.agent is None:
        raise ApiError(403, "forbidden", "only admins and supervisors may edit articles")
    return Author(id=who.agent_id, name=str(who.agent.get("name") or who.agent.get("email")))


Editor = Annotated[Author, Depends(editor)]


class TranslationBody(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=50_000, description="Markdown")


class ArticleCreate(BaseModel):
    slug: str = Field(min_length=2, max_length=80, pattern=r"^[a-z0-9][a-z0-9-]+$")
    category: str
    translations: dict[Lang, TranslationBody]
    tags: list[str] = Field(default_factory=list)
    intents: list[str] = Field(default_factory=list)
    publish: bool = False


class ArticleUpdate(BaseModel):
    category: str | None = None
    translations: dict[Lang, TranslationBody] | None = None
    tags: list[str] | None = None
    intents: list[str] | None = None
    expected_version: int | None = Field(
        default=None,
        ge=1,
        le=MAX_VERSION,
        description="the article version you edited; 409 if it changed since",
    )


class Vote(BaseModel):
    helpful: bool
    lang: Lang


def _inputs(translations: dict[Lang, TranslationBody]) -> dict[str, knowledge.TranslationInput]:
    return {
        lang: knowledge.TranslationInput(title=t.title, body=t.body)
        for lang, t in translations.items()
    }


# --- public help centre ----------------------------------------------------------------------


@router.get("/help/search", responses=ERRORS)
def search_help(
    app: AppDep,
    q: Annotated[str, Query(max_length=200)] = "",
    lang: Lang = "zh",
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """Published articles in `lang` matching `q` (typos corrected, synonyms added), best first."""
    return knowledge.search_help(app.read_uow(), q, lang, limit)


@router.get("/help/categories", responses=ERRORS)
def help_categories(app: AppDep, lang: Lang = "zh") -> list[dict[str, Any]]:
    """Published articles grouped by category (the help-centre home page)."""
    return knowledge.help_center_index(app.read_uow(), lang)


@router.get("/help/articles/{article_id}", responses=ERRORS)
def read_article(article_id: RowId, app: AppDep, lang: Lang = "zh") -> dict[str, Any]:
    view = knowledge.get_article(app.read_uow(), article_id, lang=lang)
    tr = view["translations"][lang]
    return {
        "id": view["id"],
        "slug": view["slug"],
        "lang": lang,
        "title": tr["title"],
        "body_html": tr["body_html"],
        "category": view["category"],
        "category_name": view["category_name"][lang],
        "tags": view["tags"],
        "languages": view["languages"],
        "updated_at": tr["updated_at"],
        "votes": view["votes"].get(lang, {"helpful": 0, "not_helpful": 0}),
    }


@router.post("/help/articles/{article_id}/vote", responses=ERRORS)
def vote(article_id: RowId, body: Vote, request: Request, app: AppDep) -> dict[str, Any]:
    """'Was this helpful?': one vote per visitor session and article; a second vote replaces it."""
    token = request.session.get(VOTER_KEY)
    if not token:
        token = secrets.token_urlsafe(24)
        request.session[VOTER_KEY] = token
    return knowledge.vote_article(app.uow(), article_id, body.lang, str(token), body.helpful)


# --- editor (admins and supervisors) ---------------------------------------------------------


@router.get("/articles", responses=ERRORS)
def list_articles(
    app: AppDep,
    who: Editor,
    status: Literal["draft", "published"] | None = None,
    category: str | None = None,
    intent: str | None = None,
) -> list[dict[str, Any]]:
    return knowledge.list_articles(app.read_uow(), status=status, category=category, intent=intent)


@router.post("/articles", status_code=201, responses=ERRORS)
def create_article(body: ArticleCreate, app: AppDep, who: Editor) -> dict[str, Any]:
    article_id = knowledge.create_article(
        app.uow(),
        knowledge.ArticleInput(
            slug=body.slug,
            category=body.category,
            translations=_inputs(body.translations),
            tags=body.tags,
            intents=body.intents,
            publish=body.publish,
        ),
        who,
    )
    return knowledge.get_article(app.uow(), article_id, published_only=False)


@router.get("/articles/{article_id}", responses=ERRORS)
def get_article(
    article_id: RowId,
    app: AppDep,
    who: Editor,
    lang: Lang | None = None,
    version: Annotated[
        int | None, Query(ge=1, le=MAX_VERSION, description="show this version of `lang`")
    ] = None,
) -> dict[str, Any]:
    return knowledge.get_article(
        app.read_uow(), article_id, lang=lang, version=version, published_only=False
    )


@router.put("/articles/{article_id}", responses=ERRORS)
def update_article(
    article_id: RowId, body: ArticleUpdate, app: AppDep, who: Editor
) -> dict[str, Any]:
    """Save changes; every translation sent becomes a new version of that language."""
    knowledge.update_article(
        app.uow(),
        article_id,
        who,
        translations=_inputs(body.translations) if body.translations else None,
        category=body.category,
        tags=body.tags,
        intents=body.intents,
        expected_version=body.expected_version,
    )
    return knowledge.get_article(app.uow(), article_id, published_only=False)


@router.post("/articles/{article_id}/publish", responses=ERRORS)
def publish(article_id: RowId, app: AppDep, who: Editor) -> dict[str, Any]:
    knowledge.publish_article(app.uow(), article_id)
    return knowledge.get_article(app.uow(), article_id, published_only=False)


@router.post("/articles/{article_id}/unpublish", responses=ERRORS)
def unpublish(article_id: RowId, app: AppDep, who: Editor) -> dict[str, Any]:
    knowledge.unpublish_article(app.uow(), article_id)
    return knowledge.get_article(app.uow(), article_id, published_only=False)


@router.get("/articles/{article_id}/versions", responses=ERRORS)
def versions(
    article_id: RowId, app: AppDep, who: Editor, lang: Lang | None = None
) -> list[dict[str, Any]]:
    return knowledge.article_versions(app.read_uow(), article_id, lang)
