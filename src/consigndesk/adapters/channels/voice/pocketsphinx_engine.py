"""Offline English with PocketSphinx: the call grammar first, the general language model after."""

from __future__ import annotations

import queue

import numpy as np

from consigndesk.adapters.channels.voice.grammar import GRAMMAR, GRAMMAR_NAME, written
from consigndesk.services.voice import Transcript

ENGINE_NAME = "pocketsphinx"
# PocketSphinx gives no calibrated confidence without extra passes; the path that produced the
# words says more: a complete grammar sentence is almost always right (bench/voice.py), free
# dictation with the general model often is not.
GRAMMAR_CONFIDENCE = 0.9
DICTATION_CONFIDENCE = 0.3
# The decoder expects silence around speech; recordings that start at the first syllable lose
# their first words without it. Faint deterministic noise, not digital zeros (log of 0 energy).
_PADDING = np.random.default_rng(0).integers(-30, 31, 16_000 * 3 // 10).astype("<i2").tobytes()
# A wider word-exit beam than the default (7e-29) keeps the last word of a sentence alive.
_WORD_BEAM = 1e-40


class PocketSphinxEngine:
    """Decoders are loaded on first use (0.3 s each) and reused, one per concurrent call."""

    name = ENGINE_NAME
    languages = frozenset({"en"})

    def __init__(self) -> None:
        self._idle: queue.SimpleQueue[_Loaded] = queue.SimpleQueue()

    def available(self) -> bool:
        try:
            import pocketsphinx  # noqa: F401
        except ImportError:
            return False
        return True

    def transcribe(self, pcm16: bytes, sample_rate: int, language_hint: str | None) -> Transcript:
        if sample_rate != 16_000:
            raise ValueError(f"PocketSphinx's en-us model needs 16 kHz audio, got {sample_rate}")
        try:
            loaded = self._idle.get_nowait()
        except queue.Empty:
            loaded = _Loaded()
        try:
            return loaded.decode(_PADDING + pcm16 + _PADDING)
        finally:
            self._idle.put(loaded)


class _Loaded:
    """One decoder with the call grammar; its noise estimate is reset before every search, so a
    call's result never depends on the calls decoded before it."""

    def __init__(self) -> None:
        from pocketsphinx import Decoder

        self.decoder = Decoder(samprate=16_000, wbeam=_WORD_BEAM, loglevel="FATAL")
        self.grammar = self.decoder.parse_jsgf(GRAMMAR)
        self.decoder.add_fsg(GRAMMAR_NAME, self.grammar)
        self.initial_cmn = self.decoder.get_cmn()

    def decode(self, pcm16: bytes) -> Transcript:
        words = self._run(GRAMMAR_NAME, pcm16)
        if words and self.grammar.accept(words):
            return Transcript(written(words), "en", GRAMMAR_CONFIDENCE, f"{ENGINE_NAME}:grammar")
        words = self._run("_default", pcm16)
        return Transcript(written(words), "en", DICTATION_CONFIDENCE, f"{ENGINE_NAME}:dictation")

    def _run(self, search: str, pcm16: bytes) -> str:
        decoder = self.decoder
        decoder.set_cmn(self.initial_cmn)
        decoder.activate_search(search)
        decoder.start_utt()
        decoder.process_raw(pcm16, full_utt=True)
        decoder.end_utt()
        hypothesis = decoder.hyp()
        return str(hypothesis.hypstr).strip() if hypothesis is not None else ""
