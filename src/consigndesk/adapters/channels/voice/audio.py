"""Call recordings → 16 kHz mono 16-bit PCM, the one format every speech engine here accepts.

Python 3.11's `wave` cannot read WAVE_FORMAT_EXTENSIBLE or float files (what sox and most
recorders write for 24/32-bit), so the RIFF chunks are read here; G.711 (µ-law/A-law), common in
telephony, is decoded too.
"""

from __future__ import annotations

import io
import struct
import wave
from dataclasses import dataclass

import numpy as np
from scipy.signal import resample_poly

from consigndesk.domain.errors import InvalidInput
from consigndesk.services.voice import DecodedAudio

TARGET_RATE = 16_000
MAX_SECONDS = 30 * 60
_PCM, _FLOAT, _ALAW, _MULAW, _EXTENSIBLE = 1, 3, 6, 7, 0xFFFE


@dataclass(frozen=True)
class WavFormat:
    encoding: int
    channels: int
    sample_rate: int
    bits: int


def decode_recording(data: bytes) -> DecodedAudio:
    """Decode a WAV recording and normalise it; InvalidInput with a machine code otherwise."""
    if not data:
        raise InvalidInput("the recording is empty", code="empty_audio")
    fmt, payload = _read_riff(data)
    samples = _samples(fmt, payload)  # float32, shape (frames, channels), in [-1, 1]
    if samples.shape[0] == 0:
        raise InvalidInput("the recording contains no audio", code="empty_audio")
    mono = samples.mean(axis=1)
    return DecodedAudio(
        pcm16=_to_pcm16(_resample(mono, fmt.sample_rate)),
        sample_rate=TARGET_RATE,
        seconds=samples.shape[0] / fmt.sample_rate,
        source_rate=fmt.sample_rate,
        source_channels=fmt.channels,
        source_bits=fmt.bits,
    )


def encode_wav(audio: DecodedAudio) -> bytes:
    """Normalised audio as a plain 16-bit PCM WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(audio.sample_rate)
        out.writeframes(audio.pcm16)
    return buffer.getvalue()


def _read_riff(data: bytes) -> tuple[WavFormat, bytes]:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise InvalidInput(
            "the recording is not a WAV file (RIFF/WAVE); send WAV audio",
            code="unsupported_audio",
        )
    fmt: WavFormat | None = None
    offset = 12
    while offset + 8 <= len(data):
        chunk_id, size = struct.unpack_from("<4sI", data, offset)
        body = data[offset + 8 : offset + 8 + size]
        if chunk_id == b"fmt ":
            fmt = _parse_fmt(body)
        elif chunk_id == b"data":
            if fmt is None:
                raise _corrupt("the data chunk comes before the fmt chunk")
            return fmt, body  # a truncated data chunk is played as far as it goes
        offset += 8 + size + (size & 1)
    raise _corrupt("no fmt and data chunks found")


def _parse_fmt(body: bytes) -> WavFormat:
    if len(body) < 16:
        raise _corrupt("the fmt chunk is too short")
    encoding, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
    if encoding == _EXTENSIBLE:
        if len(body) < 26:
            raise _corrupt("the extensible fmt chunk is too short")
        encoding = struct.unpack_from("<H", body, 24)[0]  # first two bytes of the sub-format GUID
    if encoding not in {_PCM, _FLOAT, _ALAW, _MULAW}:
        raise InvalidInput(
            f"WAV encoding {encoding} is not supported (PCM, float, µ-law, A-law are)",
            code="unsupported_audio",
        )
    allowed_bits = {_PCM: {8, 16, 24, 32}, _FLOAT: {32, 64}, _ALAW: {8}, _MULAW: {8}}[encoding]
    if not 1 <= channels <= 8 or not 4_000 <= rate <= 192_000 or bits not in allowed_bits:
        raise _corrupt(f"implausible format: {channels} channels, {rate} Hz, {bits} bits")
    return WavFormat(encoding=encoding, channels=channels, sample_rate=rate, bits=bits)


def _samples(fmt: WavFormat, payload: bytes) -> np.ndarray:
    width = fmt.bits // 8
    frame = width * fmt.channels
    usable = len(payload) - len(payload) % frame
    if usable // frame > MAX_SECONDS * fmt.sample_rate:
        raise InvalidInput(f"the recording is longer than {MAX_SECONDS} s", code="audio_too_long")
    raw = payload[:usable]
    if fmt.encoding == _FLOAT:
        values = np.frombuffer(raw, dtype=f"<f{width}").astype(np.float32)
        values = np.nan_to_num(np.clip(values, -1.0, 1.0))
    elif fmt.encoding in {_MULAW, _ALAW}:
        values = _g711(np.frombuffer(raw, dtype=np.uint8), mu_law=fmt.encoding == _MULAW)
    elif width == 1:  # 8-bit WAV is unsigned
        values = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 3:
        triples = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        values = ints.astype(np.float32) / float(1 << 23)
    else:
        values = np.frombuffer(raw, dtype=f"<i{width}").astype(np.float32) / float(
            1 << (fmt.bits - 1)
        )
    return values.reshape(-1, fmt.channels)


def _g711(codes: np.ndarray, *, mu_law: bool) -> np.ndarray:
    """ITU-T G.711 expansion to linear, scaled to [-1, 1]."""
    if mu_law:
        inverted = ~codes
        exponent = (inverted >> 4) & 0x07
        magnitude = ((((inverted & 0x0F).astype(np.int32) << 3) + 0x84) << exponent) - 0x84
        linear = np.where(inverted & 0x80, -magnitude, magnitude)
    else:
        toggled = codes ^ 0x55
        exponent = ((toggled >> 4) & 0x07).astype(np.int32)
        mantissa = (toggled & 0x0F).astype(np.int32)
        magnitude = np.where(
            exponent == 0,
            (mantissa << 4) + 8,
            ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0),
        )
        linear = np.where(toggled & 0x80, magnitude, -magnitude)
    return linear.astype(np.float32) / 32768.0


def _resample(mono: np.ndarray, rate: int) -> np.ndarray:
    if rate == TARGET_RATE:
        return mono
    divisor = np.gcd(rate, TARGET_RATE)
    return np.asarray(resample_poly(mono, TARGET_RATE // divisor, rate // divisor))


def _to_pcm16(signal: np.ndarray) -> bytes:
    scaled = np.rint(np.asarray(signal, dtype=np.float64) * 32768.0)
    return bytes(np.clip(scaled, -32768, 32767).astype("<i2").tobytes())


def _corrupt(reason: str) -> InvalidInput:
    return InvalidInput(f"the WAV file is damaged: {reason}", code="corrupt_audio")
