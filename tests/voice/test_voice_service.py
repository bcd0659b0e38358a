"""The voice use case with fake engines: a call is never dropped, whatever the engine does."""

from __future__ import annotations

import io
import wave
from typing import Any

import numpy as np
import pytest

from consigndesk.adapters.channels.voice.audio import decode_recording, encode_wav
from consigndesk.adapters.db import queries
from consigndesk.bootstrap import App
from consigndesk.domain.attachments import MAX_ATTACHMENT_BYTES, Upload
from consigndesk.domain.commands import CustomerData
from consigndesk.domain.errors import InvalidInput
from consigndesk.services.voice import ReceiveCall, Transcript, VoiceCalls


class ScriptedEngine:
    """Stands in for a speech engine: answers with a fixed transcript, or fails."""

    name = "scripted"
    languages = frozenset({"en"})

    def __init__(self, answer: Transcript | Exception) -> None:
        self.answer = answer
        self.calls = 0

    def available(self) -> bool:
        return True

    def transcribe(self, pcm16: bytes, sample_rate: int, language_hint: str | None) -> Transcript:
        self.calls += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def _wav(seconds: float, rate: int = 16_000, channels: int = 1, width: int = 2) -> bytes:
    frames = np.zeros((int(seconds * rate), channels), dtype=f"<i{width}")
    frames[::50] = 1000
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(frames.tobytes())
    return buffer.getvalue()


def _voice(core: App, engine: ScriptedEngine) -> VoiceCalls:
    return VoiceCalls(
        tickets=core.tickets,
        uow_factory=core.uow,
        engines=[engine],
        decode=decode_recording,
        encode=encode_wav,
    )


def _call(data: bytes, language: str | None = "en", call_id: str | None = None) -> ReceiveCall:
    return ReceiveCall(
        customer=CustomerData(external_id="u-caller", role="buyer", language=language),
        recording=Upload("call.wav", data, "audio/wav"),
        language_hint=language,
        call_id=call_id,
    )


def _detail(core: App, ticket_id: int) -> dict[str, Any]:
    with core.database.read_sessions() as session:
        detail = queries.ticket_detail(session, ticket_id)
    assert detail is not None
    return detail


@pytest.mark.parametrize(
    "answer",
    [RuntimeError("model crashed"), Transcript("   ", "en", 0.9, "scripted")],
    ids=["engine-error", "no-words"],
)
def test_a_failing_or_silent_engine_still_gives_a_flagged_ticket(
    core: App, answer: Transcript | Exception
) -> None:
    result = _voice(core, ScriptedEngine(answer)).receive_call(_call(_wav(1.0)))
    assert result.needs_transcription and result.transcript is None
    detail = _detail(core, result.received.ticket_id)
    assert detail["channel"] == "voice" and detail["tags"] == ["needs_transcription"]
    customer, note = detail["messages"][0], _internal_note(detail)
    assert customer["body"].startswith("Voice message (automatic transcription unavailable)")
    assert len(customer["attachments"]) == 1
    assert note["visibility"] == "internal" and "No speech engine" in note["body"]


def test_an_uncertain_transcript_is_kept_and_flagged(core: App) -> None:
    engine = ScriptedEngine(Transcript("where is my parcel", "en", 0.2, "scripted"))
    result = _voice(core, engine).receive_call(_call(_wav(1.0)))
    detail = _detail(core, result.received.ticket_id)
    assert detail["messages"][0]["body"] == "where is my parcel"
    assert detail["tags"] == ["needs_transcription"]
    assert "uncertain" in _internal_note(detail)["body"]


def _internal_note(detail: dict) -> dict:
    """The note for agents (the public receipt notice sits between it and the call)."""
    (note,) = [m for m in detail["messages"] if m["visibility"] == "internal"]
    return note


def test_a_telephone_band_transcript_is_kept_and_flagged(core: App) -> None:
    engine = ScriptedEngine(Transcript("where is my parcel", "en", 0.9, "scripted"))
    result = _voice(core, engine).receive_call(_call(_wav(1.0, rate=8_000)))
    detail = _detail(core, result.received.ticket_id)
    assert detail["messages"][0]["body"] == "where is my parcel"
    assert result.needs_transcription and detail["tags"] == ["needs_transcription"]


def test_a_repeated_call_is_not_transcribed_again(core: App) -> None:
    engine = ScriptedEngine(Transcript("where is my parcel", "en", 0.9, "scripted"))
    voice = _voice(core, engine)
    first = voice.receive_call(_call(_wav(1.0), call_id="CA-7"))
    again = voice.receive_call(_call(_wav(1.0), call_id="CA-7"))
    assert again.received.duplicate and again.received.ticket_id == first.received.ticket_id
    assert engine.calls == 1


def test_a_recording_too_big_to_attach_is_kept_as_16k_mono(core: App) -> None:
    big = _wav(20.0, rate=96_000, channels=2, width=4)  # 15 MB as sent
    assert len(big) > MAX_ATTACHMENT_BYTES
    engine = ScriptedEngine(Transcript("where is my parcel", "en", 0.9, "scripted"))
    result = _voice(core, engine).receive_call(_call(big))
    [attachment] = _detail(core, result.received.ticket_id)["messages"][0]["attachments"]
    assert attachment["filename"] == "call-16k-mono.wav"
    assert attachment["size"] == 44 + 20 * 16_000 * 2


def test_bad_audio_writes_nothing(core: App) -> None:
    engine = ScriptedEngine(Transcript("x", "en", 0.9, "scripted"))
    with pytest.raises(InvalidInput):
        _voice(core, engine).receive_call(_call(b"RIFF\x00\x00\x00\x00WAVEjunk"))
    with core.database.read_sessions() as session:
        items, _ = queries.list_tickets(session, queries.TicketFilter())
    assert items == [] and engine.calls == 0
