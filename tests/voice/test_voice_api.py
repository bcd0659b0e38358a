"""Calls through the HTTP API into the one pipeline, on SQLite and PostgreSQL (via `core`)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from consigndesk.adapters.http.app import create_app
from consigndesk.domain.commands import CustomerData, ReceiveCustomerMessage
from consigndesk.domain.triage import TriageInput
from consigndesk.services.auth import CustomerIdentity, sign_customer_token
from consigndesk.services.platform_events import sign
from tests.api.conftest import Api
from tests.voice.conftest import Synth

ENGLISH = "I want to check the status of my order"
CHINESE = "我想查询订单状态"
WEBHOOK_BOUNDARY = "consigndesk-test-boundary"


def _post_call(api: Api, audio: bytes, **fields: str) -> Any:
    form = {"external_id": "u-buyer-7", "role": "buyer", "tier": "regular", **fields}
    return api.client.post(
        "/api/v1/voice/calls",
        headers=api.integration,
        data=form,
        files={"audio": ("call.wav", audio, "audio/wav")},
    )


def _ticket(api: Api, ticket_id: int) -> dict[str, Any]:
    response = api.client.get(f"/api/v1/tickets/{ticket_id}", headers=api.integration)
    assert response.status_code == 200, response.text
    detail: dict[str, Any] = response.json()
    return detail


def _ticket_count(api: Api) -> int:
    response = api.client.get("/api/v1/tickets?limit=100", headers=api.integration)
    return len(response.json()["items"])


def test_english_call_becomes_a_voice_ticket_with_transcript_and_audio(
    api: Api, synth: Synth
) -> None:
    audio = synth(ENGLISH, rate=44_100, channels=2)
    response = _post_call(api, audio, language="en", name="Alice")
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["channel"] == "voice"
    assert created["transcript"] == ENGLISH
    assert created["transcript_engine"] == "pocketsphinx:grammar"
    assert created["needs_transcription"] is False
    # The real triage engine, through the same pipeline as every channel: the voice ticket gets
    # exactly the verdict a typed message with these words gets.
    typed = api.core.tickets.triage.triage(
        TriageInput(text=ENGLISH, role="buyer", channel="voice", tier="regular")
    )
    assert (created["intent"], created["group"]) == (typed.intent, typed.group)
    assert (created["intent"], created["group"]) == ("logistics", "logistics")
    assert created["reference"].startswith("CD-")

    ticket = _ticket(api, created["id"])
    first = ticket["messages"][0]
    assert (first["author_type"], first["channel"], first["body"]) == ("customer", "voice", ENGLISH)
    assert ticket["channel"] == "voice" and "needs_transcription" not in ticket["tags"]
    [attachment] = first["attachments"]
    assert attachment["content_type"] == "audio/x-wav" and attachment["size"] == len(audio)

    download = api.client.get(f"/api/v1/attachments/{attachment['id']}", headers=api.integration)
    assert download.status_code == 200
    assert download.content == audio
    assert download.headers["content-type"] == "audio/x-wav"
    assert download.headers["content-disposition"].startswith('attachment; filename="call.wav"')
    assert download.headers["x-content-type-options"] == "nosniff"


def test_chinese_call_is_kept_and_flagged_for_a_person(api: Api, synth: Synth) -> None:
    audio = synth(CHINESE, voice="cmn", rate=8_000)
    response = _post_call(api, audio, language="zh", external_id="u-buyer-zh")
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["needs_transcription"] is True
    assert created["transcript_engine"] is None
    ticket = _ticket(api, created["id"])
    assert "needs_transcription" in ticket["tags"]
    customer_message = ticket["messages"][0]
    (note,) = [m for m in ticket["messages"] if m["visibility"] == "internal"]
    assert customer_message["author_type"] == "customer"
    assert customer_message["body"] == "语音留言（无法自动转写），录音见附件。"
    assert customer_message["attachments"][0]["size"] == len(audio)
    assert (note["author_type"], note["visibility"]) == ("system", "internal")
    assert "录音" in note["body"]


def test_a_repeated_call_id_returns_the_same_ticket(api: Api, synth: Synth) -> None:
    audio = synth("Where is my parcel", rate=8_000)
    first = _post_call(api, audio, call_id="CA-1001", language="en")
    again = _post_call(api, audio, call_id="CA-1001", language="en")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["intent"] == "logistics"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["transcript"] == "Where is my parcel"
    assert _ticket_count(api) == 1


def test_bad_audio_is_refused_and_nothing_is_written(api: Api) -> None:
    riff_garbage = b"RIFF\x24\x00\x00\x00WAVE" + b"\xde\xad\xbe\xef" * 64
    for data, code in (
        (b"", "empty_audio"),
        (b"%PDF-1.4 definitely not a recording", "unsupported_audio"),
        (riff_garbage, "corrupt_audio"),
    ):
        response = _post_call(api, data)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == code
    missing = api.client.post(
        "/api/v1/voice/calls", headers=api.integration, data={"external_id": "x", "role": "buyer"}
    )
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid_input"
    assert _ticket_count(api) == 0


def test_recordings_over_the_global_body_limit_are_allowed_up_to_the_voice_limit(
    api: Api, synth: Synth
) -> None:
    audio = synth(ENGLISH, rate=96_000, channels=2, bits=32)  # ~1.8 MB, over the 1 MiB default
    assert len(audio) > api.core.settings.max_body_bytes
    assert _post_call(api, audio, language="en").status_code == 201
    too_big = api.client.post(
        "/api/v1/tickets", headers=api.integration, content=b"{" + b" " * len(audio) + b"}"
    )
    assert too_big.status_code == 413

    api.core.settings.voice_max_bytes = 64 * 1024
    with TestClient(create_app(api.core, run_relay=False)) as small:
        response = small.post(
            "/api/v1/voice/calls",
            headers=api.integration,
            data={"external_id": "u-1", "role": "buyer"},
            files={"audio": ("call.wav", audio, "audio/wav")},
        )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_voice_calls_need_an_integration_key(api: Api, synth: Synth) -> None:
    audio = synth("Where is my parcel")
    files = {"audio": ("call.wav", audio, "audio/wav")}
    form = {"external_id": "u-1", "role": "buyer"}
    assert api.client.post("/api/v1/voice/calls", data=form, files=files).status_code == 401
    platform = {"Authorization": f"Bearer {api.platform_key}"}
    response = api.client.post("/api/v1/voice/calls", headers=platform, data=form, files=files)
    assert response.status_code == 403


def _webhook_body(audio: bytes, **fields: str) -> bytes:
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{WEBHOOK_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    parts.append(
        f'--{WEBHOOK_BOUNDARY}\r\nContent-Disposition: form-data; name="Recording"; '
        'filename="recording.wav"\r\nContent-Type: audio/wav\r\n\r\n'.encode()
        + audio
        + f"\r\n--{WEBHOOK_BOUNDARY}--\r\n".encode()
    )
    return b"".join(parts)


def _webhook(api: Api, body: bytes, signature: str | None) -> Any:
    headers = {"Content-Type": f"multipart/form-data; boundary={WEBHOOK_BOUNDARY}"}
    if signature is not None:
        headers["X-Signature"] = signature
    return api.client.post("/api/v1/voice/webhook", content=body, headers=headers)


def test_telephony_webhook_needs_the_platform_signature(api: Api, synth: Synth) -> None:
    body = _webhook_body(synth("Where is my parcel"), CallSid="CA-9", From="+1 415 555 0100")
    unsigned = _webhook(api, body, None)
    assert unsigned.status_code == 401 and unsigned.json()["error"]["code"] == "unauthorized"
    forged = _webhook(api, body, "sha256=" + "0" * 64)
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "bad_signature"
    tampered = _webhook(api, body + b"x", sign(api.core.platform_secret or "", body))
    assert tampered.status_code == 401
    assert _ticket_count(api) == 0


def test_webhook_from_an_unknown_number_creates_a_phone_customer(api: Api, synth: Synth) -> None:
    secret = api.core.platform_secret or ""
    body = _webhook_body(
        synth("Please cancel my order"), CallSid="CA-10", From="+1 (415) 555-0100", Language="en"
    )
    response = _webhook(api, body, sign(secret, body))
    assert response.status_code == 201, response.text
    assert response.json()["transcript"] == "Please cancel my order"
    assert response.json()["intent"] == "cancel_order"
    ticket = _ticket(api, response.json()["id"])
    assert ticket["customer"]["external_id"] == "phone:+14155550100"
    assert ticket["customer"]["phone"] == "+14155550100"
    replay = _webhook(api, body, sign(secret, body))
    assert replay.status_code == 200 and replay.json()["id"] == response.json()["id"]


def test_webhook_from_a_known_number_reaches_that_customer(api: Api, synth: Synth) -> None:
    api.core.tickets.receive_customer_message(
        api.core.uow(),
        ReceiveCustomerMessage(
            customer=CustomerData(
                external_id="u-seller-3", role="seller", tier="vip", phone="138 0013 8000"
            ),
            channel="api",
            body="hello",
        ),
    )
    secret = api.core.platform_secret or ""
    body = _webhook_body(synth("When will I get my payout"), CallSid="CA-11", From="+8613800138000")
    response = _webhook(api, body, sign(secret, body))
    assert response.status_code == 201, response.text
    ticket = _ticket(api, response.json()["id"])
    assert (ticket["customer"]["external_id"], ticket["customer"]["role"]) == (
        "u-seller-3",
        "seller",
    )
    assert ticket["customer"]["tier"] == "vip"


def test_attachments_are_for_staff_and_the_owning_customer_only(api: Api, synth: Synth) -> None:
    created = _post_call(api, synth("Where is my parcel"), external_id="u-owner").json()
    attachment_id = created["attachments"][0]["id"]
    url = f"/api/v1/attachments/{attachment_id}"
    assert api.client.get(url).status_code == 401
    agent, _ = api.login("out@partner.test")
    assert agent.get(url).status_code == 200
    secret = api.core.platform_secret or ""
    for external_id, status in (("u-owner", 200), ("u-stranger", 404)):
        customer = TestClient(api.client.app)
        token = sign_customer_token(
            secret, CustomerIdentity(external_id=external_id, role="buyer", tier="regular")
        )
        customer.get(f"/portal?token={token}", follow_redirects=False)
        assert customer.get(url).status_code == status
    assert api.client.get("/api/v1/attachments/nope", headers=api.integration).status_code == 404


def test_a_nul_in_a_call_or_webhook_field_is_refused_naming_the_field(
    api: Api, synth: Synth
) -> None:
    """Both were a database error on PostgreSQL and, on SQLite, a call stored under another id."""
    audio = synth("Where is my parcel")
    call = _post_call(api, audio, call_id="v\x00nul")
    assert call.status_code == 422 and call.json()["error"]["message"].startswith("form.call_id")
    secret = api.core.platform_secret or ""
    body = _webhook_body(audio, CallSid="CA-\x00", From="+8613800138000")
    hook = _webhook(api, body, sign(secret, body))
    assert hook.status_code == 422 and hook.json()["error"]["message"].startswith("form.CallSid")
    attachment = api.client.get("/api/v1/attachments/a%00b", headers=api.integration)
    assert attachment.status_code == 422
    assert _ticket_count(api) == 0


def test_a_number_written_in_full_width_digits_reaches_the_same_customer(
    api: Api, synth: Synth
) -> None:
    secret = api.core.platform_secret or ""
    audio = synth("Where is my parcel")
    first = _webhook_body(audio, CallSid="CA-20", From="+86 138 0013 8000")
    second = _webhook_body(audio, CallSid="CA-21", From="+８６ １３８ ００１３ ８０００")
    ids = [
        _ticket(api, _webhook(api, b, sign(secret, b)).json()["id"])["customer"]["external_id"]
        for b in (first, second)
    ]
    assert ids == ["phone:+8613800138000"] * 2
