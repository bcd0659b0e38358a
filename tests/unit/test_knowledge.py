"""Knowledge-base domain rules and the search text analysis (no database)."""

from __future__ import annotations

import pytest

from consigndesk.domain.errors import InvalidInput, InvalidTransition
from consigndesk.domain.knowledge import Article, ArticleStatus, Author
from consigndesk.knowledge.analysis import (
    Vocabulary,
    analyse_query,
    edit_distance,
    index_tokens,
    stem,
)
from consigndesk.knowledge.seed import SeedFormatError, load_seed_articles, parse_seed

EDITOR = Author(id=7, name="李娜")


def _article() -> Article:
    return Article.draft(
        slug="refund-timing", category="returns_refunds", tags=["Refund", " 退款 "],
        intents=["return_refund"],
    )  # fmt: skip


def _save(article: Article, lang: str, title: str = "标题", body: str = "正文") -> int:
    return article.save_translation(
        lang, title=title, body_md=body, body_html=f"<p>{body}</p>", author=EDITOR
    ).version


def test_a_translation_pair_is_one_article_and_both_languages_are_needed_to_publish() -> None:
    article = _article()
    _save(article, "zh")
    with pytest.raises(InvalidTransition) as missing:
        article.publish()
    assert missing.value.code == "translation_missing"
    assert article.missing_languages() == ["en"]
    _save(article, "en", "How long does a refund take?")
    article.publish()
    assert article.status is ArticleStatus.PUBLISHED
    assert article.languages == ["zh", "en"]
    assert article.published_at is not None


def test_every_save_of_a_translation_is_a_new_version_with_author() -> None:
    article = _article()
    assert [_save(article, "zh", body=f"v{i}") for i in range(3)] == [1, 2, 3]
    assert _save(article, "en") == 1
    versions = article.pull_versions()
    assert [(v.lang, v.version) for v in versions] == [("zh", 1), ("zh", 2), ("zh", 3), ("en", 1)]
    assert {v.author_name for v in versions} == {"李娜"}
    current = article.translations["zh"]
    assert (current.body_md, current.version) == ("v2", 3)
    assert article.pull_versions() == []


def test_unpublish_returns_to_draft_and_publish_is_idempotent() -> None:
    article = _article()
    _save(article, "zh")
    _save(article, "en")
    article.publish()
    first = article.published_at
    article.publish()
    assert article.published_at == first
    article.unpublish()
    assert article.status is ArticleStatus.DRAFT


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("slug", "Not A Slug"),
        ("category", "nonsense"),
        ("intents", ["refunds_please"]),
        ("tags", ["<script>"]),
    ],
)
def test_invalid_metadata_is_refused(field: str, value: object) -> None:
    spec: dict[str, object] = {"slug": "ok-slug", "category": "payments"}
    spec[field] = value
    with pytest.raises(InvalidInput):
        Article.draft(**spec)  # type: ignore[arg-type]


def test_tags_are_normalised_and_translations_need_a_known_language_title_and_body() -> None:
    article = _article()
    assert article.tags == ["refund", "退款"]
    with pytest.raises(InvalidInput):
        _save(article, "fr")
    with pytest.raises(InvalidInput):
        _save(article, "zh", title="  ")
    with pytest.raises(InvalidInput):
        _save(article, "zh", body=" \n")


def test_analysis_stems_segments_and_expands_synonyms() -> None:
    assert stem("refunds") == stem("refunded") == "refund"
    assert stem("shipped") == stem("shipping") == "ship"
    assert index_tokens("退款多久到账？") == ["退款", "多久", "到账"]
    plan = analyse_query("退钱")
    assert "退款" in plan.terms and "refund" in plan.terms
    assert "charged twice" not in analyse_query("I was charged twice").terms
    assert "重复扣款" in analyse_query("I was charged twice").terms


def test_typos_are_corrected_against_the_index_vocabulary() -> None:
    vocabulary = Vocabulary({"refund": 30, "return": 20, "withdrawal": 5, "退款": 9})
    plan = analyse_query("refnd", vocabulary)
    assert plan.corrections == {"refnd": "refund"}
    assert "refund" in plan.terms
    assert analyse_query("withdrawl", vocabulary).corrections == {"withdrawl": "withdrawal"}
    assert analyse_query("xyzzy", vocabulary).terms == []
    assert edit_distance("refnud", "refund", 1) == 1  # a transposition is one edit


def test_seed_files_parse_and_are_bilingual() -> None:
    seeds = load_seed_articles()
    assert len(seeds) >= 40
    assert len({s.slug for s in seeds}) == len(seeds)
    for seed in seeds:
        assert set(seed.translations) == {"zh", "en"}, seed.slug
        Article.draft(slug=seed.slug, category=seed.category, tags=seed.tags, intents=seed.intents)
    with pytest.raises(SeedFormatError):
        parse_seed("broken.md", "no front matter")
