"""Knowledge-base use cases: write and publish articles, search the help centre, count votes.

Read-only functions (search, get, list, versions, help-centre index) work on any unit of work;
callers that only read should pass one built on the read sessions so SQLite readers never take
the write lock. Everything returns plain dicts ready for JSON or a template.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt

from consigndesk.domain.errors import InvalidInput, NotFound, StaleVersion
from consigndesk.domain.knowledge import (
    CATEGORIES,
    LANGUAGES,
    Article,
    ArticleVersion,
    Author,
    check_language,
)
from consigndesk.knowledge.analysis import analyse_query, normalise, plain_text, snippet
from consigndesk.knowledge.seed import load_seed_articles
from consigndesk.services.html import sanitize_html
from consigndesk.services.unit_of_work import UnitOfWork

# Raw HTML is let through markdown-it on purpose: sanitize_html then removes what is unsafe
# (<script>, on* attributes, javascript: links) instead of showing it escaped as text.
_markdown = MarkdownIt("commonmark", {"html": True}).enable("table")
MAX_QUERY = 200


def render_markdown(body_md: str) -> str:
    """Article Markdown → sanitized HTML (the only HTML ever stored for an article)."""
    return sanitize_html(_markdown.render(body_md))


@dataclass(frozen=True)
class TranslationInput:
    title: str
    body: str  # Markdown


@dataclass
class ArticleInput:
    slug: str
    category: str
    translations: dict[str, TranslationInput]
    tags: list[str] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)
    publish: bool = False


def voter_key(session_token: str) -> str:
    """Votes store a hash of the visitor's session token, never the token."""
    return hashlib.sha256(f"kb-vote:{session_token}".encode()).hexdigest()[:64]


# --- writing ---------------------------------------------------------------------------------


def _save_translations(
    article: Article, translations: dict[str, TranslationInput], author: Author
) -> None:
    for lang, tr in translations.items():
        article.save_translation(
            check_language(lang),
            title=tr.title,
            body_md=tr.body,
            body_html=render_markdown(tr.body),
            author=author,
        )


def create_article(uow: UnitOfWork, data: ArticleInput, author: Author) -> int:
    with uow:
        if uow.articles.by_slug(data.slug) is not None:
            raise InvalidInput(f"an article with slug {data.slug!r} exists", code="slug_taken")
        article = Article.draft(
            slug=data.slug, category=data.category, tags=data.tags, intents=data.intents
        )
        if not data.translations:
            raise InvalidInput("an article needs at least one translation")
        _save_translations(article, data.translations, author)
        if data.publish:
            article.publish()
        uow.articles.add(article)
        uow.commit()
        assert article.id is not None
        return article.id


def _load(uow: UnitOfWork, article_id: int) -> Article:
    article: Article | None = uow.articles.get(article_id)
    if article is None:
        raise NotFound(f"article {article_id} not found")
    return article


def update_article(
    uow: UnitOfWork,
    article_id: int,
    author: Author,
    *,
    translations: dict[str, TranslationInput] | None = None,
    category: str | None = None,
    tags: list[str] | None = None,
    intents: list[str] | None = None,
    expected_version: int | None = None,
) -> int:
    """Save changes; each translation given becomes a new version. Returns the article version."""
    with uow:
        article = _load(uow, article_id)
        if expected_version is not None and expected_version != article.version:
            raise StaleVersion(
                f"article {article_id} is at version {article.version}, not {expected_version}; "
                "reload it and try again"
            )
        article.change_metadata(category=category, tags=tags, intents=intents)
        _save_translations(article, translations or {}, author)
        uow.articles.save(article)
        uow.commit()
        return article.version


def publish_article(uow: UnitOfWork, article_id: int) -> None:
    with uow:
        article = _load(uow, article_id)
        article.publish()
        uow.articles.save(article)
        uow.commit()


def unpublish_article(uow: UnitOfWork, article_id: int) -> None:
    with uow:
        article = _load(uow, article_id)
        article.unpublish()
        uow.articles.save(article)
        uow.commit()


def rebuild_search_index(uow: UnitOfWork) -> int:
    """Re-tokenise every published article (after changing the synonym table or jieba words)."""
    with uow:
        count: int = uow.articles.rebuild_index()
        uow.commit()
        return count


# --- reading ---------------------------------------------------------------------------------


def _article_view(article: Article, lang: str | None) -> dict[str, Any]:
    translations = {
        code: {
            "lang": code,
            "title": tr.title,
            "body_md": tr.body_md,
            "body_html": tr.body_html,
            "version": tr.version,
            "updated_at": tr.updated_at,
            "updated_by": tr.updated_by,
        }
        for code, tr in article.translations.items()
        if lang is None or code == lang
    }
    return {
        "id": article.id,
        "slug": article.slug,
        "category": article.category,
        "category_name": dict(zip(LANGUAGES, CATEGORIES[article.category], strict=True)),
        "status": article.status.value,
        "tags": article.tags,
        "intents": article.intents,
        "version": article.version,
        "created_at": article.created_at,
        "updated_at": article.updated_at,
        "published_at": article.published_at,
        "languages": article.languages,
        "translations": translations,
    }


def get_article(
    uow: UnitOfWork,
    article_id: int,
    *,
    lang: str | None = None,
    version: int | None = None,
    published_only: bool = True,
) -> dict[str, Any]:
    """One article (all translations, or `lang` only), optionally as it was at `version` of that
    language. Public callers keep `published_only`: drafts then look like missing articles."""
    if lang is not None:
        check_language(lang)
    if version is not None and lang is None:
        raise InvalidInput("give the language of the version to show")
    with uow:
        article: Article | None = uow.articles.get(article_id)
        if article is None or (published_only and not article.is_published):
            raise NotFound(f"article {article_id} not found")
        if lang is not None and lang not in article.translations:
            raise NotFound(f"article {article_id} has no {lang} translation")
        view = _article_view(article, lang)
        if version is not None and lang is not None:
            old: ArticleVersion | None = uow.articles.version(article_id, lang, version)
            if old is None:
                raise NotFound(f"article {article_id} has no {lang} version {version}")
            view["translations"][lang].update(
                title=old.title,
                body_md=old.body_md,
                body_html=old.body_html,
                version=old.version,
                updated_at=old.created_at,
                updated_by=old.author_name,
            )
        view["votes"] = uow.articles.vote_counts(article_id)
        return view


def list_articles(
    uow: UnitOfWork,
    *,
    status: str | None = None,
    category: str | None = None,
    intent: str | None = None,
) -> list[dict[str, Any]]:
    """Summaries for the editor's list: titles per language, no bodies."""
    with uow:
        rows: list[dict[str, Any]] = uow.articles.summaries(
            status=status, category=category, intent=intent
        )
        return rows


def article_versions(
    uow: UnitOfWork, article_id: int, lang: str | None = None
) -> list[dict[str, Any]]:
    with uow:
        _load(uow, article_id)
        versions: list[ArticleVersion] = uow.articles.versions(article_id, lang)
        return [
            {
                "lang": v.lang,
                "version": v.version,
                "title": v.title,
                "author_id": v.author_id,
                "author_name": v.author_name,
                "created_at": v.created_at,
            }
            for v in versions
        ]


def help_center_index(uow: UnitOfWork, lang: str) -> list[dict[str, Any]]:
    """Published articles grouped by category, in the category order of the domain."""
    check_language(lang)
    rows = list_articles(uow, status="published")
    grouped: dict[str, list[dict[str, Any]]] = {key: [] for key in CATEGORIES}
    for row in rows:
        tr = row["translations"].get(lang)
        if tr:
            grouped[row["category"]].append({"id": row["id"], "slug": row["slug"], **tr})
    names = {key: dict(zip(LANGUAGES, pair, strict=True)) for key, pair in CATEGORIES.items()}
    return [
        {
            "category": key,
            "name": names[key][lang],
            "articles": sorted(items, key=lambda a: a["title"]),
        }
        for key, items in grouped.items()
        if items
    ]


def related_articles(
    uow: UnitOfWork, intent: str, lang: str, limit: int = 3
) -> list[dict[str, Any]]:
    """Published articles linked to a triage intent (for suggested answers)."""
    check_language(lang)
    rows = list_articles(uow, status="published", intent=intent)
    return [
        {"id": r["id"], "slug": r["slug"], "title": r["translations"][lang]["title"]}
        for r in rows
        if lang in r["translations"]
    ][:limit]


def search_help(uow: UnitOfWork, query: str, lang: str, limit: int = 10) -> dict[str, Any]:
    """Full-text search over published articles in `lang`, best first.

    Returns `{"query", "lang", "results": [{"id", "slug", "title", "snippet", "category",
    "score"}], "corrections": {typo: word}, "terms": [...]}`."""
    check_language(lang)
    query = query.strip()[:MAX_QUERY]
    limit = max(1, min(limit, 50))
    result: dict[str, Any] = {
        "query": query,
        "lang": lang,
        "results": [],
        "corrections": {},
        "terms": [],
    }
    if not query:
        return result
    with uow:
        plan = analyse_query(query, uow.articles.vocabulary())
        result["corrections"] = plan.corrections
        result["terms"] = plan.terms
        if plan.empty:
            return result
        hits = uow.articles.search(plan.terms, lang, limit)
        if not hits:
            return result
        rows = {
            r["id"]: r
            for r in uow.articles.summaries(ids=[h.article_id for h in hits], with_body=True)
        }
    words = [w for w in (*plan.words, *plan.corrections.values(), *plan.terms) if len(w) > 1]
    for hit in hits:
        row = rows.get(hit.article_id)
        tr = row["translations"].get(lang) if row else None
        if row is None or tr is None:
            continue
        body = plain_text(tr["body_md"])
        result["results"].append(
            {
                "id": hit.article_id,
                "slug": row["slug"],
                "title": tr["title"],
                "snippet": snippet(body, [normalise(w) for w in words]),
                "category": row["category"],
                "score": round(hit.score, 4),
            }
        )
    return result


def vote_article(
    uow: UnitOfWork, article_id: int, lang: str, session_token: str, helpful: bool
) -> dict[str, Any]:
    """'Was this helpful?': one vote per visitor session per article; voting again changes it."""
    check_language(lang)
    if not session_token:
        raise InvalidInput("a visitor session is needed to vote")
    with uow:
        article: Article | None = uow.articles.get(article_id)
        if article is None or not article.is_published:
            raise NotFound(f"article {article_id} not found")
        first = uow.articles.vote(article_id, lang, voter_key(session_token), helpful)
        uow.commit()
        counts = uow.articles.vote_counts(article_id)
    return {"article_id": article_id, "counted": first, "helpful": helpful, "votes": counts}


# --- starter content -------------------------------------------------------------------------


def seed_knowledge_base(uow_factory: Callable[[], UnitOfWork]) -> dict[str, int]:
    """Load the bundled starter articles (published, zh + en). Articles whose slug exists are
    left alone, so running it again (or after admins edited them) changes nothing."""
    author = Author.system("seed")
    created = skipped = 0
    uow = uow_factory()
    with uow:
        existing = uow.articles.existing_slugs()
        for seed in load_seed_articles():
            if seed.slug in existing:
                skipped += 1
                continue
            article = Article.draft(
                slug=seed.slug, category=seed.category, tags=seed.tags, intents=seed.intents
            )
            _save_translations(
                article,
                {lang: TranslationInput(t, b) for lang, (t, b) in seed.translations.items()},
                author,
            )
            article.publish()
            uow.articles.add(article)
            created += 1
        uow.commit()
    return {"created": created, "skipped": skipped}
