"""Raw RFC 5322 bytes → `InboundEmail` (headers, clean text, HTML, attachments), or a reason."""

from __future__ import annotations

import hashlib
import re
from email import errors, policy
from email.message import Message
from email.parser import BytesParser
from email.utils import parseaddr

from consigndesk.adapters.channels.email.charsets import (
    decode_bytes,
    decode_header_value,
    has_8bit,
    utf8_or_escaped,
)
from consigndesk.adapters.channels.email.quotes import strip_quoted_html, strip_quoted_text
from consigndesk.domain.attachments import MAX_ATTACHMENT_BYTES, Upload
from consigndesk.domain.email_rules import OWN_HEADER, InboundEmail, MalformedEmail

_MSGID = re.compile(r"<[^<>\s]{1,250}>")
_ADDRESS = re.compile(r"^[^@\s<>\x00-\x1f\x7f]+@[^@\s<>\x00-\x1f\x7f]+\.[^@\s<>\x00-\x1f\x7f]+$")
MAX_ADDRESS = 320  # customers.email
_NAMED_BY = ("content-disposition", "content-type")  # the headers a file name is in
_STRUCTURAL_DEFECTS = (
    errors.NoBoundaryInMultipartDefect,
    errors.StartBoundaryNotFoundDefect,
    errors.MultipartInvariantViolationDefect,
)
_PARSER = BytesParser(policy=policy.compat32)  # raw headers: we decode them ourselves, faster


def message_ids(value: str | None) -> tuple[str, ...]:
    """The `<…>` ids in a header, 8-bit ones read as UTF-8; one that is not UTF-8 or holds U+0000
    is dropped: no database can store it, and no message we could find has it."""
    found = _MSGID.findall(utf8_or_escaped(value or ""))
    return tuple(i for i in found if "\x00" not in i and not has_8bit(i))


def parse_email(raw: bytes, *, max_attachment_bytes: int = MAX_ATTACHMENT_BYTES) -> InboundEmail:
    """Parse one message; raise MalformedEmail (with the reason) for anything we cannot read."""
    if not raw.strip():
        raise MalformedEmail("the message is empty")
    try:
        msg = _PARSER.parsebytes(raw)
    except Exception as exc:  # the stdlib parser is lenient; this is truly unreadable input
        raise MalformedEmail(f"unparseable message: {exc.__class__.__name__}") from None
    headers = {name.lower(): value for name, value in reversed(list(msg.raw_items()))}
    name, address = parseaddr(" ".join(headers.get("from", "").split()))
    sender = utf8_or_escaped(address).strip().lower()
    if not _ADDRESS.match(sender) or has_8bit(sender) or len(sender) > MAX_ADDRESS:
        raise MalformedEmail(f"no usable sender address in From: {headers.get('from', '')!r:.200}")
    _check_structure(msg)
    ids = message_ids(headers.get("message-id"))
    body = _Body(max_attachment_bytes)
    body.collect(msg)
    text = strip_quoted_text(body.text) if body.text else ""
    html, html_text = strip_quoted_html(body.html) if body.html else ("", "")
    return InboundEmail(
        message_id=ids[0] if ids else f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id>",
        sender=sender,
        sender_name=decode_header_value(name),
        subject=decode_header_value(headers.get("subject")),
        text=text or html_text or _unstripped(body),
        html=html,
        in_reply_to=message_ids(headers.get("in-reply-to")),
        references=message_ids(headers.get("references")),
        attachments=tuple(body.attachments),
        too_large=tuple(body.too_large),
        headers={k: " ".join(v.split()) for k, v in headers.items()},
        embedded_ids=tuple(body.embedded_ids),
        embedded_ticket=body.embedded_ticket,
    )


def _filename(part: Message) -> str | None:
    """The part's file name, decoded; raw 8-bit names too, which the stdlib turns into U+FFFD."""
    named = [(k, v) for k, v in part.raw_items() if k.lower() in _NAMED_BY]
    if any(has_8bit(value) for _, value in named):
        part = Message()
        for key, value in named:
            part[key] = decode_header_value(value)
    filename = part.get_filename()
    return decode_header_value(filename) if filename else None


def _unstripped(body: _Body) -> str:
    """When stripping left nothing (a bare forward), keep the text as it came."""
    return body.text.strip() or " ".join(re.sub(r"<[^>]*>", " ", body.html).split())


def _check_structure(msg: Message) -> None:
    for part in msg.walk():
        for defect in part.defects:
            if isinstance(defect, _STRUCTURAL_DEFECTS):
                raise MalformedEmail(f"broken MIME structure: {defect.__class__.__name__}")


class _Body:
    """Walks the MIME tree once: first text and HTML parts, everything else an attachment."""

    def __init__(self, max_attachment_bytes: int) -> None:
        self.max_bytes = max_attachment_bytes
        self.text = ""
        self.html = ""
        self.attachments: list[Upload] = []
        self.too_large: list[tuple[str, int]] = []
        self.embedded_ids: list[str] = []
        self.embedded_ticket = ""

    def collect(self, part: Message) -> None:
        ctype = part.get_content_type()
        if ctype in {"message/rfc822", "text/rfc822-headers"}:
            self._embedded(part)
            return
        if part.is_multipart():
            children = part.get_payload()
            for child in children if isinstance(children, list) else ():
                if isinstance(child, Message):
                    self.collect(child)
            return
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        if disposition != "attachment" and not filename:
            if ctype == "text/plain" and not self.text:
                self.text = self._decoded(part)
                return
            if ctype == "text/html" and not self.html:
                self.html = self._decoded(part)
                return
            if ctype == "message/delivery-status":
                return  # machine-readable bounce detail; the bounce note says enough
        self._attach(part, ctype, filename)

    @staticmethod
    def _decoded(part: Message) -> str:
        data = part.get_payload(decode=True)
        return decode_bytes(data if isinstance(data, bytes) else b"", part.get_content_charset())

    def _attach(self, part: Message, ctype: str, filename: str | None) -> None:
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not data:
            return
        if len(data) > self.max_bytes:
            self.too_large.append((filename or ctype, len(data)))
            return
        self.attachments.append(Upload(filename=filename, data=data, content_type=ctype))

    def _embedded(self, part: Message) -> None:
        """A forwarded or bounced message: remember whose it was, keep it as an .eml file."""
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if isinstance(inner, Message):
            data = inner.as_bytes(policy=policy.SMTP)
            fields = dict(inner.raw_items())
        else:  # text/rfc822-headers: the headers only, as text
            decoded = part.get_payload(decode=True)
            data = decoded if isinstance(decoded, bytes) else b""
            fields = dict(_PARSER.parsebytes(data, headersonly=True).raw_items())
        lowered = {k.lower(): v for k, v in fields.items()}
        self.embedded_ids.extend(message_ids(lowered.get("message-id")))
        self.embedded_ticket = self.embedded_ticket or lowered.get(OWN_HEADER.lower(), "").strip()
        if isinstance(inner, Message) and data:
            name = _filename(part) or "forwarded.eml"
            if len(data) > self.max_bytes:
                self.too_large.append((name, len(data)))
            else:
                self.attachments.append(
                    Upload(filename=name, data=data, content_type="message/rfc822")
                )
