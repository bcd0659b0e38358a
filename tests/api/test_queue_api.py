"""The queue endpoints: next ticket, presence, queue overview."""

from __future__ import annotations

import pytest

from consigndesk.domain.triage import PlaceholderTriage
from tests.api.conftest import Api
from tests.api.test_tickets_api import assert_error, create


@pytest.fixture(autouse=True)
def fixed_triage(api: Api) -> None:
    """Routing starts where triage ends: pin triage so every ticket is general / P3."""
    api.core.tickets.triage = PlaceholderTriage()


def agent_id(api: Api, email: str) -> int:
    agents = api.client.get("/api/v1/agents", headers=api.integration).json()
    return next(a["id"] for a in agents if a["email"] == email)


def test_presence_next_ticket_and_204_when_empty(api: Api) -> None:
    waiting = create(api)
    assert waiting["status"] == "new" and waiting["eta_seconds"] > 0  # nobody online yet
    li, csrf = api.login("li.na@desk.test")
    h = {"X-CSRF-Token": csrf}
    me = agent_id(api, "li.na@desk.test")

    offline_pull = li.post("/api/v1/agents/me/next-ticket", headers=h)
    assert_error(offline_pull, 409, "agent_offline")

    online = li.post(f"/api/v1/agents/{me}/presence", json={"online": True}, headers=h)
    assert online.status_code == 200, online.text
    assert online.json()["online"] is True
    # coming online offered the waiting ticket straight away
    taken = api.client.get(f"/api/v1/tickets/{waiting['id']}", headers=api.integration).json()
    assert taken["assignee"]["id"] == me

    li.post(f"/api/v1/agents/{me}/presence", json={"online": False}, headers=h)
    returned = api.client.get(f"/api/v1/tickets/{waiting['id']}", headers=api.integration)
    assert returned.json()["assignee"] is None  # unanswered: back to the queue
    li.post(f"/api/v1/agents/{me}/presence", json={"online": True}, headers=h)

    api.client.patch(
        f"/api/v1/tickets/{waiting['id']}",
        json={"unassign": True},
        headers=api.integration,
    )
    # given back, it is not pushed to the same agent again, but they may still pull it
    pulled = li.post("/api/v1/agents/me/next-ticket", headers=h)
    assert pulled.status_code == 200, pulled.text
    assert (pulled.json()["id"], pulled.json()["assignee_id"]) == (waiting["id"], me)
    empty = li.post("/api/v1/agents/me/next-ticket", headers=h)
    assert empty.status_code == 204 and empty.content == b""


def test_next_ticket_returns_the_p1_before_an_older_ticket(api: Api) -> None:
    older = create(api, external_id="c1")
    urgent = create(api, external_id="c2")
    api.client.patch(
        f"/api/v1/tickets/{urgent['id']}", json={"priority": "P1"}, headers=api.integration
    )
    li, csrf = api.login("li.na@desk.test")
    h = {"X-CSRF-Token": csrf}
    me = agent_id(api, "li.na@desk.test")
    # capacity 0: coming online pushes nothing, so the agent pulls
    admin_client, admin_csrf = api.login("admin@desk.test")
    admin_client.patch(
        f"/api/v1/agents/{me}", json={"capacity": 0}, headers={"X-CSRF-Token": admin_csrf}
    )
    li.post(f"/api/v1/agents/{me}/presence", json={"online": True}, headers=h)
    first = li.post("/api/v1/agents/me/next-ticket", headers=h)
    assert first.status_code == 200, first.text
    assert first.json()["id"] == urgent["id"] and first.json()["priority"] == "P1"
    second = li.post("/api/v1/agents/me/next-ticket", headers=h)
    assert second.json()["id"] == older["id"]


def test_presence_of_others_needs_a_supervisor(api: Api) -> None:
    li, csrf = api.login("li.na@desk.test")
    other = agent_id(api, "out@partner.test")
    assert_error(
        li.post(
            f"/api/v1/agents/{other}/presence",
            json={"online": True},
            headers={"X-CSRF-Token": csrf},
        ),
        403,
        "forbidden",
    )
    boss, boss_csrf = api.login("admin@desk.test")
    ok = boss.post(
        f"/api/v1/agents/{other}/presence",
        json={"online": True},
        headers={"X-CSRF-Token": boss_csrf},
    )
    assert ok.status_code == 200 and ok.json()["online"] is True
    assert_error(
        api.client.post("/api/v1/agents/me/next-ticket", headers=api.integration),
        403,
        "agents_only",
    )
    assert_error(
        boss.post(
            "/api/v1/agents/99999/presence",
            json={"online": True},
            headers={"X-CSRF-Token": boss_csrf},
        ),
        404,
        "not_found",
    )
    assert_error(
        boss.post(
            f"/api/v1/agents/{other}/presence",
            json={"online": "maybe"},
            headers={"X-CSRF-Token": boss_csrf},
        ),
        422,
        "invalid_input",
    )


def test_queues_show_waiting_by_priority_agents_online_and_an_eta(api: Api) -> None:
    create(api, external_id="c1")
    urgent = create(api, external_id="c2")
    api.client.patch(
        f"/api/v1/tickets/{urgent['id']}", json={"priority": "P1"}, headers=api.integration
    )
    queues = api.client.get("/api/v1/queues", headers=api.integration)
    assert queues.status_code == 200, queues.text
    by_group = {q["group"]: q for q in queues.json()}
    general = by_group["general"]
    assert general["waiting"] == {"P1": 1, "P2": 0, "P3": 1, "P4": 0}
    assert general["waiting_total"] == 2 and general["agents_online"] == 0
    assert by_group["finance"]["in_house_only"] is True
    assert general["eta_by_priority"]["P1"] <= general["eta_by_priority"]["P4"]
    assert general["eta_seconds"] == general["eta_by_priority"]["P3"]

    boss, csrf = api.login("admin@desk.test")
    out = agent_id(api, "out@partner.test")
    boss.post(
        f"/api/v1/agents/{out}/presence", json={"online": True}, headers={"X-CSRF-Token": csrf}
    )
    after = {q["group"]: q for q in boss.get("/api/v1/queues").json()}
    assert after["general"]["agents_online"] == 1
    assert after["general"]["waiting_total"] == 0  # the outsourced agent took both
    assert after["finance"]["agents_online"] == 0  # in-house only
    assert_error(api.client.get("/api/v1/queues"), 401, "unauthorized")
