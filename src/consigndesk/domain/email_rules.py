"""Email rules without I/O: what counts as automatic mail, which ticket a subject names, replies."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from consigndesk.domain.attachments import Upload
from consigndesk.domain.errors import InvalidInput
from consigndesk.domain.text import has_lone_surrogate
from consigndesk.domain.tickets import parse_reference

# Automatic mail is recognised, recorded and never answered (docs/decisions/0402).
LOOP, BOUNCE, AUTO_REPLY, MAILING_LIST = "loop", "bounce", "auto_reply", "mailing_list"
OWN_HEADER = "X-ConsignDesk-Ticket"

_REFERENCE = re.compile(r"\[\s*(CD-\d{6,})\s*\]", re.IGNORECASE)
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|sv|antw|答复|回复|回覆|转发|轉寄)\s*(?:\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)
_AUTO_SUBJECT = re.compile(
    r"自动回复|自動回覆|自动答复|auto[- ]?reply|automatic reply|autoreply|out of (the )?office|"
    r"vacation reply|不在办公室",
    re.IGNORECASE,
)
_DAEMONS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")
_SURROGATE = re.compile("[\\ud800-\\udfff]")
_TEXT_FIELDS = ("message_id", "sender", "sender_name", "subject", "text", "html", "embedded_ticket")
_ID_FIELDS = ("in_reply_to", "references", "embedded_ids")


def storable_text(text: str) -> str:
    """What both databases can hold: U+0000 dropped (ADR 0021), a lone surrogate made U+FFFD."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii() and has_lone_surrogate(text):  # cheaper than the regex on CJK text
        text = _SURROGATE.sub("\ufffd", text)
    return text


class MalformedEmail(InvalidInput):
    """The bytes are not a message we can read; they are quarantined with this reason."""

    code = "malformed_email"


@dataclass(frozen=True, kw_only=True)
class InboundEmail:
    """One parsed email, charset-decoded, with quoted history and signature already removed."""

    message_id: str
    sender: str
    sender_name: str = ""
    subject: str = ""
    text: str = ""
    html: str = ""
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    attachments: tuple[Upload, ...] = ()
    too_large: tuple[tuple[str, int], ...] = ()  # (file name, size) of parts not kept
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-cased name → first value
    embedded_ids: tuple[str, ...] = ()  # Message-IDs of a message quoted whole (a bounce's)
    embedded_ticket: str = ""  # our ticket header found in such a message

    def __post_init__(self) -> None:
        """Whatever the parser met, no text here fails a database (ADR 0407); an id that is not
        storable as it came is dropped, as a changed id could name another message."""
        for name in _TEXT_FIELDS:
            object.__setattr__(self, name, storable_text(getattr(self, name)))
        for name in _ID_FIELDS:
            ids = tuple(i for i in getattr(self, name) if storable_text(i) == i)
            object.__setattr__(self, name, ids)
        too_large = tuple((storable_text(name), size) for name, size in self.too_large)
        object.__setattr__(self, "too_large", too_large)

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this one answers, the closest first."""
        return tuple(dict.fromkeys((*self.in_reply_to, *reversed(self.references))))


def automatic_kind(mail: InboundEmail, own_addresses: frozenset[str]) -> str | None:
    """Loop, bounce, auto-reply or list mail: the kinds we must never answer; None for a person."""
    h = mail.headers
    if OWN_HEADER.lower() in h or mail.sender in own_addresses:
        return LOOP
    local = mail.sender.partition("@")[0]
    content_type = h.get("content-type", "").lower()
    if (
        local in _DAEMONS
        or h.get("return-path", "").strip() == "<>"
        or ("multipart/report" in content_type and "delivery-status" in content_type)
    ):
        return BOUNCE
    precedence = h.get("precedence", "").strip().lower()
    if "list-id" in h or "list-unsubscribe" in h or precedence == "list":
        return MAILING_LIST
    auto_submitted = h.get("auto-submitted", "no").strip().lower()
    if (
        auto_submitted != "no"
        or "x-autoreply" in h
        or "x-autorespond" in h
        or precedence in {"bulk", "junk", "auto_reply"}
        or _AUTO_SUBJECT.search(mail.subject)
    ):
        return AUTO_REPLY
    return None


def referenced_ticket(subject: str) -> int | None:
    """The ticket a `[CD-000123]` tag in the subject names."""
    found = _REFERENCE.search(subject)
    return parse_reference(found.group(1)) if found else None


def strip_subject(subject: str) -> str:
    """The subject without reply/forward prefixes and ticket tags, as a person wrote it."""
    bare = _REFERENCE.sub(" ", subject)
    while True:
        shorter = _REPLY_PREFIX.sub("", bare)
        if shorter == bare:
            break
        bare = shorter
    return " ".join(bare.split())


def normalize_subject(subject: str) -> str:
    """Comparable form: two subjects of one conversation normalise to the same string."""
    return strip_subject(subject).casefold()


def reply_subject(subject: str, reference: str) -> str:
    """`Re: <subject> [CD-000123]`, however many `Re:`/`回复:` the thread collected."""
    return f"Re: {strip_subject(subject)} [{reference}]".replace("Re:  [", "Re: [")


def customer_external_id(address: str) -> str:
    """Our id for a sender the platform never told us about (docs/decisions/0401)."""
    external = f"email:{address.lower()}"
    if len(external) <= 64:
        return external
    return f"email:{hashlib.sha256(address.lower().encode()).hexdigest()[:40]}"
