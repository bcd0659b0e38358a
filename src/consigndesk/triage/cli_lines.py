"""The `consigndesk triage` JSON-lines contract (shared/CONTRACTS.md), independent of any CLI."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from consigndesk.domain.triage import Triage, TriageInput

ROLES = ("buyer", "seller")
CHANNELS = ("chat", "email", "voice", "api")
TIERS = ("regular", "vip")
OUTPUT_KEYS = (
    "language",
    "intent",
    "intent_confidence",
    "sentiment",
    "emotion",
    "priority",
    "group",
    "reasons",
)


class MalformedLine(ValueError):
    """An input line the contract rejects; the message is written back to the caller."""


def _choice(row: dict[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = row.get(key, default)
    if value is None:
        return default
    if value not in allowed:
        raise MalformedLine(f"'{key}' must be one of {'|'.join(allowed)}, got {value!r}")
    return str(value)


def _optional_int(row: dict[str, Any], key: str) -> int | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedLine(f"'{key}' must be an integer")
    return value


def parse_line(row: Any) -> TriageInput:
    """Validate one decoded JSON value into a TriageInput (extra keys are ignored)."""
    if not isinstance(row, dict):
        raise MalformedLine("each line must be a JSON object")
    text = row.get("text")
    if not isinstance(text, str):
        raise MalformedLine("'text' is required and must be a string")
    order_value = row.get("order_value")
    if order_value is not None and not isinstance(order_value, str | int | float):
        raise MalformedLine("'order_value' must be a number or decimal string")
    return TriageInput(
        text=text,
        role=_choice(row, "role", ROLES, "buyer"),
        channel=_choice(row, "channel", CHANNELS, "api"),
        tier=_choice(row, "tier", TIERS, "regular"),
        order_value=None if order_value is None else str(order_value),
        repeat_contacts_72h=_optional_int(row, "repeat_contacts_72h") or 0,
        sla_seconds_left=_optional_int(row, "sla_seconds_left"),
    )


def _line_id(row: Any) -> Any:
    if isinstance(row, dict):
        value = row.get("id")
        if value is None or isinstance(value, str | int | float):
            return value
        return str(value)
    return None


def triage_line(line: str | bytes, engine: Triage) -> dict[str, Any] | None:
    """The output object for one input line; None for a blank line (not an input)."""
    if isinstance(line, bytes | bytearray):
        line = bytes(line).decode("utf-8", errors="replace")
    if not line.strip():
        return None
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "error": f"invalid JSON: {exc.msg} at column {exc.colno}"}
    line_id = _line_id(row)
    try:
        item = parse_line(row)
    except MalformedLine as exc:
        return {"id": line_id, "error": str(exc)}
    result = engine.triage(item).as_dict()
    return {"id": line_id, **{key: result[key] for key in OUTPUT_KEYS}}


def run_triage_lines(lines: Iterable[str | bytes], out: TextIO, engine: Triage) -> None:
    """One JSON line out per non-blank line in, in order, flushed as it goes."""
    for line in lines:
        try:
            record = triage_line(line, engine)
        except Exception as exc:  # one bad message must never stop the stream
            record = {"id": None, "error": f"internal error: {type(exc).__name__}: {exc}"}
        if record is None:
            continue
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
