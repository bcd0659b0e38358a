"""The ticket aggregate's rules, without any database."""

import pytest

from consigndesk.domain.errors import InvalidInput, InvalidTransition
from consigndesk.domain.events import Actor, FieldChanged, MessageAdded, StatusChanged
from consigndesk.domain.tickets import Message, Ticket, format_reference, parse_reference
from consigndesk.domain.triage import PlaceholderTriage, TriageInput

AGENT = Actor(type="agent", id=7, name="李娜")
CUSTOMER = Actor(type="customer", id=1, name="张伟")


def stored_ticket(status: str = "new") -> Ticket:
    ticket = Ticket(customer_id=1, channel="api", subject="快递没到")
    ticket.id = 123
    ticket.status = status
    return ticket


def stored_message(author_type: str, visibility: str = "public", message_id: int = 1) -> Message:
    message = Message(ticket_id=123, author_type=author_type, body="hi", visibility=visibility)
    message.id = message_id
    return message


def test_reference_format_round_trips() -> None:
    assert format_reference(123) == "CD-000123"
    assert parse_reference("cd-000123") == 123
    assert parse_reference("JS20261118000123") is None


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("new", "open"),
        ("open", "pending"),
        ("pending", "open"),
        ("open", "solved"),
        ("solved", "closed"),
        ("solved", "open"),
        ("new", "solved"),
    ],
)
def test_allowed_transitions(start: str, target: str) -> None:
    ticket = stored_ticket(start)
    ticket.change_status(target, AGENT, "because")
    assert ticket.status == target
    (event,) = ticket.pull_events()
    assert isinstance(event, StatusChanged)
    assert (event.old, event.new, event.reason) == (start, target, "because")


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("new", "closed"),
        ("open", "closed"),
        ("closed", "open"),
        ("pending", "new"),
        ("closed", "solved"),
    ],
)
def test_invalid_transitions_raise_with_machine_code(start: str, target: str) -> None:
    ticket = stored_ticket(start)
    with pytest.raises(InvalidTransition) as err:
        ticket.change_status(target, AGENT)
    assert err.value.code == f"invalid_transition.{start}_to_{target}"
    assert ticket.status == start
    assert ticket.pull_events() == []


def test_unknown_status_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        stored_ticket().change_status("archived", AGENT)


def test_solving_sets_and_reopening_clears_solved_at() -> None:
    ticket = stored_ticket("open")
    ticket.change_status("solved", AGENT)
    assert ticket.solved_at is not None
    ticket.add_message(stored_message("customer"), CUSTOMER)
    assert ticket.status == "open"
    assert ticket.solved_at is None
    names = [type(e).__name__ for e in ticket.pull_events()]
    assert names == ["StatusChanged", "StatusChanged", "MessageAdded"]


def test_customer_reply_reopens_pending_ticket() -> None:
    ticket = stored_ticket("pending")
    ticket.add_message(stored_message("customer"), CUSTOMER)
    assert ticket.status == "open"


def test_closed_ticket_refuses_customer_messages() -> None:
    ticket = stored_ticket("closed")
    with pytest.raises(InvalidTransition) as err:
        ticket.add_message(stored_message("customer"), CUSTOMER)
    assert err.value.code == "ticket_closed"


def test_first_agent_reply_opens_ticket_and_sets_first_response() -> None:
    ticket = stored_ticket("new")
    reply = stored_message("agent")
    ticket.add_message(reply, AGENT)
    assert ticket.status == "open"
    assert ticket.first_response_at == reply.created_at
    later = stored_message("agent", message_id=2)
    ticket.add_message(later, AGENT)
    assert ticket.first_response_at == reply.created_at


def test_internal_note_is_not_a_first_response() -> None:
    ticket = stored_ticket("new")
    ticket.add_message(stored_message("agent", visibility="internal"), AGENT)
    assert ticket.first_response_at is None
    assert ticket.status == "new"
    (event,) = ticket.pull_events()
    assert isinstance(event, MessageAdded) and event.visibility == "internal"


def test_customers_cannot_write_internal_notes() -> None:
    with pytest.raises(InvalidInput):
        Message(ticket_id=1, author_type="customer", body="x", visibility="internal")


def test_field_changes_record_old_and_new_and_skip_no_ops() -> None:
    ticket = stored_ticket("open")
    ticket.set_priority("P1", AGENT, "customer threatens to go to 12315")
    ticket.set_priority("P1", AGENT)
    ticket.set_tags(["VIP ", "refund", "vip"], AGENT)
    events = ticket.pull_events()
    assert len(events) == 2
    assert isinstance(events[0], FieldChanged)
    assert (events[0].field, events[0].old, events[0].new) == ("priority", "P3", "P1")
    assert ticket.tags == ["refund", "vip"]


def test_rejects_unknown_priority_and_intent() -> None:
    ticket = stored_ticket("open")
    with pytest.raises(InvalidInput):
        ticket.set_priority("P9", AGENT)
    with pytest.raises(InvalidInput):
        ticket.set_intent("weather", AGENT)


def test_assigning_a_new_ticket_opens_it() -> None:
    ticket = stored_ticket("new")
    ticket.assign(7, AGENT)
    assert (ticket.assignee_id, ticket.status) == (7, "open")


def test_rating_only_when_solved_and_in_range() -> None:
    ticket = stored_ticket("open")
    with pytest.raises(InvalidTransition):
        ticket.rate(5, "great", CUSTOMER)
    ticket.change_status("solved", AGENT)
    with pytest.raises(InvalidInput):
        ticket.rate(6, "", CUSTOMER)
    ticket.rate(4, "  快  ", CUSTOMER)
    assert (ticket.csat_score, ticket.csat_comment) == (4, "快")


def test_placeholder_triage_goes_through_the_seam() -> None:
    ticket = stored_ticket("new")
    result = PlaceholderTriage().triage(TriageInput(text="我的快递到哪了"))
    ticket.apply_triage(result, Actor.system("triage"))
    assert (ticket.intent, ticket.priority, ticket.group) == ("other", "P3", "general")
    assert ticket.language == "zh"
    assert ticket.triage is not None and ticket.triage["reasons"]


def test_a_ticket_is_rated_once() -> None:
    ticket = stored_ticket("solved")
    ticket.rate(5, "", CUSTOMER)
    with pytest.raises(InvalidTransition) as err:
        ticket.rate(1, "changed my mind", CUSTOMER)
    assert err.value.code == "already_rated"
    assert ticket.csat_score == 5
