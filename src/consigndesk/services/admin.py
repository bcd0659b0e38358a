"""Administration: agents, skill groups."""

from __future__ import annotations

import json
from typing import Any

from consigndesk.domain.errors import Conflict, InvalidInput, NotFound
from consigndesk.domain.people import Agent, Group
from consigndesk.domain.taxonomy import DEFAULT_GROUP_FOR_INTENT, DEFAULT_GROUPS, Intent
from consigndesk.services.auth import hash_password
from consigndesk.services.routing import Routing
from consigndesk.services.unit_of_work import UnitOfWork


def _check_groups(uow: UnitOfWork, keys: list[str], team: str) -> list[str]:
    for key in keys:
        group: Group | None = uow.groups.get(key)
        if group is None:
            raise InvalidInput(f"unknown group {key!r}")
        if group.in_house_only and team == "outsourced":
            raise InvalidInput(f"group {key!r} is in-house only; outsourced agents cannot join it")
    return keys


def create_agent(
    uow: UnitOfWork,
    *,
    email: str,
    name: str,
    password: str,
    role: str = "agent",
    team: str = "in_house",
    groups: list[str] | None = None,
    capacity: int = 10,
    vip: bool = False,
    language: str = "zh",
) -> int:
    with uow:
        if uow.agents.by_email(email) is not None:
            raise Conflict(f"an agent with email {email} exists", code="agent_exists")
        agent = Agent(
            email=email,
            name=name,
            password_hash=hash_password(password),
            role=role,
            team=team,
            groups=_check_groups(uow, groups or [], team),
            capacity=capacity,
            vip=vip,
            language=language,
        )
        uow.agents.add(agent)
        uow.commit()
        assert agent.id is not None
        return agent.id


def update_agent(uow: UnitOfWork, agent_id: int, changes: dict[str, Any]) -> None:
    with uow:
        agent: Agent | None = uow.agents.get(agent_id)
        if agent is None:
            raise NotFound(f"agent {agent_id} not found")
        presence = (agent.online, agent.active)
        reach = (agent.capacity, list(agent.groups), agent.team)
        team = changes.get("team") or agent.team
        if "groups" in changes or "team" in changes:
            agent.groups = sorted(
                set(_check_groups(uow, changes.get("groups", agent.groups), team))
            )
        for key in ("name", "role", "team", "capacity", "vip", "online", "active", "language"):
            if changes.get(key) is not None:
                setattr(agent, key, changes[key])
        if (agent.online, agent.active) != presence or (
            agent.online and (agent.capacity, list(agent.groups), agent.team) != reach
        ):
            Routing().presence_changed(uow, agent)
        uow.commit()


def upsert_group(
    uow: UnitOfWork, key: str, name_en: str, name_zh: str, in_house_only: bool
) -> None:
    with uow:
        group: Group | None = uow.groups.get(key)
        if group is None:
            uow.groups.add(
                Group(key=key, name_en=name_en, name_zh=name_zh, in_house_only=in_house_only)
            )
        else:
            group.name_en, group.name_zh, group.in_house_only = name_en, name_zh, in_house_only
        uow.commit()


def ensure_default_groups(uow: UnitOfWork) -> None:
    """The groups of TAXONOMY.md exist (admins may edit them afterwards; never overwritten)."""
    with uow:
        for key, spec in DEFAULT_GROUPS.items():
            if uow.groups.get(key) is None:
                uow.groups.add(
                    Group(
                        key=key,
                        name_en=str(spec["name_en"]),
                        name_zh=str(spec["name_zh"]),
                        in_house_only=bool(spec["in_house_only"]),
                    )
                )
        uow.commit()


INTENT_GROUPS_KEY = "intent_groups"


def set_intent_groups(uow: UnitOfWork, mapping: dict[str, str]) -> dict[str, str]:
    """Admins route intents to other groups; identifiers stay TAXONOMY.md's (never renamed)."""
    with uow:
        for intent, group in mapping.items():
            if intent not in set(Intent):
                raise InvalidInput(f"unknown intent {intent!r}")
            if uow.groups.get(group) is None:
                raise InvalidInput(f"unknown group {group!r}")
        overrides = {
            intent: group
            for intent, group in mapping.items()
            if DEFAULT_GROUP_FOR_INTENT[Intent(intent)] != group
        }
        uow.settings.put(INTENT_GROUPS_KEY, json.dumps(overrides, sort_keys=True))
        uow.commit()
    return {i.value: overrides.get(i.value, g) for i, g in DEFAULT_GROUP_FOR_INTENT.items()}
