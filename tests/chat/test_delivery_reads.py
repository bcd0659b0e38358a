"""The hub reads the messages that gathered for live delivery in one query, in id order."""

from __future__ import annotations

from consigndesk.adapters.channels.chat.channel import EXTRAS_KEY, ChatChannel
from consigndesk.bootstrap import App
from consigndesk.domain.commands import CustomerData, ReceiveCustomerMessage
from tests.statements import statements


def test_messages_for_delivery_come_in_id_order_in_one_read(core: App) -> None:
    received = core.tickets.receive_customer_messages(
        core.uow(),
        [
            ReceiveCustomerMessage(
                customer=CustomerData(external_id=f"c{n}", role="buyer", name=f"顾客{n}"),
                channel="chat",
                body=f"第 {n} 条",
            )
            for n in range(3)
        ],
    )
    ids = [r.message_id for r in received]
    assert all(ids)
    channel = core.extras[EXTRAS_KEY]
    assert isinstance(channel, ChatChannel)
    with statements(core.database.read_engine) as seen:
        rows = channel.chat.messages_for_delivery([ids[2], 10**9, ids[0], ids[1]])
    assert sum(n for words, n in seen.items() if words.startswith("select")) == 1
    assert [r["id"] for r in rows] == sorted(ids)  # the unknown id is left out
    assert [(r["body"], r["customer_name"]) for r in rows] == [
        (f"第 {n} 条", f"顾客{n}") for n in range(3)
    ]
