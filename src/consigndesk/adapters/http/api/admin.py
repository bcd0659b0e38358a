"""Admin-only management of agents, groups and API keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from consigndesk.adapters.db import queries
from consigndesk.adapters.http import schemas
from consigndesk.adapters.http.deps import Admin, AppDep, ReadSession, Staff
from consigndesk.adapters.http.guard import CheckedRoute
from consigndesk.adapters.http.params import RowId
from consigndesk.domain.errors import NotFound
from consigndesk.domain.taxonomy import DEFAULT_GROUP_FOR_INTENT
from consigndesk.model_registry import intent_groups
from consigndesk.services import admin
from consigndesk.services.auth import create_api_key

router = APIRouter(prefix="/api/v1", tags=["administration"], route_class=CheckedRoute)
ERRORS: dict[int | str, dict[str, Any]] = {
    c: {"model": schemas.ErrorResponse} for c in (401, 403, 404, 409, 422)
}


@router.get("/agents", response_model=list[schemas.AgentPublic], responses=ERRORS)
def list_agents(who: Staff, session: ReadSession) -> list[dict[str, Any]]:
    return queries.agents(session)


@router.post("/agents", status_code=201, response_model=schemas.AgentPublic, responses=ERRORS)
def create_agent(
    body: schemas.AgentCreate, app: AppDep, who: Admin, session: ReadSession
) -> dict[str, Any]:
    agent_id = admin.create_agent(app.uow(), **body.model_dump())
    return queries.agent_by_id(session, agent_id) or {}


@router.patch("/agents/{agent_id}", response_model=schemas.AgentPublic, responses=ERRORS)
def update_agent(
    agent_id: RowId, body: schemas.AgentUpdate, app: AppDep, who: Admin, session: ReadSession
) -> dict[str, Any]:
    admin.update_agent(app.uow(), agent_id, body.model_dump(exclude_unset=True))
    return queries.agent_by_id(session, agent_id) or {}


@router.get("/groups", response_model=list[schemas.GroupPublic], responses=ERRORS)
def list_groups(who: Staff, session: ReadSession) -> list[dict[str, Any]]:
    return queries.groups(session)


@router.put("/groups/{key}", response_model=schemas.GroupPublic, responses=ERRORS)
def upsert_group(key: str, body: schemas.GroupUpsert, app: AppDep, who: Admin) -> dict[str, Any]:
    admin.upsert_group(app.uow(), key, body.name_en, body.name_zh, body.in_house_only)
    return {"key": key, **body.model_dump()}


@router.get("/api-keys", response_model=list[schemas.ApiKeyPublic], responses=ERRORS)
def list_api_keys(app: AppDep, who: Admin) -> list[dict[str, Any]]:
    with app.uow() as uow:
        keys: list[dict[str, Any]] = uow.api_keys.list()
        return keys


@router.post("/api-keys", status_code=201, response_model=schemas.ApiKeyCreated, responses=ERRORS)
def create_key(body: schemas.ApiKeyCreate, app: AppDep, who: Admin) -> dict[str, Any]:
    key = create_api_key(app.uow(), body.name, body.scope)
    return {"name": body.name, "scope": body.scope, "key": key}


@router.delete("/api-keys/{key_id}", status_code=204, responses=ERRORS)
def revoke_key(key_id: RowId, app: AppDep, who: Admin) -> Response:
    with app.uow() as uow:
        if not uow.api_keys.revoke(key_id):
            raise NotFound(f"API key {key_id} not found or already revoked")
        uow.commit()
    app.api_keys.clear()
    return Response(status_code=204)


@router.get("/intent-groups", response_model=dict[str, str], responses=ERRORS)
def get_intent_groups(app: AppDep, who: Staff) -> dict[str, str]:
    """Where each TAXONOMY.md intent is routed (the defaults, with admins' changes)."""
    overrides = intent_groups(app.database)
    return {i.value: overrides.get(i.value, g) for i, g in DEFAULT_GROUP_FOR_INTENT.items()}


@router.put("/intent-groups", response_model=dict[str, str], responses=ERRORS)
def put_intent_groups(body: dict[str, str], app: AppDep, who: Admin) -> dict[str, str]:
    """Route intents to other groups; applied here at once, by other processes within a minute."""
    mapping = admin.set_intent_groups(app.uow(), body)
    if app.engine is not None:
        app.engine.set_intent_groups(mapping)
    return mapping
