"""The optional LLM phraser against a real local HTTP server speaking the chat-completions API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from consigndesk.adapters.llm.chat_completions import ChatCompletionsPhraser
from consigndesk.bootstrap import App
from tests.answers.conftest import apply, ask, detail, record
from tests.factories import shipped_order

REF = "JS20261120000001"


class FakeLLM(BaseHTTPRequestHandler):
    """Answers like an OpenAI-compatible server; `mode` decides how well it behaves."""

    mode = "faithful"
    release = threading.Event()
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeLLM.seen.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
        draft = json.loads(body["messages"][1]["content"])["DRAFT"]
        if self.mode == "slow":
            FakeLLM.release.wait(10)
        if self.mode == "garbage":
            payload = b"<html>502 upstream</html>"
        else:
            text = {
                "faithful": "<p>您好！</p>" + draft,
                "invented": draft.replace("SF1234567890", "SF7777777777"),
                "refund": draft + " We will also refund you 50.",
            }.get(self.mode, draft)
            payload = json.dumps(
                {"choices": [{"message": {"role": "assistant", "content": text}}]}
            ).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client gave up (timeout test)
            pass

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def llm() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLLM)
    FakeLLM.release.clear()
    FakeLLM.seen.clear()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    FakeLLM.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def _with_llm(core: App, url: str, mode: str, timeout: float = 5.0) -> None:
    FakeLLM.mode = mode
    assert core.tickets.answerer is not None
    core.tickets.answerer.phraser = ChatCompletionsPhraser(
        url, api_key="sk-test", model="fake-1", timeout=timeout
    )


def _ai(core: App, ticket_id: int) -> str:
    return next(m["body"] for m in detail(core, ticket_id)["messages"] if m["author_type"] == "ai")


def test_a_faithful_phrasing_is_used_with_markup_stripped(desk: App, llm: str) -> None:
    apply(desk, shipped_order(REF))
    _with_llm(desk, llm, "faithful")
    ticket_id = ask(desk, f"我的快递到哪了？{REF}")
    body = _ai(desk, ticket_id)
    assert body.startswith("您好！") and "<p>" not in body and "SF1234567890" in body
    assert (record(desk, ticket_id) or {})["phrased_by"] == "llm:fake-1"
    request = FakeLLM.seen[-1]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer sk-test"
    assert request["model"] == "fake-1"
    assert json.loads(request["messages"][1]["content"])["FACTS"]["tracking_no"] == "SF1234567890"


@pytest.mark.parametrize("mode", ["invented", "refund", "garbage", "slow"])
def test_a_bad_or_broken_llm_falls_back_to_the_template(desk: App, llm: str, mode: str) -> None:
    apply(desk, shipped_order(REF))
    _with_llm(desk, llm, mode, timeout=0.5)
    ticket_id = ask(desk, f"Where is my parcel? {REF}")
    body = _ai(desk, ticket_id)
    assert body.startswith(f"Your order {REF} is on its way with SF Express")
    assert "SF7777777777" not in body and "refund you" not in body
    assert (record(desk, ticket_id) or {})["phrased_by"] == "template"


def test_an_unreachable_endpoint_returns_nothing() -> None:
    phraser = ChatCompletionsPhraser("http://127.0.0.1:9/v1", api_key=None, model="m", timeout=0.5)
    assert phraser.phrase("en", "draft text", {}) is None
    phraser.close()
