"""Page tests: the real app on a fresh SQLite file, one TestClient per person (own cookies)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from consigndesk.adapters.http.app import create_app
from consigndesk.bootstrap import App, build
from consigndesk.config import Settings
from consigndesk.services.admin import ensure_default_groups
from tests.web import seed

PLATFORM_SECRET = "web-test-platform-secret"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@dataclass
class Web:
    core: App
    app: FastAPI

    def client(self, accept_language: str = "zh-CN,zh;q=0.9") -> TestClient:
        return TestClient(self.app, headers={"Accept-Language": accept_language})

    def agent_client(self, email: str, accept_language: str = "zh-CN") -> tuple[TestClient, str]:
        """A browser signed in as the agent, and the CSRF token of its session."""
        client = self.client(accept_language)
        token = csrf_of(client.get("/login").text)
        response = client.post(
            "/login",
            data={"email": email, "password": seed.PASSWORD, "csrf": token},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return client, csrf_of(client.get("/").text)

    def customer_client(self, external_id: str, accept_language: str = "zh-CN") -> TestClient:
        client = self.client(accept_language)
        response = client.get(
            f"/portal?token={seed.portal_token(self.core, external_id)}", follow_redirects=False
        )
        assert response.status_code == 303, response.text
        return client


def _web(database_url: str, **settings: Any) -> Iterator[Web]:
    core = build(
        Settings(
            database_url=database_url,
            platform_secret=PLATFORM_SECRET,
            log_json=False,
            **settings,
        )
    )
    ensure_default_groups(core.uow())
    yield Web(core=core, app=create_app(core, run_relay=False))
    core.close()


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    yield from _web(f"sqlite:///{tmp_path / 'web.db'}")


@pytest.fixture
def web_db(database_url: str) -> Iterator[Web]:
    """The same pages on SQLite and on PostgreSQL (for queries whose SQL differs)."""
    yield from _web(database_url)


@pytest.fixture
def web_answering(tmp_path: Path) -> Iterator[Web]:
    """The assistant answers what it can (CONSIGNDESK_AUTO_ANSWER=true)."""
    yield from _web(f"sqlite:///{tmp_path / 'web.db'}", auto_answer=True)
