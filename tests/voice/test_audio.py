"""Recordings in every WAV flavour become the same 16 kHz mono PCM; anything else is refused."""

from __future__ import annotations

import io
import struct
import wave

import numpy as np
import pytest

from consigndesk.adapters.channels.voice.audio import decode_recording, encode_wav
from consigndesk.domain.errors import InvalidInput
from tests.voice.conftest import Synth

SENTENCE = "I want to check the status of my order"


def _tone(rate: int, seconds: float = 1.0, channels: int = 1) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    signal = (np.sin(2 * np.pi * 440 * t) * 16_000).astype("<i2")
    frames = np.repeat(signal[:, None], channels, axis=1)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames.tobytes())
    return buffer.getvalue()


def _peak(pcm16: bytes) -> int:
    return int(np.abs(np.frombuffer(pcm16, dtype="<i2")).max())


@pytest.mark.parametrize("rate", [8_000, 16_000, 22_050, 44_100, 48_000])
def test_any_rate_becomes_16k_mono(rate: int) -> None:
    audio = decode_recording(_tone(rate, seconds=1.0, channels=2))
    assert audio.sample_rate == 16_000
    assert len(audio.pcm16) == pytest.approx(2 * 16_000, abs=4)
    assert audio.seconds == pytest.approx(1.0)
    assert (audio.source_rate, audio.source_channels, audio.source_bits) == (rate, 2, 16)
    assert 15_000 < _peak(audio.pcm16) < 16_500  # the level survives mixing and resampling


def test_16k_mono_16bit_passes_through_unchanged() -> None:
    data = _tone(16_000)
    with wave.open(io.BytesIO(data)) as w:
        frames = w.readframes(w.getnframes())
    assert decode_recording(data).pcm16 == frames


@pytest.mark.parametrize(
    ("bits", "encoding"),
    [
        (8, None),
        (16, None),
        (24, None),
        (32, None),
        (32, "floating-point"),
        (8, "u-law"),
        (8, "a-law"),
    ],
)
def test_sample_formats_sox_writes(synth: Synth, bits: int, encoding: str | None) -> None:
    reference = decode_recording(synth(SENTENCE, rate=16_000))
    audio = decode_recording(synth(SENTENCE, rate=16_000, bits=bits, encoding=encoding))
    assert audio.source_bits == bits
    a = np.frombuffer(reference.pcm16, dtype="<i2").astype(float)
    b = np.frombuffer(audio.pcm16, dtype="<i2").astype(float)
    assert len(a) == len(b)
    assert np.corrcoef(a, b)[0, 1] > 0.99  # the same speech, whatever the sample format


def test_encode_wav_round_trips() -> None:
    audio = decode_recording(_tone(44_100, channels=2))
    again = decode_recording(encode_wav(audio))
    assert again.pcm16 == audio.pcm16 and again.source_channels == 1


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_audio"),
        (b"hello, this is not audio at all", "unsupported_audio"),
        (b"ID3\x03\x00" + b"\x00" * 200, "unsupported_audio"),  # an MP3
        (b"RIFF\x24\x00\x00\x00WAVE" + b"\xde\xad\xbe\xef" * 20, "corrupt_audio"),
        (b"RIFF\x24\x00\x00\x00WAVEdata\x04\x00\x00\x00\x00\x00\x00\x00", "corrupt_audio"),
    ],
)
def test_bad_input_is_refused_with_a_code(data: bytes, code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        decode_recording(data)
    assert raised.value.code == code


def test_implausible_header_values_are_corrupt() -> None:
    fmt = struct.pack("<HHIIHH", 1, 0, 16_000, 0, 0, 16)  # zero channels
    data = b"RIFF\x00\x00\x00\x00WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
    with pytest.raises(InvalidInput) as raised:
        decode_recording(data + b"data" + struct.pack("<I", 4) + b"\x00" * 4)
    assert raised.value.code == "corrupt_audio"


def test_header_without_samples_is_empty() -> None:
    data = _tone(16_000, seconds=0.0)
    with pytest.raises(InvalidInput) as raised:
        decode_recording(data)
    assert raised.value.code == "empty_audio"
