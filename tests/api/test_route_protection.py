"""Every API route refuses anonymous callers, except the few that are public by design."""

from __future__ import annotations

import re

from tests.api.conftest import Api

PUBLIC = {
    ("POST", "/api/v1/platform/events"),  # authenticated by its HMAC signature instead
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/logout"),
}
PUBLIC_PREFIXES = ("/api/v1/help/",)  # the public help center


def test_every_api_route_needs_credentials(api: Api) -> None:
    checked = 0
    paths = api.client.get("/openapi.json").json()["paths"]
    for template, operations in paths.items():
        if not template.startswith("/api/v1"):
            continue
        for method in (m.upper() for m in operations):
            if (method, template) in PUBLIC or template.startswith(PUBLIC_PREFIXES):
                continue
            path = re.sub(r"\{[^}]+\}", "1", template)
            response = api.client.request(method, path, json={})
            assert response.status_code == 401, (method, template, response.text)
            assert response.json()["error"]["code"] == "unauthorized"
            checked += 1
    assert checked >= 15


def test_unsigned_platform_events_are_refused(api: Api) -> None:
    response = api.client.post("/api/v1/platform/events", json={"id": "x"})
    assert response.status_code == 401
