"""The assistant over HTTP: the customer's verdict on an AI answer, what the assistant used,
agent assist, macros, and deflection metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import Field

from consigndesk.adapters.db import queries
from consigndesk.adapters.http import schemas
from consigndesk.adapters.http.deps import AppDep, Caller, Principal, PrincipalDep, ReadSession
from consigndesk.adapters.http.errors import ApiError
from consigndesk.adapters.http.guard import CheckedRoute
from consigndesk.adapters.http.params import RowId
from consigndesk.adapters.http.present import ticket_for
from consigndesk.domain.errors import NotFound
from consigndesk.domain.events import utcnow
from consigndesk.services import macros
from consigndesk.services.answers import Knowledge
from consigndesk.services.assist import assist_panel
from consigndesk.services.auth import require_scope
from consigndesk.services.deflection import deflection

router = APIRouter(prefix="/api/v1", tags=["answers"], route_class=CheckedRoute)
ERRORS: dict[int | str, dict[str, Any]] = {
    c: {"model": schemas.ErrorResponse} for c in (401, 403, 404, 409, 422)
}


class ResolutionCreate(schemas.StrictBody):
    outcome: Literal["solved", "human"] = Field(
        description='"solved": the AI answer helped; "human": hand the ticket to an agent'
    )


class MacroBody(schemas.StrictBody):
    title: str = Field(min_length=1, max_length=120)
    language: Literal["zh", "en"]
    body: str = Field(min_length=1, max_length=5000, description="text with {{placeholders}}")
    intents: list[str] = Field(default_factory=list, max_length=12)


def _agent_only(who: PrincipalDep) -> Principal:
    if who.agent is None:
        raise ApiError(403, "agents_only", "only signed-in agents may use this")
    return who


def _supervisor(who: PrincipalDep) -> Principal:
    if not who.is_supervisor:
        raise ApiError(403, "supervisors_only", "only admins and supervisors may do this")
    return who


def _supervisor_or_integration(who: PrincipalDep) -> Principal:
    if who.api_key is not None:
        require_scope(who.api_key, "integration")
        return who
    return _supervisor(who)


Agent = Annotated[Principal, Depends(_agent_only)]
Supervisor = Annotated[Principal, Depends(_supervisor)]
Reporter = Annotated[Principal, Depends(_supervisor_or_integration)]


def _ticket(session: ReadSession, who: Principal, ticket_id: int) -> dict[str, Any]:
    session.rollback()  # a fresh snapshot
    detail = queries.ticket_detail(session, ticket_id)
    if detail is None or (
        who.customer_external_id is not None
        and detail["customer"]["external_id"] != who.customer_external_id
    ):
        raise NotFound(f"ticket {ticket_id} not found")
    return ticket_for(who, detail)


@router.post("/tickets/{ticket_id}/resolution", responses=ERRORS)
def resolve(
    ticket_id: RowId, body: ResolutionCreate, app: AppDep, who: Caller, session: ReadSession
) -> dict[str, Any]:
    """The customer's verdict on the AI answer (their portal session, or an integration)."""
    if who.agent is not None:
        raise ApiError(403, "customers_only", "only the customer decides whether this helped")
    answerer = app.tickets.answerer
    if answerer is None:
        raise ApiError(409, "no_ai_answer", "the assistant is not configured")
    outcome = answerer.resolve(app.uow(), ticket_id, body.outcome, who.customer_external_id)
    ticket = _ticket(session, who, ticket_id)
    return {
        "ticket_id": ticket_id,
        "outcome": outcome,
        "status": ticket["status"],
        "eta_seconds": ticket["eta_seconds"],
    }


@router.get("/tickets/{ticket_id}/ai-answer", responses=ERRORS)
def ai_answer(ticket_id: RowId, who: Caller, session: ReadSession, app: AppDep) -> dict[str, Any]:
    """What the assistant decided for this conversation, and the facts and article it used."""
    if who.customer_external_id is not None:
        raise ApiError(403, "forbidden", "customers cannot use this endpoint")
    _ticket(session, who, ticket_id)
    with app.read_uow() as uow:
        record = uow.answers.for_ticket(ticket_id)
    if record is None:
        raise NotFound(f"the assistant has no record for ticket {ticket_id}")
    return record


@router.get("/tickets/{ticket_id}/assist", responses=ERRORS)
def assist(ticket_id: RowId, who: Agent, session: ReadSession, app: AppDep) -> dict[str, Any]:
    """Suggested reply, related articles and filled-in macros (masked for outsourced agents)."""
    assert who.agent is not None
    ticket = _ticket(session, who, ticket_id)
    return assist_panel(Knowledge(app.read_uow), ticket, str(who.agent["name"]))


@router.get("/metrics/deflection", responses=ERRORS)
def deflection_metrics(who: Reporter, app: AppDep, since: datetime | None = None) -> dict[str, Any]:
    """Resolved by AI (confirmed or no reply in 24 h), escalated and reopened, per intent and
    language, over conversations opened since `since` (default: the last 7 days)."""
    start = since or utcnow() - timedelta(days=7)
    if start.tzinfo is None:
        raise ApiError(422, "invalid_input", "since must carry a time zone")
    try:
        start = start.astimezone(UTC)
    except OverflowError:  # 0001-01-01 east of UTC has no UTC time
        raise ApiError(422, "invalid_input", "since is out of range") from None
    return deflection(app.read_uow(), start)


@router.get("/macros", responses=ERRORS)
def list_macros(who: Agent, app: AppDep, language: Literal["zh", "en"] | None = None) -> Any:
    """Every macro (agents apply them; admins and supervisors edit them)."""
    return {"items": macros.list_macros(app.read_uow(), language)}


@router.post("/macros", status_code=201, responses=ERRORS)
def create_macro(body: MacroBody, who: Supervisor, app: AppDep) -> dict[str, Any]:
    macro_id = macros.create_macro(app.uow(), macros.MacroInput(**body.model_dump()))
    return {"id": macro_id, **body.model_dump()}


@router.put("/macros/{macro_id}", responses=ERRORS)
def update_macro(macro_id: RowId, body: MacroBody, who: Supervisor, app: AppDep) -> dict[str, Any]:
    macros.update_macro(app.uow(), macro_id, macros.MacroInput(**body.model_dump()))
    return {"id": macro_id, **body.model_dump()}


@router.delete("/macros/{macro_id}", status_code=204, responses=ERRORS)
def delete_macro(macro_id: RowId, who: Supervisor, app: AppDep) -> Response:
    macros.delete_macro(app.uow(), macro_id)
    return Response(status_code=204)
