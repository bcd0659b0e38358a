"""Queues: an agent pulls the next ticket, agents go on- and offline, the state of each queue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel

from consigndesk.adapters.db import queries
from consigndesk.adapters.db.routing import RoutingRepository
from consigndesk.adapters.http import schemas
from consigndesk.adapters.http.deps import AppDep, Principal, ReadSession, Staff
from consigndesk.adapters.http.errors import ApiError
from consigndesk.adapters.http.guard import CheckedRoute
from consigndesk.adapters.http.params import RowId
from consigndesk.bootstrap import App
from consigndesk.domain.tickets import format_reference
from consigndesk.services.routing import Routing, next_ticket, set_agent_online

router = APIRouter(prefix="/api/v1", tags=["queues"], route_class=CheckedRoute)
ERRORS: dict[int | str, dict[str, Any]] = {
    c: {"model": schemas.ErrorResponse} for c in (401, 403, 404, 409, 422)
}


class PresenceUpdate(BaseModel):
    online: bool


class QueuePublic(BaseModel):
    group: str
    in_house_only: bool
    waiting: dict[str, int]  # by priority, P1 … P4
    waiting_total: int
    agents_online: int
    slots: int  # capacity of the online agents who may work in the group
    free_slots: int
    response_seconds: float  # measured (or default) time from assignment to first reply
    eta_seconds: int  # a new ticket of the default priority (P3), from now
    eta_by_priority: dict[str, int]


def _router(app: App) -> Routing:
    return app.tickets.router or Routing()


def _agent_id(who: Principal) -> int:
    if who.agent_id is None:
        raise ApiError(403, "agents_only", "only a signed-in agent can do this")
    return who.agent_id


@router.post(
    "/agents/me/next-ticket",
    response_model=schemas.TicketSummary,
    responses={204: {"description": "nothing is waiting in your groups"}, **ERRORS},
)
def take_next_ticket(
    app: AppDep, who: Staff, session: ReadSession, response: Response
) -> dict[str, Any] | Response:
    """Assign yourself the head of your groups' queues (P1 first, then the oldest)."""
    ticket_id = next_ticket(app.uow(), _agent_id(who), _router(app))
    if ticket_id is None:
        return Response(status_code=204)
    session.rollback()  # a fresh read snapshot: the assignment just committed
    rows, _ = queries.list_tickets(
        session, queries.TicketFilter(q=format_reference(ticket_id), limit=1)
    )
    return rows[0]


@router.post("/agents/{agent_id}/presence", response_model=schemas.AgentPublic, responses=ERRORS)
def set_presence(
    agent_id: RowId, body: PresenceUpdate, app: AppDep, who: Staff, session: ReadSession
) -> dict[str, Any]:
    """Go on- or offline (yourself, or anyone for supervisors and admins). Going offline hands
    your unanswered tickets back to the queue; coming online offers you what waits."""
    if _agent_id(who) != agent_id and not who.is_supervisor:
        raise ApiError(403, "forbidden", "only supervisors change other agents' presence")
    set_agent_online(app.uow(), agent_id, body.online, _router(app))
    session.rollback()
    return queries.agent_by_id(session, agent_id) or {}


@router.get("/queues", response_model=list[QueuePublic], responses=ERRORS)
def list_queues(app: AppDep, who: Staff, session: ReadSession) -> list[dict[str, Any]]:
    """Per group: waiting tickets by priority, agents online, the ETA of a new ticket."""
    keys = [g["key"] for g in queries.groups(session)]
    summaries = _router(app).overview(RoutingRepository(session), keys)
    return [{**s.__dict__, "waiting_total": sum(s.waiting.values())} for s in summaries]
