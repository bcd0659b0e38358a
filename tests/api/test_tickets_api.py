"""The ticket endpoints of CONTRACTS.md and their error shapes."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.conftest import PLATFORM_SECRET
from tests.factories import order_created, shipped_order, signed, ticket_body


def push(api: Api, event: dict) -> dict:
    body, headers = signed(PLATFORM_SECRET, event)
    response = api.client.post("/api/v1/platform/events", content=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def create(api: Api, **kw) -> dict:
    response = api.client.post("/api/v1/tickets", json=ticket_body(**kw), headers=api.integration)
    assert response.status_code == 201, response.text
    return response.json()


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_create_ticket_matches_the_contract(api: Api) -> None:
    ticket = create(api)
    for key in (
        "id",
        "reference",
        "status",
        "intent",
        "priority",
        "group",
        "eta_seconds",
        "order_ref",
    ):
        assert key in ticket
    assert ticket["reference"] == f"CD-{ticket['id']:06d}"
    assert ticket["status"] == "new"


def test_idempotency_key_same_body_200_different_body_409(api: Api) -> None:
    headers = {**api.integration, "Idempotency-Key": "req-1"}
    first = api.client.post("/api/v1/tickets", json=ticket_body(), headers=headers)
    again = api.client.post("/api/v1/tickets", json=ticket_body(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    other = api.client.post("/api/v1/tickets", json=ticket_body(body="另一个问题"), headers=headers)
    assert_error(other, 409, "idempotency_key_reused")
    listed = api.client.get("/api/v1/tickets", headers=api.integration).json()
    assert len(listed["items"]) == 1


def test_each_caller_has_its_own_idempotency_keys(api: Api) -> None:
    """Another caller's key is not a replay: neither its 409 nor its ticket comes back."""
    agent, csrf = api.login("li.na@desk.test")
    mine = agent.post(
        "/api/v1/tickets",
        json=ticket_body(body="代客户提交"),
        headers={"X-CSRF-Token": csrf, "Idempotency-Key": "shared"},
    )
    theirs = api.client.post(
        "/api/v1/tickets",
        json=ticket_body(),
        headers={**api.integration, "Idempotency-Key": "shared"},
    )
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


def test_auth_and_scopes(api: Api) -> None:
    assert_error(api.client.post("/api/v1/tickets", json=ticket_body()), 401, "unauthorized")
    bad = {"Authorization": "Bearer cdk_nope_nope"}
    assert_error(api.client.get("/api/v1/tickets", headers=bad), 401, "bad_api_key")
    platform = {"Authorization": f"Bearer {api.platform_key}"}
    assert_error(
        api.client.post("/api/v1/tickets", json=ticket_body(), headers=platform), 403, "wrong_scope"
    )
    body, headers = signed(PLATFORM_SECRET, order_created("JS20261120000001"))
    integration_on_events = api.client.post(
        "/api/v1/platform/events", content=body, headers={**headers, **api.integration}
    )
    assert_error(integration_on_events, 403, "wrong_scope")


def test_bad_input_gets_clear_4xx_and_stores_nothing(api: Api) -> None:
    post = api.client.post
    h = {**api.integration, "Content-Type": "application/json"}
    assert_error(post("/api/v1/tickets", content=b"{not json", headers=h), 422, "invalid_json")
    wrong_types = ticket_body()
    wrong_types["customer"]["role"] = "admin"
    assert_error(post("/api/v1/tickets", json=wrong_types, headers=h), 422, "invalid_input")
    assert_error(
        post("/api/v1/tickets", json={**ticket_body(), "body": 42}, headers=h), 422, "invalid_input"
    )
    assert_error(
        post("/api/v1/tickets", json=ticket_body(order_ref="JS00000000000000"), headers=h),
        422,
        "unknown_order",
    )
    huge = {**ticket_body(), "body": "字" * 600_000}
    assert_error(post("/api/v1/tickets", json=huge, headers=h), 413, "payload_too_large")
    assert api.client.get("/api/v1/tickets", headers=api.integration).json()["items"] == []
    assert_error(api.client.get("/api/v1/tickets/999", headers=api.integration), 404, "not_found")
    assert_error(
        api.client.get("/api/v1/tickets?cursor=zzz", headers=api.integration), 422, "bad_cursor"
    )


def test_list_filters_search_and_cursor(api: Api) -> None:
    for i in range(5):
        create(api, external_id=f"c{i % 2}", body=f"第{i}个问题：卡密无效")
    create(api, external_id="c9", body="Where is my parcel? It is late.")
    h = api.integration
    page = api.client.get("/api/v1/tickets?limit=4", headers=h).json()
    assert len(page["items"]) == 4 and page["next_cursor"]
    rest = api.client.get(f"/api/v1/tickets?limit=4&cursor={page['next_cursor']}", headers=h).json()
    ids = [t["id"] for t in page["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 6
    assert rest["next_cursor"] is None
    mine = api.client.get("/api/v1/tickets?customer=c1", headers=h).json()["items"]
    assert len(mine) == 2
    zh = api.client.get("/api/v1/tickets?q=卡密", headers=h).json()["items"]
    assert len(zh) == 5
    en = api.client.get("/api/v1/tickets?q=parcel", headers=h).json()["items"]
    assert [t["customer_external_id"] for t in en] == ["c9"]
    by_ref = api.client.get(f"/api/v1/tickets?q={en[0]['reference']}", headers=h).json()
    assert [t["id"] for t in by_ref["items"]] == [en[0]["id"]]
    assert api.client.get("/api/v1/tickets?channel=email", headers=h).json()["items"] == []


def test_detail_shows_live_order_and_timeline(api: Api) -> None:
    ref = "JS20261120000007"
    push(api, order_created(ref))
    ticket = create(api, order_ref=ref)
    for event in shipped_order(ref)[1:]:
        push(api, event)
    detail = api.client.get(f"/api/v1/tickets/{ticket['id']}", headers=api.integration).json()
    assert detail["order"]["status"] == "shipped"
    assert detail["order"]["logistics"]["tracking_no"] == "SF1234567890"
    assert detail["order_link"] == "explicit"
    assert detail["messages"][0]["author_type"] == "customer"
    assert {e["action"] for e in detail["timeline"]} >= {"ticket.created", "ticket.order_linked"}
    assert detail["triage"]["intent"] == detail["intent"]


def test_agent_reply_status_changes_and_stale_version(api: Api) -> None:
    ticket = create(api)
    agent, csrf = api.login("li.na@desk.test")
    url = f"/api/v1/tickets/{ticket['id']}"
    assert_error(agent.post(f"{url}/messages", json={"body": "您好"}), 403, "csrf_failed")
    h = {"X-CSRF-Token": csrf}
    version = agent.get(url).json()["version"]
    reply = agent.post(
        f"{url}/messages",
        json={"body": "您好，已为您查询", "status": "pending", "version": version},
        headers=h,
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["author_type"] == "agent"
    after = agent.get(url).json()
    assert after["status"] == "pending" and after["first_response_at"]
    assert_error(
        agent.patch(url, json={"priority": "P1", "version": version}, headers=h),
        409,
        "stale_version",
    )
    assert_error(
        agent.patch(url, json={"status": "closed"}, headers=h),
        409,
        "invalid_transition.pending_to_closed",
    )
    ok = agent.patch(
        url,
        json={
            "priority": "P1",
            "group": "logistics",
            "tags": ["late"],
            "reason": "SLA",
            "version": after["version"],
        },
        headers=h,
    )
    assert ok.status_code == 200, ok.text
    assert (ok.json()["priority"], ok.json()["group"], ok.json()["tags"]) == (
        "P1",
        "logistics",
        ["late"],
    )
    note = agent.post(
        f"{url}/messages", json={"body": "内部备注", "visibility": "internal"}, headers=h
    )
    assert note.json()["visibility"] == "internal"


def test_outsourced_agent_sees_masked_personal_data(api: Api) -> None:
    ticket = create(api, body="请打电话 13812345678 给我")
    out, _ = api.login("out@partner.test")
    seen = out.get(f"/api/v1/tickets/{ticket['id']}").json()
    assert seen["customer"]["email"] == "z***@example.cn"
    assert "13812345678" not in seen["messages"][0]["body"]
    inside, _ = api.login("li.na@desk.test")
    full = inside.get(f"/api/v1/tickets/{ticket['id']}").json()
    assert full["customer"]["email"] == "zhang.wei@example.cn"
    assert "13812345678" in full["messages"][0]["body"]
    customer = out.get("/api/v1/customers/b1").json()
    assert customer["email"] == "z***@example.cn"


def test_admin_only_routes(api: Api) -> None:
    agent, csrf = api.login("li.na@desk.test")
    h = {"X-CSRF-Token": csrf}
    assert_error(
        agent.post("/api/v1/api-keys", json={"name": "x", "scope": "integration"}, headers=h),
        403,
        "admin_only",
    )
    assert_error(
        agent.put("/api/v1/groups/vip_desk", json={"name_en": "VIP", "name_zh": "贵宾"}, headers=h),
        403,
        "admin_only",
    )
    assert_error(api.client.get("/api/v1/api-keys", headers=api.integration), 403, "admin_only")
    boss, boss_csrf = api.login("admin@desk.test")
    hb = {"X-CSRF-Token": boss_csrf}
    made = boss.post("/api/v1/api-keys", json={"name": "crm", "scope": "integration"}, headers=hb)
    assert made.status_code == 201 and made.json()["key"].startswith("cdk_")
    listed = boss.get("/api/v1/api-keys").json()
    assert all("secret" not in k and "key" not in k for k in listed)
    new_key = made.json()["key"]
    assert (
        api.client.get(
            "/api/v1/tickets", headers={"Authorization": f"Bearer {new_key}"}
        ).status_code
        == 200
    )
    crm_id = next(k["id"] for k in listed if k["name"] == "crm")
    assert boss.delete(f"/api/v1/api-keys/{crm_id}", headers=hb).status_code == 204
    assert_error(
        api.client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {new_key}"}),
        401,
        "revoked_api_key",
    )
    group = boss.put(
        "/api/v1/groups/vip_desk",
        json={"name_en": "VIP desk", "name_zh": "贵宾专线", "in_house_only": True},
        headers=hb,
    )
    assert group.status_code == 200
    created = boss.post(
        "/api/v1/agents",
        headers=hb,
        json={
            "email": "new@desk.test",
            "name": "新人",
            "password": "long-enough-1",
            "groups": ["vip_desk"],
        },
    )
    assert created.status_code == 201, created.text
    refused = boss.post(
        "/api/v1/agents",
        headers=hb,
        json={
            "email": "out2@desk.test",
            "name": "外包",
            "password": "long-enough-1",
            "team": "outsourced",
            "groups": ["vip_desk"],
        },
    )
    assert_error(refused, 422, "invalid_input")


def test_chunked_oversized_body_is_refused(api: Api) -> None:
    def chunks():
        for _ in range(40):
            yield b"x" * 32_768

    response = api.client.post(
        "/api/v1/tickets",
        content=chunks(),
        headers={**api.integration, "Content-Type": "application/json"},
    )
    assert_error(response, 413, "payload_too_large")


def test_admins_route_intents_to_other_groups(api: Api) -> None:
    boss, csrf = api.login("admin@desk.test")
    h = {"X-CSRF-Token": csrf}
    assert boss.get("/api/v1/intent-groups").json()["seller_payout"] == "finance"
    agent, agent_csrf = api.login("li.na@desk.test")
    assert_error(
        agent.put(
            "/api/v1/intent-groups",
            json={"logistics": "general"},
            headers={"X-CSRF-Token": agent_csrf},
        ),
        403,
        "admin_only",
    )
    assert_error(
        boss.put("/api/v1/intent-groups", json={"weather": "general"}, headers=h),
        422,
        "invalid_input",
    )
    changed = boss.put("/api/v1/intent-groups", json={"logistics": "general"}, headers=h)
    assert changed.status_code == 200 and changed.json()["logistics"] == "general"
    ticket = create(api, body="我的快递三天了还没到，物流一直不更新")
    assert (ticket["intent"], ticket["group"]) == ("logistics", "general")
    assert boss.get("/api/v1/intent-groups").json()["logistics"] == "general"
