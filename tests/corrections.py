"""Agents' corrections and the training examples the correction reaction writes from them: the
observable effect that relay, bus and multi-process tests count (one example per event)."""

from __future__ import annotations

from collections import Counter

from consigndesk.bootstrap import App
from consigndesk.domain.commands import CustomerData, ReceiveCustomerMessage, UpdateTicket
from consigndesk.domain.events import Actor


def receive(app: App, body: str = "我的快递到哪了？") -> int:
    command = ReceiveCustomerMessage(
        customer=CustomerData(external_id="b1", role="buyer", name="张伟"),
        channel="api",
        body=body,
    )
    return app.tickets.receive_customer_message(app.uow(), command).ticket_id


def correct_intent(app: App, ticket_id: int, agent_id: int) -> None:
    """An agent's correction: one `ticket.field_changed` event, worth one training example."""
    actor = Actor(type="agent", id=agent_id, name="李娜")
    app.tickets.update_ticket(
        app.uow(), UpdateTicket(ticket_id=ticket_id, actor=actor, intent="complaint")
    )


def examples(app: App) -> Counter[int]:
    """Training examples per ticket: what the correction reaction has written so far."""
    with app.uow() as uow:
        return Counter(example["ticket_id"] for example in uow.training.all())
