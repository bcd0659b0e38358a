"""Customers, agents and the skill groups agents belong to."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from consigndesk.domain.errors import InvalidInput
from consigndesk.domain.events import utcnow


class CustomerRole(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"


class Tier(StrEnum):
    REGULAR = "regular"
    VIP = "vip"


class AgentRole(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Team(StrEnum):
    IN_HOUSE = "in_house"
    OUTSOURCED = "outsourced"


def _choice(enum: type[StrEnum], value: str, what: str) -> str:
    try:
        return enum(value).value
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise InvalidInput(f"{what} must be one of {allowed}; got {value!r}") from None


class Customer:
    """A platform user as the platform identifies them (`external_id`)."""

    def __init__(
        self,
        *,
        external_id: str,
        role: str = "buyer",
        tier: str = "regular",
        name: str = "",
        email: str | None = None,
        phone: str | None = None,
        language: str = "zh",
    ) -> None:
        if not external_id or len(external_id) > 64:
            raise InvalidInput("customer external_id must be 1-64 characters")
        self.id: int | None = None
        self.external_id = external_id
        self.role = _choice(CustomerRole, role, "role")
        self.tier = _choice(Tier, tier, "tier")
        self.name = name
        self.email = email
        self.phone = phone
        self.language = language if language in {"zh", "en"} else "zh"
        self.created_at: datetime = utcnow()
        self.updated_at: datetime = self.created_at

    def update_profile(
        self,
        *,
        role: str | None = None,
        tier: str | None = None,
        name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
    ) -> None:
        """Take the platform's latest word on who this customer is; absent fields stay."""
        wanted = {
            "role": _choice(CustomerRole, role, "role") if role else None,
            "tier": _choice(Tier, tier, "tier") if tier else None,
            "name": name,
            "email": email,
            "phone": phone,
        }
        changed = {k: v for k, v in wanted.items() if v and getattr(self, k) != v}
        for key, value in changed.items():
            setattr(self, key, value)
        if changed:
            self.updated_at = utcnow()

    @property
    def stored_id(self) -> int:
        assert self.id is not None, "customer must be stored first"
        return self.id

    @property
    def is_vip(self) -> bool:
        return self.tier == Tier.VIP


class Agent:
    def __init__(
        self,
        *,
        email: str,
        name: str,
        password_hash: str,
        role: str = "agent",
        team: str = "in_house",
        groups: list[str] | None = None,
        capacity: int = 10,
        vip: bool = False,
        language: str = "zh",
    ) -> None:
        if "@" not in email:
            raise InvalidInput("agent email must be an email address")
        if capacity < 0:
            raise InvalidInput("capacity must not be negative")
        self.id: int | None = None
        self.email = email.strip().lower()
        self.name = name
        self.password_hash = password_hash
        self.role = _choice(AgentRole, role, "role")
        self.team = _choice(Team, team, "team")
        self.groups = sorted(set(groups or []))
        self.capacity = capacity
        self.vip = vip
        self.language = language if language in {"zh", "en"} else "zh"
        self.online = False
        self.active = True
        self.created_at: datetime = utcnow()

    @property
    def is_admin(self) -> bool:
        return self.role == AgentRole.ADMIN

    @property
    def is_outsourced(self) -> bool:
        return self.team == Team.OUTSOURCED

    def may_work_in(self, group: Group) -> bool:
        return not (group.in_house_only and self.is_outsourced)


MAX_GROUP_KEY = 40


class Group:
    """A skill group tickets are routed to; in-house-only groups never reach outsourced agents."""

    def __init__(
        self, *, key: str, name_en: str, name_zh: str, in_house_only: bool = False
    ) -> None:
        if not key.replace("_", "").isalnum() or not key.islower() or len(key) > MAX_GROUP_KEY:
            raise InvalidInput(
                f"a group key is at most {MAX_GROUP_KEY} lower-case letters, digits and underscores"
            )
        self.key = key
        self.name_en = name_en
        self.name_zh = name_zh
        self.in_house_only = in_house_only
