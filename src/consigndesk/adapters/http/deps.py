"""Request dependencies: the app, and who is calling (API key, agent session, customer session)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from consigndesk.adapters.db import queries
from consigndesk.adapters.http.errors import ApiError
from consigndesk.bootstrap import App
from consigndesk.services.auth import ApiKeyIdentity, require_scope

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


async def get_app(request: Request) -> App:  # async: FastAPI runs plain `def`s in a thread
    core: App = request.app.state.core
    return core


AppDep = Annotated[App, Depends(get_app)]


def read_session(app: AppDep) -> Any:
    with app.database.read_sessions() as session:
        yield session


ReadSession = Annotated[Session, Depends(read_session)]


@dataclass(frozen=True)
class Principal:
    """The caller. Exactly one of api_key / agent / customer is set."""

    api_key: ApiKeyIdentity | None = None
    agent: dict[str, Any] | None = None
    customer_external_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.agent is not None and self.agent["role"] == "admin"

    @property
    def is_supervisor(self) -> bool:
        return self.agent is not None and self.agent["role"] in {"admin", "supervisor"}

    @property
    def sees_masked_data(self) -> bool:
        """Outsourced agents never see customers' phone numbers, emails or addresses in full."""
        return self.agent is not None and self.agent["team"] == "outsourced"

    @property
    def agent_id(self) -> int | None:
        return int(self.agent["id"]) if self.agent else None


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, presented: str | None) -> None:
    expected = request.session.get("csrf")
    # bytes: compare_digest refuses str with characters beyond ASCII (a header can hold them)
    if (
        not expected
        or not presented
        or not hmac.compare_digest(str(expected).encode(), presented.encode())
    ):
        raise ApiError(403, "csrf_failed", "missing or wrong CSRF token; reload the page")


def session_agent(request: Request, app: App) -> dict[str, Any] | None:
    agent_id = request.session.get("agent_id")
    if agent_id is None:
        return None
    with app.database.read_sessions() as session:
        agent = queries.agent_by_id(session, int(agent_id))
    if agent is not None and agent["active"]:
        return agent
    request.session.pop("agent_id", None)
    return None


async def principal(request: Request, app: AppDep) -> Principal:
    """On the event loop when a recently verified API key needs no query; whatever reads the
    database runs in the thread pool."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "unauthorized", "use 'Authorization: Bearer <api key>'")
        identity = app.api_keys.recall(token) or await run_in_threadpool(
            app.api_keys.authenticate, app.read_uow(), token
        )
        return Principal(api_key=identity)
    agent = await run_in_threadpool(session_agent, request, app)
    customer = request.session.get("customer")
    if agent is None and customer is None:
        raise ApiError(401, "unauthorized", "log in, or send an API key")
    if request.method not in SAFE_METHODS:
        check_csrf(request, request.headers.get("x-csrf-token"))
    if agent is not None:
        return Principal(agent=agent)
    assert customer is not None
    return Principal(customer_external_id=str(customer["external_id"]))


PrincipalDep = Annotated[Principal, Depends(principal)]


async def integration_or_staff(who: PrincipalDep) -> Principal:
    """Integration keys, agents and (restricted to their own data) customers."""
    if who.api_key is not None:
        require_scope(who.api_key, "integration")
    return who


async def staff_or_integration(who: PrincipalDep) -> Principal:
    if who.customer_external_id is not None:
        raise ApiError(403, "forbidden", "customers cannot use this endpoint")
    if who.api_key is not None:
        require_scope(who.api_key, "integration")
    return who


async def admin_only(who: PrincipalDep) -> Principal:
    if not who.is_admin:
        raise ApiError(403, "admin_only", "only admins may do this")
    return who


Caller = Annotated[Principal, Depends(integration_or_staff)]
Staff = Annotated[Principal, Depends(staff_or_integration)]
Admin = Annotated[Principal, Depends(admin_only)]
