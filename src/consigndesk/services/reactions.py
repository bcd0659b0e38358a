"""Reactions to committed events; each is idempotent by event id (the relay is at-least-once)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from consigndesk.domain.events import Actor
from consigndesk.domain.tickets import Message
from consigndesk.i18n import gettext_for, locale_for_language
from consigndesk.services.bus import Envelope
from consigndesk.services.unit_of_work import UnitOfWork


def first_time(uow: UnitOfWork, handler: str, event_id: str) -> bool:
    """Mark (handler, event) processed inside the caller's transaction; False if it was before."""
    if uow.processed.already(handler, event_id):
        return False
    uow.processed.mark(handler, event_id)
    return True


@dataclass
class Reactions:
    uow_factory: Callable[[], UnitOfWork]

    def acknowledge_receipt(self, envelope: Envelope) -> None:
        """Tell the customer we have their request and under which reference (a system notice)."""
        with self.uow_factory() as uow:
            if not first_time(uow, "acknowledge_receipt", envelope.event_id):
                return
            ticket = uow.tickets.get(envelope.payload["ticket_id"])
            if ticket is None:
                return
            locale = locale_for_language(ticket.language)
            text = gettext_for(
                locale,
                "We have received your request %(reference)s. An agent will reply as soon as "
                "possible; you can follow its progress on your support page.",
            ) % {"reference": ticket.reference}
            message = uow.tickets.add_message(
                Message(
                    ticket_id=ticket.id, author_type="system", body=text, channel=ticket.channel
                )
            )
            ticket.add_message(message, Actor.system("auto-acknowledge"))
            uow.commit()

    def subscriptions(self) -> dict[str, list[Callable[[Envelope], None]]]:
        return {"ticket.created": [self.acknowledge_receipt]}
