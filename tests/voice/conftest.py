"""Call recordings made by espeak-ng and sox in the test set-up (skip, or fail in CI, without)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.api.conftest import api  # noqa: F401  (the API fixture, for these tests too)
from tests.services import unavailable

Synth = Callable[..., bytes]


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """`synth(text, voice="en-us", rate=16000, channels=1, bits=16, encoding=None)` → WAV bytes."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed (apt-get install espeak-ng sox)")
    folder = tmp_path_factory.mktemp("calls")
    made: dict[tuple[object, ...], bytes] = {}

    def make(
        text: str,
        voice: str = "en-us",
        rate: int = 16_000,
        channels: int = 1,
        bits: int = 16,
        encoding: str | None = None,
    ) -> bytes:
        key = (text, voice, rate, channels, bits, encoding)
        if key not in made:
            raw, out = folder / f"{len(made)}-raw.wav", folder / f"{len(made)}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True)
            extra = ["-e", encoding] if encoding else []
            shape = ["-r", str(rate), "-c", str(channels), "-b", str(bits), *extra]
            # -R: repeatable dither, so the same text always gives the same samples
            subprocess.run(["sox", "-R", str(raw), *shape, str(out)], check=True)
            made[key] = Path(out).read_bytes()
        return made[key]

    return make
