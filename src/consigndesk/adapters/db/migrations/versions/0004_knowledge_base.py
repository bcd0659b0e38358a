"""knowledge base: articles, translations, versions, votes and the help-centre search index

Revision ID: 0004_knowledge_base
Revises: 0003
Create Date: 2026-11-25 10:00:00

Search index per database (see docs/decisions/0302-search-backends.md):
- SQLite: FTS5 table `kb_fts` with external content `kb_search_docs`, kept in sync by the
  repository (it issues the FTS5 'delete' and insert commands itself);
- PostgreSQL: a generated `tsv` column (`to_tsvector('simple', …)`, title weight A, tags B,
  body D) on `kb_search_docs` with a GIN index.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import consigndesk.adapters.db.tables

revision: str = "0004_knowledge_base"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _time() -> consigndesk.adapters.db.tables.UtcDateTime:
    return consigndesk.adapters.db.tables.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "kb_articles",
        sa.Column("id", Id, nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("intents", sa.JSON(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.Column("published_at", _time(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_articles")),
        sa.UniqueConstraint("slug", name=op.f("uq_kb_articles_slug")),
    )
    op.create_index(
        "ix_kb_articles_status_category", "kb_articles", ["status", "category"], unique=False
    )
    op.create_table(
        "kb_translations",
        sa.Column("article_id", Id, nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body_md", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_kb_translations_article_id_kb_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "lang", name=op.f("pk_kb_translations")),
    )
    op.create_table(
        "kb_versions",
        sa.Column("id", Id, nullable=False),
        sa.Column("article_id", Id, nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body_md", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_kb_versions_article_id_kb_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_versions")),
    )
    op.create_index(
        "ux_kb_versions_article_lang_version",
        "kb_versions",
        ["article_id", "lang", "version"],
        unique=True,
    )
    op.create_table(
        "kb_votes",
        sa.Column("id", Id, nullable=False),
        sa.Column("article_id", Id, nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("voter", sa.String(length=64), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_kb_votes_article_id_kb_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_votes")),
    )
    op.create_index("ux_kb_votes_article_voter", "kb_votes", ["article_id", "voter"], unique=True)
    op.create_table(
        "kb_search_docs",
        sa.Column("id", Id, nullable=False),
        sa.Column("article_id", Id, nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("title_tokens", sa.Text(), nullable=False),
        sa.Column("tag_tokens", sa.Text(), nullable=False),
        sa.Column("body_tokens", sa.Text(), nullable=False),
        sa.Column("doc_len", sa.Integer(), nullable=False),
        sa.Column("indexed_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_kb_search_docs_article_id_kb_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_search_docs")),
    )
    op.create_index(
        "ux_kb_search_docs_article_lang", "kb_search_docs", ["article_id", "lang"], unique=True
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE kb_fts USING fts5("
            "title_tokens, tag_tokens, body_tokens, "
            "content='kb_search_docs', content_rowid='id', tokenize='unicode61')"
        )
    elif dialect == "postgresql":
        op.execute(
            "ALTER TABLE kb_search_docs ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('simple', title_tokens), 'A') || "
            "setweight(to_tsvector('simple', tag_tokens), 'B') || "
            "setweight(to_tsvector('simple', body_tokens), 'D')) STORED"
        )
        op.execute("CREATE INDEX ix_kb_search_docs_tsv ON kb_search_docs USING gin (tsv)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TABLE IF EXISTS kb_fts")
    op.drop_table("kb_search_docs")
    op.drop_table("kb_votes")
    op.drop_table("kb_versions")
    op.drop_table("kb_translations")
    op.drop_table("kb_articles")
