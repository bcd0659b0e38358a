"""The platform-event endpoint, orders, health, metrics and the OpenAPI schema."""

from __future__ import annotations

import json

from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import Api
from tests.api.test_tickets_api import assert_error, push
from tests.conftest import PLATFORM_SECRET
from tests.factories import event, order_created, shipped_order, signed


def test_signature_replay_and_malformed_bodies(api: Api) -> None:
    raw = order_created("JS20261120000001")
    body, headers = signed(PLATFORM_SECRET, raw)
    post = api.client.post
    assert_error(
        post(
            "/api/v1/platform/events",
            content=body,
            headers={**headers, "X-Signature": "sha256=" + "0" * 64},
        ),
        401,
        "bad_signature",
    )
    assert_error(
        post("/api/v1/platform/events", content=body, headers={"Content-Type": "application/json"}),
        401,
        "bad_signature",
    )
    first = post("/api/v1/platform/events", content=body, headers=headers)
    assert first.status_code == 200 and first.json()["applied"] is True
    replay = post("/api/v1/platform/events", content=body, headers=headers)
    assert replay.status_code == 200 and replay.json()["applied"] is False
    order = api.client.get("/api/v1/orders/JS20261120000001", headers=api.integration).json()
    assert len(order["history"]) == 1
    garbage = b"{oops"
    _, gh = signed(PLATFORM_SECRET, {})
    from consigndesk.services.platform_events import sign

    assert_error(
        post(
            "/api/v1/platform/events",
            content=garbage,
            headers={**gh, "X-Signature": sign(PLATFORM_SECRET, garbage)},
        ),
        422,
        "invalid_json",
    )
    broken = dict(raw, id="x2")
    broken["data"] = {**raw["data"], "amount": 5}
    b2, h2 = signed(PLATFORM_SECRET, broken)
    assert_error(post("/api/v1/platform/events", content=b2, headers=h2), 422, "invalid_input")
    unknown = event("x3", "order.teleported", 1, order_ref="JS1")
    b3, h3 = signed(PLATFORM_SECRET, unknown)
    assert_error(post("/api/v1/platform/events", content=b3, headers=h3), 422, "unknown_event_type")


def test_out_of_order_delivery_and_order_endpoint(api: Api) -> None:
    ref = "JS20261120000002"
    events = shipped_order(ref)
    for e in reversed(events):
        push(api, e)
    order = api.client.get(f"/api/v1/orders/{ref}", headers=api.integration).json()
    assert order["status"] == "shipped"
    assert [h["type"] for h in order["history"]] == [e["type"] for e in events]
    assert {"event_id", "type", "occurred_at"} == set(order["history"][0])
    assert order["logistics"]["scans"][0]["location"] == "杭州转运中心"
    assert_error(
        api.client.get("/api/v1/orders/JS404", headers=api.integration), 404, "unknown_order"
    )


def test_health_metrics_and_openapi(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    push(api, order_created("JS20261120000003"))
    api.client.post(
        "/api/v1/tickets",
        headers=api.integration,
        json={"customer": {"external_id": "m1", "role": "buyer"}, "channel": "email", "body": "hi"},
    )
    api.client.get("/api/v1/tickets/999999", headers=api.integration)
    text = api.client.get("/metrics").text
    assert 'consigndesk_tickets_created_total{channel="email"}' in text
    # counted by route template and status, errors included
    assert 'route="/api/v1/tickets",status="201"' in text
    assert 'route="/api/v1/tickets/{ticket_id}",status="404"' in text
    assert "consigndesk_platform_events_applied_total" in text
    assert "consigndesk_http_request_seconds_bucket" in text
    schema = api.client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/tickets",
        "/api/v1/tickets/{ticket_id}",
        "/api/v1/platform/events",
        "/api/v1/orders/{order_ref}",
        "/healthz",
    ):
        assert path in paths
    for path, ops in paths.items():
        if path.startswith("/api/v1") and "login" not in path and "logout" not in path:
            for method, op in ops.items():
                assert "401" in op["responses"] or "422" in op["responses"], (path, method)
    json.dumps(schema)


def intake_totals(api: Api) -> dict[str, float]:
    """The intake's group-commit metrics as /metrics shows them (this process, all tests)."""
    wanted = {
        "consigndesk_intake_group_messages_count": "groups",
        "consigndesk_intake_group_messages_sum": "messages",
        "consigndesk_intake_group_seconds_sum": "wall",
        "consigndesk_intake_writer_cpu_seconds_total": "cpu",
    }
    families = text_string_to_metric_families(api.client.get("/metrics").text)
    found = {wanted[s.name]: s.value for f in families for s in f.samples if s.name in wanted}
    assert len(found) == len(wanted)
    return found


def test_metrics_show_the_intakes_group_commits(api: Api) -> None:
    """Each group the writer commits counts once, with its messages, its time and its CPU."""
    before = intake_totals(api)
    for n in range(3):
        created = api.client.post(
            "/api/v1/tickets",
            headers=api.integration,
            json={
                "customer": {"external_id": f"g{n}", "role": "buyer"},
                "channel": "api",
                "body": "我的快递呢",
            },
        )
        assert created.status_code == 201
    after = intake_totals(api)
    change = {name: after[name] - before[name] for name in after}
    assert change["messages"] == 3 and 1 <= change["groups"] <= 3
    assert change["wall"] > 0 and change["cpu"] > 0
