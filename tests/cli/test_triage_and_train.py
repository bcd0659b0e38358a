"""`consigndesk triage` (the JSON-lines contract) and `consigndesk train` as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from consigndesk.bootstrap import build
from consigndesk.config import Settings
from consigndesk.domain.commands import CustomerData, ReceiveCustomerMessage, UpdateTicket
from consigndesk.domain.events import Actor
from consigndesk.model_registry import active_version
from consigndesk.services import admin

CLI = [sys.executable, "-m", "consigndesk"]


def run(args: list[str], env: dict[str, str], stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args], input=stdin, env={**os.environ, **env}, capture_output=True, timeout=300
    )


def test_triage_contract_line_by_line(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a", "text": "我的卡密显示已被使用，怎么回事？", "role": "buyer"}),
        "{broken",
        json.dumps(
            {
                "id": "b",
                "text": "I was charged twice!!! I will report you to the regulator",
                "tier": "vip",
                "channel": "email",
            }
        ),
        json.dumps({"id": "c", "text": 42}),
    ]
    stdin = ("\n".join(lines) + "\n").encode() + b'{"id": "d", "text": "\xff\xfe"}\n'
    env = {"CONSIGNDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'absent.db'}"}
    result = run(["triage"], env, stdin)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [o.get("id") for o in out] == ["a", None, "b", "c", "d"]
    first = out[0]
    assert set(first) == {
        "id",
        "language",
        "intent",
        "intent_confidence",
        "sentiment",
        "emotion",
        "priority",
        "group",
        "reasons",
    }
    assert (first["language"], first["intent"], first["group"]) == (
        "zh",
        "digital_delivery",
        "logistics",
    )
    assert "error" in out[1]
    assert out[2]["priority"] in {"P1", "P2"} and out[2]["group"] == "finance"
    assert any("regulator" in r for r in out[2]["reasons"])
    assert "error" in out[3] or out[3]["intent"] == "other"
    assert not (tmp_path / "absent.db").exists()


def test_train_learns_from_corrections_and_activates(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'train.db'}"
    core = build(Settings(database_url=url))
    admin.ensure_default_groups(core.uow())
    agent = admin.create_agent(
        core.uow(), email="a@x.cn", name="A", password="long-password", groups=["disputes"]
    )
    received = core.tickets.receive_customer_message(
        core.uow(),
        ReceiveCustomerMessage(
            customer=CustomerData(external_id="s1", role="seller"),
            channel="api",
            body="你们客服小王态度太差了，问三遍都不回",
        ),
    )
    core.tickets.update_ticket(
        core.uow(),
        UpdateTicket(
            ticket_id=received.ticket_id,
            actor=Actor(type="agent", id=agent, name="A"),
            intent="complaint",
            group="disputes",
            priority="P2",
        ),
    )
    core.relay.drain()
    with core.uow() as uow:
        corrected_tickets = {e["ticket_id"] for e in uow.training.all()}
    assert corrected_tickets == {received.ticket_id}
    assert active_version(core.database) is None
    core.close()

    result = run(["train", "--force"], {"CONSIGNDESK_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert "held-out metrics" in text and "intent accuracy" in text
    assert "1 agent corrections" in text
    check = build(Settings(database_url=url))
    version = active_version(check.database)
    assert version is not None and version in text
    assert check.engine is not None and check.engine.model.version == version
    check.close()
    triaged = run(
        ["triage"],
        {"CONSIGNDESK_DATABASE_URL": url},
        json.dumps({"id": "x", "text": "where is my parcel"}).encode() + b"\n",
    )
    assert version in triaged.stdout.decode()
