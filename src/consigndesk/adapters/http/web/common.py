"""What both audiences' pages share: CSRF, error pages, domain errors as notices, the language
switcher."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from consigndesk.adapters.http.deps import check_csrf
from consigndesk.adapters.http.errors import ApiError
from consigndesk.adapters.http.guard import CheckedRoute
from consigndesk.adapters.http.web import labels
from consigndesk.adapters.http.web.templating import ENV, N_, locale_of, render
from consigndesk.domain.errors import (
    DomainError,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    StaleVersion,
    Unauthorized,
)
from consigndesk.i18n import LOCALES

ENV.globals.update(
    label=labels.label,
    describe=labels.describe,
    actor_name=labels.actor_name,
    reason=labels.reason,
)

Notice = tuple[str, str, dict[str, Any]]

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)


def csrf_ok(request: Request, presented: str | None) -> bool:
    """True when the form's token (or htmx's `X-CSRF-Token` header) matches the session's."""
    token = presented or request.headers.get("x-csrf-token")
    try:
        check_csrf(request, token)
    except ApiError:
        return False
    return True


def error_page(
    request: Request, locale: str, status_code: int, title: str, message: str, **params: Any
) -> HTMLResponse:
    """A full error page; `title` and `message` are msgids."""
    return render(
        request,
        "error.html",
        {"title_msgid": title, "status": status_code},
        locale=locale,
        status_code=status_code,
        notices=[("error", message, params)],
    )


def csrf_failed(request: Request, locale: str) -> HTMLResponse:
    return error_page(
        request,
        locale,
        403,
        N_("Form expired"),
        N_(
            "This form has expired or was not sent from this site. Go back, reload the page "
            "and try again."
        ),
    )


def not_found(request: Request, locale: str) -> HTMLResponse:
    return error_page(
        request, locale, 404, N_("Not found"), N_("There is nothing here, or you may not see it.")
    )


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: `next` must never send people to another host."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def domain_notice(exc: DomainError) -> tuple[int, Notice]:
    """An HTTP status and a translated notice for a domain error raised by a use case."""
    code = exc.code
    if isinstance(exc, StaleVersion):
        return 409, (
            "error",
            N_(
                "This ticket was changed by someone else while you were "
                "looking at it. Reload the page to see the changes, then try "
                "again."
            ),
            {},
        )
    if isinstance(exc, InvalidTransition):
        if code == "not_solved":
            return 409, ("error", N_("Only a solved request can be rated."), {})
        if code.startswith("invalid_transition.") and "_to_" in code:
            old, _, new = code.removeprefix("invalid_transition.").partition("_to_")
            return 409, (
                "error",
                N_("A ticket that is %(old)s cannot become %(new)s."),
                {
                    "old": partial(labels.label, "status", old),
                    "new": partial(labels.label, "status", new),
                },
            )
        return 409, (
            "error",
            N_("This change is not possible now: %(detail)s"),
            {"detail": exc.message},
        )
    if isinstance(exc, Forbidden):
        if code == "in_house_only":
            return 403, (
                "error",
                N_(
                    "This ticket belongs to an in-house-only group; "
                    "outsourced agents cannot work on it."
                ),
                {},
            )
        return 403, ("error", N_("You are not allowed to do this."), {})
    if isinstance(exc, NotFound):
        if code == "unknown_order":
            return 404, ("error", N_("We do not know that order."), {})
        return 404, ("error", N_("There is nothing here, or you may not see it."), {})
    if isinstance(exc, Unauthorized):
        return 401, ("error", N_("Please sign in again."), {})
    if isinstance(exc, InvalidInput):
        return 422, ("error", N_("Please check your input: %(detail)s"), {"detail": exc.message})
    return 400, ("error", N_("That did not work: %(detail)s"), {"detail": exc.message})


@router.post("/lang")
def switch_language(
    request: Request,
    lang: Annotated[str, Form()],
    csrf: Annotated[str | None, Form()] = None,
    next: Annotated[str | None, Form()] = None,
) -> Response:
    """The language switcher: remember the choice in the session and go back."""
    if not csrf_ok(request, csrf):
        return csrf_failed(request, locale_of(request))
    if lang in LOCALES:
        request.session["lang"] = lang
    return redirect(safe_next(next))
