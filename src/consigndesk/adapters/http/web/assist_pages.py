"""Agent assist on the ticket page (an htmx partial) and the supervisors' deflection table."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from consigndesk.adapters.db import queries
from consigndesk.adapters.http.deps import AppDep, Principal
from consigndesk.adapters.http.guard import CheckedRoute
from consigndesk.adapters.http.params import RowId
from consigndesk.adapters.http.present import ticket_for
from consigndesk.adapters.http.web.common import not_found
from consigndesk.adapters.http.web.staff import manager_or_refusal, signed_in, to_login
from consigndesk.adapters.http.web.templating import locale_of, render
from consigndesk.domain.events import utcnow
from consigndesk.services.answers import Knowledge
from consigndesk.services.assist import assist_panel
from consigndesk.services.deflection import deflection

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)
PERIODS = (1, 7, 30, 90)  # days the deflection page offers


@router.get("/tickets/{ticket_id}/assist", response_class=HTMLResponse)
def assist(request: Request, core: AppDep, ticket_id: RowId) -> Response:
    """Suggested reply, articles and macros; a click puts the text into `#reply-body`."""
    agent = signed_in(request, core)
    if agent is None:
        return to_login(request)
    locale = locale_of(request, agent["language"])
    with core.database.read_sessions() as session:
        detail = queries.ticket_detail(session, ticket_id)
    if detail is None:
        return not_found(request, locale)
    ticket = ticket_for(Principal(agent=agent), detail)
    with core.read_uow() as uow:
        record: dict[str, Any] | None = uow.answers.for_ticket(ticket_id)
    panel = assist_panel(Knowledge(core.read_uow), ticket, str(agent["name"]))
    return render(
        request, "assist/panel.html", {"p": panel, "record": record, "t": ticket}, locale=locale
    )


@router.get("/supervisor/deflection", response_class=HTMLResponse)
def deflection_page(request: Request, core: AppDep, days: int = 7) -> Response:
    """Per intent and language: resolved by AI, escalated, reopened."""
    agent = manager_or_refusal(request, core)
    if isinstance(agent, Response):
        return agent
    days = days if days in PERIODS else 7
    report = deflection(core.read_uow(), utcnow() - timedelta(days=days))
    return render(
        request,
        "assist/deflection.html",
        {"agent": agent, "report": report, "days": days, "periods": PERIODS},
        locale=locale_of(request, agent["language"]),
    )
