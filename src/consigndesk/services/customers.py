"""Keeping our copy of a platform customer up to date."""

from consigndesk.domain.commands import CustomerData
from consigndesk.domain.people import Customer
from consigndesk.services.unit_of_work import UnitOfWork


def upsert_customer(uow: UnitOfWork, data: CustomerData) -> tuple[Customer, bool]:
    """The stored customer, and whether this call created them."""
    customer: Customer | None = uow.customers.by_external_id(data.external_id)
    if customer is None:
        customer = Customer(
            external_id=data.external_id,
            role=data.role,
            tier=data.tier or "regular",
            name=data.name or "",
            email=data.email,
            phone=data.phone,
            language=data.language or "zh",
        )
        return uow.customers.add(customer), True
    customer.update_profile(
        role=data.role, tier=data.tier, name=data.name, email=data.email, phone=data.phone
    )
    return customer, False
