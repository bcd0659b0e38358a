"""Engines an operator installs with a model on disk: Vosk (Kaldi), e.g. a Chinese model.

Nothing is downloaded: without the `vosk` package or the model directory the engine reports
itself unavailable and calls in its language are kept for a person to transcribe.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

from consigndesk.services.voice import Transcript

ENGINE_NAME = "vosk"
_CHUNK = 32_000  # 1 s of 16 kHz 16-bit audio per AcceptWaveform call
_BETWEEN_HAN = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_LANGUAGE_TOKENS = {"zh": "zh", "cn": "zh", "en": "en", "us": "en"}


def language_of_model(model_dir: Path) -> str | None:
    """Vosk model names carry their language (`vosk-model-small-cn-0.22`, `model-zh`)."""
    for token in re.split(r"[^a-z]+", model_dir.name.lower()):
        if token in _LANGUAGE_TOKENS:
            return _LANGUAGE_TOKENS[token]
    return None


class VoskEngine:
    """One Vosk model (one language); the model loads once, recognisers are per call."""

    name = ENGINE_NAME

    def __init__(self, model_dir: Path, language: str) -> None:
        self.model_dir = model_dir
        self.language = language
        self.languages = frozenset({language})
        self._model: Any = None
        self._lock = threading.Lock()

    def available(self) -> bool:
        try:
            import vosk  # noqa: F401
        except ImportError:
            return False
        return (self.model_dir / "am" / "final.mdl").is_file() or (
            self.model_dir / "final.mdl"
        ).is_file()

    def transcribe(self, pcm16: bytes, sample_rate: int, language_hint: str | None) -> Transcript:
        from vosk import KaldiRecognizer

        recognizer = KaldiRecognizer(self._loaded(), sample_rate)
        recognizer.SetWords(True)
        for start in range(0, len(pcm16), _CHUNK):
            recognizer.AcceptWaveform(pcm16[start : start + _CHUNK])
        result = json.loads(recognizer.FinalResult())
        words = result.get("result") or []
        confidence = sum(w.get("conf", 0.0) for w in words) / len(words) if words else 0.0
        text = str(result.get("text", "")).strip()
        if self.language == "zh":
            text = _BETWEEN_HAN.sub("", text)
        return Transcript(
            text, self.language, round(confidence, 3), f"{ENGINE_NAME}:{self.language}"
        )

    def _loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                import vosk

                vosk.SetLogLevel(-1)
                self._model = vosk.Model(str(self.model_dir))
            return self._model
