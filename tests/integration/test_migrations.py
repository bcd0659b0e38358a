"""One Alembic history builds exactly the schema the code declares, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from consigndesk.adapters.db.tables import metadata
from consigndesk.bootstrap import App


def test_migrated_schema_matches_the_declared_tables(core: App) -> None:
    with core.database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    # Full-text search structures are created by migrations only (FTS5 / tsvector columns).
    unexpected = [
        d
        for d in diff
        if not (d[0] == "remove_table" and d[1].name.startswith("kb_fts"))
        and not (d[0] == "remove_index" and d[1].name == "ix_kb_search_docs_tsv")
        and not (d[0] == "remove_column" and d[3].name == "tsv")
    ]
    assert unexpected == []
