"""The assistant switched on over the shared `core` (both databases), with a few real articles."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from consigndesk.adapters.db import queries
from consigndesk.bootstrap import App
from consigndesk.domain.answer_guards import AnswerPolicy
from consigndesk.domain.commands import CustomerData, ReceiveCustomerMessage
from consigndesk.domain.knowledge import Author
from consigndesk.domain.triage import TriageInput, TriageResult
from consigndesk.knowledge.seed import load_seed_articles
from consigndesk.services.knowledge import ArticleInput, TranslationInput, create_article
from consigndesk.services.platform_events import apply_platform_event
from tests.api.conftest import Api, api  # noqa: F401  (the API fixture, for these tests too)

ARTICLES = {
    "tracking",
    "refund-timing",
    "how-to-return",
    "settlement-cycle",
    "cancel-before-shipping",
    "consign-digital-codes",
    "code-invalid",
    "dispute-process",
}


def seed_articles(core: App) -> None:
    """A handful of the starter articles (the whole set takes seconds to index)."""
    author = Author.system("test")
    for seed in load_seed_articles():
        if seed.slug in ARTICLES:
            create_article(
                core.uow(),
                ArticleInput(
                    slug=seed.slug,
                    category=seed.category,
                    tags=seed.tags,
                    intents=seed.intents,
                    translations={
                        lang: TranslationInput(title, body)
                        for lang, (title, body) in seed.translations.items()
                    },
                    publish=True,
                ),
                author,
            )


@pytest.fixture
def desk(core: App) -> Iterator[App]:
    """`core` with auto-answers on (the setting is off by default) and articles to cite."""
    assert core.tickets.answerer is not None
    core.tickets.answerer.policy = AnswerPolicy(enabled=True)
    seed_articles(core)
    yield core


def apply(core: App, events: list[dict[str, Any]]) -> None:
    for event in events:
        apply_platform_event(core.uow(), event)


def ask(
    core: App,
    body: str,
    *,
    customer: str = "b1",
    role: str = "buyer",
    tier: str | None = None,
    ticket_id: int | None = None,
    order_ref: str | None = None,
) -> int:
    cmd = ReceiveCustomerMessage(
        customer=CustomerData(external_id=customer, role=role, tier=tier, name="张伟"),
        channel="api",
        body=body,
        ticket_id=ticket_id,
        order_ref=order_ref,
    )
    return core.tickets.receive_customer_message(core.uow(), cmd).ticket_id


def detail(core: App, ticket_id: int) -> dict[str, Any]:
    with core.database.read_sessions() as session:
        found = queries.ticket_detail(session, ticket_id)
    assert found is not None
    return found


def record(core: App, ticket_id: int) -> dict[str, Any] | None:
    with core.read_uow() as uow:
        found: dict[str, Any] | None = uow.answers.for_ticket(ticket_id)
        return found


@dataclass
class ScriptedTriage:
    """A fake of the `Triage` port: the real engine's result with some labels overridden."""

    inner: Any
    overrides: dict[str, Any]

    def triage(self, item: TriageInput) -> TriageResult:
        return replace(self.inner.triage(item), **self.overrides)
