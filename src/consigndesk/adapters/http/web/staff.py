"""Who may open a staff page: signed-in agents, and supervisors or admins for the management
pages. Anonymous visitors go to the sign-in page; signed-in agents without the role get 403."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from consigndesk.adapters.http.deps import session_agent
from consigndesk.adapters.http.web.common import error_page, redirect
from consigndesk.adapters.http.web.templating import N_, locale_of
from consigndesk.bootstrap import App

MANAGERS = frozenset({"supervisor", "admin"})


def signed_in(request: Request, core: App) -> dict[str, Any] | None:
    return session_agent(request, core)


def is_manager(agent: dict[str, Any]) -> bool:
    """Supervisors and admins: queues overview, knowledge base, AI deflection."""
    return agent.get("role") in MANAGERS


def to_login(request: Request) -> Response:
    target = "/login?" + urlencode(
        {"next": request.url.path + (f"?{request.url.query}" if request.url.query else "")}
    )
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return redirect(target)


def forbidden(request: Request, agent: dict[str, Any]) -> Response:
    return error_page(
        request,
        locale_of(request, agent["language"]),
        403,
        N_("Not allowed"),
        N_("Only supervisors and admins may open this page."),
    )


def manager_or_refusal(request: Request, core: App) -> dict[str, Any] | Response:
    """The signed-in supervisor or admin, or the response to send instead (login or 403)."""
    agent = signed_in(request, core)
    if agent is None:
        return to_login(request)
    if not is_manager(agent):
        return forbidden(request, agent)
    return agent
