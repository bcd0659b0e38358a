"""Admins look at quarantined email and send it through again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from consigndesk.adapters.http import schemas
from consigndesk.adapters.http.deps import Admin, AppDep
from consigndesk.adapters.http.errors import ApiError
from consigndesk.adapters.http.guard import CheckedRoute
from consigndesk.adapters.http.params import RowId
from consigndesk.bootstrap import App
from consigndesk.domain.errors import NotFound
from consigndesk.domain.tickets import MAX_ROW_ID
from consigndesk.services.email import EmailChannel

router = APIRouter(prefix="/api/v1/email", tags=["email"], route_class=CheckedRoute)
ERRORS: dict[int | str, dict[str, Any]] = {
    c: {"model": schemas.ErrorResponse} for c in (401, 403, 404, 409, 422, 503)
}


class QuarantinedEmail(BaseModel):
    id: int
    kind: str  # malformed | rejected | automatic
    reason: str
    sender: str
    subject: str
    size: int
    received_at: datetime
    status: str  # held | released
    ticket_id: int | None
    released_at: datetime | None


class QuarantinePage(BaseModel):
    items: list[QuarantinedEmail]
    next_cursor: str | None


class RetryResult(BaseModel):
    id: int
    action: str  # created | threaded | duplicate | noted | quarantined (still held)
    ticket_id: int | None
    reason: str


def _channel(app: App) -> EmailChannel:
    channel = app.extras.get("email")
    if not isinstance(channel, EmailChannel):
        raise ApiError(503, "email_unavailable", "the email channel is not configured")
    return channel


@router.get("/quarantine", response_model=QuarantinePage, responses=ERRORS)
def list_quarantine(
    app: AppDep,
    who: Admin,
    status: str | None = Query(default="held", pattern="^(held|released)$"),
    limit: int = Query(default=50, ge=1, le=200),
    cursor: int | None = Query(default=None, ge=1, le=MAX_ROW_ID),
) -> dict[str, Any]:
    """Newest first; `cursor` is the `next_cursor` of the previous page."""
    with app.read_uow() as uow:
        items = uow.email.held(status=status, limit=limit + 1, before_id=cursor)
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_cursor": str(items[-1]["id"]) if more else None}


@router.get(
    "/quarantine/{quarantine_id}/raw",
    responses={200: {"content": {"message/rfc822": {}}}, **ERRORS},
    response_class=Response,
)
def quarantined_raw(quarantine_id: RowId, app: AppDep, who: Admin) -> Response:
    """The message exactly as it arrived, for inspection in a mail program."""
    with app.read_uow() as uow:
        row = uow.email.quarantined(quarantine_id)
    if row is None:
        raise NotFound(f"quarantined email {quarantine_id} not found")
    return Response(
        bytes(row["raw"]),
        media_type="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="quarantine-{quarantine_id}.eml"'},
    )


@router.post("/quarantine/{quarantine_id}/retry", response_model=RetryResult, responses=ERRORS)
def retry_quarantined(quarantine_id: RowId, app: AppDep, who: Admin) -> dict[str, Any]:
    """Ingest it again (after a fix or a limit change); automatic mail is let through this time."""
    outcome = _channel(app).retry(quarantine_id)
    return {
        "id": quarantine_id,
        "action": outcome.action,
        "ticket_id": outcome.ticket_id,
        "reason": outcome.reason,
    }
