"""Knowledge base and help-centre search on SQLite and PostgreSQL (the `core` fixture runs both)."""

from __future__ import annotations

import pytest

from consigndesk.bootstrap import App
from consigndesk.domain.errors import NotFound, StaleVersion
from consigndesk.domain.knowledge import Author
from consigndesk.services import knowledge as kb

EDITOR = Author(id=None, name="tester")


@pytest.fixture
def seeded(core: App) -> App:
    assert kb.seed_knowledge_base(core.uow)["created"] >= 40
    return core


def _slugs(core: App, query: str, lang: str) -> list[str]:
    return [r["slug"] for r in kb.search_help(core.uow(), query, lang)["results"]]


def test_seed_loads_idempotently_with_every_article_in_both_languages(core: App) -> None:
    first = kb.seed_knowledge_base(core.uow)
    again = kb.seed_knowledge_base(core.uow)
    assert first["created"] >= 40 and first["skipped"] == 0
    assert again == {"created": 0, "skipped": first["created"]}
    rows = kb.list_articles(core.uow(), status="published")
    assert len(rows) == first["created"]
    assert all(set(r["translations"]) == {"zh", "en"} for r in rows)
    home = kb.help_center_index(core.uow(), "zh")
    assert sum(len(c["articles"]) for c in home) == first["created"]


def test_refund_timing_ranks_first_in_both_languages_with_typos_and_synonyms(seeded: App) -> None:
    assert _slugs(seeded, "退款多久到账", "zh")[0] == "refund-timing"
    assert _slugs(seeded, "how long does a refund take", "en")[0] == "refund-timing"
    typo = kb.search_help(seeded.uow(), "refnd how long", "en")
    assert typo["corrections"] == {"refnd": "refund"}
    assert typo["results"][0]["slug"] == "refund-timing"
    assert "refund-timing" in _slugs(seeded, "refnd", "en")[:3]
    assert "refund-timing" in _slugs(seeded, "退钱", "zh")[:3]
    assert _slugs(seeded, "退钱要多久才到账", "zh")[0] == "refund-timing"


def test_other_topics_find_their_article(seeded: App) -> None:
    assert _slugs(seeded, "charged twice", "en")[0] == "double-charge"
    assert _slugs(seeded, "账号被盗了怎么办", "zh")[0] == "hacked-account"
    assert _slugs(seeded, "提现多久到账", "zh")[0] == "withdrawals"
    assert _slugs(seeded, "顺丰几天能到", "zh")[0] == "shipping-times"
    assert _slugs(seeded, "consignment fee for watches", "en")[0] == "consignment-fees"
    assert _slugs(seeded, "nonsense qwxyz", "en") == []


def test_drafts_are_not_searchable_or_readable_publicly(seeded: App) -> None:
    body = "Zanzibarquux is the secret word of this draft."
    article_id = kb.create_article(
        seeded.uow(),
        kb.ArticleInput(
            slug="draft-only",
            category="service",
            translations={"en": kb.TranslationInput("Zanzibarquux draft", body)},
        ),
        EDITOR,
    )
    assert _slugs(seeded, "zanzibarquux", "en") == []
    with pytest.raises(NotFound):
        kb.get_article(seeded.uow(), article_id, lang="en")
    kb.update_article(
        seeded.uow(),
        article_id,
        EDITOR,
        translations={"zh": kb.TranslationInput("Zanzibarquux 草稿", "草稿 zanzibarquux")},
    )
    kb.publish_article(seeded.uow(), article_id)
    assert _slugs(seeded, "zanzibarquux", "en") == ["draft-only"]
    kb.unpublish_article(seeded.uow(), article_id)
    assert _slugs(seeded, "zanzibarquux", "en") == []
    assert kb.get_article(seeded.uow(), article_id, published_only=False)["status"] == "draft"


def test_saves_create_versions_and_old_versions_can_be_shown(seeded: App) -> None:
    article_id = kb.search_help(seeded.uow(), "退款多久到账", "zh")["results"][0]["id"]
    before = kb.get_article(seeded.uow(), article_id, lang="zh")
    new_version = kb.update_article(
        seeded.uow(),
        article_id,
        EDITOR,
        translations={"zh": kb.TranslationInput("退款多久到账？（更新）", "新的正文 **加粗**")},
        expected_version=before["version"],
    )
    now = kb.get_article(seeded.uow(), article_id, lang="zh")
    assert now["translations"]["zh"]["version"] == 2
    assert now["translations"]["zh"]["body_html"] == "<p>新的正文 <strong>加粗</strong></p>\n"
    old = kb.get_article(seeded.uow(), article_id, lang="zh", version=1)
    assert old["translations"]["zh"]["title"] == before["translations"]["zh"]["title"]
    history = kb.article_versions(seeded.uow(), article_id, "zh")
    assert [(v["version"], v["author_name"]) for v in history] == [(2, "tester"), (1, "seed")]
    with pytest.raises(StaleVersion):
        kb.update_article(
            seeded.uow(), article_id, EDITOR, tags=["x"], expected_version=new_version - 1
        )
    # the index follows the edit: the new title is searchable
    assert _slugs(seeded, "更新", "zh")[0] == "refund-timing"


def test_votes_are_counted_once_per_session(seeded: App) -> None:
    article_id = kb.search_help(seeded.uow(), "refund", "en")["results"][0]["id"]
    first = kb.vote_article(seeded.uow(), article_id, "en", "session-a", helpful=False)
    again = kb.vote_article(seeded.uow(), article_id, "en", "session-a", helpful=True)
    other = kb.vote_article(seeded.uow(), article_id, "zh", "session-b", helpful=True)
    assert (first["counted"], again["counted"], other["counted"]) == (True, False, True)
    assert other["votes"] == {
        "en": {"helpful": 1, "not_helpful": 0},
        "zh": {"helpful": 1, "not_helpful": 0},
    }


def test_rebuilding_the_index_keeps_results(seeded: App) -> None:
    assert kb.rebuild_search_index(seeded.uow()) == 2 * len(kb.list_articles(seeded.uow()))
    assert _slugs(seeded, "退款多久到账", "zh")[0] == "refund-timing"
