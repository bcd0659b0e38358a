"""Maps the plain domain classes onto tables; imperative mapping keeps the domain free of ORM."""

from sqlalchemy.orm import registry, relationship

from consigndesk.adapters.db import tables
from consigndesk.domain.people import Agent, Customer, Group
from consigndesk.domain.tickets import Message, Ticket

mapper_registry = registry(metadata=tables.metadata)
_started = False


def start_mappers() -> None:
    """Idempotent: the composition root calls it once per process."""
    global _started
    if _started:
        return
    mapper_registry.map_imperatively(Customer, tables.customers)
    mapper_registry.map_imperatively(Group, tables.groups)
    mapper_registry.map_imperatively(Agent, tables.agents)
    # The relationships are never read or set: they only tell a flush that writes a new customer,
    # ticket and message together to insert them in that order (their ids are set beforehand).
    # No cascades: adding an object to the session then has no related objects to look for.
    mapper_registry.map_imperatively(
        Ticket,
        tables.tickets,
        version_id_col=tables.tickets.c.version,
        properties={"_customer_row": relationship(Customer, lazy="raise", cascade="")},
    )
    mapper_registry.map_imperatively(
        Message,
        tables.messages,
        properties={"_ticket_row": relationship(Ticket, lazy="raise", cascade="")},
    )
    _started = True
