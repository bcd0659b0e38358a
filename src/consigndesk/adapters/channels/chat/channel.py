"""The chat channel as the composition root builds it: use cases, hub, limits, identity secret."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm.exc import StaleDataError

from consigndesk.adapters.channels.chat.hub import ChatHub
from consigndesk.adapters.channels.chat.limits import CustomerBuckets, TokenBucket
from consigndesk.config import Settings
from consigndesk.domain.commands import ReceiveCustomerMessage
from consigndesk.domain.errors import StaleVersion
from consigndesk.services.bus import Envelope, EventBus
from consigndesk.services.chat import ChatServices
from consigndesk.services.tickets import Received, TicketServices
from consigndesk.services.unit_of_work import UnitOfWork

EXTRAS_KEY = "chat"
REPLY_MEMORY = 5000  # recent agent replies by (agent, client id): a resent reply is not doubled


@dataclass(frozen=True)
class ChatLimits:
    max_chars: int = 4000
    frame_rate: float = 10.0
    frame_burst: int = 40
    message_rate: float = 2.0
    message_burst: int = 10
    customer_rate: float = 3.0
    customer_burst: int = 15
    hello_timeout: float = 15.0
    bad_frames_before_close: int = 20
    dropped_frames_before_close: int = 200


@dataclass
class ChatChannel:
    chat: ChatServices
    hub: ChatHub
    platform_secret: Callable[[], str | None]  # read when used: the demo sets it after build
    allow_anonymous: bool = True
    limits: ChatLimits = field(default_factory=ChatLimits)
    customer_buckets: CustomerBuckets = field(init=False)
    agent_replies: OrderedDict[tuple[int, str], int] = field(default_factory=OrderedDict)

    def __post_init__(self) -> None:
        self.customer_buckets = CustomerBuckets(
            self.limits.customer_rate, self.limits.customer_burst
        )

    @classmethod
    def build(
        cls,
        tickets: TicketServices,
        receive: Callable[[ReceiveCustomerMessage], Received],
        uow_factory: Callable[[], UnitOfWork],
        read_uow_factory: Callable[[], UnitOfWork],
        bus: EventBus,
        platform_secret: Callable[[], str | None],
        settings: Settings,
    ) -> ChatChannel:
        """The use cases, and the hub subscribed to the bus; limits from `Settings.chat_*`."""
        chat = ChatServices(
            tickets=tickets,
            receive=receive,
            uow_factory=uow_factory,
            read_uow_factory=read_uow_factory,
            retry_on=(StaleVersion, StaleDataError),  # a flush mid-use-case can hit a stale row
        )
        hub = ChatHub(chat, bus)
        for name, handlers in hub.subscriptions().items():
            for handler in handlers:
                bus.subscribe_broadcast(name, handler)
        limits = ChatLimits(
            max_chars=settings.chat_max_chars,
            frame_rate=settings.chat_frame_rate,
            frame_burst=settings.chat_frame_burst,
            message_rate=settings.chat_message_rate,
            message_burst=settings.chat_message_burst,
            customer_rate=settings.chat_customer_rate,
            customer_burst=settings.chat_customer_burst,
        )
        return cls(
            chat=chat,
            hub=hub,
            platform_secret=platform_secret,
            allow_anonymous=settings.chat_allow_anonymous,
            limits=limits,
        )

    def subscriptions(self) -> dict[str, list[Callable[[Envelope], None]]]:
        """Work subscriptions (one process each): sending requested transcripts."""
        return self.chat.subscriptions()

    def remember_reply(self, key: tuple[int, str], message_id: int) -> None:
        self.agent_replies[key] = message_id
        if len(self.agent_replies) > REPLY_MEMORY:
            self.agent_replies.popitem(last=False)

    def frame_bucket(self) -> TokenBucket:
        return TokenBucket(self.limits.frame_rate, self.limits.frame_burst)

    def message_bucket(self) -> TokenBucket:
        return TokenBucket(self.limits.message_rate, self.limits.message_burst)


def chat_channel(extras: dict[str, object]) -> ChatChannel:
    """The channel `bootstrap.build` stored in `App.extras`."""
    channel = extras.get(EXTRAS_KEY)
    if not isinstance(channel, ChatChannel):
        raise RuntimeError("the chat channel is not wired (bootstrap.build)")
    return channel
