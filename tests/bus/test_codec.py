"""Wire format and consumer names: pure functions, no server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from consigndesk.adapters.bus.codec import decode, encode
from consigndesk.adapters.bus.nats import durable_name
from consigndesk.services.bus import Envelope
from consigndesk.services.reactions import Reactions


@pytest.mark.parametrize("when", [datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2026, 1, 2)])
def test_an_envelope_survives_the_wire(when: datetime) -> None:
    envelope = Envelope("e1", "ticket.created", {"ticket_id": 7, "body": "快递到哪了"}, when)
    assert decode(encode(envelope)) == envelope
    assert "快递".encode() in encode(envelope)  # UTF-8, not \\u escapes


@pytest.mark.parametrize("data", [b"", b"[]", b'{"event_id": "x"}', b"\xff"])
def test_anything_else_is_rejected(data: bytes) -> None:
    with pytest.raises(ValueError):
        decode(data)


def test_consumer_names_are_the_same_in_every_process() -> None:
    first = Reactions(uow_factory=lambda: None)  # type: ignore[arg-type,return-value]
    second = Reactions(uow_factory=lambda: None)  # type: ignore[arg-type,return-value]
    names = {durable_name("ticket.field_changed", r.learn_from_correction) for r in (first, second)}
    assert names == {"ticket_field_changed-Reactions_learn_from_correction"}
