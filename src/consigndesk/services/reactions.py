"""Reactions to committed events; each is idempotent by event id (the relay is at-least-once)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from consigndesk.services.bus import Envelope
from consigndesk.services.unit_of_work import UnitOfWork


def first_time(uow: UnitOfWork, handler: str, event_id: str) -> bool:
    """Mark (handler, event) processed inside the caller's transaction; False if it was before.
    Safe across processes: on PostgreSQL a concurrent claim waits for the other's outcome."""
    return bool(uow.processed.claim(handler, event_id))


@dataclass
class Reactions:
    uow_factory: Callable[[], UnitOfWork]

    def learn_from_correction(self, envelope: Envelope) -> None:
        """An agent changed intent, priority or group: keep the ticket as a labelled example."""
        payload = envelope.payload
        if payload["field"] not in CORRECTABLE or payload["actor"]["type"] != "agent":
            return
        with self.uow_factory() as uow:
            if not first_time(uow, "learn_from_correction", envelope.event_id):
                return
            ticket = uow.tickets.get(payload["ticket_id"])
            customer = uow.customers.get(ticket.customer_id) if ticket else None
            if ticket is None or customer is None:
                return
            uow.training.add(
                {
                    "event_id": envelope.event_id,
                    "ticket_id": ticket.id,
                    "text": uow.training.first_customer_text(ticket.id),
                    "role": customer.role,
                    "language": ticket.language,
                    "field": payload["field"],
                    "old": payload["old"],
                    "new": payload["new"],
                    "intent": ticket.intent,
                    "priority": ticket.priority,
                    "group": ticket.group,
                    "agent_id": payload["actor"]["id"],
                    "created_at": envelope.occurred_at,
                }
            )
            uow.commit()

    def subscriptions(self) -> dict[str, list[Callable[[Envelope], None]]]:
        return {
            "ticket.field_changed": [self.learn_from_correction],
        }


CORRECTABLE = {"intent", "priority", "group"}
