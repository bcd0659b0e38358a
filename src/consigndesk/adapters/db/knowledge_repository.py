"""Articles, their versions and votes, and the help-centre search index on SQLite and PostgreSQL.

The index (`kb_search_docs`) holds one row per published translation with jieba-segmented,
space-joined tokens. SQLite searches it through the FTS5 table `kb_fts` and ranks with FTS5's
`bm25()`; PostgreSQL selects candidates through the GIN index on the generated `tsv` column and
computes the same BM25 (same k1, b, column weights and IDF) in SQL from the tsvector positions,
so both databases rank alike (docs/decisions/0302-search-backends.md).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from consigndesk.adapters.db import tables
from consigndesk.domain.errors import StaleVersion
from consigndesk.domain.events import utcnow
from consigndesk.domain.knowledge import Article, ArticleStatus, ArticleVersion, Translation
from consigndesk.knowledge.analysis import Vocabulary, index_tokens, plain_text

# Column weights shared by both backends: a title hit counts 10, a tag hit 4, a body hit 1.
TITLE_WEIGHT, TAG_WEIGHT, BODY_WEIGHT = 10.0, 4.0, 1.0
K1, B = 1.2, 0.75  # FTS5's fixed bm25() parameters, reused on PostgreSQL

_vocab_lock = threading.Lock()
_vocab_cache: dict[str, tuple[tuple[Any, ...], Vocabulary]] = {}

# Same formula as FTS5's bm25(): per term, idf * f*(k1+1) / (f + k1*(1-b+b*len/avgdl)), where f
# sums the column weights of the term's positions (tsvector weights A/B/D = title/tags/body) and
# idf/avgdl are over the whole index (passed in from the cached vocabulary, as FTS5 keeps them).
# Unnesting tsvectors costs time per candidate, so BM25 is computed for the PG_POOL candidates
# that ts_rank_cd (C, no IDF) ranks best; with fewer candidates than that the order is exactly
# FTS5's.
PG_POOL = 200
_PG_BM25 = text(
    """
    WITH cand AS MATERIALIZED (
        SELECT d.article_id, d.doc_len, d.tsv
        FROM kb_search_docs d
        WHERE d.lang = :lang AND d.tsv @@ to_tsquery('simple', :tsquery)
        ORDER BY ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', d.tsv, to_tsquery('simple', :tsquery)) DESC
        LIMIT :pool
    )
    SELECT c.article_id,
           sum(q.idf * (h.f * (:k1 + 1)) / (h.f + :k1 * (1 - :b + :b * c.doc_len / :avgdl)))
             AS score
    FROM cand c
    CROSS JOIN LATERAL (
        SELECT u.lexeme,
               (SELECT sum(CASE w WHEN 'A' THEN :tw WHEN 'B' THEN :gw ELSE :bw END)
                FROM unnest(u.weights) AS w) AS f
        FROM unnest(c.tsv) AS u
        WHERE u.lexeme = ANY(:terms)
    ) AS h
    JOIN unnest(CAST(:terms AS text[]), CAST(:idfs AS float8[])) AS q(term, idf)
      ON q.term = h.lexeme
    GROUP BY c.article_id
    ORDER BY score DESC, c.article_id
    LIMIT :limit
    """
)

_SQLITE_BM25 = text(
    """
    SELECT d.article_id, -bm25(kb_fts, :tw, :gw, :bw) AS score
    FROM kb_fts JOIN kb_search_docs d ON d.id = kb_fts.rowid
    WHERE kb_fts MATCH :match AND d.lang = :lang
    ORDER BY score DESC, d.article_id
    LIMIT :limit
    """
)


@dataclass(frozen=True)
class SearchHit:
    article_id: int
    score: float


class ArticleRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    # --- aggregate ------------------------------------------------------------------------------

    def add(self, article: Article) -> Article:
        now = article.created_at
        article.id = self.session.execute(
            insert(tables.kb_articles)
            .values(
                slug=article.slug,
                category=article.category,
                status=article.status.value,
                tags=article.tags,
                intents=article.intents,
                created_at=now,
                updated_at=article.updated_at,
                published_at=article.published_at,
                version=1,
            )
            .returning(tables.kb_articles.c.id)
        ).scalar_one()
        article.version = 1
        self._write_children(article, existing_langs=set())
        return article

    def get(self, article_id: int) -> Article | None:
        row = (
            self.session.execute(
                select(tables.kb_articles).where(tables.kb_articles.c.id == article_id)
            )
            .mappings()
            .first()
        )
        return self._load(row) if row else None

    def by_slug(self, slug: str) -> Article | None:
        row = (
            self.session.execute(
                select(tables.kb_articles).where(tables.kb_articles.c.slug == slug)
            )
            .mappings()
            .first()
        )
        return self._load(row) if row else None

    def existing_slugs(self) -> set[str]:
        return set(self.session.scalars(select(tables.kb_articles.c.slug)))

    def _load(self, row: Any) -> Article:
        t = tables.kb_translations
        translations = {
            r.lang: Translation(
                lang=r.lang,
                title=r.title,
                body_md=r.body_md,
                body_html=r.body_html,
                version=r.version,
                updated_at=r.updated_at,
                updated_by=r.updated_by,
            )
            for r in self.session.execute(select(t).where(t.c.article_id == row["id"]))
        }
        return Article(
            id=row["id"],
            slug=row["slug"],
            category=row["category"],
            status=ArticleStatus(row["status"]),
            tags=list(row["tags"]),
            intents=list(row["intents"]),
            translations=translations,
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            published_at=row["published_at"],
            version=row["version"],
        )

    def save(self, article: Article) -> None:
        """Write a loaded article back; fails if someone else saved it since it was loaded."""
        a = tables.kb_articles
        assert article.id is not None
        result = self.session.execute(
            update(a)
            .where(a.c.id == article.id, a.c.version == article.version)
            .values(
                category=article.category,
                status=article.status.value,
                tags=article.tags,
                intents=article.intents,
                updated_at=article.updated_at,
                published_at=article.published_at,
                version=article.version + 1,
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleVersion("the article was changed by someone else; reload it and try again")
        article.version += 1
        t = tables.kb_translations
        existing = set(self.session.scalars(select(t.c.lang).where(t.c.article_id == article.id)))
        self._write_children(article, existing_langs=existing)

    def _write_children(self, article: Article, existing_langs: set[str]) -> None:
        t = tables.kb_translations
        versions = article.pull_versions()
        for lang in {v.lang for v in versions}:
            tr = article.translations[lang]
            values = {
                "title": tr.title,
                "body_md": tr.body_md,
                "body_html": tr.body_html,
                "version": tr.version,
                "updated_at": tr.updated_at,
                "updated_by": tr.updated_by,
            }
            if lang in existing_langs:
                self.session.execute(
                    update(t).where(t.c.article_id == article.id, t.c.lang == lang).values(values)
                )
            else:
                self.session.execute(insert(t).values(article_id=article.id, lang=lang, **values))
        if versions:
            self.session.execute(
                insert(tables.kb_versions),
                [
                    {
                        "article_id": article.id,
                        "lang": v.lang,
                        "version": v.version,
                        "title": v.title,
                        "body_md": v.body_md,
                        "body_html": v.body_html,
                        "author_id": v.author_id,
                        "author_name": v.author_name,
                        "created_at": v.created_at,
                    }
                    for v in versions
                ],
            )
        if article.is_published:
            self.index(article)
        else:
            self.unindex(article.id)

    # --- reading --------------------------------------------------------------------------------

    def summaries(
        self,
        *,
        status: str | None = None,
        category: str | None = None,
        ids: list[int] | None = None,
        intent: str | None = None,
        with_body: bool = False,
    ) -> list[dict[str, Any]]:
        """Articles newest change first, with each language's title, version (and Markdown)."""
        a, t = tables.kb_articles, tables.kb_translations
        query = select(a).order_by(a.c.updated_at.desc(), a.c.id.desc())
        if status:
            query = query.where(a.c.status == status)
        if category:
            query = query.where(a.c.category == category)
        if ids is not None:
            query = query.where(a.c.id.in_(ids))
        rows = [dict(r) for r in self.session.execute(query).mappings()]
        if intent:
            rows = [r for r in rows if intent in r["intents"]]
        titles: dict[int, dict[str, dict[str, Any]]] = {}
        if rows:
            columns = [t.c.article_id, t.c.lang, t.c.title, t.c.version, t.c.updated_at]
            if with_body:
                columns.append(t.c.body_md)
            found = self.session.execute(
                select(*columns).where(t.c.article_id.in_([r["id"] for r in rows]))
            ).mappings()
            for r in found:
                titles.setdefault(r["article_id"], {})[r["lang"]] = {
                    k: v for k, v in r.items() if k not in {"article_id", "lang"}
                }
        for row in rows:
            row["translations"] = titles.get(row["id"], {})
        return rows

    def versions(self, article_id: int, lang: str | None = None) -> list[ArticleVersion]:
        v = tables.kb_versions
        query = select(v).where(v.c.article_id == article_id)
        if lang:
            query = query.where(v.c.lang == lang)
        query = query.order_by(v.c.lang, v.c.version.desc())
        return [self._version(r) for r in self.session.execute(query)]

    def version(self, article_id: int, lang: str, number: int) -> ArticleVersion | None:
        v = tables.kb_versions
        row = self.session.execute(
            select(v).where(v.c.article_id == article_id, v.c.lang == lang, v.c.version == number)
        ).first()
        return self._version(row) if row else None

    @staticmethod
    def _version(r: Any) -> ArticleVersion:
        return ArticleVersion(
            article_id=r.article_id,
            lang=r.lang,
            version=r.version,
            title=r.title,
            body_md=r.body_md,
            body_html=r.body_html,
            author_id=r.author_id,
            author_name=r.author_name,
            created_at=r.created_at,
        )

    def count(self, status: str | None = None) -> int:
        query = select(func.count()).select_from(tables.kb_articles)
        if status:
            query = query.where(tables.kb_articles.c.status == status)
        return int(self.session.execute(query).scalar_one())

    # --- votes ----------------------------------------------------------------------------------

    def vote(
        self, article_id: int, lang: str, voter: str, helpful: bool, at: datetime | None = None
    ) -> bool:
        """Record a vote; True if it is the visitor's first on this article (else it changes it)."""
        v = tables.kb_votes
        at = at or utcnow()
        found = self.session.execute(
            select(v.c.id).where(v.c.article_id == article_id, v.c.voter == voter)
        ).first()
        if found:
            self.session.execute(
                update(v)
                .where(v.c.id == found.id)
                .values(helpful=helpful, lang=lang, updated_at=at)
            )
            return False
        self.session.execute(
            insert(v).values(
                article_id=article_id,
                lang=lang,
                voter=voter,
                helpful=helpful,
                created_at=at,
                updated_at=at,
            )
        )
        return True

    def vote_counts(self, article_id: int) -> dict[str, dict[str, int]]:
        v = tables.kb_votes
        counts: dict[str, dict[str, int]] = {}
        rows = self.session.execute(
            select(v.c.lang, v.c.helpful, func.count())
            .where(v.c.article_id == article_id)
            .group_by(v.c.lang, v.c.helpful)
        )
        for lang, helpful, n in rows:
            entry = counts.setdefault(lang, {"helpful": 0, "not_helpful": 0})
            entry["helpful" if helpful else "not_helpful"] += int(n)
        return counts

    # --- search index ---------------------------------------------------------------------------

    def index(self, article: Article) -> None:
        """(Re)index every translation of a published article."""
        d = tables.kb_search_docs
        tag_tokens = " ".join(index_tokens(" ".join(article.tags)))
        now = utcnow()
        for lang, tr in article.translations.items():
            title_tokens = " ".join(index_tokens(tr.title))
            body_tokens = " ".join(index_tokens(plain_text(tr.body_md)))
            doc_len = sum(len(s.split()) for s in (title_tokens, tag_tokens, body_tokens))
            values = {
                "title_tokens": title_tokens,
                "tag_tokens": tag_tokens,
                "body_tokens": body_tokens,
                "doc_len": doc_len,
                "indexed_at": now,
            }
            old = self.session.execute(
                select(d).where(d.c.article_id == article.id, d.c.lang == lang)
            ).first()
            if old is not None:
                self._fts_delete(old)
                self.session.execute(update(d).where(d.c.id == old.id).values(values))
                row_id = old.id
            else:
                row_id = self.session.execute(
                    insert(d).values(article_id=article.id, lang=lang, **values).returning(d.c.id)
                ).scalar_one()
            if self._dialect == "sqlite":
                self.session.execute(
                    text(
                        "INSERT INTO kb_fts(rowid, title_tokens, tag_tokens, body_tokens) "
                        "VALUES (:id, :t, :g, :b)"
                    ),
                    {"id": row_id, "t": title_tokens, "g": tag_tokens, "b": body_tokens},
                )

    def unindex(self, article_id: int | None) -> None:
        d = tables.kb_search_docs
        for old in self.session.execute(select(d).where(d.c.article_id == article_id)).all():
            self._fts_delete(old)
        self.session.execute(delete(d).where(d.c.article_id == article_id))

    def _fts_delete(self, old: Any) -> None:
        """External-content FTS5 needs the old values to remove a row's words from its index."""
        if self._dialect != "sqlite":
            return
        self.session.execute(
            text(
                "INSERT INTO kb_fts(kb_fts, rowid, title_tokens, tag_tokens, body_tokens) "
                "VALUES ('delete', :id, :t, :g, :b)"
            ),
            {"id": old.id, "t": old.title_tokens, "g": old.tag_tokens, "b": old.body_tokens},
        )

    def rebuild_index(self) -> int:
        """Drop and rebuild the whole index from the published articles; returns rows indexed."""
        d = tables.kb_search_docs
        if self._dialect == "sqlite":
            self.session.execute(text("INSERT INTO kb_fts(kb_fts) VALUES ('delete-all')"))
        self.session.execute(delete(d))
        ids = self.session.scalars(
            select(tables.kb_articles.c.id).where(
                tables.kb_articles.c.status == ArticleStatus.PUBLISHED.value
            )
        ).all()
        for article_id in ids:
            article = self.get(article_id)
            if article is not None:
                self.index(article)
        return int(self.session.execute(select(func.count()).select_from(d)).scalar_one())

    def vocabulary(self) -> Vocabulary:
        """Index words with document frequencies, cached per database until the index changes."""
        d = tables.kb_search_docs
        signature = tuple(
            self.session.execute(
                select(func.count(), func.max(d.c.id), func.max(d.c.indexed_at))
            ).one()
        )
        key = str(self.session.get_bind().engine.url)
        cached = _vocab_cache.get(key)
        if cached is not None and cached[0] == signature:
            return cached[1]
        df: dict[str, int] = {}
        rows = total = 0
        query = select(d.c.title_tokens, d.c.tag_tokens, d.c.body_tokens, d.c.doc_len)
        for row in self.session.execute(query):
            rows, total = rows + 1, total + row[3]
            for word in set(f"{row[0]} {row[1]} {row[2]}".split()):
                df[word] = df.get(word, 0) + 1
        vocabulary = Vocabulary(df, rows=rows, avgdl=total / rows if rows else 1.0)
        with _vocab_lock:
            _vocab_cache[key] = (signature, vocabulary)
        return vocabulary

    def search(self, terms: list[str], lang: str, limit: int = 10) -> list[SearchHit]:
        """Published translations in `lang` matching any term, best BM25 first."""
        terms = [t for t in dict.fromkeys(terms) if t and t.replace("'", "") == t]
        if not terms:
            return []
        weights = {"tw": TITLE_WEIGHT, "gw": TAG_WEIGHT, "bw": BODY_WEIGHT, "lang": lang}
        if self._dialect == "sqlite":
            match = " OR ".join(f'"{t}"' for t in terms)
            rows = self.session.execute(
                _SQLITE_BM25, {**weights, "match": match, "limit": limit}
            ).all()
        else:
            vocabulary = self.vocabulary()
            terms = [t for t in terms if t in vocabulary]
            if not terms:
                return []
            n = vocabulary.rows
            idfs = [max(math.log((n - vocabulary.df[t] + 0.5) / (vocabulary.df[t] + 0.5)), 1e-6)
                    for t in terms]  # fmt: skip
            params = {"terms": terms, "idfs": idfs, "avgdl": vocabulary.avgdl, "k1": K1, "b": B}
            params["pool"] = max(PG_POOL, limit)
            tsquery = " | ".join(f"'{t}'" for t in terms)
            rows = self.session.execute(
                _PG_BM25, {**weights, **params, "tsquery": tsquery, "limit": limit}
            ).all()
        return [SearchHit(article_id=int(r[0]), score=float(r[1])) for r in rows]
