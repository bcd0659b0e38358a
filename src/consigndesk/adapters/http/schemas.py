"""Request and response bodies (`ThingCreate` / `ThingUpdate` / `ThingPublic`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from consigndesk.adapters.http.params import MAX_VERSION
from consigndesk.domain.tickets import MAX_ROW_ID


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    external_id: str = Field(min_length=1, max_length=64)
    role: Literal["buyer", "seller"]
    tier: Literal["regular", "vip"] | None = None
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    language: Literal["zh", "en"] | None = None


class TicketCreate(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    customer: CustomerIn
    channel: Literal["chat", "email", "voice", "api"]
    subject: str | None = Field(default=None, max_length=250)
    body: str = Field(min_length=1, max_length=100_000)
    order_ref: str | None = Field(default=None, max_length=64)


class MessageCreate(StrictBody):
    body: str = Field(min_length=1, max_length=100_000)
    visibility: Literal["public", "internal"] = "public"
    status: Literal["open", "pending", "solved"] | None = Field(
        default=None, description="set the ticket status together with an agent reply"
    )
    version: int | None = Field(
        default=None, ge=1, le=MAX_VERSION, description="expected ticket version (409 if stale)"
    )


class TicketUpdate(StrictBody):
    status: Literal["new", "open", "pending", "solved", "closed"] | None = None
    priority: Literal["P1", "P2", "P3", "P4"] | None = None
    group: str | None = Field(default=None, max_length=40)
    intent: str | None = Field(default=None, max_length=32)
    assignee_id: int | None = Field(
        default=None, ge=1, le=MAX_ROW_ID, description="agent id; null with unassign"
    )
    unassign: bool = False
    tags: list[str] | None = Field(default=None, max_length=30)
    reason: str = Field(default="", max_length=500)
    version: int | None = Field(
        default=None, ge=1, le=MAX_VERSION, description="expected ticket version (409 if stale)"
    )


class RatingCreate(StrictBody):
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2000)


class TriagePublic(BaseModel):
    language: str
    intent: str
    intent_confidence: float
    sentiment: str
    emotion: str
    priority: str
    group: str
    reasons: list[str]
    model_version: str
    needs_human: bool


class TicketSummary(BaseModel):
    id: int
    reference: str
    channel: str
    subject: str
    status: str
    priority: str
    group: str
    intent: str
    assignee_id: int | None
    customer_external_id: str
    customer_name: str
    customer_tier: str
    order_ref: str | None
    language: str
    needs_human: bool
    eta_seconds: int | None
    created_at: datetime
    updated_at: datetime


class TicketList(BaseModel):
    items: list[TicketSummary]
    next_cursor: str | None


class CustomerPublic(BaseModel):
    id: int
    external_id: str
    role: str
    tier: str
    name: str
    email: str | None
    phone: str | None
    language: str


class MessagePublic(BaseModel):
    id: int
    author_type: Literal["customer", "agent", "ai", "system"]
    author_id: int | None
    visibility: Literal["public", "internal"]
    channel: str
    body: str
    body_html: str
    attachments: list[dict[str, Any]]
    triage: TriagePublic | None
    created_at: datetime


class TimelineEntry(BaseModel):
    action: str
    actor_type: str
    actor_id: int | None
    actor_name: str
    detail: dict[str, Any]
    reason: str
    at: datetime


class AssigneePublic(BaseModel):
    id: int
    name: str
    team: str


class TicketCreated(BaseModel):
    id: int
    reference: str
    status: str
    intent: str
    priority: str
    group: str
    eta_seconds: int | None
    order_ref: str | None
    order_link: str
    triage: TriagePublic | None


class TicketPublic(TicketCreated):
    channel: str
    subject: str
    language: str
    intent_confidence: float
    needs_human: bool
    tags: list[str]
    assignee: AssigneePublic | None
    customer: CustomerPublic
    follow_up_of: int | None
    csat_score: int | None
    csat_comment: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None
    order: dict[str, Any] | None = Field(description="the live order view (see GET /orders)")
    messages: list[MessagePublic]
    timeline: list[TimelineEntry]


class OrderHistoryEntry(BaseModel):
    event_id: str
    type: str
    occurred_at: str


class OrderPublic(BaseModel):
    model_config = ConfigDict(extra="allow")
    order_ref: str
    status: str
    buyer_ref: str | None
    seller_ref: str | None
    currency: str | None
    amount: str | None
    items: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    refunds: list[dict[str, Any]]
    logistics: dict[str, Any] | None
    card_codes: list[dict[str, Any]]
    settlements: list[dict[str, Any]]
    history: list[OrderHistoryEntry]


class PlatformEventResult(BaseModel):
    event_id: str
    order_ref: str
    applied: bool
    order_status: str


class AgentPublic(BaseModel):
    id: int
    email: str
    name: str
    role: str
    team: str
    groups: list[str]
    capacity: int
    vip: bool
    language: str
    online: bool
    active: bool


class AgentCreate(StrictBody):
    email: str = Field(min_length=3, max_length=320)
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=8, max_length=200)
    role: Literal["agent", "supervisor", "admin"] = "agent"
    team: Literal["in_house", "outsourced"] = "in_house"
    groups: list[str] = Field(default_factory=list)
    capacity: int = Field(default=10, ge=0, le=1000)
    vip: bool = False
    language: Literal["zh", "en"] = "zh"


class AgentUpdate(StrictBody):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Literal["agent", "supervisor", "admin"] | None = None
    team: Literal["in_house", "outsourced"] | None = None
    groups: list[str] | None = None
    capacity: int | None = Field(default=None, ge=0, le=1000)
    vip: bool | None = None
    online: bool | None = None
    active: bool | None = None
    language: Literal["zh", "en"] | None = None


class GroupPublic(BaseModel):
    key: str
    name_en: str
    name_zh: str
    in_house_only: bool


class GroupUpsert(StrictBody):
    name_en: str = Field(min_length=1, max_length=100)
    name_zh: str = Field(min_length=1, max_length=100)
    in_house_only: bool = False


class ApiKeyCreate(StrictBody):
    name: str = Field(min_length=1, max_length=100)
    scope: Literal["platform", "integration"]


class ApiKeyCreated(BaseModel):
    id: int | None = None
    name: str
    scope: str
    key: str = Field(description="shown once; only a hash is stored")


class ApiKeyPublic(BaseModel):
    id: int
    prefix: str
    name: str
    scope: str
    created_at: datetime
    revoked_at: datetime | None


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail
