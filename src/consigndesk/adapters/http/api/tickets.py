"""Tickets: create (the contract), list, read, reply, change, rate."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from starlette.concurrency import run_in_threadpool

from consigndesk.adapters.db import queries
from consigndesk.adapters.http import schemas
from consigndesk.adapters.http.deps import AppDep, Caller, Principal, ReadSession, Staff
from consigndesk.adapters.http.errors import ApiError
from consigndesk.adapters.http.guard import CheckedRoute
from consigndesk.adapters.http.metrics import TICKETS_CREATED
from consigndesk.adapters.http.params import RowId
from consigndesk.adapters.http.present import ticket_for
from consigndesk.bootstrap import App
from consigndesk.domain.commands import (
    AddAgentMessage,
    CustomerData,
    RateTicket,
    ReceiveCustomerMessage,
    UpdateTicket,
)
from consigndesk.domain.errors import NotFound
from consigndesk.domain.events import Actor
from consigndesk.domain.tickets import MAX_ROW_ID

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"], route_class=CheckedRoute)
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorResponse} for code in (401, 403, 404, 409, 413, 422)
}


def _load(session: ReadSession, who: Principal, ticket_id: int) -> dict[str, Any]:
    session.rollback()  # start a fresh read snapshot: a write may have committed since
    detail = queries.ticket_detail(session, ticket_id)
    if detail is None or (
        who.customer_external_id is not None
        and detail["customer"]["external_id"] != who.customer_external_id
    ):
        raise NotFound(f"ticket {ticket_id} not found")
    return ticket_for(who, detail)


@router.post("", status_code=201, response_model=schemas.TicketCreated, responses=ERRORS)
async def create_ticket(
    body: schemas.TicketCreate,
    app: AppDep,
    who: Staff,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> dict[str, Any]:
    """Open a ticket for a customer message (integration keys; agents on a customer's behalf)."""
    request_hash = (
        hashlib.sha256(
            json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()
        ).hexdigest()
        if idempotency_key
        else None
    )
    customer = body.customer
    command = ReceiveCustomerMessage(
        customer=CustomerData(
            external_id=customer.external_id,
            role=customer.role,
            tier=customer.tier,
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            language=customer.language,
        ),
        channel=body.channel,
        subject=body.subject or "",
        body=body.body,
        order_ref=body.order_ref,
        idempotency_key=idempotency_key,
        idempotency_scope=(
            f"tickets/key:{who.api_key.key_id}" if who.api_key else f"tickets/agent:{who.agent_id}"
        ),
        request_hash=request_hash,
    )
    received = await asyncio.wrap_future(app.intake.submit(command))
    if received.duplicate:
        response.status_code = 200
    else:
        TICKETS_CREATED.labels(body.channel).inc()
    if received.ticket is not None:  # as committed: no second round trip to read it back
        return {key: getattr(received.ticket, key) for key in schemas.TicketCreated.model_fields}
    row = await run_in_threadpool(_created_row, app, received.ticket_id)
    return {key: row[key] for key in schemas.TicketCreated.model_fields}


def _created_row(app: App, ticket_id: int) -> dict[str, Any]:
    with app.database.read_sessions() as session:
        row = queries.ticket_row(session, ticket_id)
    assert row is not None
    return row


@router.get("", response_model=schemas.TicketList, responses=ERRORS)
def list_tickets(
    who: Caller,
    session: ReadSession,
    channel: str | None = None,
    status: str | None = None,
    group: str | None = None,
    customer: str | None = None,
    priority: str | None = None,
    assignee_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
    unassigned: bool = False,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: str | None = None,
    sort: Annotated[str, Query(pattern="^(newest|queue)$")] = "newest",
) -> dict[str, Any]:
    """Newest first (or `sort=queue`: priority, then oldest); customers see only their own."""
    if who.customer_external_id is not None:
        customer = who.customer_external_id
    items, next_cursor = queries.list_tickets(
        session,
        queries.TicketFilter(
            channel=channel,
            status=status,
            group=group,
            customer=customer,
            priority=priority,
            assignee_id=assignee_id,
            unassigned=unassigned,
            q=q,
            limit=limit,
            cursor=cursor,
            sort=sort,
        ),
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get("/{ticket_id}", response_model=schemas.TicketPublic, responses=ERRORS)
def get_ticket(ticket_id: RowId, who: Caller, session: ReadSession) -> dict[str, Any]:
    """The ticket with its messages, triage result, live linked order and timeline."""
    return _load(session, who, ticket_id)


@router.post(
    "/{ticket_id}/messages", status_code=201, response_model=schemas.MessagePublic, responses=ERRORS
)
def add_message(
    ticket_id: RowId, body: schemas.MessageCreate, app: AppDep, who: Caller, session: ReadSession
) -> dict[str, Any]:
    """Agents reply or add internal notes; customers (and integrations for them) write publicly."""
    if who.agent_id is not None:
        message_id = app.tickets.add_agent_message(
            app.uow(),
            AddAgentMessage(
                ticket_id=ticket_id,
                agent_id=who.agent_id,
                body=body.body,
                visibility=body.visibility,
                new_status=body.status,
                expected_version=body.version,
            ),
        )
    else:
        message_id = None
        if body.visibility != "public" or body.status is not None:
            raise ApiError(
                422, "invalid_input", "customer messages are public and cannot set a status"
            )
        detail = _load(session, who, ticket_id)
        customer = detail["customer"]
        received = app.tickets.receive_customer_message(
            app.uow(),
            ReceiveCustomerMessage(
                customer=CustomerData(external_id=customer["external_id"], role=customer["role"]),
                channel=detail["channel"],
                body=body.body,
                ticket_id=ticket_id,
            ),
        )
        ticket_id = received.ticket_id
    messages = _load(session, who, ticket_id)["messages"]
    if who.agent_id is not None:
        return next(m for m in messages if m["id"] == message_id)
    return [m for m in messages if m["author_type"] == "customer"][-1]


@router.patch("/{ticket_id}", response_model=schemas.TicketPublic, responses=ERRORS)
def update_ticket(
    ticket_id: RowId, body: schemas.TicketUpdate, app: AppDep, who: Staff, session: ReadSession
) -> dict[str, Any]:
    """Change status, assignee, priority, group, intent or tags; `version` guards against races."""
    _load(session, who, ticket_id)
    if who.agent is not None:
        actor = Actor(type="agent", id=who.agent_id, name=who.agent["name"])
    else:
        assert who.api_key is not None
        actor = Actor(type="system", name=f"api key {who.api_key.name}")
    app.tickets.update_ticket(
        app.uow(),
        UpdateTicket(
            ticket_id=ticket_id,
            actor=actor,
            status=body.status,
            priority=body.priority,
            group=body.group,
            intent=body.intent,
            assignee_id=body.assignee_id,
            unassign=body.unassign,
            tags=body.tags,
            reason=body.reason,
            expected_version=body.version,
        ),
    )
    return _load(session, who, ticket_id)


@router.post("/{ticket_id}/rating", response_model=schemas.TicketPublic, responses=ERRORS)
def rate_ticket(
    ticket_id: RowId, body: schemas.RatingCreate, app: AppDep, who: Caller, session: ReadSession
) -> dict[str, Any]:
    """The customer's CSAT (1–5 and a comment) for a solved ticket."""
    detail = _load(session, who, ticket_id)
    if who.agent is not None:
        raise ApiError(403, "customers_only", "only the customer can rate a ticket")
    app.tickets.rate(
        app.uow(),
        RateTicket(
            ticket_id=ticket_id,
            customer_external_id=detail["customer"]["external_id"],
            score=body.score,
            comment=body.comment,
        ),
    )
    return _load(session, who, ticket_id)
