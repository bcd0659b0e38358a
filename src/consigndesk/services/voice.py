"""A call recording arrives: transcribe it if an engine speaks the caller's language, then take
the one customer-message path with the recording attached. No call is ever dropped."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from consigndesk.domain.attachments import MAX_ATTACHMENT_BYTES, Upload
from consigndesk.domain.commands import CustomerData, ReceiveCustomerMessage
from consigndesk.domain.errors import InvalidInput
from consigndesk.domain.events import Actor
from consigndesk.domain.tickets import Message
from consigndesk.i18n import gettext_for, locale_for_language
from consigndesk.services.tickets import Received, TicketServices
from consigndesk.services.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

NEEDS_TRANSCRIPTION = "needs_transcription"
VOICE_ACTOR = Actor.system("voice")
# Engines here are trained on 16 kHz speech; telephone-band (8 kHz) recordings lose most of the
# accuracy (bench/voice.py), so their transcripts always go past a person.
WIDEBAND_RATE = 16_000


@dataclass(frozen=True)
class DecodedAudio:
    """A recording as the engines take it: 16-bit little-endian mono PCM."""

    pcm16: bytes
    sample_rate: int
    seconds: float
    source_rate: int
    source_channels: int
    source_bits: int


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str  # "en", "zh"
    confidence: float  # 0..1, as far as the engine can tell
    engine: str


class SpeechEngine(Protocol):
    """One speech-to-text engine; `languages` are the ones it has a model for."""

    name: str
    languages: frozenset[str]

    def available(self) -> bool: ...

    def transcribe(
        self, pcm16: bytes, sample_rate: int, language_hint: str | None
    ) -> Transcript: ...


class RecordingDecoder(Protocol):
    def __call__(self, data: bytes) -> DecodedAudio: ...


class RecordingEncoder(Protocol):
    """Decoded audio back to a (smaller) WAV file, for recordings too big to keep as sent."""

    def __call__(self, audio: DecodedAudio) -> bytes: ...


@dataclass(frozen=True, kw_only=True)
class ReceiveCall:
    customer: CustomerData
    recording: Upload
    language_hint: str | None = None  # "zh" | "en"; else every available engine may try
    call_id: str | None = None  # the telephony provider's id: a repeat returns the first ticket


@dataclass(frozen=True)
class CallReceived:
    received: Received
    transcript: Transcript | None
    needs_transcription: bool


def pick_engine(engines: Sequence[SpeechEngine], language: str | None) -> SpeechEngine | None:
    """The first configured engine that is installed and covers the language (any, if unknown)."""
    for engine in engines:
        if (language is None or language in engine.languages) and engine.available():
            return engine
    return None


@dataclass
class VoiceCalls:
    tickets: TicketServices
    uow_factory: Callable[[], UnitOfWork]
    engines: Sequence[SpeechEngine]
    decode: RecordingDecoder
    encode: RecordingEncoder
    min_confidence: float = 0.5

    def receive_call(self, cmd: ReceiveCall) -> CallReceived:
        external_id = f"call:{cmd.call_id}" if cmd.call_id else None
        if external_id is not None:
            seen = self._seen(external_id)
            if seen is not None:
                return CallReceived(Received(seen, created=False, duplicate=True), None, False)
        audio = self.decode(cmd.recording.data)  # bad audio: InvalidInput, nothing written
        attachment = self._attachment(cmd.recording, audio)
        language = cmd.language_hint or cmd.customer.language
        transcript = self._transcribe(audio, cmd.language_hint)
        uncertain = (
            transcript is None
            or transcript.confidence < self.min_confidence
            or audio.source_rate < WIDEBAND_RATE
        )
        body = transcript.text if transcript else _placeholder(language)
        received = self.tickets.receive_customer_message(
            self.uow_factory(),
            ReceiveCustomerMessage(
                customer=cmd.customer,
                channel="voice",
                body=body,
                external_id=external_id,
                attachments=[attachment],
            ),
        )
        if uncertain and not received.duplicate:
            self._flag(received.ticket_id, language, transcript)
        return CallReceived(received, transcript, uncertain)

    def _seen(self, external_id: str) -> int | None:
        with self.uow_factory() as uow:
            message = uow.tickets.message_by_external_id(external_id)
            return int(message.ticket_id) if message is not None else None

    def _attachment(self, recording: Upload, audio: DecodedAudio) -> Upload:
        """Keep the recording as sent; one too big to attach is kept as 16 kHz mono instead."""
        if len(recording.data) <= MAX_ATTACHMENT_BYTES:
            return recording
        smaller = self.encode(audio)
        if len(smaller) > MAX_ATTACHMENT_BYTES:
            raise InvalidInput(
                f"the recording is too long to keep (over {MAX_ATTACHMENT_BYTES} bytes as 16 kHz "
                "mono); split the call",
                code="recording_too_long",
            )
        stem = (recording.filename or "call").rsplit(".", 1)[0]
        return Upload(f"{stem}-16k-mono.wav", smaller, "audio/wav")

    def _transcribe(self, audio: DecodedAudio, hint: str | None) -> Transcript | None:
        engine = pick_engine(self.engines, hint)
        if engine is None:
            return None
        try:
            transcript = engine.transcribe(audio.pcm16, audio.sample_rate, hint)
        except Exception:  # an engine failure must never lose the call
            log.exception("voice.engine_failed", engine=engine.name)
            return None
        return transcript if transcript.text.strip() else None

    def _flag(self, ticket_id: int, language: str | None, transcript: Transcript | None) -> None:
        """Tag the ticket and leave agents a note saying why a person must listen to it."""
        locale = locale_for_language(language)
        if transcript is None:
            note = gettext_for(
                locale,
                "No speech engine could transcribe this call (language: %(language)s). "
                "Listen to the attached recording and write down what the customer said.",
            ) % {"language": language or "?"}
        else:
            note = gettext_for(
                locale,
                "The automatic transcript (%(engine)s) is uncertain. Check it against the "
                "attached recording.",
            ) % {"engine": transcript.engine}
        with self.uow_factory() as uow:
            ticket = uow.tickets.get(ticket_id)
            if ticket is None or NEEDS_TRANSCRIPTION in ticket.tags:
                return
            ticket.set_tags([*ticket.tags, NEEDS_TRANSCRIPTION], VOICE_ACTOR, "voice call")
            message = uow.tickets.add_message(
                Message(
                    ticket_id=ticket_id,
                    author_type="system",
                    visibility="internal",
                    channel="voice",
                    body=note,
                )
            )
            ticket.add_message(message, VOICE_ACTOR)
            uow.commit()


def _placeholder(language: str | None) -> str:
    return gettext_for(
        locale_for_language(language),
        "Voice message (automatic transcription unavailable). The recording is attached.",
    )
