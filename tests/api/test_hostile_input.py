"""Input no column can hold gets a 4xx naming it, on both databases, and stores nothing.

Each case was a 500 before (found by fuzzing a server with schemathesis and by hand): an id
beyond 64 bits reached the database, U+0000 reached PostgreSQL's text, a lone surrogate reached
an encoder, a forged cursor reached a query.
"""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.responses import JSONResponse

from consigndesk.adapters.http.errors import error_body
from tests.api.conftest import Api
from tests.api.test_tickets_api import assert_error, create

BEYOND_64_BITS = 2**63


def cursor_of(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/tickets/{BEYOND_64_BITS}",
        f"/api/v1/tickets/{2**64}",
        "/api/v1/tickets/0",
        f"/api/v1/tickets/{BEYOND_64_BITS}/ai-answer",
        f"/api/v1/tickets?assignee_id={BEYOND_64_BITS}",
        f"/api/v1/help/articles/{BEYOND_64_BITS}",
        "/api/v1/orders/JS%0001",
        "/api/v1/customers/b%001",
        "/api/v1/customers?q=%00",
        "/api/v1/tickets?q=%E9%80%80%00",
        "/api/v1/tickets?channel=api%00",
        "/api/v1/tickets?customer%00=b1",
    ],
)
def test_numbers_and_text_no_row_can_hold_in_a_path_or_query_are_422(api: Api, path: str) -> None:
    assert_error(api.client.get(path, headers=api.integration), 422, "invalid_input")


def test_a_reference_no_ticket_can_have_finds_nothing(api: Api) -> None:
    create(api)
    for q in ("CD-99999999999999999999999", "CD-²"):
        answer = api.client.get(f"/api/v1/tickets?q={q}", headers=api.integration)
        assert answer.status_code == 200, answer.text
        assert answer.json()["items"] == []


@pytest.mark.parametrize(
    "cursor",
    [
        cursor_of([None, None]),
        cursor_of([True, True]),
        cursor_of(["P1", {"a": 1}]),
        cursor_of(["P1", [1]]),
        cursor_of(["P1", "abc"]),
        cursor_of(["P1", BEYOND_64_BITS]),
        cursor_of(["P9", 1]),
        cursor_of(["\x00", 1]),
        base64.urlsafe_b64encode(b"[" * 5000).decode(),
        base64.urlsafe_b64encode(b'["\\ud800", 1]').decode(),
    ],
)
def test_a_forged_cursor_is_refused_for_both_sorts(api: Api, cursor: str) -> None:
    for sort in ("newest", "queue"):
        answer = api.client.get(
            "/api/v1/tickets", params={"cursor": cursor, "sort": sort}, headers=api.integration
        )
        assert_error(answer, 422, "bad_cursor")


def test_a_cursor_the_api_handed_out_still_pages(api: Api) -> None:
    for n in range(3):
        create(api, external_id=f"b{n}")
    first = api.client.get("/api/v1/tickets?limit=2&sort=queue", headers=api.integration).json()
    rest = api.client.get(
        f"/api/v1/tickets?limit=2&sort=queue&cursor={first['next_cursor']}",
        headers=api.integration,
    ).json()
    assert len(first["items"]) == 2 and len(rest["items"]) == 1


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (
            b'{"customer": {"external_id": "b\\u0000", "role": "buyer"}, "channel": "api", '
            b'"body": "hi"}',
            "body.customer.external_id",
        ),
        (
            b'{"customer": {"external_id": "b1", "role": "buyer"}, "channel": "api", '
            b'"body": "\\ud800 lone"}',
            "body.body",
        ),
        (
            b'{"customer": {"external_id": "b1", "role": "buyer", "n\\u0000": 1}, '
            b'"channel": "api", "body": "hi"}',
            "body.customer",
        ),
        (
            b'{"customer": {"external_id": "b1", "role": "buyer"}, "channel": "api", '
            b'"body": "hi", "extra": 99999999999999999999}',
            "body.extra",
        ),
        (
            b'{"customer": {"external_id": "b1", "role": "buyer"}, "channel": "api", '
            b'"body": "hi", "extra": [NaN]}',
            "body.extra.0",
        ),
    ],
)
def test_json_text_and_numbers_no_column_can_hold_are_422_and_store_nothing(
    api: Api, body: bytes, where: str
) -> None:
    headers = {**api.integration, "Content-Type": "application/json"}
    answer = api.client.post("/api/v1/tickets", content=body, headers=headers)
    assert_error(answer, 422, "invalid_input")
    assert answer.json()["error"]["message"].startswith(where)
    assert api.client.get("/api/v1/tickets", headers=api.integration).json()["items"] == []


def test_a_body_that_is_not_json_or_nested_too_deeply_is_invalid_json(api: Api) -> None:
    headers = {**api.integration, "Content-Type": "application/json"}
    for body in (b'{"body": "\xff\xfe"}', b"[" * 100_000 + b"]" * 100_000):
        answer = api.client.post("/api/v1/tickets", content=body, headers=headers)
        assert_error(answer, 422, "invalid_json")


def test_agent_and_admin_bodies_are_checked_too(api: Api) -> None:
    boss, csrf = api.login("admin@desk.test")
    h = {"X-CSRF-Token": csrf, "Content-Type": "application/json"}
    ticket = create(api)
    for method, path, body in (
        ("POST", "/api/v1/auth/login", b'{"email": "a\\u0000@x.test", "password": "xxxxxxxx"}'),
        ("PUT", "/api/v1/intent-groups", b'{"other": "a\\ud800"}'),
        ("POST", "/api/v1/macros", b'{"title": "t\\u0000", "body": "b", "language": "zh"}'),
        ("POST", "/api/v1/api-keys", b'{"name": "k\\u0000", "scope": "integration"}'),
        ("PATCH", f"/api/v1/tickets/{ticket['id']}", b'{"tags": ["a\\u0000"]}'),
        ("PATCH", f"/api/v1/tickets/{ticket['id']}", b'{"assignee_id": 9223372036854775808}'),
        ("PATCH", f"/api/v1/agents/{BEYOND_64_BITS}", b'{"name": "x"}'),
        ("GET", f"/api/v1/articles/{BEYOND_64_BITS}", b""),
        ("GET", f"/api/v1/articles/1?version={2**31}", b""),
        ("DELETE", f"/api/v1/api-keys/{BEYOND_64_BITS}", b""),
    ):
        answer = boss.request(method, path, content=body, headers=h)
        assert_error(answer, 422, "invalid_input")
    assert boss.get("/api/v1/api-keys").json()[0]["name"] == "shop backend"
    detail = api.client.get(f"/api/v1/tickets/{ticket['id']}", headers=api.integration).json()
    assert detail["tags"] == [] and detail["assignee"] is None


def test_a_group_key_longer_than_its_column_is_refused(api: Api) -> None:
    boss, csrf = api.login("admin@desk.test")
    answer = boss.put(
        "/api/v1/groups/" + "g" * 41,
        json={"name_en": "G", "name_zh": "组"},
        headers={"X-CSRF-Token": csrf},
    )
    assert_error(answer, 422, "invalid_input")


def test_a_csrf_token_beyond_ascii_is_a_wrong_token(api: Api) -> None:
    boss, _ = api.login("admin@desk.test")
    answer = boss.post(
        "/api/v1/api-keys",
        json={"name": "k", "scope": "integration"},
        headers={"X-CSRF-Token": "é".encode()},
    )
    assert_error(answer, 403, "csrf_failed")


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_time_with_no_utc_equivalent_is_refused(api: Api, since: str) -> None:
    boss, _ = api.login("admin@desk.test")
    answer = boss.get("/api/v1/metrics/deflection", params={"since": since})
    assert_error(answer, 422, "invalid_input")


def test_an_error_message_quoting_a_lone_surrogate_still_renders() -> None:
    """A message that quotes the request cannot make the error response itself fail."""
    response = JSONResponse(error_body("invalid_input", "intent 'a\ud800' is unknown"))
    assert json.loads(response.body)["error"]["message"] == "intent 'a\\ud800' is unknown"
