"""The `consigndesk triage` JSON-lines contract of shared/CONTRACTS.md."""

from __future__ import annotations

import io
import json

from consigndesk.triage import TriageEngine, run_triage_lines

KEYS = {
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


def _run(lines: list[str | bytes], engine: TriageEngine) -> list[dict[str, object]]:
    out = io.StringIO()
    run_triage_lines(lines, out, engine)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_one_output_per_input_in_order_with_exact_keys(engine: TriageEngine) -> None:
    lines: list[str | bytes] = [
        json.dumps({"id": "a", "text": "where is my parcel", "role": "buyer", "channel": "chat"}),
        json.dumps({"id": "b", "text": "货款什么时候结算", "role": "seller", "tier": "vip"}),
        json.dumps({"id": 3, "text": "卡密无效"}) + "\n",
    ]
    rows = _run(lines, engine)
    assert [r["id"] for r in rows] == ["a", "b", 3]
    assert all(set(r) == KEYS for r in rows)
    assert [r["intent"] for r in rows] == ["logistics", "seller_payout", "digital_delivery"]
    assert rows[1]["language"] == "zh" and rows[1]["group"] == "finance"
    assert all(0.0 <= float(r["intent_confidence"]) <= 1.0 for r in rows)  # type: ignore[arg-type]


def test_malformed_lines_get_an_error_and_the_run_goes_on(engine: TriageEngine) -> None:
    lines: list[str | bytes] = [
        "{not json",
        json.dumps([1, 2]),
        json.dumps({"id": "no-text"}),
        json.dumps({"id": "bad-role", "text": "hi", "role": "admin"}),
        json.dumps({"id": "bad-tier", "text": "hi", "tier": "gold"}),
        json.dumps({"id": "bad-channel", "text": "hi", "channel": "fax"}),
        json.dumps({"id": "ok", "text": "退款"}),
    ]
    rows = _run(lines, engine)
    assert len(rows) == len(lines)
    assert [r["id"] for r in rows] == [
        None,
        None,
        "no-text",
        "bad-role",
        "bad-tier",
        "bad-channel",
        "ok",
    ]
    assert all(set(r) == {"id", "error"} for r in rows[:-1])
    assert "role" in str(rows[3]["error"])
    assert rows[-1]["intent"] == "return_refund"


def test_bytes_with_invalid_utf8_and_blank_lines(engine: TriageEngine) -> None:
    lines: list[str | bytes] = [
        b'{"id": "x", "text": "\xff\xfe where is my parcel"}\n',
        b"\n",
        "   ",
        b'{"id": "y", "text": ""}',
    ]
    rows = _run(lines, engine)
    assert [r["id"] for r in rows] == ["x", "y"]
    assert rows[0]["intent"] == "logistics"
    assert rows[1]["intent"] == "other" and "text empty" in rows[1]["reasons"]  # type: ignore[operator]


def test_output_is_utf8_json_not_escaped(engine: TriageEngine) -> None:
    out = io.StringIO()
    run_triage_lines([json.dumps({"id": "中", "text": "快递"})], out, engine)
    assert '"id": "中"' in out.getvalue()
