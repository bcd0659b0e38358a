"""Agent pages: sign in, the inbox (queue order) and the ticket page with the order panel."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from consigndesk.adapters.db import queries
from consigndesk.adapters.http.deps import AppDep, Principal
from consigndesk.adapters.http.guard import CheckedRoute
from consigndesk.adapters.http.params import RowId
from consigndesk.adapters.http.present import ticket_for
from consigndesk.adapters.http.web.common import (
    Notice,
    csrf_failed,
    csrf_ok,
    domain_notice,
    not_found,
    redirect,
    safe_next,
)
from consigndesk.adapters.http.web.staff import is_manager, signed_in, to_login
from consigndesk.adapters.http.web.templating import N_, flash, locale_of, render
from consigndesk.adapters.http.web.view_queries import inbox_counts
from consigndesk.bootstrap import App
from consigndesk.domain.commands import AddAgentMessage, UpdateTicket
from consigndesk.domain.errors import DomainError
from consigndesk.domain.events import Actor
from consigndesk.domain.taxonomy import Intent, Priority
from consigndesk.domain.tickets import ALLOWED_TRANSITIONS, Status
from consigndesk.services.auth import login as check_login

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)
UNSOLVED = ("new", "open", "pending")
REPLY_STATUSES = ("open", "pending", "solved")
PRIORITIES = [p.value for p in Priority]
INTENTS = [i.value for i in Intent]
STATUSES = [s.value for s in Status]


def _group_names(session: Any, locale: str) -> dict[str, str]:
    return {
        g["key"]: g["name_zh"] if locale == "zh_CN" else g["name_en"]
        for g in queries.groups(session)
    }


# -- sign in / out ---------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, core: AppDep, next: str | None = None) -> Response:
    agent = signed_in(request, core)
    if agent is not None:
        return redirect(safe_next(next))
    return render(request, "login.html", {"next": safe_next(next)}, locale=locale_of(request))


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    core: AppDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str | None, Form()] = None,
    next: Annotated[str | None, Form()] = None,
) -> Response:
    locale = locale_of(request)
    if not csrf_ok(request, csrf):
        return csrf_failed(request, locale)
    try:
        agent_id = check_login(core.uow(), email.strip().lower(), password)
    except DomainError:
        return render(
            request,
            "login.html",
            {"email": email, "next": safe_next(next)},
            locale=locale,
            status_code=401,
            notices=[("error", N_("Wrong email or password."), {})],
        )
    lang = request.session.get("lang")
    request.session.clear()  # a new session for the signed-in agent (no fixation)
    request.session["agent_id"] = agent_id
    if lang:
        request.session["lang"] = lang
    return redirect(safe_next(next))


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str | None, Form()] = None) -> Response:
    if not csrf_ok(request, csrf):
        return csrf_failed(request, locale_of(request))
    request.session.pop("agent_id", None)
    return redirect("/login")


# -- inbox -----------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def inbox(
    request: Request,
    core: AppDep,
    status: str = "",
    group: str = "",
    priority: str = "",
    assigned: str = "",
    q: str = "",
    cursor: str | None = None,
) -> Response:
    agent = signed_in(request, core)
    if agent is None:
        return to_login(request)
    locale = locale_of(request, agent["language"])
    status = status if status in (*STATUSES, "all") else ""
    priority = priority if priority in PRIORITIES else ""
    assigned = assigned if assigned in ("me", "unassigned") else ""
    with core.database.read_sessions() as session:
        counts = inbox_counts(session, int(agent["id"]))
    if not request.url.query and not is_manager(agent) and counts["mine"]:
        assigned = "me"  # agents land on their own work when they hold some (ADR 0901)
    ticket_filter = queries.TicketFilter(
        status=status if status in STATUSES else None,
        group=group or None,
        priority=priority or None,
        assignee_id=agent["id"] if assigned == "me" else None,
        unassigned=assigned == "unassigned",
        q=q[:200] or None,
        limit=25,
        cursor=cursor or None,
        sort="queue",
    )
    notices: list[Notice] = []
    with core.database.read_sessions() as session:
        try:
            rows, next_cursor = queries.list_tickets(
                session, ticket_filter, UNSOLVED if status == "" else None
            )
        except DomainError:  # a cursor from elsewhere
            rows, next_cursor = [], None
            notices.append(("error", N_("That page link is not valid any more."), {}))
        group_names = _group_names(session, locale)
        agent_names = {a["id"]: a["name"] for a in queries.agents(session)}
    filters = {"status": status, "group": group, "priority": priority, "assigned": assigned, "q": q}
    kept = {k: v for k, v in filters.items() if v}
    context = {
        "agent": agent,
        "rows": rows,
        "f": filters,
        "counts": counts,
        "view": (assigned or "all") if not (status or group or priority or q) else "",
        "cursor": cursor,
        "statuses": STATUSES,
        "priorities": PRIORITIES,
        "group_names": group_names,
        "agent_names": agent_names,
        "first_page_url": "/?" + urlencode(kept),
        "next_page_url": "/?" + urlencode({**kept, "cursor": next_cursor}) if next_cursor else None,
    }
    return render(request, "inbox.html", context, locale=locale, notices=notices)


# -- ticket page -----------------------------------------------------------------------------


def _reply_statuses(current: str) -> list[str]:
    """What "submit as" may offer: a first reply opens a new ticket; closed stays closed."""
    base = Status.OPEN if current == Status.NEW else Status(current)
    allowed = ALLOWED_TRANSITIONS[base]
    if base == Status.CLOSED:
        return []
    return [s for s in REPLY_STATUSES if s == base or s in allowed]


def ticket_page(
    request: Request,
    core: AppDep,
    agent: dict[str, Any],
    ticket_id: int,
    *,
    status_code: int = 200,
    notices: list[Notice] | None = None,
    draft: str = "",
    draft_visibility: str = "public",
) -> Response:
    locale = locale_of(request, agent["language"])
    with core.database.read_sessions() as session:
        detail = queries.ticket_detail(session, ticket_id)
        if detail is None:
            return not_found(request, locale)
        view = ticket_for(Principal(agent=agent), detail)
        group_names = _group_names(session, locale)
        agents = [a for a in queries.agents(session) if a["active"]]
        others, _ = queries.list_tickets(
            session, queries.TicketFilter(customer=detail["customer"]["external_id"], limit=6)
        )
    current = Status(view["status"])
    reply_statuses = _reply_statuses(current)
    context = {
        "agent": agent,
        "t": view,
        "intents": INTENTS,
        "intent_checked_by": _intent_checked_by(view["timeline"]),
        "awaiting_first_reply": view["first_response_at"] is None
        and view["status"] in ("new", "open"),
        "agents": agents,
        "agent_names": {a["id"]: a["name"] for a in agents},
        "group_names": group_names,
        "names": {"agents": {a["id"]: a["name"] for a in agents}, "groups": group_names},
        "priorities": PRIORITIES,
        "control_statuses": [
            s for s in STATUSES if s == current or s in ALLOWED_TRANSITIONS[current]
        ],
        "reply_statuses": reply_statuses,
        "reply_default": "open" if current == Status.NEW else current.value,
        "others": [o for o in others if o["id"] != ticket_id][:5],
        "draft": draft,
        "draft_visibility": draft_visibility,
    }
    return render(
        request, "ticket.html", context, locale=locale, status_code=status_code, notices=notices
    )


def _intent_checked_by(timeline: list[dict[str, Any]]) -> str | None:
    """The agent who last corrected the intent (the low-confidence warning is then settled)."""
    for row in reversed(timeline):
        detail = row.get("detail") or {}
        if row["action"] == "ticket.field_changed" and detail.get("field") == "intent":
            return str(row.get("actor_name") or "") if row.get("actor_type") == "agent" else None
    return None


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
def show_ticket(request: Request, core: AppDep, ticket_id: RowId) -> Response:
    agent = signed_in(request, core)
    if agent is None:
        return to_login(request)
    return ticket_page(request, core, agent, ticket_id)


def _current_status(core: App, ticket_id: int) -> str | None:
    with core.database.read_sessions() as session:
        detail = queries.ticket_detail(session, ticket_id)
    return None if detail is None else str(detail["status"])


@router.post("/tickets/{ticket_id}/reply", response_class=HTMLResponse)
def reply(
    request: Request,
    core: AppDep,
    ticket_id: RowId,
    body: Annotated[str, Form()] = "",
    visibility: Annotated[str, Form()] = "public",
    submit_as: Annotated[str | None, Form()] = None,
    version: Annotated[int | None, Form()] = None,
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    agent = signed_in(request, core)
    if agent is None:
        return to_login(request)
    if not csrf_ok(request, csrf):
        return csrf_failed(request, locale_of(request, agent["language"]))
    visibility = "internal" if visibility == "internal" else "public"
    current = _current_status(core, ticket_id)
    if current is None:
        return not_found(request, locale_of(request, agent["language"]))
    if not body.strip():
        return ticket_page(
            request,
            core,
            agent,
            ticket_id,
            status_code=422,
            notices=[("error", N_("Please write a message first."), {})],
            draft_visibility=visibility,
        )
    new_status = submit_as if submit_as in REPLY_STATUSES and submit_as != current else None
    try:
        core.tickets.add_agent_message(
            core.uow(),
            AddAgentMessage(
                ticket_id=ticket_id,
                agent_id=int(agent["id"]),
                body=body,
                visibility=visibility,
                new_status=new_status,
                expected_version=version,
            ),
        )
    except DomainError as exc:
        status_code, notice = domain_notice(exc)
        return ticket_page(
            request,
            core,
            agent,
            ticket_id,
            status_code=status_code,
            notices=[notice],
            draft=body,
            draft_visibility=visibility,
        )
    if visibility == "internal":
        flash(request, "success", N_("Internal note added."))
    else:
        flash(request, "success", N_("Reply sent to the customer."))
    return redirect(f"/tickets/{ticket_id}")


@router.post("/tickets/{ticket_id}/update", response_class=HTMLResponse)
def update(
    request: Request,
    core: AppDep,
    ticket_id: RowId,
    status: Annotated[str | None, Form()] = None,
    priority: Annotated[str | None, Form()] = None,
    group: Annotated[str | None, Form()] = None,
    intent: Annotated[str | None, Form()] = None,
    assignee: Annotated[str | None, Form(pattern="^[0-9]{0,18}$")] = None,  # "" unassigns
    reason: Annotated[str, Form(max_length=500)] = "",
    version: Annotated[int | None, Form()] = None,
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """Status, assignee, priority, group, intent; absent fields stay, `version` catches stale
    pages. An agent's intent correction becomes a training example (reactions)."""
    agent = signed_in(request, core)
    if agent is None:
        return to_login(request)
    if not csrf_ok(request, csrf):
        return csrf_failed(request, locale_of(request, agent["language"]))
    with core.database.read_sessions() as session:
        detail = queries.ticket_detail(session, ticket_id)
    if detail is None:
        return not_found(request, locale_of(request, agent["language"]))
    changes: dict[str, Any] = {}
    if status and status != detail["status"]:
        changes["status"] = status
    if priority and priority != detail["priority"]:
        changes["priority"] = priority
    if group and group != detail["group"]:
        changes["group"] = group
    if intent and intent != detail["intent"]:
        changes["intent"] = intent
    if assignee is not None:
        wanted = int(assignee) if assignee else None
        if wanted != detail["assignee_id"]:
            if wanted is None:
                changes["unassign"] = True
            else:
                changes["assignee_id"] = wanted
    if not changes and (version is None or version == detail["version"]):
        flash(request, "info", N_("Nothing to change."))
        return redirect(f"/tickets/{ticket_id}")
    try:
        core.tickets.update_ticket(
            core.uow(),
            UpdateTicket(
                ticket_id=ticket_id,
                actor=Actor(type="agent", id=int(agent["id"]), name=agent["name"]),
                reason=reason.strip(),
                expected_version=version,
                **changes,
            ),
        )
    except DomainError as exc:
        status_code, notice = domain_notice(exc)
        return ticket_page(
            request, core, agent, ticket_id, status_code=status_code, notices=[notice]
        )
    flash(request, "success", N_("Ticket updated."))
    return redirect(f"/tickets/{ticket_id}")
