"""A real uvicorn server per test (temp SQLite, or a clean PostgreSQL) and websocket clients."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
import websockets

from consigndesk.adapters.channels.chat.channel import ChatChannel, chat_channel
from consigndesk.adapters.http.app import create_app
from consigndesk.bootstrap import App, build
from consigndesk.config import Settings
from consigndesk.services.admin import ensure_default_groups
from consigndesk.services.auth import CustomerIdentity, sign_customer_token
from tests.browser.conftest import free_port
from tests.web import seed

PLATFORM_SECRET = "chat-test-platform-secret"
AGENT_EMAIL = "li.na@desk.test"


@dataclass
class ChatServer:
    url: str
    core: App

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")

    @property
    def channel(self) -> ChatChannel:
        return chat_channel(self.core.extras)

    def token(self, external_id: str = "u-buyer-1", ttl: int = 3600, **kw: Any) -> str:
        identity = CustomerIdentity(
            external_id=external_id,
            role="buyer",
            tier=kw.get("tier", "regular"),
            name=kw.get("name", "张三"),
        )
        return sign_customer_token(PLATFORM_SECRET, identity, ttl_seconds=ttl)

    async def customer(self, **hello: Any) -> Client:
        client = await Client.connect(f"{self.ws_url}/ws/chat")
        if hello:
            await client.send({"type": "hello", **hello})
        return client

    async def agent(self, email: str = AGENT_EMAIL) -> Client:
        """Signs in over HTTP like the browser does, then opens /ws/agent with the cookie."""
        async with httpx.AsyncClient(base_url=self.url) as http:
            response = await http.post(
                "/api/v1/auth/login", json={"email": email, "password": seed.PASSWORD}
            )
            assert response.status_code == 200, response.text
            cookie = response.cookies["consigndesk_session"]
        client = await Client.connect(
            f"{self.ws_url}/ws/agent",
            additional_headers={"Cookie": f"consigndesk_session={cookie}", "Origin": self.url},
        )
        await client.send({"type": "hello"})
        return client


@dataclass
class Client:
    """A websocket client that keeps frames it was not waiting for, for later `expect`s."""

    ws: Any
    frames: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    async def connect(cls, url: str, **kw: Any) -> Client:
        return cls(await websockets.connect(url, max_size=2**22, **kw))

    async def send(self, frame: dict[str, Any] | str | bytes) -> None:
        await self.ws.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))

    async def expect(self, type_: str, timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        """The first frame (kept or new) of this type whose fields equal `match`."""

        def fits(frame: dict[str, Any]) -> bool:
            return frame.get("type") == type_ and all(frame.get(k) == v for k, v in match.items())

        for i, frame in enumerate(self.frames):
            if fits(frame):
                return self.frames.pop(i)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"no {type_} {match} frame; got {self.frames}")
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), remaining))
            if fits(frame):
                return frame
            self.frames.append(frame)

    async def closed(self, timeout: float = 10.0) -> int | None:
        """Wait for the server to close; the close code."""
        try:
            while True:
                frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
                self.frames.append(frame)
        except websockets.ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None

    def drop(self) -> None:
        """Kill the connection without a closing handshake (a network drop)."""
        self.ws.transport.abort()

    async def close(self) -> None:
        await self.ws.close()


@pytest.fixture
def chat_server(database_url: str) -> Iterator[ChatServer]:
    core = build(
        Settings(
            database_url=database_url,
            platform_secret=PLATFORM_SECRET,
            relay_interval=0.2,
            log_json=False,
        )
    )
    ensure_default_groups(core.uow())
    seed.agent(core, AGENT_EMAIL, "李娜")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(core), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, name="uvicorn-chat", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield ChatServer(url=f"http://127.0.0.1:{port}", core=core)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        core.close()


@pytest.fixture
async def customer(chat_server: ChatServer) -> AsyncIterator[Client]:
    """A signed-in customer who has said hello and been welcomed."""
    client = await chat_server.customer(token=chat_server.token(), lang="zh")
    await client.expect("welcome")
    yield client
    await client.close()
