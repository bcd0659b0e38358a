"""The assistant: answer a new conversation from live facts and the knowledge base, or hand it
to a human with the context gathered — inside the unit of work of the inbound message.

`Answerer` is the collaborator `TicketServices` calls after triage (instead of the router) for
a new ticket, and for every later customer message. Every decision is recorded in `ai_answers`
(what was decided, why, which facts and article) for agents and for the deflection metrics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

import structlog

from consigndesk.domain import answers as text
from consigndesk.domain.answer_facts import Grounding, ground
from consigndesk.domain.answer_guards import (
    AnswerPolicy,
    Situation,
    decline_reason,
    phrasing_problems,
    strip_tags,
    without_scripts,
)
from consigndesk.domain.errors import Conflict, InvalidInput, NotFound
from consigndesk.domain.events import Actor, utcnow
from consigndesk.domain.people import Customer
from consigndesk.domain.tickets import Message, Status, Ticket
from consigndesk.i18n import gettext_for, locale_for_language
from consigndesk.knowledge.analysis import plain_text
from consigndesk.services.knowledge import get_article, related_articles, search_help
from consigndesk.services.routing import Routing
from consigndesk.services.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)
ASSISTANT = Actor(type="ai", name="assistant")
OUTCOMES = ("solved", "human")
CONFIRMED = "the customer confirmed the AI answer solved it"  # a reason the timeline translates


class Phraser(Protocol):
    """May reword a template draft (an LLM); its output must pass the same guards."""

    name: str

    def phrase(self, language: str, draft: str, facts: dict[str, str]) -> str | None: ...


def translator(language: str) -> text.Translate:
    locale = locale_for_language(language)
    return lambda msgid: gettext_for(locale, msgid)


@dataclass(frozen=True)
class Attempt:
    """What the assistant would say for a ticket, or why it would not."""

    situation: str | None = None
    facts: dict[str, str] = field(default_factory=dict)
    article: dict[str, Any] | None = None
    body: str | None = None
    reason: str | None = None


@dataclass
class Knowledge:
    """Article lookups on their own read-only units of work (never the caller's transaction)."""

    read_uow: Callable[[], UnitOfWork]

    def best_article(
        self, intent: str, language: str, question: str, *, linked_only: bool
    ) -> dict[str, Any] | None:
        """The best search hit linked to the intent; else (unless `linked_only`) the first
        article linked to it."""
        linked = related_articles(self.read_uow(), intent, language, limit=50)
        ids = {a["id"] for a in linked}
        hits = search_help(self.read_uow(), question, language, limit=10)["results"]
        chosen = next((h for h in hits if h["id"] in ids), None)
        if chosen is None and not linked_only and linked:
            chosen = linked[0]
        return None if chosen is None else self.article(int(chosen["id"]), language)

    def article(self, article_id: int, language: str) -> dict[str, Any] | None:
        try:
            found = get_article(self.read_uow(), article_id, lang=language)
        except (NotFound, InvalidInput):
            return None
        tr = found["translations"][language]
        return {
            "id": article_id,
            "slug": found["slug"],
            "title": tr["title"],
            "excerpt": text.excerpt(plain_text(without_scripts(tr["body_md"]))),
        }

    def related(self, intent: str, language: str, question: str) -> list[dict[str, Any]]:
        """For agents: search hits for the question first, then the intent's linked articles."""
        hits = search_help(self.read_uow(), question, language, limit=5)["results"]
        linked = related_articles(self.read_uow(), intent, language, limit=5)
        seen: dict[int, None] = {}
        for row in (*hits, *linked):
            seen.setdefault(int(row["id"]), None)
        found = (self.article(i, language) for i in list(seen)[:5])
        return [a for a in found if a is not None]


def attempt(
    knowledge: Knowledge,
    *,
    intent: str,
    language: str,
    view: dict[str, Any] | None,
    customer_ref: str,
    question: str,
    closing: bool = True,
) -> Attempt:
    """Ground the intent in the order and the knowledge base and compose the reply."""
    grounding: Grounding | str = ground(intent, view, customer_ref)
    if isinstance(grounding, str):
        return Attempt(reason=grounding)
    article = knowledge.best_article(intent, language, question, linked_only=grounding.article_only)
    if grounding.article_only and article is None:
        return Attempt(situation=grounding.situation, reason="no_article")
    body = text.compose(
        translator(language), grounding.situation, grounding.facts, article, closing=closing
    )
    return Attempt(grounding.situation, grounding.facts, article, body)


@dataclass
class Answerer:
    """Wired in bootstrap; `policy.enabled` false keeps plain routing (no notices, no answers)."""

    knowledge: Knowledge
    router: Routing | None = None
    policy: AnswerPolicy = field(default_factory=AnswerPolicy)
    phraser: Phraser | None = None

    # -- a new conversation ---------------------------------------------------------------
    def ticket_created(self, uow: UnitOfWork, ticket: Ticket, message: Message, tier: str) -> None:
        """Answer now, or route to the queue and tell the customer a human follows (with ETA).
        With answering off, the customer still gets a receipt with the reference — in the same
        transaction, so whoever acknowledged the message has acknowledged the receipt too."""
        if not self.policy.enabled:
            self._route(uow, ticket)
            receipt = translator(ticket.language)(text.RECEIPT) % {"reference": ticket.reference}
            self._post(uow, ticket, "system", receipt)
            return
        situation = Situation(
            intent=ticket.intent,
            intent_confidence=ticket.intent_confidence,
            needs_human=ticket.needs_human,
            priority=ticket.priority,
            emotion=str((ticket.triage or {}).get("emotion", "none")),
            tier=tier,
        )
        reason = decline_reason(situation, self.policy, message.body)
        result = Attempt(reason=reason)
        if reason is None:
            customer = uow.customers.get(ticket.customer_id)
            view = uow.orders.get_view(ticket.order_ref) if ticket.order_ref else None
            result = attempt(
                self.knowledge,
                intent=ticket.intent,
                language=ticket.language,
                view=view,
                customer_ref=customer.external_id,
                question=message.body,
            )
        if result.body is None:
            self._decline(uow, ticket, result)
        else:
            self._answer(uow, ticket, result)

    def _answer(self, uow: UnitOfWork, ticket: Ticket, result: Attempt) -> None:
        assert result.body is not None
        body, phrased_by = self._phrase(ticket.language, result.body, result.facts)
        reply = self._post(uow, ticket, "ai", body)
        ticket.change_status(
            Status.PENDING, ASSISTANT, reason="answered by the assistant; waiting on the customer"
        )
        uow.answers.add(
            {
                "ticket_id": ticket.stored_id,
                "message_id": reply.id,
                "decision": "answered",
                "intent": ticket.intent,
                "language": ticket.language,
                "situation": result.situation,
                "facts": result.facts,
                "article": _article_ref(result.article),
                "phrased_by": phrased_by,
            }
        )

    def _decline(self, uow: UnitOfWork, ticket: Ticket, result: Attempt) -> None:
        self._route(uow, ticket)
        uow.answers.add(
            {
                "ticket_id": ticket.stored_id,
                "decision": "declined",
                "reason": result.reason,
                "intent": ticket.intent,
                "language": ticket.language,
                "situation": result.situation,
                "facts": result.facts,
                "article": None,
                "phrased_by": "none",
            }
        )
        t = translator(ticket.language)
        self._post(uow, ticket, "system", f"{t(text.HUMAN_FOLLOWS)} {self._eta(ticket)}")

    def _phrase(self, language: str, draft: str, facts: dict[str, str]) -> tuple[str, str]:
        """The phraser's wording when it passes the guards; the template otherwise."""
        if self.phraser is None:
            return draft, "template"
        try:
            phrased = self.phraser.phrase(language, draft, facts)
        except Exception:  # a broken endpoint must never cost the customer their answer
            log.warning("answers.phraser_failed", exc_info=True)
            return draft, "template"
        if phrased is None:
            return draft, "template"
        problems = phrasing_problems(phrased, draft, language)
        if problems:
            log.info("answers.phrasing_rejected", problems=problems)
            return draft, "template"
        return strip_tags(phrased), f"llm:{self.phraser.name}"

    # -- later customer messages ----------------------------------------------------------
    def customer_replied(self, uow: UnitOfWork, ticket: Ticket, message: Message) -> None:
        """A reply to an AI answer: "solved" closes it, anything else goes to a human."""
        record = uow.answers.for_ticket(ticket.stored_id)
        if record is None or record["decision"] != "answered":
            return
        kind = text.classify_reply(message.body)
        if record["outcome"] is None:
            if kind == "solved":
                self._solved(uow, ticket, Actor(type="customer", id=ticket.customer_id))
            else:
                why = "asked_for_human" if kind == "human" else "wrote_again"
                self._hand_off(uow, ticket, record, why)
        elif record["outcome"] == "solved":
            if kind == "solved":
                ticket.change_status(Status.SOLVED, ASSISTANT, reason=CONFIRMED)
            else:
                self._hand_off(uow, ticket, record, "reopened")

    def resolve(
        self, uow: UnitOfWork, ticket_id: int, outcome: str, customer_ref: str | None
    ) -> str:
        """The customer's verdict on an AI answer (portal button or integration); idempotent."""
        if outcome not in OUTCOMES:
            raise InvalidInput(f"outcome must be one of {', '.join(OUTCOMES)}")
        with uow:
            ticket: Ticket | None = uow.tickets.get(ticket_id)
            customer: Customer | None = uow.customers.get(ticket.customer_id) if ticket else None
            if ticket is None or customer is None:
                raise NotFound(f"ticket {ticket_id} not found")
            if customer_ref is not None and customer.external_id != customer_ref:
                raise NotFound(f"ticket {ticket_id} not found")
            record = uow.answers.for_ticket(ticket_id)
            if record is None or record["decision"] != "answered":
                raise Conflict("no AI answer awaits the customer's verdict", code="no_ai_answer")
            current = record["outcome"]
            if current == outcome or (outcome == "human" and current == "reopened"):
                return str(current)
            if outcome == "solved":
                if current is not None:
                    raise Conflict("an agent has taken this over", code="already_handed_off")
                self._solved(uow, ticket, Actor(type="customer", id=customer.id))
            else:
                why = "reopened" if current == "solved" else "asked_for_human"
                self._hand_off(uow, ticket, record, why)
            uow.commit()
            return "reopened" if outcome == "human" and current == "solved" else outcome

    def _solved(self, uow: UnitOfWork, ticket: Ticket, actor: Actor) -> None:
        ticket.change_status(Status.SOLVED, actor, reason=CONFIRMED)
        uow.answers.set_outcome(ticket.stored_id, "solved", utcnow())
        self._post(uow, ticket, "system", translator(ticket.language)(text.SOLVED_NOTICE))

    def _hand_off(self, uow: UnitOfWork, ticket: Ticket, record: dict[str, Any], why: str) -> None:
        """To the group's queue, with a summary for the agent and the ETA for the customer."""
        outcome = "reopened" if why == "reopened" else "human"
        uow.answers.set_outcome(ticket.stored_id, outcome, utcnow())
        if ticket.status != Status.OPEN:
            ticket.change_status(Status.OPEN, ASSISTANT, reason=text.HANDOFF_WHY[why])
        self._route(uow, ticket)
        answer = uow.answers.message_body(record["message_id"]) if record["message_id"] else None
        t = translator(ticket.language)
        note = text.summary_note(
            t,
            answer=answer,
            decline_reason=record["reason"],
            facts=record["facts"] or {},
            article_title=(record["article"] or {}).get("title"),
            why=why,
        )
        self._post(uow, ticket, "ai", note, visibility="internal")
        self._post(uow, ticket, "system", f"{t(text.HANDOFF_NOTICE)} {self._eta(ticket)}")

    # -- shared ---------------------------------------------------------------------------
    def _route(self, uow: UnitOfWork, ticket: Ticket) -> None:
        if self.router is not None:
            self.router.ticket_created(uow, ticket)

    def _eta(self, ticket: Ticket) -> str:
        t = translator(ticket.language)
        if ticket.eta_seconds is None:
            return text.eta_notice(t, None)
        due = ticket.created_at + timedelta(seconds=ticket.eta_seconds)
        return text.eta_notice(t, max(0, int((due - utcnow()).total_seconds())))

    def _post(
        self, uow: UnitOfWork, ticket: Ticket, author: str, body: str, visibility: str = "public"
    ) -> Message:
        message: Message = uow.tickets.add_message(
            Message(
                ticket_id=ticket.stored_id,
                author_type=author,
                visibility=visibility,
                channel=ticket.channel,
                body=body,
            )
        )
        ticket.add_message(message, ASSISTANT if author == "ai" else Actor.system("assistant"))
        return message


def _article_ref(article: dict[str, Any] | None) -> dict[str, Any] | None:
    if article is None:
        return None
    return {"id": article["id"], "slug": article["slug"], "title": article["title"]}
