"""Voice: call recordings from integrations and telephony webhooks; attachment downloads."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Header, Request, Response, UploadFile
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from consigndesk.adapters.channels.voice.telephony import (
    caller_external_id,
    normalise_phone,
    same_number,
)
from consigndesk.adapters.db import queries, tables
from consigndesk.adapters.http import schemas
from consigndesk.adapters.http.deps import AppDep, Caller, ReadSession, Staff
from consigndesk.adapters.http.errors import ApiError
from consigndesk.adapters.http.guard import CheckedRoute, check_form
from consigndesk.adapters.http.metrics import TICKETS_CREATED
from consigndesk.bootstrap import App
from consigndesk.domain.attachments import Upload, safe_filename
from consigndesk.domain.commands import CustomerData
from consigndesk.domain.errors import NotFound
from consigndesk.services.platform_events import verify_signature
from consigndesk.services.voice import NEEDS_TRANSCRIPTION, CallReceived, ReceiveCall, VoiceCalls

router = APIRouter(tags=["voice"], route_class=CheckedRoute)
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorResponse} for code in (401, 403, 404, 409, 413, 422, 503)
}
Language = Literal["zh", "en"]


class VoiceTicketCreated(schemas.TicketCreated):
    """`POST /api/v1/tickets`'s answer, plus what became of the recording."""

    channel: str
    transcript: str
    transcript_engine: str | None
    transcript_confidence: float | None
    needs_transcription: bool
    attachments: list[dict[str, Any]]


def _voice(app: App) -> VoiceCalls:
    voice = app.extras.get("voice")
    if not isinstance(voice, VoiceCalls):
        raise ApiError(503, "voice_not_configured", "the voice channel is not wired in this app")
    return voice


def _answer(session: ReadSession, response: Response, call: CallReceived) -> dict[str, Any]:
    if call.received.duplicate:
        response.status_code = 200
    else:
        TICKETS_CREATED.labels("voice").inc()
    session.rollback()  # a fresh snapshot that includes the commit
    detail = queries.ticket_detail(session, call.received.ticket_id)
    assert detail is not None
    first = next(m for m in detail["messages"] if m["author_type"] == "customer")
    return {
        **{key: detail[key] for key in schemas.TicketCreated.model_fields},
        "channel": detail["channel"],
        "transcript": first["body"],
        "transcript_engine": call.transcript.engine if call.transcript else None,
        "transcript_confidence": call.transcript.confidence if call.transcript else None,
        "needs_transcription": NEEDS_TRANSCRIPTION in (detail["tags"] or []),
        "attachments": first["attachments"],
    }


async def _read(upload: StarletteUpload) -> Upload:
    return Upload(
        filename=upload.filename or "call.wav",
        data=await upload.read(),
        content_type=upload.content_type,
    )


@router.post(
    "/api/v1/voice/calls",
    status_code=201,
    response_model=VoiceTicketCreated,
    responses=ERRORS,
)
async def receive_call(
    app: AppDep,
    who: Staff,
    session: ReadSession,
    response: Response,
    audio: Annotated[UploadFile, File(description="the call recording: WAV, any sample rate")],
    external_id: Annotated[str, Form(min_length=1, max_length=64)],
    role: Annotated[Literal["buyer", "seller"], Form()],
    tier: Annotated[Literal["regular", "vip"] | None, Form()] = None,
    name: Annotated[str | None, Form(max_length=200)] = None,
    phone: Annotated[str | None, Form(max_length=40)] = None,
    language: Annotated[Language | None, Form(description="the caller's language")] = None,
    call_id: Annotated[str | None, Form(max_length=100, description="repeat → same ticket")] = None,
) -> dict[str, Any]:
    """A recorded call becomes a `voice` ticket: the transcript is the customer's first message
    and the recording is attached. No engine for the caller's language (or no words recognised):
    the ticket is still created, tagged `needs_transcription`, with an internal note.

    Bad audio is 422 (`empty_audio`, `unsupported_audio`, `corrupt_audio`); recordings up to
    `CONSIGNDESK_VOICE_MAX_BYTES` (20 MiB) are accepted (413 above)."""
    command = ReceiveCall(
        customer=CustomerData(
            external_id=external_id,
            role=role,
            tier=tier,
            name=name,
            phone=phone,
            language=language,
        ),
        recording=await _read(audio),
        language_hint=language,
        call_id=call_id,
    )
    call = await run_in_threadpool(_voice(app).receive_call, command)
    return await run_in_threadpool(_answer, session, response, call)


WEBHOOK_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["CallSid", "From", "Recording"],
                "properties": {
                    "CallSid": {"type": "string", "description": "the provider's call id"},
                    "From": {"type": "string", "description": "the caller's phone number"},
                    "Recording": {"type": "string", "format": "binary", "description": "WAV"},
                    "Language": {"type": "string", "enum": ["zh", "en"]},
                    "CallerName": {"type": "string"},
                },
            }
        }
    },
}


@router.post(
    "/api/v1/voice/webhook",
    status_code=201,
    response_model=VoiceTicketCreated,
    responses=ERRORS,
    openapi_extra={"requestBody": WEBHOOK_BODY},
)
async def telephony_webhook(
    request: Request,
    app: AppDep,
    session: ReadSession,
    response: Response,
    x_signature: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """For a telephony provider: the recording of a finished call, inline as the `Recording`
    file part (recording URLs are not fetched). Signed like platform events:
    `X-Signature: sha256=<hex HMAC-SHA256 of the raw body with CONSIGNDESK_PLATFORM_SECRET>`.
    The caller is found by phone number (`From`); an unknown number becomes the customer
    `phone:<number>`. A repeated `CallSid` returns the first ticket (200)."""
    if app.platform_secret is None:
        raise ApiError(503, "platform_not_configured", "CONSIGNDESK_PLATFORM_SECRET is not set")
    if not x_signature:
        raise ApiError(401, "unauthorized", "sign the body: X-Signature: sha256=<hex HMAC-SHA256>")
    verify_signature(app.platform_secret, await request.body(), x_signature)
    form = await request.form()
    check_form(form)
    recording, call_sid = form.get("Recording"), form.get("CallSid")
    if not isinstance(recording, StarletteUpload):
        raise ApiError(422, "invalid_input", "the Recording file part is missing")
    if not isinstance(call_sid, str) or not 1 <= len(call_sid) <= 100:
        raise ApiError(422, "invalid_input", "CallSid is missing or longer than 100 characters")
    language = form.get("Language")
    if language not in (None, "zh", "en"):
        raise ApiError(422, "invalid_input", "Language must be zh or en")
    phone = normalise_phone(str(form.get("From") or ""))
    caller_name = form.get("CallerName")
    customer = await run_in_threadpool(
        _caller, session, phone, str(language) if language else None, caller_name
    )
    command = ReceiveCall(
        customer=customer,
        recording=await _read(recording),
        language_hint=str(language) if language else None,
        call_id=call_sid,
    )
    call = await run_in_threadpool(_voice(app).receive_call, command)
    return await run_in_threadpool(_answer, session, response, call)


def _caller(session: ReadSession, phone: str, language: str | None, name: object) -> CustomerData:
    """The platform customer with this number, else the phone-number customer."""
    c = tables.customers.c
    rows = session.execute(
        select(c.external_id, c.role, c.tier, c.phone, c.language)
        .where(c.phone.is_not(None), c.phone.contains(phone[-4:], autoescape=True))
        .order_by(c.id)
    ).all()
    known = next((r for r in rows if same_number(r.phone, phone)), None)
    if known is not None:
        return CustomerData(
            external_id=known.external_id,
            role=known.role,
            tier=known.tier,
            language=language or known.language,
        )
    return CustomerData(
        external_id=caller_external_id(phone),
        phone=phone,
        name=name[:200] if isinstance(name, str) else None,
        language=language,
    )


@router.get(
    "/api/v1/attachments/{attachment_id}",
    responses={**ERRORS, 200: {"content": {"application/octet-stream": {}}}},
    response_class=Response,
)
def download_attachment(attachment_id: str, app: AppDep, who: Caller) -> Response:
    """A stored attachment, always as a download, with its sniffed type and safe name (staff,
    integrations, or the customer whose ticket it belongs to)."""
    with app.read_uow() as uow:
        row = uow.attachments.get(attachment_id[:32])
        ticket = uow.tickets.get(row["ticket_id"]) if row and row["ticket_id"] else None
        owner = uow.customers.get(ticket.customer_id) if ticket is not None else None
        owner_id = owner.external_id if owner is not None else None
    if row is None or (
        who.customer_external_id is not None and owner_id != who.customer_external_id
    ):
        raise NotFound(f"attachment {attachment_id} not found")
    name = safe_filename(row["filename"])
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    return Response(
        content=bytes(row["data"]),
        media_type=row["content_type"],
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
            ),
            "X-Content-Type-Options": "nosniff",
        },
    )
