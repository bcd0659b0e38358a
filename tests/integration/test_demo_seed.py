"""The demo data loads through the real services, covers what the demo promises, and re-runs."""

from __future__ import annotations

from sqlalchemy import func, select

from consigndesk.adapters.db import tables
from consigndesk.bootstrap import App
from consigndesk.demo.loader import seed


def test_demo_seed_is_complete_and_safe_to_repeat(core: App) -> None:
    first = seed(core)
    assert first.customers >= 50 and first.orders >= 200 and first.tickets_created >= 30
    assert first.customer_link.startswith("/portal?token=")
    with core.database.read_sessions() as s:
        roles = dict(
            s.execute(
                select(tables.customers.c.role, func.count()).group_by(tables.customers.c.role)
            ).all()
        )
        statuses = {r[0] for r in s.execute(select(tables.orders.c.status).distinct())}
        ticket_statuses = {r[0] for r in s.execute(select(tables.tickets.c.status).distinct())}
        teams = {r[0] for r in s.execute(select(tables.agents.c.team).distinct())}
        rated = s.execute(
            select(func.count()).where(tables.tickets.c.csat_score.is_not(None))
        ).scalar_one()
        digital = s.execute(
            select(func.count())
            .select_from(tables.platform_events)
            .where(tables.platform_events.c.type == "card_code.delivered")
        ).scalar_one()
        counts = {
            t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (tables.tickets, tables.platform_events, tables.agents)
        }
    assert roles["buyer"] >= 20 and roles["seller"] >= 20
    assert statuses >= {
        "created",
        "paid",
        "shipped",
        "delivered",
        "cancelled",
        "refunded",
        "completed",
    }
    assert ticket_statuses == {"new", "open", "pending", "solved", "closed"}
    assert teams == {"in_house", "outsourced"} and counts["agents"] >= 6
    assert rated > 0 and digital > 0
    again = seed(core)
    assert (again.events_applied, again.tickets_created) == (0, 0)
    with core.database.read_sessions() as s:
        assert {
            t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (tables.tickets, tables.platform_events, tables.agents)
        } == counts
