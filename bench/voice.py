"""Voice channel: PocketSphinx transcription speed and word accuracy on calls espeak-ng speaks.

Ten things customers of a consignment platform say on the phone (seven inside the call grammar,
three not) and three that have nothing to do with it, synthesised with espeak-ng and converted by
sox to 16 kHz, 44.1 kHz stereo and 8 kHz telephone audio. Each recording goes through the same
code as a call: `decode_recording` (WAV → 16 kHz mono) and `PocketSphinxEngine.transcribe`.

Word accuracy = 1 − word error rate (substitutions + deletions + insertions over the reference
words, reference written the way the engine writes: digits as digits, `JS…` order numbers).
Speed = decode seconds per second of audio (real-time factor; < 1 is faster than real time).

    .venv/bin/python bench/voice.py
    .venv/bin/python bench/voice.py --rates 16000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from consigndesk.adapters.channels.voice.audio import decode_recording
from consigndesk.adapters.channels.voice.grammar import written
from consigndesk.adapters.channels.voice.pocketsphinx_engine import PocketSphinxEngine

IN_DOMAIN = [
    "I want to check the status of my order",
    "Where is my parcel",
    "I need a refund for my last purchase",
    "Please cancel my order",
    "My card code is not working",
    "When will I get my payout",
    "I want to speak to an agent",
    "My order number is J S two zero two four zero one one five one two three four five six",
    "The tracking number shows delivered but I did not receive the package",
    "I was charged twice for the same order",
]
OUT_OF_DOMAIN = [
    "The weather is nice today and my dog likes long walks",
    "Can you tell me a joke about bananas",
    "Hello my name is Peter and I live in Berlin",
]


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance over words."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def words(text: str) -> list[str]:
    return text.lower().split()


def synthesise(folder: Path, text: str, rate: int, channels: int) -> bytes:
    raw, out = folder / "raw.wav", folder / f"{rate}-{channels}.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(raw), text], check=True)
    subprocess.run(
        ["sox", "-R", str(raw), "-r", str(rate), "-c", str(channels), "-b", "16", str(out)],
        check=True,
    )
    return out.read_bytes()


def run(rates: list[int], repeat: int) -> None:
    engine = PocketSphinxEngine()
    started = time.perf_counter()
    warm = decode_recording(synthesise(Path(tempfile.mkdtemp()), "hello", 16_000, 1))
    engine.transcribe(warm.pcm16, warm.sample_rate, "en")
    print(f"engine load + first call: {time.perf_counter() - started:.2f} s")
    print(
        f"{'set':<14}{'rate':>7}{'ch':>4}{'word acc':>10}{'exact':>8}{'grammar':>9}"
        f"{'audio s':>9}{'dec s':>8}{'s/s audio':>11}{'p50 call':>10}{'max call':>10}"
    )
    examples: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for label, sentences in (("in-domain", IN_DOMAIN), ("out-of-domain", OUT_OF_DOMAIN)):
            for rate in rates:
                channels = 2 if rate == 44_100 else 1
                errors = ref_words = exact = grammar = 0
                audio_s = decode_s = 0.0
                per_call: list[float] = []
                for sentence in sentences:
                    data = synthesise(folder, sentence, rate, channels)
                    reference = words(written(sentence.lower()))
                    for _ in range(repeat):
                        t0 = time.perf_counter()
                        audio = decode_recording(data)
                        transcript = engine.transcribe(audio.pcm16, audio.sample_rate, "en")
                        elapsed = time.perf_counter() - t0
                        per_call.append(elapsed)
                        decode_s += elapsed
                        audio_s += audio.seconds
                    hypothesis = words(transcript.text)
                    errors += word_errors(reference, hypothesis)
                    ref_words += len(reference)
                    exact += hypothesis == reference
                    grammar += transcript.engine.endswith(":grammar")
                    if rate == rates[0]:
                        examples.append(f"  [{label}] {sentence!r} → {transcript.text!r} ")
                        examples[-1] += f"({transcript.engine}, {transcript.confidence})"
                n = len(sentences)
                print(
                    f"{label:<14}{rate:>7}{channels:>4}{max(0.0, 1 - errors / ref_words):>10.1%}"
                    f"{f'{exact}/{n}':>8}{f'{grammar}/{n}':>9}{audio_s:>9.1f}{decode_s:>8.2f}"
                    f"{decode_s / audio_s:>11.3f}{statistics.median(per_call):>10.2f}"
                    f"{max(per_call):>10.2f}"
                )
    print(f"\ntranscripts at {rates[0]} Hz:")
    print("\n".join(examples))
    load = os.getloadavg()[0]
    command = " ".join(
        shlex.quote(a) for a in [".venv/bin/python", "bench/voice.py", *sys.argv[1:]]
    )
    print(f"\nload average {load:.2f}; rerun: {command}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="16000,44100,8000", help="comma-separated sample rates")
    parser.add_argument("--repeat", type=int, default=1, help="decode each recording N times")
    args = parser.parse_args()
    run([int(r) for r in args.rates.split(",")], args.repeat)


if __name__ == "__main__":
    main()
