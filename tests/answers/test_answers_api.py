"""The assistant over HTTP: verdicts, what it used, assist, macros and deflection."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from consigndesk.adapters.db import tables
from consigndesk.domain.answer_guards import AnswerPolicy
from consigndesk.domain.events import utcnow
from tests.answers.conftest import apply, ask, detail, record, seed_articles
from tests.api.conftest import Api
from tests.factories import shipped_order
from tests.web import seed

REF = "JS20261120000001"


def _enable(api: Api) -> None:
    assert api.core.tickets.answerer is not None
    api.core.tickets.answerer.policy = AnswerPolicy()
    seed_articles(api.core)
    apply(api.core, shipped_order(REF))


def test_the_customer_confirms_through_the_portal_session(api: Api) -> None:
    _enable(api)
    ticket_id = ask(api.core, f"我的快递到哪了？{REF}")
    customer = api.client.__class__(api.client.app)
    token = seed.portal_token(api.core, "b1")
    assert customer.get(f"/portal?token={token}", follow_redirects=False).status_code == 303
    refused = customer.post(f"/api/v1/tickets/{ticket_id}/resolution", json={"outcome": "solved"})
    assert refused.status_code == 403  # no CSRF token: a portal page must send it
    csrf = customer.get("/portal/tickets").text.split('name="csrf" value="')[1].split('"')[0]
    done = customer.post(
        f"/api/v1/tickets/{ticket_id}/resolution",
        json={"outcome": "solved"},
        headers={"X-CSRF-Token": csrf},
    )
    assert done.status_code == 200, done.text
    assert done.json() == {
        "ticket_id": ticket_id,
        "outcome": "solved",
        "status": "solved",
        "eta_seconds": done.json()["eta_seconds"],
    }
    again = customer.post(
        f"/api/v1/tickets/{ticket_id}/resolution",
        json={"outcome": "solved"},
        headers={"X-CSRF-Token": csrf},
    )
    assert again.status_code == 200  # idempotent


def test_an_integration_asks_for_a_human_and_agents_see_what_was_used(api: Api) -> None:
    _enable(api)
    ticket_id = ask(api.core, f"Where is my parcel? {REF}")
    response = api.client.post(
        f"/api/v1/tickets/{ticket_id}/resolution",
        json={"outcome": "human"},
        headers=api.integration,
    )
    assert response.status_code == 200 and response.json()["status"] == "open"
    late = api.client.post(
        f"/api/v1/tickets/{ticket_id}/resolution",
        json={"outcome": "solved"},
        headers=api.integration,
    )
    assert late.status_code == 409 and late.json()["error"]["code"] == "already_handed_off"
    used = api.client.get(f"/api/v1/tickets/{ticket_id}/ai-answer", headers=api.integration)
    assert used.json()["facts"]["carrier"] == "SF Express"
    assert used.json()["outcome"] == "human"
    agent, _ = api.login("li.na@desk.test")
    assert agent.post(f"/api/v1/tickets/{ticket_id}/resolution", json={}).status_code in {403, 422}


def test_no_ai_answer_no_verdict(api: Api) -> None:
    ticket_id = ask(api.core, "你们卖假货，我要投诉")
    response = api.client.post(
        f"/api/v1/tickets/{ticket_id}/resolution",
        json={"outcome": "solved"},
        headers=api.integration,
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "no_ai_answer"


def test_assist_partial_masks_for_outsourced_agents(api: Api) -> None:
    _enable(api)
    ask(api.core, "hello")  # creates customer b1 with an email
    ticket_id = ask(api.core, f"我的快递到哪了？<script>alert(1)</script> {REF}")
    for email in ("li.na@desk.test", "out@partner.test"):
        agent, _ = api.login(email)
        page = agent.get(f"/tickets/{ticket_id}/assist")
        assert page.status_code == 200
        html = page.text
        assert "SF1234567890" in html and "cdAssistUse" in html and "reply-body" in html
        assert "<script>alert(1)" not in html
        assert "物流进度" in html  # a seeded macro, filled in
        data = agent.get(f"/api/v1/tickets/{ticket_id}/assist").json()
        assert "SF1234567890" in (data["suggestion"] or "")
        tracking = next(m for m in data["macros"] if m["title"] == "物流进度")
        assert "SF1234567890" in tracking["rendered"] and "张伟" in tracking["rendered"]
        assert any(a["slug"] == "tracking" for a in data["articles"])
    assert api.client.get(f"/tickets/{ticket_id}/assist", follow_redirects=False).status_code in {
        303,
        307,
    }


def test_macros_render_masked_emails_for_outsourced_agents(api: Api) -> None:
    admin, csrf = api.login("admin@desk.test")
    created = admin.post(
        "/api/v1/macros",
        json={"title": "Email check", "language": "en", "body": "We wrote to {{customer.email}}."},
        headers={"X-CSRF-Token": csrf},
    )
    assert created.status_code == 201, created.text
    bad = admin.post(
        "/api/v1/macros",
        json={"title": "Bad", "language": "en", "body": "{{customer.password}}"},
        headers={"X-CSRF-Token": csrf},
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_placeholder"
    ticket_id = ask(api.core, "hello")
    with api.core.database.write_sessions.begin() as session:
        session.execute(update(tables.customers).values(email="zhang.wei@example.cn"))
    inhouse, _ = api.login("li.na@desk.test")
    outsourced, out_csrf = api.login("out@partner.test")
    mine = inhouse.get(f"/api/v1/tickets/{ticket_id}/assist").json()["macros"]
    theirs = outsourced.get(f"/api/v1/tickets/{ticket_id}/assist").json()["macros"]
    pick = lambda items: next(m["rendered"] for m in items if m["title"] == "Email check")  # noqa: E731
    assert pick(mine) == "We wrote to zhang.wei@example.cn."
    assert "zhang.wei@example.cn" not in pick(theirs) and "@" in pick(theirs)
    forbidden = outsourced.post(
        "/api/v1/macros",
        json={"title": "x", "language": "en", "body": "y"},
        headers={"X-CSRF-Token": out_csrf},
    )
    assert forbidden.status_code == 403
    macro_id = created.json()["id"]
    changed = admin.put(
        f"/api/v1/macros/{macro_id}",
        json={"title": "Email", "language": "en", "body": "Hi {{customer.name}}"},
        headers={"X-CSRF-Token": csrf},
    )
    assert changed.status_code == 200
    deleted = admin.delete(f"/api/v1/macros/{macro_id}", headers={"X-CSRF-Token": csrf})
    assert deleted.status_code == 204
    titles = [m["title"] for m in admin.get("/api/v1/macros").json()["items"]]
    assert "Email" not in titles and "Closing" in titles


def test_deflection_metrics_count_outcomes(api: Api) -> None:
    _enable(api)
    solved = ask(api.core, f"我的快递到哪了？{REF}")
    ask(api.core, "解决了", ticket_id=solved)
    escalated = ask(api.core, f"Where is my parcel? {REF}")
    ask(api.core, "human please", ticket_id=escalated)
    quiet = ask(api.core, f"我的快递到哪了？订单{REF}")
    reopened = ask(api.core, f"快递到哪了 {REF}")
    ask(api.core, "谢谢", ticket_id=reopened)
    ask(api.core, "还是没到", ticket_id=reopened)
    ask(api.core, "你们卖假货，我要投诉")
    with api.core.database.write_sessions.begin() as session:
        session.execute(
            update(tables.ai_answers)
            .where(tables.ai_answers.c.ticket_id == quiet)
            .values(created_at=utcnow() - timedelta(hours=25))
        )
    assert (record(api.core, quiet) or {})["outcome"] is None
    response = api.client.get("/api/v1/metrics/deflection", headers=api.integration)
    assert response.status_code == 200, response.text
    totals = response.json()["totals"]
    assert {k: totals[k] for k in ("conversations", "ai_answered", "declined")} == {
        "conversations": 5,
        "ai_answered": 4,
        "declined": 1,
    }
    assert (totals["confirmed"], totals["no_reply_24h"], totals["resolved_by_ai"]) == (1, 1, 2)
    assert (totals["escalated"], totals["reopened"]) == (1, 1)
    assert totals["resolved_share"] == 0.4
    groups = {(g["intent"], g["language"]): g for g in response.json()["groups"]}
    assert groups[("logistics", "en")]["escalated"] == 1
    agent, _ = api.login("li.na@desk.test")
    assert agent.get("/api/v1/metrics/deflection").status_code == 403
    admin, _ = api.login("admin@desk.test")
    page = admin.get("/supervisor/deflection")
    assert page.status_code == 200 and "40%" in page.text
    assert agent.get("/supervisor/deflection").status_code == 403
    assert detail(api.core, solved)["status"] == "solved"
