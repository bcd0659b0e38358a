"""Builds the voice use case from settings (called by the composition root)."""

from __future__ import annotations

from collections.abc import Callable

from consigndesk.adapters.channels.voice.audio import decode_recording, encode_wav
from consigndesk.adapters.channels.voice.engines import engines_from_config
from consigndesk.config import Settings
from consigndesk.services.tickets import TicketServices
from consigndesk.services.unit_of_work import UnitOfWork
from consigndesk.services.voice import VoiceCalls


def voice_calls(
    settings: Settings, tickets: TicketServices, uow_factory: Callable[[], UnitOfWork]
) -> VoiceCalls:
    """Engines load their models on first use, so building costs nothing at start-up."""
    return VoiceCalls(
        tickets=tickets,
        uow_factory=uow_factory,
        engines=engines_from_config(settings.speech_engines),
        decode=decode_recording,
        encode=encode_wav,
        min_confidence=settings.voice_min_confidence,
    )
