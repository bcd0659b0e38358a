"""Assembling the email channel from settings: the parser, the sender, the listener, the poller."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError

from consigndesk.adapters.channels.email.imap import ImapPoller, Mailbox
from consigndesk.adapters.channels.email.listener import SmtpListener
from consigndesk.adapters.channels.email.parsing import parse_email
from consigndesk.adapters.channels.email.sender import SmtpSender
from consigndesk.config import Settings
from consigndesk.domain.attachments import MAX_ATTACHMENT_BYTES
from consigndesk.domain.commands import ReceiveCustomerMessage
from consigndesk.services.email import EmailChannel
from consigndesk.services.tickets import Received
from consigndesk.services.unit_of_work import UnitOfWork

# The database is down, locked or busy, or a ticket changed under us: trying again later can
# succeed (ADR 0402). Anything else is about the mail and goes to the quarantine (ADR 0407); a race
# between two writers (IntegrityError) was already retried in the process by then.
_TRANSIENT = (
    OperationalError,
    InterfaceError,
    StaleDataError,
    PoolTimeout,
    ConnectionError,
    TimeoutError,
)


def retry_later(exc: Exception) -> bool:
    """Whether the sender should keep the mail and try again (451), rather than we hold it."""
    return isinstance(exc, _TRANSIENT)


def email_channel(
    settings: Settings,
    receive: Callable[[ReceiveCustomerMessage], Received],
    uow_factory: Callable[[], UnitOfWork],
    read_uow_factory: Callable[[], UnitOfWork],
) -> EmailChannel:
    sender = (
        SmtpSender(
            settings.smtp_relay,
            user=settings.smtp_relay_user,
            password=settings.smtp_relay_password,
            starttls=settings.smtp_relay_starttls,
        )
        if settings.smtp_relay
        else None
    )
    return EmailChannel(
        receive=receive,
        retry_later=retry_later,
        uow_factory=uow_factory,
        read_uow_factory=read_uow_factory,
        parse=functools.partial(parse_email, max_attachment_bytes=MAX_ATTACHMENT_BYTES),
        from_address=settings.email_from_address,
        from_name=settings.email_from_name,
        thread_window=timedelta(days=settings.email_thread_days),
        sender=sender,
    )


def imap_poller(settings: Settings, channel: EmailChannel) -> ImapPoller | None:
    if not settings.imap_mailboxes:
        return None
    return ImapPoller(
        [Mailbox.from_setting(m) for m in settings.imap_mailboxes],
        channel.ingest,
        interval=settings.imap_poll_interval,
    )


def smtp_listener(settings: Settings, channel: EmailChannel) -> SmtpListener | None:
    """The built-in SMTP listener (CONSIGNDESK_SMTP_LISTEN): one in every serving process."""
    if not settings.smtp_listen:
        return None
    return SmtpListener(
        channel.ingest,
        settings.smtp_listen,
        max_message_bytes=settings.email_max_message_bytes,
    )
