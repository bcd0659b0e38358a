"""The chat wire protocol (docs/decisions/0601-chat-protocol.md): parse what clients send, shape
what they receive. Pure functions; a bad frame is a `FrameError` with a machine code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from consigndesk.domain.tickets import format_reference

MAX_FRAME_BYTES = 32_768  # a 4,000-character message is at most ~16 KB of JSON

CUSTOMER_TYPES = {"hello", "message", "typing", "read", "end", "transcript", "ping"}
AGENT_TYPES = {"hello", "open", "message", "typing", "read", "end", "ping"}


class FrameError(Exception):
    """A frame we cannot act on; `code` goes back to the client in an `error` frame."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Frame:
    type: str
    data: dict[str, Any]

    def text(self, key: str, limit: int, required: bool = True) -> str:
        value = self.data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            raise FrameError("bad_frame", f"'{key}' must be a string")
        if len(value) > limit:
            raise FrameError("message_too_large", f"'{key}' exceeds {limit} characters")
        return value

    def integer(self, key: str, default: int | None = None) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise FrameError("bad_frame", f"'{key}' must be a non-negative integer")
        return value

    def flag(self, key: str) -> bool:
        return self.data.get(key) is True


def parse(raw: str | bytes | None, allowed: set[str]) -> Frame:
    """One text frame → a `Frame` of a known type, or `FrameError`."""
    if raw is None or isinstance(raw, bytes):
        raise FrameError("bad_frame", "send JSON text frames")
    if len(raw) > MAX_FRAME_BYTES:
        raise FrameError("frame_too_large", f"frames are limited to {MAX_FRAME_BYTES} bytes")
    try:
        data = json.loads(raw)
    except ValueError:
        raise FrameError("malformed_frame", "the frame is not valid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise FrameError("malformed_frame", "a frame is a JSON object with a 'type'")
    if data["type"] not in allowed:
        raise FrameError("unknown_type", f"unknown frame type {data['type'][:40]!r}")
    return Frame(type=data["type"], data=data)


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"), default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def error(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, **extra}


def client_id_of(row: dict[str, Any]) -> str | None:
    """The widget's own id of a customer message (`chat:<customer>:<client id>`)."""
    external = row.get("external_id") or ""
    return external.rsplit(":", 1)[-1] if external.startswith("chat:") else None


def message_frame(row: dict[str, Any], body: str | None = None) -> dict[str, Any]:
    """A stored message as either side's screen shows it."""
    author_type = row["author_type"]
    name = row.get("agent_name") if author_type == "agent" else None
    if author_type == "customer":
        name = row.get("customer_name") or None
    frame: dict[str, Any] = {
        "type": "message",
        "id": row["id"],
        "ticket_id": row["ticket_id"],
        "author_type": author_type,
        "author_name": name or "",
        "visibility": row["visibility"],
        "text": row["body"] if body is None else body,
        "created_at": row["created_at"],
    }
    client_id = client_id_of(row)
    if client_id and author_type == "customer":
        frame["client_id"] = client_id
    return frame


def ticket_summary(row: dict[str, Any]) -> dict[str, Any]:
    """What the agents' chat list shows about a conversation."""
    ticket_id = int(row["ticket_id"])
    return {
        "id": ticket_id,
        "reference": format_reference(ticket_id),
        "subject": row.get("subject") or "",
        "status": row.get("status") or "",
        "group": row.get("group") or "",
        "customer": row.get("customer_name") or row.get("customer_external_id") or "",
        "assignee_id": row.get("assignee_id"),
    }
