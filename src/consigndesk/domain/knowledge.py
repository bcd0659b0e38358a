"""Help-centre articles: one article per topic, with a zh and an en translation and a history.

Rules kept here (plain Python, no framework):
- a zh/en translation pair is ONE article; an article is published only when both exist;
- every save of a translation is a new numbered version with its author and time, so an
  article can be shown as it was at any earlier version;
- tags are normalised, linked intents are TAXONOMY.md identifiers, categories are a fixed list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from consigndesk.domain.errors import InvalidInput, InvalidTransition
from consigndesk.domain.events import utcnow
from consigndesk.domain.taxonomy import Intent

LANGUAGES: tuple[str, ...] = ("zh", "en")
MAX_TITLE = 200
MAX_BODY = 50_000
MAX_TAGS = 20
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
_TAG = re.compile(r"^[\w\-+ ]{1,40}$")

# category key → (zh name, en name); the help centre lists articles by these.
CATEGORIES: dict[str, tuple[str, str]] = {
    "buying": ("购买与订单", "Buying and orders"),
    "shipping": ("物流配送", "Shipping and delivery"),
    "returns_refunds": ("退货与退款", "Returns and refunds"),
    "digital_goods": ("卡密与数字商品", "Card codes and digital goods"),
    "payments": ("支付", "Payments"),
    "selling": ("寄售与上架", "Consigning and listing"),
    "payouts": ("结算与提现", "Settlement and withdrawals"),
    "disputes": ("纠纷与仲裁", "Disputes and arbitration"),
    "account": ("账号与安全", "Account and security"),
    "service": ("会员与客服", "VIP and customer service"),
}


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


@dataclass(frozen=True, slots=True)
class Author:
    """Who saved a version: an agent (id and name) or a system job such as the seed loader."""

    id: int | None
    name: str

    @classmethod
    def system(cls, name: str = "system") -> Author:
        return cls(id=None, name=name)


@dataclass(slots=True)
class Translation:
    lang: str
    title: str
    body_md: str
    body_html: str
    version: int
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True, slots=True)
class ArticleVersion:
    """One saved state of one translation (rows are never changed once written)."""

    article_id: int | None
    lang: str
    version: int
    title: str
    body_md: str
    body_html: str
    author_id: int | None
    author_name: str
    created_at: datetime


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return lang


def normalise_tags(tags: list[str]) -> list[str]:
    """Lower-case, trimmed, de-duplicated in order; at most MAX_TAGS."""
    seen: list[str] = []
    for raw in tags:
        tag = " ".join(raw.strip().lower().split())
        if not tag:
            continue
        if not _TAG.match(tag):
            raise InvalidInput(f"tag {raw!r} may hold letters, digits, spaces, '-' and '+' only")
        if tag not in seen:
            seen.append(tag)
    if len(seen) > MAX_TAGS:
        raise InvalidInput(f"an article has at most {MAX_TAGS} tags")
    return seen


def check_intents(intents: list[str]) -> list[str]:
    known = {i.value for i in Intent}
    unknown = [i for i in intents if i not in known]
    if unknown:
        raise InvalidInput(f"unknown intent(s) {', '.join(unknown)}; see TAXONOMY.md")
    return list(dict.fromkeys(intents))


def check_category(category: str) -> str:
    if category not in CATEGORIES:
        raise InvalidInput(f"unknown category {category!r}; one of {', '.join(CATEGORIES)}")
    return category


def check_slug(slug: str) -> str:
    if not _SLUG.match(slug):
        raise InvalidInput("slug: 2-80 characters, lower-case letters, digits and '-'")
    return slug


@dataclass(eq=False)
class Article:
    """The aggregate. `version` is the optimistic-lock counter of the whole article."""

    slug: str
    category: str
    tags: list[str] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)
    status: ArticleStatus = ArticleStatus.DRAFT
    translations: dict[str, Translation] = field(default_factory=dict)
    id: int | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    published_at: datetime | None = None
    version: int = 0
    new_versions: list[ArticleVersion] = field(default_factory=list)

    @classmethod
    def draft(
        cls,
        *,
        slug: str,
        category: str,
        tags: list[str] | None = None,
        intents: list[str] | None = None,
    ) -> Article:
        return cls(
            slug=check_slug(slug),
            category=check_category(category),
            tags=normalise_tags(tags or []),
            intents=check_intents(intents or []),
        )

    @property
    def is_published(self) -> bool:
        return self.status is ArticleStatus.PUBLISHED

    @property
    def languages(self) -> list[str]:
        return [lang for lang in LANGUAGES if lang in self.translations]

    def missing_languages(self) -> list[str]:
        return [lang for lang in LANGUAGES if lang not in self.translations]

    def save_translation(
        self,
        lang: str,
        *,
        title: str,
        body_md: str,
        body_html: str,
        author: Author,
        at: datetime | None = None,
    ) -> ArticleVersion:
        """Create or change one translation; always records a new version."""
        check_language(lang)
        title = title.strip()
        if not title or len(title) > MAX_TITLE:
            raise InvalidInput(f"title ({lang}) must be 1-{MAX_TITLE} characters")
        if not body_md.strip():
            raise InvalidInput(f"body ({lang}) must not be empty")
        if len(body_md) > MAX_BODY:
            raise InvalidInput(f"body ({lang}) is longer than {MAX_BODY} characters")
        at = at or utcnow()
        current = self.translations.get(lang)
        number = (current.version if current else 0) + 1
        self.translations[lang] = Translation(
            lang=lang,
            title=title,
            body_md=body_md,
            body_html=body_html,
            version=number,
            updated_at=at,
            updated_by=author.name,
        )
        version = ArticleVersion(
            article_id=self.id,
            lang=lang,
            version=number,
            title=title,
            body_md=body_md,
            body_html=body_html,
            author_id=author.id,
            author_name=author.name,
            created_at=at,
        )
        self.new_versions.append(version)
        self.updated_at = at
        return version

    def change_metadata(
        self,
        *,
        category: str | None = None,
        tags: list[str] | None = None,
        intents: list[str] | None = None,
        at: datetime | None = None,
    ) -> None:
        if category is not None:
            self.category = check_category(category)
        if tags is not None:
            self.tags = normalise_tags(tags)
        if intents is not None:
            self.intents = check_intents(intents)
        self.updated_at = at or utcnow()

    def publish(self, at: datetime | None = None) -> None:
        missing = self.missing_languages()
        if missing:
            raise InvalidTransition(
                f"article {self.slug!r} needs its {' and '.join(missing)} translation "
                "before it can be published",
                code="translation_missing",
            )
        if self.is_published:
            return
        self.status = ArticleStatus.PUBLISHED
        self.published_at = at or utcnow()
        self.updated_at = self.published_at

    def unpublish(self, at: datetime | None = None) -> None:
        if not self.is_published:
            return
        self.status = ArticleStatus.DRAFT
        self.updated_at = at or utcnow()

    def pull_versions(self) -> list[ArticleVersion]:
        versions, self.new_versions = self.new_versions, []
        return versions


def vote_counts(votes: list[bool]) -> dict[str, int]:
    helpful = sum(1 for v in votes if v)
    return {"helpful": helpful, "not_helpful": len(votes) - helpful}
