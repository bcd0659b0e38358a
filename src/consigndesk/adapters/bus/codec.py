"""Envelopes on the wire: one compact UTF-8 JSON object per message."""

from __future__ import annotations

import json
from datetime import datetime

from consigndesk.services.bus import Envelope


def encode(envelope: Envelope) -> bytes:
    return json.dumps(
        {
            "event_id": envelope.event_id,
            "name": envelope.name,
            "payload": envelope.payload,
            "occurred_at": envelope.occurred_at.isoformat(),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def decode(data: bytes) -> Envelope:
    """Raises ValueError for anything that is not an envelope (it can never be handled)."""
    try:
        raw = json.loads(data)
        return Envelope(
            event_id=str(raw["event_id"]),
            name=str(raw["name"]),
            payload=dict(raw["payload"]),
            occurred_at=datetime.fromisoformat(raw["occurred_at"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not an event envelope: {exc!r}") from exc
