"""Browser tests: a real uvicorn server on a free port and Debian's Chromium through Playwright.

Without Playwright or Chromium the tests skip with the reason, unless
CONSIGNDESK_REQUIRE_SERVICES=1, in which case they fail.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from consigndesk.adapters.http.app import create_app
from consigndesk.bootstrap import App, build
from consigndesk.config import Settings
from consigndesk.services.admin import ensure_default_groups

CHROMIUM = os.environ.get("CONSIGNDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PLATFORM_SECRET = "browser-test-platform-secret"


def unavailable(reason: str) -> None:
    """Skip with a clear reason, or fail when CONSIGNDESK_REQUIRE_SERVICES=1."""
    if os.environ.get("CONSIGNDESK_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service unavailable: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    core: App


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The real app under uvicorn in a thread, on a temp SQLite file, with the relay running."""
    try:
        import uvicorn
    except ImportError:  # pragma: no cover - uvicorn is a dependency
        unavailable("uvicorn is not installed")
    core = build(
        Settings(
            database_url=f"sqlite:///{tmp_path / 'browser.db'}",
            platform_secret=PLATFORM_SECRET,
            relay_interval=0.2,
            log_json=False,
        )
    )
    ensure_default_groups(core.uow())
    port = free_port()
    config = uvicorn.Config(
        create_app(core), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", core=core)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        core.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium per test module (Debian's binary; never `playwright install`).

    Not per session: Playwright's sync API keeps an event loop running in the main thread
    while it is started, which would break every later asyncio test in the run."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install playwright)")
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    manager = sync_playwright().start()
    try:
        browser = manager.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
    except Error as exc:
        manager.stop()
        unavailable(f"Chromium at {CHROMIUM} does not start: {str(exc).splitlines()[0]}")
    try:
        yield browser
    finally:
        browser.close()
        manager.stop()


@pytest.fixture
def new_page(chromium: Any) -> Iterator[Any]:
    """A factory of pages, each in its own context (own cookies: agent and customer apart)."""
    contexts: list[Any] = []

    def make(locale: str = "zh-CN", width: int = 1360, height: int = 900) -> Any:
        context = chromium.new_context(locale=locale, viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors
        return page

    yield make
    for context in contexts:
        context.close()
