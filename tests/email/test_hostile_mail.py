"""Hostile mail over real SMTP: each one becomes a message or a quarantine entry, never a 451.

Found by fuzzing a real server (ADR 0407). Every stored text is checked for what no database can
hold the same way: U+0000 (PostgreSQL's text cannot, SQLite's can) and lone surrogates.
"""

from __future__ import annotations

import dataclasses
import os
import re
import smtplib
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from consigndesk.adapters.channels.email.listener import SmtpListener
from consigndesk.adapters.db import tables
from consigndesk.bootstrap import App
from tests.email.conftest import SUPPORT, channel_of
from tests.email.mails import CUSTOMER, mail, smtp_send

BODY = "你好，我的快递三天没动了，请帮忙查一下。".encode()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_DEFAULTS = {
    b"from": f"Zhang Wei <{CUSTOMER}>".encode(),
    b"to": SUPPORT.encode(),
    b"subject": "快递三天没动".encode(),
    b"message-id": b"<hostile.1@example.cn>",
    b"mime-version": b"1.0",
    b"content-type": b"text/plain; charset=utf-8",
}
_UNSTORABLE = re.compile("[\\x00\\ud800-\\udfff]")


def eml(*headers: bytes, body: bytes = BODY) -> bytes:
    """A raw message: the given header lines, the defaults for the rest, then the body."""
    given = {line.split(b":", 1)[0].lower() for line in headers}
    defaults = [b"%s: %s" % (name.title(), v) for name, v in _DEFAULTS.items() if name not in given]
    return b"\r\n".join([*headers, *defaults, b"", body, b""])


def send(listener: SmtpListener, raw: bytes, *, smtputf8: bool = False) -> None:
    """Raises SMTPDataError unless the listener answered 250."""
    with smtplib.SMTP(*listener.address, timeout=30) as smtp:
        options = ["SMTPUTF8"] if smtputf8 else []
        smtp.sendmail(CUSTOMER, [SUPPORT], raw, mail_options=options)


def raw_session(address: tuple[str, int], mail_from: bytes, data: bytes, options: bytes) -> bytes:
    """An SMTP session with bytes smtplib will not send; the reply to the end of the data."""
    with socket.create_connection(address, timeout=30) as sock, sock.makefile("rb") as replies:

        def reply() -> bytes:
            lines = [replies.readline()]
            while lines[-1][3:4] == b"-":
                lines.append(replies.readline())
            return b"".join(lines)

        reply()  # the greeting
        for command, expected in (
            (b"EHLO client.example.cn", b"250"),
            (b"MAIL FROM:<%s>%s" % (mail_from, options), b"250"),
            (b"RCPT TO:<%s>" % SUPPORT.encode(), b"250"),
            (b"DATA", b"354"),
        ):
            sock.sendall(command + b"\r\n")
            answer = reply()
            assert answer.startswith(expected), (command, answer)
        sock.sendall(data + b"\r\n.\r\n")  # none of our lines starts with a dot
        answer = reply()
        sock.sendall(b"QUIT\r\n")
        return answer


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(key)
            yield from _texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)


def unfit(core: App) -> list[str]:
    """`table.column` of every stored text that holds U+0000 or a lone surrogate, or is longer
    than its column (SQLite does not check lengths, PostgreSQL does)."""
    found = []
    with core.database.read_sessions() as session:
        for table in tables.metadata.sorted_tables:
            for row in session.execute(select(table)).mappings():
                found += [
                    f"{table.name}.{name}"
                    for name, value in row.items()
                    if not _fits(table.c[name], value)
                ]
    return found


def _fits(column: Any, value: Any) -> bool:
    length = getattr(column.type, "length", None)
    if isinstance(value, str) and length is not None and len(value) > length:
        return False
    return not any(_UNSTORABLE.search(text) for text in _texts(value))


def rows(core: App, *columns: Any, where: Any = True) -> list[Any]:
    """The columns' values, in the order the rows were written."""
    table = columns[0].table
    with core.database.read_sessions() as session:
        return list(session.execute(select(*columns).where(where).order_by(table.c.id)).all())


def stored(core: App) -> tuple[list[Any], list[Any]]:
    """(customer messages, quarantine entries), after checking that everything stored fits."""
    assert unfit(core) == []
    messages = rows(
        core,
        tables.messages.c.body,
        tables.messages.c.external_id,
        tables.messages.c.ticket_id,
        where=tables.messages.c.author_type == "customer",
    )
    held = rows(
        core,
        tables.email_quarantine.c.kind,
        tables.email_quarantine.c.sender,
        tables.email_quarantine.c.subject,
    )
    return messages, held


@dataclass(frozen=True)
class Case:
    name: str
    raw: bytes
    becomes: str  # "message", or the quarantine kind
    smtputf8: bool = False


def _alias(address: str) -> bytes:
    return f"张三 <{address}>".encode()


AUTO = b"Auto-Submitted: auto-replied"
BOUNCE = [
    b"From: MAILER-DAEMON@example.cn",
    b"Subject: Undelivered Mail Returned to Sender",
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
]
RETURNED = b"\r\n".join(
    [
        b"--r",
        b"Content-Type: text/plain",
        b"",
        b"Delivery failed.",
        b"--r",
        b"Content-Type: message/rfc822",
        b"",
        b"From: " + SUPPORT.encode(),
        "Message-ID: <回复.9@desk.test>".encode(),
        b"Subject: Re: x",
        b"",
        b"our reply",
        b"--r--",
    ]
)
CASES = [
    # 10: raw 8-bit (SMTPUTF8) in an address, a Message-ID, an In-Reply-To
    Case("utf8_from_address", eml(b"From: " + _alias("张三@例子.中国")), "message", True),
    Case("utf8_message_id", eml("Message-ID: <消息.1@例子.中国>".encode()), "message", True),
    Case("unreadable_message_id", eml(b"Message-ID: <\xff\xfe.1@example.cn>"), "message", True),
    Case("utf8_in_reply_to", eml("In-Reply-To: <回复.1@例子.中国>".encode()), "message", True),
    Case("unreadable_references", eml(b"References: <a@x.cn> <\xff@x.cn>"), "message", True),
    # 11: U+0000 in In-Reply-To, References, the From address
    Case("nul_in_reply_to", eml(b"In-Reply-To: <a\x00b@example.cn>"), "message"),
    Case("nul_references", eml(b"References: <a@example.cn> <c\x00d@example.cn>"), "message"),
    Case("nul_from_address", eml(b"From: Zhang <nul\x00x@example.com>"), "malformed"),
    # 12: charsets that decode to lone surrogates
    Case("utf7_body", eml(b"Content-Type: text/plain; charset=utf-7", body=b"+2AA-"), "message"),
    Case("utf7_subject", eml(b"Subject: =?utf-7?q?+2AA-?= refund"), "message"),
    Case(
        "unicode_escape_body",
        eml(b"Content-Type: text/plain; charset=unicode_escape", body=b"\\ud800 refund"),
        "message",
    ),
    # 13: automatic mail whose subject holds U+0000 or a surrogate
    Case("auto_nul_subject", eml(b"Subject: Automatic reply: =?utf-8?b?eAB5?=", AUTO), "automatic"),
    Case(
        "auto_utf7_subject", eml(b"Subject: Automatic reply: =?utf-7?q?+2AA-?=", AUTO), "automatic"
    ),
    Case("bounce_utf8_returned_id", eml(*BOUNCE, body=RETURNED), "automatic", True),
    # 14 and the other bounded columns: customers.name 200, customers.email 320
    Case("long_display_name", eml(b"From: %s <long.name@example.cn>" % (b"N" * 300)), "message"),
    Case("long_address", eml(b"From: <%s@example.cn>" % (b"a" * 400)), "malformed"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_mail_is_stored_or_quarantined(
    mail_core: App, listener: SmtpListener, case: Case
) -> None:
    send(listener, eml(b"Message-ID: <first.1@example.cn>"))  # threading reads a known sender's ids
    send(listener, case.raw, smtputf8=case.smtputf8)
    messages, held = stored(mail_core)
    if case.becomes == "message":
        assert (len(messages), held) == (2, [])
    else:
        assert (len(messages), [kind for kind, *_ in held]) == (1, [case.becomes])


def test_utf8_addresses_and_ids_are_kept_as_written(mail_core: App, listener: SmtpListener) -> None:
    first = eml(b"From: " + _alias("张三@例子.中国"), "Message-ID: <消息.1@例子.中国>".encode())
    reply = eml(
        b"From: " + _alias("张三@例子.中国"),
        "Message-ID: <消息.2@例子.中国>".encode(),
        "In-Reply-To: <消息.1@例子.中国>".encode(),
        "Subject: 另一件事".encode(),
    )
    send(listener, first, smtputf8=True)
    send(listener, reply, smtputf8=True)
    messages, _ = stored(mail_core)
    assert [(m.external_id, m.ticket_id) for m in messages] == [
        ("<消息.1@例子.中国>", 1),
        ("<消息.2@例子.中国>", 1),  # threaded by its 8-bit In-Reply-To, not by the subject
    ]
    customers = rows(mail_core, tables.customers.c.email, tables.customers.c.name)
    assert [tuple(c) for c in customers] == [("张三@例子.中国", "张三")]


def test_an_unreadable_message_id_is_replaced_by_the_digest(
    mail_core: App, listener: SmtpListener
) -> None:
    send(listener, eml(b"Message-ID: <\xff\xfe.1@example.cn>"), smtputf8=True)
    send(listener, eml(b"Message-ID: <\xfe\xff.1@example.cn>"), smtputf8=True)
    messages, _ = stored(mail_core)
    ids = [m.external_id for m in messages]
    assert len(ids) == 2 and all(re.fullmatch(r"<[0-9a-f]{40}@no-message-id>", i) for i in ids)


def test_a_display_name_is_cut_to_fit_and_charset_surrogates_become_replacement_characters(
    mail_core: App, listener: SmtpListener
) -> None:
    send(listener, eml(b"From: %s <%s>" % (("名" * 300).encode(), CUSTOMER.encode())))
    send(
        listener,
        eml(
            b"Message-ID: <hostile.2@example.cn>",
            b"Subject: =?utf-7?q?+2AA-?= refund",
            b"Content-Type: text/plain; charset=utf-7",
            body=b"+2AA- refund",
        ),
    )
    assert rows(mail_core, tables.customers.c.name) == [("名" * 200,)]
    messages, _ = stored(mail_core)
    assert messages[1].body == "\ufffd refund"


@pytest.mark.parametrize("charset", ["rot13", "zlib", "base64", "hex"])
def test_a_charset_that_is_not_one_is_read_like_an_unknown_one(
    mail_core: App, listener: SmtpListener, charset: str
) -> None:
    send(listener, eml(b"Content-Type: text/plain; charset=%s" % charset.encode()))
    messages, held = stored(mail_core)
    assert held == [] and [m.body for m in messages] == [BODY.decode()]


def test_automatic_mail_with_nul_in_its_subject_becomes_a_clean_note(
    mail_core: App, listener: SmtpListener
) -> None:
    smtp_send(listener.address, mail())
    send(listener, eml(b"Subject: Automatic reply: =?utf-8?b?eAB5?= [CD-000001]", AUTO))
    notes = rows(
        mail_core,
        tables.messages.c.body,
        where=(tables.messages.c.author_type == "system")
        & (tables.messages.c.visibility == "internal"),
    )
    assert len(notes) == 1 and "Automatic reply: xy [CD-000001]" in notes[0].body
    assert stored(mail_core)[1] == []


def test_a_raw_utf8_attachment_name_is_kept(mail_core: App, listener: SmtpListener) -> None:
    raw = eml(
        b'Content-Type: multipart/mixed; boundary="b"',
        body=b"\r\n".join(
            [
                b"--b",
                b"Content-Type: text/plain; charset=utf-8",
                b"",
                BODY,
                b"--b",
                b"Content-Type: application/pdf",
                'Content-Disposition: attachment; filename="发票.pdf"'.encode(),
                b"",
                PDF,
                b"--b--",
            ]
        ),
    )
    send(listener, raw, smtputf8=True)
    assert rows(mail_core, tables.attachments.c.filename) == [("发票.pdf",)]


@pytest.mark.parametrize("options", [b"", b" SMTPUTF8"], ids=["8bit", "smtputf8"])
def test_an_8bit_envelope_sender_is_accepted(
    mail_core: App, listener: SmtpListener, options: bytes
) -> None:
    answer = raw_session(listener.address, b"\xff@example.com", eml(), options)
    assert answer.startswith(b"250"), answer
    messages, held = stored(mail_core)
    assert (len(messages), held) == (1, [])


def test_a_mail_the_pipeline_cannot_store_is_quarantined(mail_core: App) -> None:
    """Not a 451: the sender would retry the same bytes until it bounced them."""

    def trips(cmd: object) -> None:
        raise ValueError("a case nobody foresaw \x00 \ud800")

    channel = dataclasses.replace(channel_of(mail_core), receive=trips)
    outcome = channel.ingest(eml())
    assert outcome.action == "quarantined" and "ValueError" in outcome.reason
    assert [kind for kind, *_ in stored(mail_core)[1]] == ["rejected"]


def test_a_database_that_is_unavailable_is_still_a_reason_to_retry(mail_core: App) -> None:
    def locked(cmd: object) -> None:
        raise OperationalError("INSERT …", {}, Exception("database is locked"))

    channel = dataclasses.replace(channel_of(mail_core), receive=locked)
    with pytest.raises(OperationalError):
        channel.ingest(eml())
    assert stored(mail_core) == ([], [])


def test_email_ingest_command_stores_a_hostile_mail(tmp_path: Path) -> None:
    eml_file = tmp_path / "hostile.eml"
    eml_file.write_bytes(eml(b"From: " + _alias("张三@例子.中国"), b"In-Reply-To: <a\x00@x.cn>"))
    done = subprocess.run(
        [sys.executable, "-m", "consigndesk", "email", "ingest", str(eml_file)],
        env={**os.environ, "CONSIGNDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("created ticket=1")
