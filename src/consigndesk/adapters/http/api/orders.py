"""Orders and customers as ConsignDesk knows them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from consigndesk.adapters.db import queries
from consigndesk.adapters.http import schemas
from consigndesk.adapters.http.deps import Caller, ReadSession, Staff
from consigndesk.adapters.http.guard import CheckedRoute
from consigndesk.adapters.http.present import customer_for, order_for
from consigndesk.domain.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["orders and customers"], route_class=CheckedRoute)
ERRORS: dict[int | str, dict[str, Any]] = {
    c: {"model": schemas.ErrorResponse} for c in (401, 403, 404, 422)
}


@router.get("/orders/{order_ref}", response_model=schemas.OrderPublic, responses=ERRORS)
def get_order(order_ref: str, who: Caller, session: ReadSession) -> dict[str, Any]:
    view = queries.order_view(session, order_ref.strip().upper())
    if view is None or (
        who.customer_external_id is not None
        and who.customer_external_id not in {view["buyer_ref"], view["seller_ref"]}
    ):
        raise NotFound(f"order {order_ref} not found", code="unknown_order")
    return order_for(who, view) or {}


@router.get("/customers", response_model=list[schemas.CustomerPublic], responses=ERRORS)
def search_customers(
    who: Staff, session: ReadSession, q: Annotated[str, Query(min_length=1, max_length=100)]
) -> list[dict[str, Any]]:
    """Find customers by external id, name or email."""
    return [customer_for(who, c) for c in queries.search_customers(session, q)]


@router.get("/customers/{external_id}", response_model=schemas.CustomerPublic, responses=ERRORS)
def get_customer(external_id: str, who: Caller, session: ReadSession) -> dict[str, Any]:
    if who.customer_external_id is not None and who.customer_external_id != external_id:
        raise NotFound(f"customer {external_id} not found")
    customer = queries.customer_by_external_id(session, external_id)
    if customer is None:
        raise NotFound(f"customer {external_id} not found")
    return customer_for(who, customer)


@router.get(
    "/customers/{external_id}/orders", response_model=list[schemas.OrderPublic], responses=ERRORS
)
def customer_orders(external_id: str, who: Caller, session: ReadSession) -> list[dict[str, Any]]:
    if who.customer_external_id is not None and who.customer_external_id != external_id:
        raise NotFound(f"customer {external_id} not found")
    return [
        o
        for o in (order_for(who, v) for v in queries.orders_of_customer(session, external_id))
        if o
    ]
