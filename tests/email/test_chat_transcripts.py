"""A chat transcript the customer asked for goes out through the same SMTP relay."""

from __future__ import annotations

import time

from consigndesk.adapters.channels.chat.channel import EXTRAS_KEY, ChatChannel
from consigndesk.bootstrap import App
from consigndesk.services.auth import CustomerIdentity
from tests.email.conftest import Sink


def test_a_requested_transcript_is_mailed_once(mail_core: App, sink: Sink) -> None:
    channel = mail_core.extras[EXTRAS_KEY]
    assert isinstance(channel, ChatChannel)
    chat = channel.chat
    assert chat.mailer is not None
    who = CustomerIdentity(external_id="u-chat-1", role="buyer", tier="regular", name="张三")
    session = chat.start(who, None, "zh")
    posted = chat.customer_message(session, who, "c-1", "我的卡密显示已被使用了")
    session = chat.start(who, session.id, "zh")
    chat.request_transcript(session, "zhang.san@example.com", "zh")
    mail_core.relay.drain()
    deadline = time.monotonic() + 10
    while not sink.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    mail_core.relay.drain()
    assert len(sink.messages) == 1
    sent = sink.messages[0]
    assert sent["To"] == "zhang.san@example.com"
    assert "聊天记录" in str(sent["Subject"]) and f"CD-{posted.ticket_id:06d}" in str(
        sent["Subject"]
    )
    body = sent.get_body(preferencelist=("plain",))
    assert body is not None and "我的卡密显示已被使用了" in body.get_content()
    assert chat.pending_transcripts() == []
