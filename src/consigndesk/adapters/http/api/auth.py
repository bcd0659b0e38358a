"""Agent sign-in for browser clients of the JSON API (the web UI has its own login form)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from consigndesk.adapters.db import queries
from consigndesk.adapters.http import schemas
from consigndesk.adapters.http.deps import AppDep, ReadSession, csrf_token
from consigndesk.adapters.http.guard import CheckedRoute
from consigndesk.services.auth import login

router = APIRouter(prefix="/api/v1/auth", tags=["authentication"], route_class=CheckedRoute)


class LoginBody(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=200)


class LoginResult(BaseModel):
    agent: schemas.AgentPublic
    csrf_token: str


@router.post(
    "/login",
    response_model=LoginResult,
    responses={c: {"model": schemas.ErrorResponse} for c in (401, 422)},
)
def api_login(
    body: LoginBody, request: Request, app: AppDep, session: ReadSession
) -> dict[str, Any]:
    """Starts a signed session cookie; send `X-CSRF-Token` with every unsafe request after it."""
    agent_id = login(app.uow(), body.email, body.password)
    request.session.clear()
    request.session["agent_id"] = agent_id
    return {"agent": queries.agent_by_id(session, agent_id), "csrf_token": csrf_token(request)}


@router.post("/logout", status_code=204)
def api_logout(request: Request) -> None:
    request.session.clear()
