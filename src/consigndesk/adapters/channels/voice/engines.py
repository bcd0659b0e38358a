"""`CONSIGNDESK_SPEECH_ENGINES` → the configured speech engines, in order of preference.

`pocketsphinx` is the built-in English engine; `vosk:/models/vosk-model-small-cn-0.22` adds a
Vosk model (its language read from the directory name), `vosk@zh:/models/any-name` states it.
"""

from __future__ import annotations

from pathlib import Path

from consigndesk.adapters.channels.voice.pocketsphinx_engine import PocketSphinxEngine
from consigndesk.adapters.channels.voice.vosk_engine import VoskEngine, language_of_model
from consigndesk.domain.errors import InvalidInput
from consigndesk.services.voice import SpeechEngine

LANGUAGES = {"zh", "en"}


def engines_from_config(spec: str) -> list[SpeechEngine]:
    engines: list[SpeechEngine] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        if item == "pocketsphinx":
            engines.append(PocketSphinxEngine())
        elif item.startswith(("vosk:", "vosk@")):
            engines.append(_vosk(item))
        else:
            raise InvalidInput(
                f"unknown speech engine {item!r} in CONSIGNDESK_SPEECH_ENGINES "
                "(known: pocketsphinx, vosk:<model dir>, vosk@<zh|en>:<model dir>)",
                code="bad_configuration",
            )
    return engines


def _vosk(item: str) -> VoskEngine:
    head, _, path = item.partition(":")
    model_dir = Path(path).expanduser()
    language = head.partition("@")[2] or language_of_model(model_dir)
    if not path or language not in LANGUAGES:
        raise InvalidInput(
            f"speech engine {item!r}: give a model directory and its language, e.g. "
            "vosk@zh:/models/vosk-model-small-cn-0.22",
            code="bad_configuration",
        )
    return VoskEngine(model_dir, language)
