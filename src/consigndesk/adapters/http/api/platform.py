"""The platform pushes its facts (orders, payments, logistics, card codes, settlements) here."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from starlette.concurrency import run_in_threadpool

from consigndesk.adapters.http import schemas
from consigndesk.adapters.http.deps import AppDep
from consigndesk.adapters.http.errors import ApiError
from consigndesk.adapters.http.metrics import EVENTS_APPLIED
from consigndesk.services.auth import authenticate_api_key, require_scope
from consigndesk.services.platform_events import apply_platform_event, verify_signature

router = APIRouter(prefix="/api/v1/platform", tags=["platform"])


@router.post(
    "/events",
    response_model=schemas.PlatformEventResult,
    responses={c: {"model": schemas.ErrorResponse} for c in (401, 403, 413, 422, 503)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["id", "type", "occurred_at", "data"],
                        "properties": {
                            "id": {"type": "string"},
                            "type": {"type": "string"},
                            "occurred_at": {"type": "string", "format": "date-time"},
                            "data": {"type": "object"},
                        },
                    }
                }
            },
        }
    },
)
async def receive_event(
    request: Request,
    app: AppDep,
    response: Response,
    x_signature: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """HMAC-signed platform event; a replayed id is a no-op (200, `applied: false`)."""
    if app.platform_secret is None:
        raise ApiError(503, "platform_not_configured", "CONSIGNDESK_PLATFORM_SECRET is not set")
    authorization = request.headers.get("authorization")
    if authorization:
        identity = await run_in_threadpool(
            authenticate_api_key, app.read_uow(), authorization.partition(" ")[2]
        )
        require_scope(identity, "platform")
    raw_body = await request.body()
    verify_signature(app.platform_secret, raw_body, x_signature)
    try:
        payload = json.loads(raw_body)
    except ValueError as exc:
        raise ApiError(422, "invalid_json", f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ApiError(422, "invalid_json", "the body nests deeper than JSON is read") from None
    result = await run_in_threadpool(apply_platform_event, app.uow(), payload)
    EVENTS_APPLIED.labels(payload.get("type", "?"), "applied" if result.applied else "replay").inc()
    response.status_code = 200
    return {
        "event_id": result.event_id,
        "order_ref": result.order_ref,
        "applied": result.applied,
        "order_status": result.order_status,
    }
