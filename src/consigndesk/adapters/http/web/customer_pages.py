"""The customer portal, reached through a platform-signed link: own requests, replies, rating."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from consigndesk.adapters.db import queries
from consigndesk.adapters.db.routing import RoutingRepository
from consigndesk.adapters.http.deps import AppDep, Principal
from consigndesk.adapters.http.guard import CheckedRoute
from consigndesk.adapters.http.params import RowId
from consigndesk.adapters.http.present import ticket_for
from consigndesk.adapters.http.web.common import (
    Notice,
    csrf_failed,
    csrf_ok,
    domain_notice,
    error_page,
    not_found,
    redirect,
)
from consigndesk.adapters.http.web.portal_order import order_for_customer
from consigndesk.adapters.http.web.templating import N_, expected_at, flash, locale_of, render
from consigndesk.adapters.http.web.view_queries import WAITING_FOR_REPLY, unanswered_etas
from consigndesk.bootstrap import App
from consigndesk.domain.commands import CustomerData, RateTicket, ReceiveCustomerMessage
from consigndesk.domain.errors import Conflict, DomainError
from consigndesk.domain.tickets import Channel
from consigndesk.services.answers import OUTCOMES
from consigndesk.services.auth import verify_customer_token

router = APIRouter(prefix="/portal", include_in_schema=False, route_class=CheckedRoute)
PROGRESS = ("new", "open", "pending", "solved", "closed")
RATED_STATUSES = ("solved", "closed")


def _customer(request: Request) -> dict[str, Any] | None:
    customer = request.session.get("customer")
    return customer if isinstance(customer, dict) and customer.get("external_id") else None


def _locale(request: Request, core: App, customer: dict[str, Any] | None) -> str:
    preferred = None
    if customer is not None:
        with core.database.read_sessions() as session:
            known = queries.customer_by_external_id(session, customer["external_id"])
        preferred = known["language"] if known else None
    return locale_of(request, preferred)


def _signed_out(request: Request, locale: str) -> HTMLResponse:
    return error_page(
        request,
        locale,
        401,
        N_("Please open your support page again"),
        N_(
            "Your session has ended. Open the support page from the marketplace "
            "again to see your requests."
        ),
    )


@router.get("", response_class=HTMLResponse)
def enter(request: Request, core: AppDep, token: str = "") -> Response:
    """Check the platform's signed link, remember the customer in the session, go to the list."""
    locale = locale_of(request)
    if not core.platform_secret:
        return error_page(
            request,
            locale,
            401,
            N_("The support page is not available"),
            N_("The customer portal is not configured on this server."),
        )
    try:
        identity = verify_customer_token(core.platform_secret, token)
    except DomainError as exc:
        message = (
            N_(
                "This link has expired. Open the support page from the marketplace "
                "again to get a fresh one."
            )
            if exc.code == "expired_customer_token"
            else N_("This link is not valid. Open the support page from the marketplace again.")
        )
        return error_page(request, locale, 401, N_("This link cannot be used"), message)
    lang = request.session.get("lang")
    request.session.pop("customer", None)
    request.session["customer"] = {
        "external_id": identity.external_id,
        "role": identity.role,
        "tier": identity.tier,
        "name": identity.name,
        "email": identity.email,
    }
    if lang:
        request.session["lang"] = lang
    return redirect("/portal/tickets")


@router.post("/logout")
def leave(request: Request, csrf: Annotated[str | None, Form()] = None) -> Response:
    if not csrf_ok(request, csrf):
        return csrf_failed(request, locale_of(request))
    request.session.pop("customer", None)
    return _signed_out(request, locale_of(request))


def _customer_data(customer: dict[str, Any]) -> CustomerData:
    return CustomerData(
        external_id=customer["external_id"],
        role=customer.get("role", "buyer"),
        tier=customer.get("tier"),
        name=customer.get("name") or None,
        email=customer.get("email") or None,
    )


def _list_page(
    request: Request,
    core: App,
    customer: dict[str, Any],
    *,
    status_code: int = 200,
    notices: list[Notice] | None = None,
    draft: dict[str, str] | None = None,
) -> Response:
    locale = _locale(request, core, customer)
    with core.database.read_sessions() as session:
        rows, _ = queries.list_tickets(
            session, queries.TicketFilter(customer=customer["external_id"], limit=50)
        )
        orders = queries.orders_of_customer(session, customer["external_id"])
        etas = unanswered_etas(session, [r["id"] for r in rows])
    context = {
        "customer": customer,
        "rows": rows,
        "orders": orders,
        "etas": etas,
        "draft": draft or {},
    }
    return render(
        request,
        "portal_tickets.html",
        context,
        locale=locale,
        status_code=status_code,
        notices=notices,
    )


@router.get("/tickets", response_class=HTMLResponse)
def my_tickets(request: Request, core: AppDep) -> Response:
    customer = _customer(request)
    if customer is None:
        return _signed_out(request, locale_of(request))
    return _list_page(request, core, customer)


@router.post("/tickets", response_class=HTMLResponse)
def new_request(
    request: Request,
    core: AppDep,
    subject: Annotated[str, Form(max_length=250)] = "",
    body: Annotated[str, Form()] = "",
    order_ref: Annotated[str, Form()] = "",
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    customer = _customer(request)
    if customer is None:
        return _signed_out(request, locale_of(request))
    if not csrf_ok(request, csrf):
        return csrf_failed(request, _locale(request, core, customer))
    draft = {"subject": subject, "body": body, "order_ref": order_ref}
    if not body.strip():
        return _list_page(
            request,
            core,
            customer,
            status_code=422,
            draft=draft,
            notices=[("error", N_("Please describe your problem."), {})],
        )
    if order_ref:
        with core.database.read_sessions() as session:
            mine = {
                o["order_ref"]
                for o in queries.orders_of_customer(session, customer["external_id"], limit=100)
            }
        if order_ref not in mine:
            return _list_page(
                request,
                core,
                customer,
                status_code=422,
                draft=draft,
                notices=[("error", N_("Please choose one of your orders."), {})],
            )
    try:
        received = core.tickets.receive_customer_message(
            core.uow(),
            ReceiveCustomerMessage(
                customer=_customer_data(customer),
                channel=Channel.WEB.value,
                subject=subject,
                body=body,
                order_ref=order_ref or None,
            ),
        )
    except DomainError as exc:
        status_code, notice = domain_notice(exc)
        return _list_page(
            request, core, customer, status_code=status_code, draft=draft, notices=[notice]
        )
    flash(request, "success", N_("Thank you, we have received your request."))
    return redirect(f"/portal/tickets/{received.ticket_id}")


def _posting_on_own_ticket(
    request: Request, core: App, ticket_id: int, csrf: str | None
) -> tuple[dict[str, Any], dict[str, Any]] | Response:
    """A form post on a ticket: the signed-in customer and their ticket, or the refusal page."""
    customer = _customer(request)
    if customer is None:
        return _signed_out(request, locale_of(request))
    if not csrf_ok(request, csrf):
        return csrf_failed(request, _locale(request, core, customer))
    view = _own_ticket(core, customer, ticket_id)
    if view is None:
        return not_found(request, _locale(request, core, customer))
    return customer, view


def _own_ticket(core: App, customer: dict[str, Any], ticket_id: int) -> dict[str, Any] | None:
    with core.database.read_sessions() as session:
        detail = queries.ticket_detail(session, ticket_id)
        if detail is None or detail["customer"]["external_id"] != customer["external_id"]:
            return None
        view = ticket_for(Principal(customer_external_id=customer["external_id"]), detail)
        view["ahead"] = _ahead_in_queue(session, view)
    return view


def _ahead_in_queue(session: Any, view: dict[str, Any]) -> int | None:
    """Requests before this one in its queue, while it waits for an agent (one count)."""
    if view["assignee_id"] is not None or view["status"] not in WAITING_FOR_REPLY:
        return None
    return RoutingRepository(session).ahead_in_queue(
        view["id"], view["group"], view["priority"], view["created_at"]
    )


def _awaiting_verdict(core: App, view: dict[str, Any]) -> int | None:
    """The message id of the AI answer still waiting for the customer's "Solved, thanks" or
    "Talk to a human" (the assistant's record of the ticket says so), else None."""
    if view["status"] in RATED_STATUSES or not any(
        m["author_type"] == "ai" for m in view["messages"]
    ):
        return None
    with core.read_uow() as uow:
        record = uow.answers.for_ticket(view["id"])
    if record is None or record["decision"] != "answered" or record["outcome"] is not None:
        return None
    return int(record["message_id"]) if record["message_id"] else None


def _progress(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The status steps for the progress bar: done, current or still ahead."""
    reached: dict[str, Any] = {"new": view["created_at"]}
    for row in view["timeline"]:
        if row["action"] == "ticket.status_changed":
            reached[row["detail"].get("new")] = row["at"]
    current = PROGRESS.index(view["status"])
    steps = []
    for index, status in enumerate(PROGRESS):
        if status == "pending" and status not in reached and index != current:
            continue  # "waiting for you" only shows when it happened
        state = "done" if index < current else "current" if index == current else "ahead"
        steps.append({"status": status, "state": state, "at": reached.get(status)})
    return steps


def _ticket_page(
    request: Request,
    core: App,
    customer: dict[str, Any],
    ticket_id: int,
    *,
    status_code: int = 200,
    notices: list[Notice] | None = None,
    draft: str = "",
) -> Response:
    locale = _locale(request, core, customer)
    view = _own_ticket(core, customer, ticket_id)
    if view is None:
        return not_found(request, locale)
    waiting = view["first_response_at"] is None and view["status"] in WAITING_FOR_REPLY
    context = {
        "customer": customer,
        "t": view,
        "expected": expected_at(view["created_at"], view["eta_seconds"]) if waiting else None,
        "order": order_for_customer(view["order"], customer["external_id"]),
        "ai_answer": _awaiting_verdict(core, view),
        "steps": _progress(view),
        "can_rate": view["status"] in RATED_STATUSES and view["csat_score"] is None,
        "draft": draft,
    }
    return render(
        request,
        "portal_ticket.html",
        context,
        locale=locale,
        status_code=status_code,
        notices=notices,
    )


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
def my_ticket(request: Request, core: AppDep, ticket_id: RowId) -> Response:
    customer = _customer(request)
    if customer is None:
        return _signed_out(request, locale_of(request))
    return _ticket_page(request, core, customer, ticket_id)


@router.post("/tickets/{ticket_id}/reply", response_class=HTMLResponse)
def customer_reply(
    request: Request,
    core: AppDep,
    ticket_id: RowId,
    body: Annotated[str, Form()] = "",
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    checked = _posting_on_own_ticket(request, core, ticket_id, csrf)
    if isinstance(checked, Response):
        return checked
    customer, _ = checked
    if not body.strip():
        return _ticket_page(
            request,
            core,
            customer,
            ticket_id,
            status_code=422,
            notices=[("error", N_("Please write a message first."), {})],
        )
    try:
        received = core.tickets.receive_customer_message(
            core.uow(),
            ReceiveCustomerMessage(
                customer=_customer_data(customer),
                channel=Channel.WEB.value,
                body=body,
                ticket_id=ticket_id,
            ),
        )
    except DomainError as exc:
        status_code, notice = domain_notice(exc)
        return _ticket_page(
            request,
            core,
            customer,
            ticket_id,
            status_code=status_code,
            notices=[notice],
            draft=body,
        )
    if received.ticket_id != ticket_id:
        flash(request, "info", N_("That request was closed, so we opened a new one for you."))
    else:
        flash(request, "success", N_("Your message was sent."))
    return redirect(f"/portal/tickets/{received.ticket_id}")


@router.post("/tickets/{ticket_id}/rating", response_class=HTMLResponse)
def rate(
    request: Request,
    core: AppDep,
    ticket_id: RowId,
    score: Annotated[int | None, Form()] = None,
    comment: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    checked = _posting_on_own_ticket(request, core, ticket_id, csrf)
    if isinstance(checked, Response):
        return checked
    customer, view = checked
    if view["csat_score"] is not None:
        return _ticket_page(
            request,
            core,
            customer,
            ticket_id,
            status_code=409,
            notices=[("error", N_("You have already rated this request."), {})],
        )
    if score is None or not 1 <= score <= 5:
        return _ticket_page(
            request,
            core,
            customer,
            ticket_id,
            status_code=422,
            notices=[("error", N_("Please choose from 1 to 5 stars."), {})],
        )
    try:
        core.tickets.rate(
            core.uow(),
            RateTicket(
                ticket_id=ticket_id,
                customer_external_id=customer["external_id"],
                score=score,
                comment=comment,
            ),
        )
    except DomainError as exc:
        status_code, notice = domain_notice(exc)
        return _ticket_page(
            request, core, customer, ticket_id, status_code=status_code, notices=[notice]
        )
    flash(request, "success", N_("Thank you for your feedback!"))
    return redirect(f"/portal/tickets/{ticket_id}")


@router.post("/tickets/{ticket_id}/resolution", response_class=HTMLResponse)
def resolution(
    request: Request,
    core: AppDep,
    ticket_id: RowId,
    outcome: Annotated[str, Form()] = "",
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """The customer's verdict on an AI answer: solved (close the loop) or a human, please."""
    checked = _posting_on_own_ticket(request, core, ticket_id, csrf)
    if isinstance(checked, Response):
        return checked
    customer, view = checked
    too_late: Notice = ("error", N_("This answer can no longer be marked."), {})
    answerer = core.tickets.answerer
    if answerer is None or outcome not in OUTCOMES or _awaiting_verdict(core, view) is None:
        return _ticket_page(request, core, customer, ticket_id, status_code=409, notices=[too_late])
    try:
        answerer.resolve(core.uow(), ticket_id, outcome, customer["external_id"])
    except DomainError as exc:
        status_code, notice = domain_notice(exc)
        return _ticket_page(
            request,
            core,
            customer,
            ticket_id,
            status_code=status_code,
            notices=[too_late if isinstance(exc, Conflict) else notice],
        )
    if outcome == "solved":
        flash(request, "success", N_("Glad we could help! Your request is marked as solved."))
    else:
        flash(request, "success", N_("Thank you. A member of our team will reply here."))
    return redirect(f"/portal/tickets/{ticket_id}")
