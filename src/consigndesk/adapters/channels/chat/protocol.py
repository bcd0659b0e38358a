"""The chat wire protocol (docs/decisions/0601-chat-protocol.md): parse what clients send, shape
what they receive. Pure functions; a bad frame is a `FrameError` with a machine code. A frame is
checked whole before anything acts on it, as an HTTP request is (docs/decisions/0605)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from consigndesk.domain.text import has_lone_surrogate, has_nul, storable
from consigndesk.domain.tickets import format_reference

MAX_FRAME_BYTES = 32_768  # a 4,000-character message is at most ~24 KB of JSON, escaped
MAX_INT = 2**63 - 1  # ids and marks are signed 64-bit integers in both databases
# A refused top-level field whose error the protocol names by what it is: the widget asks for
# another address (bad_email) or stops (bad_customer_token) instead of sending it again.
FIELD_CODES = {"email": "bad_email", "token": "bad_customer_token"}

CUSTOMER_TYPES = {"hello", "message", "typing", "read", "end", "transcript", "ping"}
AGENT_TYPES = {"hello", "open", "message", "typing", "read", "end", "ping"}


class FrameError(Exception):
    """A frame we cannot act on; `code` goes back to the client in an `error` frame."""

    def __init__(self, code: str, message: str, echo: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.echo = echo or {}  # which request it answers, when the frame could not be built


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
        """An id or mark: what a 64-bit column holds (0 … 2⁶³−1); null is the default."""
        value = self.data.get(key)
        if value is None and default is not None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT:
            raise FrameError("bad_frame", f"'{key}' must be an integer from 0 to {MAX_INT}")
        return value

    def flag(self, key: str) -> bool:
        return self.data.get(key) is True

    def echo(self) -> dict[str, Any]:
        """Identify which request an error answers (the client's message id, the ticket)."""
        return echo_of(self.data)


def echo_of(data: dict[str, Any]) -> dict[str, Any]:
    """The request ids of a frame's data, so the client knows which of its requests failed."""
    return {
        key: data[key]
        for key in ("client_id", "ticket_id")
        if isinstance(data.get(key), str | int) and not isinstance(data[key], bool)
    }


def parse(raw: str | bytes | None, allowed: set[str]) -> Frame:
    """One text frame → a `Frame` of a known type, or `FrameError`."""
    if raw is None or isinstance(raw, bytes):
        raise FrameError("bad_frame", "send JSON text frames")
    if _too_large(raw):
        raise FrameError("frame_too_large", f"frames are limited to {MAX_FRAME_BYTES} bytes")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        raise FrameError("malformed_frame", "the frame is not valid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise FrameError("malformed_frame", "a frame is a JSON object with a 'type'")
    if data["type"] not in allowed:
        raise FrameError("unknown_type", f"unknown frame type {data['type'][:40]!r}")
    _check_text(data)
    return Frame(type=data["type"], data=data)


def _too_large(raw: str) -> bool:
    """Counted in UTF-8 bytes, as the limit says: 32,768 characters of Chinese are 96 KB."""
    if len(raw) <= MAX_FRAME_BYTES // 4:
        return False
    return len(raw) > MAX_FRAME_BYTES or len(raw.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES


def _check_text(data: dict[str, Any]) -> None:
    """Refuse the frame when any key or text in it is something no database column can hold."""
    found = _unstorable(data)
    if found is None:
        return
    location, text = found
    what = "U+0000 (NUL)" if has_nul(text) else "a lone surrogate (not valid Unicode)"
    where = ".".join(str(part) for part in location)[:200]
    code = FIELD_CODES.get(location[0], "bad_frame") if len(location) == 1 else "bad_frame"
    raise FrameError(
        code, f"{where!r} holds {what}: it is refused however often it is sent", echo_of(data)
    )


def _unstorable(data: dict[str, Any]) -> tuple[tuple[Any, ...], str] | None:
    """Where the first key or text that cannot be stored is, and that text; iterative, so a
    deeply nested frame costs no recursion."""
    stack: list[tuple[tuple[Any, ...], Any]] = [((), data)]
    while stack:
        location, container = stack.pop()
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, value in items:
            if isinstance(key, str) and not storable(key):
                return (*location, key), key
            if isinstance(value, str) and not storable(value):
                return (*location, key), value
            if isinstance(value, dict | list):
                stack.append(((*location, key), value))
    return None


def encode(frame: dict[str, Any]) -> str:
    """JSON text; what UTF-8 cannot carry (a lone surrogate echoed back) is sent escaped, so
    every frame we send can be written to the socket."""
    text = json.dumps(frame, ensure_ascii=False, separators=(",", ":"), default=_default)
    if not has_lone_surrogate(text):
        return text
    return json.dumps(frame, ensure_ascii=True, separators=(",", ":"), default=_default)


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
