"""An HTTP client on the real app, with keys and agents made through the real services."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from consigndesk.adapters.http.app import create_app
from consigndesk.bootstrap import App
from consigndesk.services import admin
from consigndesk.services.auth import create_api_key

PASSWORD = "correct-horse-42"


@dataclass
class Api:
    client: TestClient
    core: App
    integration: dict[str, str]
    platform_key: str

    def login(self, email: str) -> tuple[TestClient, str]:
        """A separate browser-like client logged in as an agent; returns it and its CSRF token."""
        agent_client = TestClient(self.client.app)
        response = agent_client.post(
            "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return agent_client, response.json()["csrf_token"]


@pytest.fixture
def api(core: App) -> Iterator[Api]:
    for email, name, role, team, groups in (
        ("admin@desk.test", "管理员", "admin", "in_house", ["general", "finance"]),
        ("li.na@desk.test", "李娜", "agent", "in_house", ["general", "logistics"]),
        ("out@partner.test", "外包小王", "agent", "outsourced", ["general", "logistics"]),
    ):
        admin.create_agent(
            core.uow(),
            email=email,
            name=name,
            password=PASSWORD,
            role=role,
            team=team,
            groups=groups,
        )
    key = create_api_key(core.uow(), "shop backend", "integration")
    platform_key = create_api_key(core.uow(), "platform", "platform")
    with TestClient(create_app(core, run_relay=False)) as client:
        yield Api(
            client=client,
            core=core,
            integration={"Authorization": f"Bearer {key}"},
            platform_key=platform_key,
        )
