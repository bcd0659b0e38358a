"""Presence, "Next ticket", the inbox's quick views and the supervisors' queue page."""

from __future__ import annotations

from consigndesk.adapters.db import queries
from tests.web import seed
from tests.web.conftest import Web
from tests.web.test_agent_pages import detail, set_priority


def online(web: Web, agent_id: int) -> bool:
    with web.core.database.read_sessions() as session:
        found = queries.agent_by_id(session, agent_id)
    assert found is not None
    return bool(found["online"])


def test_presence_toggle_in_the_top_bar(web: Web) -> None:
    me = seed.agent(web.core, "li.na@desk.test")
    other = seed.agent(web.core, "zhou.tao@desk.test", "周涛")
    boss = seed.agent(web.core, "chen.jing@desk.test", "陈静", role="supervisor")
    client, token = web.agent_client("li.na@desk.test")
    page = client.get("/").text
    assert f'action="/agents/{me}/presence"' in page and "离线" in page

    assert client.post(f"/agents/{me}/presence", data={"online": "1"}).status_code == 403
    assert not online(web, me)  # no CSRF token, no change
    went = client.post(
        f"/agents/{me}/presence",
        data={"online": "1", "csrf": token, "next": "/?status=all"},
        follow_redirects=False,
    )
    assert (went.status_code, went.headers["location"]) == (303, "/?status=all")
    assert online(web, me)
    page = client.get("/").text
    assert "您已上线" in page and 'class="presence-toggle is-online"' in page

    refused = client.post(f"/agents/{other}/presence", data={"online": "1", "csrf": token})
    assert refused.status_code == 403 and not online(web, other)
    supervisor, boss_token = web.agent_client("chen.jing@desk.test")
    supervisor.post(f"/agents/{other}/presence", data={"online": "1", "csrf": boss_token})
    assert online(web, other) and not online(web, boss)

    client.post(f"/agents/{me}/presence", data={"online": "0", "csrf": token})
    assert not online(web, me)


def test_next_ticket_takes_the_most_urgent_first(web_db: Web) -> None:
    web = web_db
    # capacity 0: routing never pushes work to this agent, so only "Next ticket" assigns
    me = seed.agent(web.core, "li.na@desk.test", capacity=0)
    normal = seed.customer_ticket(web.core, "c1", "我的相机到哪了？", subject="先来的普通问题")
    urgent = seed.customer_ticket(web.core, "c2", "快递丢了！", subject="后来的紧急问题")
    set_priority(web, normal, "P3")
    set_priority(web, urgent, "P1")
    client, token = web.agent_client("li.na@desk.test")
    assert 'id="next-ticket"' in client.get("/").text

    offline = client.post("/inbox/next", data={"csrf": token}, follow_redirects=False)
    assert offline.headers["location"] == "/"
    assert "请先上线" in client.get("/").text
    assert detail(web, urgent)["assignee_id"] is None

    client.post(f"/agents/{me}/presence", data={"online": "1", "csrf": token})
    first = client.post("/inbox/next", data={"csrf": token}, follow_redirects=False)
    assert first.headers["location"] == f"/tickets/{urgent}"
    assert detail(web, urgent)["assignee_id"] == me
    assert "这个工单现在由您处理" in client.get(first.headers["location"]).text
    second = client.post("/inbox/next", data={"csrf": token}, follow_redirects=False)
    assert second.headers["location"] == f"/tickets/{normal}"
    empty = client.post("/inbox/next", data={"csrf": token}, follow_redirects=False)
    assert empty.headers["location"] == "/"
    assert "目前没有等待中的工单" in client.get("/?status=all").text
    assert client.post("/inbox/next", data={}).status_code == 403


def test_agents_land_on_their_own_tickets_when_they_hold_some(web: Web) -> None:
    me = seed.agent(web.core, "li.na@desk.test", capacity=0)
    mine = seed.customer_ticket(web.core, "c1", "第一个问题", subject="我的工单")
    waiting = seed.customer_ticket(web.core, "c2", "第二个问题", subject="没人管的工单")
    client, token = web.agent_client("li.na@desk.test")
    html = client.get("/").text  # nothing of mine yet: the whole unsolved queue
    assert f'/tickets/{mine}"' in html and f'/tickets/{waiting}"' in html
    assert 'class="view-tab active">全部未解决' in html

    client.post(f"/tickets/{mine}/update", data={"assignee": str(me), "csrf": token})
    html = client.get("/").text
    assert f'/tickets/{mine}"' in html and f'/tickets/{waiting}"' not in html
    assert 'class="view-tab active">我的工单 <span class="count">1</span>' in html
    unassigned = client.get("/?assigned=unassigned").text
    assert f'/tickets/{waiting}"' in unassigned and f'/tickets/{mine}"' not in unassigned
    everything = client.get("/?status=").text
    assert f'/tickets/{waiting}"' in everything and f'/tickets/{mine}"' in everything


def test_queue_page_is_for_supervisors_and_admins(web: Web) -> None:
    seed.agent(web.core, "li.na@desk.test", "李娜")
    seed.agent(web.core, "chen.jing@desk.test", "陈静", role="supervisor")
    seed.agent(web.core, "admin@desk.test", "管理员", role="admin")
    urgent = seed.customer_ticket(web.core, "c1", "快递丢了！")
    set_priority(web, urgent, "P1")

    anonymous = web.client().get("/supervisor/queues", follow_redirects=False)
    assert anonymous.headers["location"] == "/login?next=%2Fsupervisor%2Fqueues"
    agent, _ = web.agent_client("li.na@desk.test")
    assert agent.get("/supervisor/queues").status_code == 403
    assert "/supervisor/queues" not in agent.get("/").text  # no nav link either
    customer = web.customer_client("c1")
    assert customer.get("/supervisor/queues", follow_redirects=False).status_code == 303

    supervisor, _ = web.agent_client("chen.jing@desk.test")
    inbox = supervisor.get("/").text
    assert 'href="/supervisor/queues"' in inbox and 'href="/supervisor/deflection"' in inbox
    page = supervisor.get("/supervisor/queues")
    assert page.status_code == 200
    row = page.text.split('data-group="logistics"')[1].split("</tr>")[0]
    assert 'class="num waiting-p1">1<' in row  # the urgent ticket waits in logistics
    assert "有工单在等待，但没有客服在线" in row
    agents = page.text.split('id="agents"')[1]
    assert "李娜" in agents and "陈静" in agents and "0 / 10" in agents
    admin, _ = web.agent_client("admin@desk.test")
    assert admin.get("/supervisor/queues").status_code == 200
