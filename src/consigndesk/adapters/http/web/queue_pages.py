"""Working the queue: presence (online/offline), "Next ticket", and the supervisors' overview of
every group's queue and every agent's load."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from consigndesk.adapters.db import queries
from consigndesk.adapters.db.routing import RoutingRepository
from consigndesk.adapters.http.deps import AppDep
from consigndesk.adapters.http.guard import CheckedRoute
from consigndesk.adapters.http.params import RowId
from consigndesk.adapters.http.web.common import (
    csrf_failed,
    csrf_ok,
    redirect,
    safe_next,
)
from consigndesk.adapters.http.web.staff import (
    forbidden,
    is_manager,
    manager_or_refusal,
    signed_in,
    to_login,
)
from consigndesk.adapters.http.web.templating import N_, flash, locale_of, render
from consigndesk.bootstrap import App
from consigndesk.domain.errors import DomainError
from consigndesk.domain.taxonomy import Priority
from consigndesk.services.routing import Routing, next_ticket, set_agent_online

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)


def _router(core: App) -> Routing:
    return core.tickets.router or Routing()


@router.post("/agents/{agent_id}/presence")
def presence(
    request: Request,
    core: AppDep,
    agent_id: RowId,
    online: Annotated[str, Form()] = "",
    csrf: Annotated[str | None, Form()] = None,
    next: Annotated[str | None, Form()] = None,
) -> Response:
    """Go online or offline; supervisors and admins may switch anyone (as the API allows)."""
    agent = signed_in(request, core)
    if agent is None:
        return to_login(request)
    if not csrf_ok(request, csrf):
        return csrf_failed(request, locale_of(request, agent["language"]))
    if agent_id != agent["id"] and not is_manager(agent):
        return forbidden(request, agent)
    going_online = online in ("1", "true", "on")
    try:
        set_agent_online(core.uow(), agent_id, going_online, _router(core))
    except DomainError:
        flash(request, "error", N_("There is nothing here, or you may not see it."))
        return redirect(safe_next(next))
    if agent_id == agent["id"]:
        flash(
            request,
            "success",
            N_("You are online: new tickets of your groups come to you.")
            if going_online
            else N_("You are offline: your unanswered tickets went back to the queue."),
        )
    return redirect(safe_next(next))


@router.post("/inbox/next")
def take_next(
    request: Request, core: AppDep, csrf: Annotated[str | None, Form()] = None
) -> Response:
    """Assign yourself the head of your groups' queues (P1 first, then oldest) and open it."""
    agent = signed_in(request, core)
    if agent is None:
        return to_login(request)
    if not csrf_ok(request, csrf):
        return csrf_failed(request, locale_of(request, agent["language"]))
    try:
        ticket_id = next_ticket(core.uow(), int(agent["id"]), _router(core))
    except DomainError as exc:
        if exc.code == "agent_offline":
            flash(request, "warning", N_("Go online first to take tickets from the queue."))
        else:
            flash(request, "error", N_("That did not work: %(detail)s"), detail=exc.message)
        return redirect("/")
    if ticket_id is None:
        flash(request, "info", N_("Nothing is waiting in your groups right now."))
        return redirect("/")
    flash(request, "success", N_("This ticket is yours now."))
    return redirect(f"/tickets/{ticket_id}")


@router.get("/supervisor/queues", response_class=HTMLResponse)
def queues(request: Request, core: AppDep) -> Response:
    """Per group: who waits by priority, who is online, free slots and the ETA of a new ticket."""
    agent = manager_or_refusal(request, core)
    if isinstance(agent, Response):
        return agent
    locale = locale_of(request, agent["language"])
    with core.database.read_sessions() as session:
        groups = queries.groups(session)
        store = RoutingRepository(session)
        summaries = _router(core).overview(store, [g["key"] for g in groups])
        loads = {c.agent_id: c.load for c in store.candidates()}
        agents = [a for a in queries.agents(session) if a["active"]]
    names = {g["key"]: g["name_zh"] if locale == "zh_CN" else g["name_en"] for g in groups}
    rows: list[dict[str, Any]] = [
        {**s.__dict__, "name": names.get(s.group, s.group), "total": sum(s.waiting.values())}
        for s in summaries
    ]
    for a in agents:
        a["load"] = loads.get(a["id"], 0)
    agents.sort(key=lambda a: (not a["online"], a["name"]))
    context = {
        "agent": agent,
        "queues": rows,
        "agents": agents,
        "group_names": names,
        "priorities": [p.value for p in Priority],
        "totals": {
            "waiting": sum(r["total"] for r in rows),
            "online": sum(1 for a in agents if a["online"]),
            "agents": len(agents),
        },
    }
    return render(request, "supervisor_queues.html", context, locale=locale)
