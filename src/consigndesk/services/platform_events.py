"""Applying the platform's pushed facts to the order read model."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from consigndesk.domain.errors import Unauthorized
from consigndesk.domain.events import PlatformEventApplied
from consigndesk.domain.orders import project_order, validate_event
from consigndesk.services.unit_of_work import UnitOfWork


def verify_signature(secret: str, body: bytes, header: str | None) -> None:
    """`X-Signature: sha256=<hex HMAC-SHA256 of the raw body>`; raises Unauthorized otherwise."""
    if not header or not header.startswith("sha256="):
        raise Unauthorized("missing or malformed X-Signature header", code="bad_signature")
    given = header.removeprefix("sha256=").strip()
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    # compare_digest refuses non-ASCII str; such a header is simply a wrong signature.
    if not given.isascii() or not hmac.compare_digest(expected, given.lower()):
        raise Unauthorized("X-Signature does not match the body", code="bad_signature")


def sign(secret: str, body: bytes) -> str:
    """The header value the platform sends (used by the demo seeder and by tests)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Applied:
    event_id: str
    order_ref: str
    applied: bool  # False: this event id was seen before (a replay, a no-op)
    order_status: str


def apply_platform_event(uow: UnitOfWork, raw: object) -> Applied:
    event = validate_event(raw)
    with uow:
        if uow.orders.has_event(event.id):
            view = uow.orders.get_view(event.order_ref)
            return Applied(event.id, event.order_ref, False, view["status"] if view else "unknown")
        uow.orders.add_event(event)
        view = project_order(event.order_ref, uow.orders.events_for(event.order_ref))
        uow.orders.save_view(view, event.occurred_at)
        uow.record(
            PlatformEventApplied(event_id=event.id, type=event.type, order_ref=event.order_ref)
        )
        uow.commit()
        return Applied(event.id, event.order_ref, True, view["status"])
