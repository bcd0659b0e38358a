"""Who gets a ticket: the pure routing rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from consigndesk.domain.routing import (
    Candidate,
    Held,
    Waiting,
    choose_agent,
    fifo_key,
    group_slots,
    ordered,
    pick_next,
    plan,
    position_in_queue,
    returns_to_queue,
)

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def agent(agent_id: int, load: int = 0, **kw) -> Candidate:
    kw.setdefault("groups", frozenset({"general", "finance"}))
    kw.setdefault("capacity", 3)
    return Candidate(agent_id=agent_id, load=load, **kw)


def ticket(ticket_id: int, priority: str = "P3", minutes: int = 0, **kw) -> Waiting:
    kw.setdefault("group", "general")
    return Waiting(
        ticket_id=ticket_id, priority=priority, created_at=T0 + timedelta(minutes=minutes), **kw
    )


def test_least_loaded_online_agent_of_the_group_gets_the_ticket() -> None:
    agents = [agent(1, load=2), agent(2, load=0), agent(3, load=1)]
    assert choose_agent(ticket(10), agents, in_house_only=False).agent_id == 2


def test_offline_inactive_full_and_other_group_agents_are_skipped() -> None:
    agents = [
        agent(1, online=False),
        agent(2, active=False),
        agent(3, load=3),  # at capacity
        agent(4, groups=frozenset({"logistics"})),
        agent(5, load=2),
    ]
    assert choose_agent(ticket(10), agents, in_house_only=False).agent_id == 5
    assert choose_agent(ticket(11), agents[:4], in_house_only=False) is None


def test_ties_go_round_robin_to_the_agent_assigned_longest_ago() -> None:
    agents = [
        agent(1, last_assigned_at=T0 + timedelta(minutes=5)),
        agent(2, last_assigned_at=T0 + timedelta(minutes=1)),
        agent(3, last_assigned_at=T0 + timedelta(minutes=3)),
    ]
    assert choose_agent(ticket(10), agents, in_house_only=False).agent_id == 2
    never = [*agents, agent(4)]
    assert choose_agent(ticket(10), never, in_house_only=False).agent_id == 4


def test_planning_a_backlog_spreads_it_round_robin() -> None:
    agents = [agent(1), agent(2), agent(3)]
    backlog = [ticket(i, minutes=i) for i in range(1, 7)]
    planned = plan(backlog, agents, set(), T0)
    assert [a.agent_id for a in planned] == [1, 2, 3, 1, 2, 3]


def test_vip_customers_go_to_vip_agents_first_then_anyone() -> None:
    agents = [agent(1), agent(2, load=2, vip=True)]
    assert choose_agent(ticket(10, vip=True), agents, in_house_only=False).agent_id == 2
    assert choose_agent(ticket(11), agents, in_house_only=False).agent_id == 1
    full_vip = [agent(1), agent(2, load=3, vip=True)]
    assert choose_agent(ticket(12, vip=True), full_vip, in_house_only=False).agent_id == 1


def test_outsourced_agents_never_get_in_house_only_groups() -> None:
    outsourced = agent(1, outsourced=True)
    finance = ticket(10, group="finance")
    assert choose_agent(finance, [outsourced], in_house_only=True) is None
    assert choose_agent(finance, [outsourced], in_house_only=False).agent_id == 1
    assert plan([finance], [outsourced], {"finance"}, T0) == []
    assert pick_next(outsourced, [finance], {"finance"}) is None


def test_capacity_limits_what_one_plan_hands_out() -> None:
    planned = plan([ticket(i, minutes=i) for i in range(5)], [agent(1, load=1)], set(), T0)
    assert [a.ticket_id for a in planned] == [0, 1]


def test_queue_is_p1_first_then_oldest() -> None:
    waiting = [
        ticket(1, "P3", minutes=0),
        ticket(2, "P1", minutes=30),
        ticket(3, "P2", minutes=10),
        ticket(4, "P1", minutes=20),
        ticket(5, "P4", minutes=-60),
    ]
    assert [t.ticket_id for t in ordered(waiting)] == [4, 2, 3, 1, 5]
    assert [t.ticket_id for t in ordered(waiting, fifo_key)] == [5, 1, 3, 4, 2]
    assert position_in_queue(waiting[0], waiting) == 3
    planned = plan(waiting, [agent(1, capacity=2)], set(), T0)
    assert [a.ticket_id for a in planned] == [4, 2]


def test_next_ticket_is_the_head_across_the_agents_groups() -> None:
    me = agent(1, groups=frozenset({"general", "logistics"}))
    waiting = [
        ticket(1, "P3", minutes=0, group="general"),
        ticket(2, "P1", minutes=30, group="logistics"),
        ticket(3, "P1", minutes=5, group="after_sales"),  # not my group
    ]
    assert pick_next(me, waiting, set()).ticket_id == 2
    assert pick_next(me, [], set()) is None


def test_a_vip_agent_pulls_vip_customers_first_within_a_priority() -> None:
    waiting = [
        ticket(1, "P2", minutes=0),
        ticket(2, "P2", minutes=10, vip=True),
        ticket(3, "P1", minutes=20),
    ]
    assert pick_next(agent(1, vip=True), waiting, set()).ticket_id == 3
    assert pick_next(agent(1, vip=True), waiting[:2], set()).ticket_id == 2
    assert pick_next(agent(2), waiting[:2], set()).ticket_id == 1


def test_a_ticket_is_not_handed_back_to_the_agent_who_returned_it() -> None:
    agents = [agent(1), agent(2, load=2)]
    planned = plan([ticket(10)], agents, set(), T0, avoid={10: 1})
    assert [(a.ticket_id, a.agent_id) for a in planned] == [(10, 2)]


def test_going_offline_returns_only_unanswered_new_and_open_tickets() -> None:
    held = [
        Held(ticket_id=1, status="open", first_response_at=None),
        Held(ticket_id=2, status="open", first_response_at=T0),
        Held(ticket_id=3, status="pending", first_response_at=None),
        Held(ticket_id=4, status="new", first_response_at=None),
    ]
    assert returns_to_queue(held) == [1, 4]


def test_group_slots_count_only_online_agents_allowed_in_the_group() -> None:
    agents = [
        agent(1, load=1),
        agent(2, online=False),
        agent(3, outsourced=True, load=0),
    ]
    assert group_slots("general", agents, in_house_only=False) == (6, 5)
    assert group_slots("finance", agents, in_house_only=True) == (3, 2)
