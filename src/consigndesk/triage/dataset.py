"""Labelled examples: the seed set shipped in the package, agents' corrections, eval files."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from consigndesk.domain.taxonomy import Emotion, Intent, Sentiment

SEED_FILE = "seed_intents.jsonl"
UNSEEN_FILE = "unseen_eval.jsonl"


@dataclass(frozen=True, slots=True)
class LabeledExample:
    """One message with its true intent; sentiment/emotion are optional (corrections lack them)."""

    text: str
    intent: str
    language: str | None = None  # None: detected from the text
    role: str = "buyer"
    sentiment: str | None = None
    emotion: str | None = None

    def __post_init__(self) -> None:
        if self.intent not in Intent.__members__.values():
            raise ValueError(f"unknown intent {self.intent!r}")
        if self.sentiment is not None and self.sentiment not in Sentiment.__members__.values():
            raise ValueError(f"unknown sentiment {self.sentiment!r}")
        if self.emotion is not None and self.emotion not in Emotion.__members__.values():
            raise ValueError(f"unknown emotion {self.emotion!r}")
        if self.role not in ("buyer", "seller"):
            raise ValueError(f"unknown role {self.role!r}")


def read_examples(path: str | Path) -> list[LabeledExample]:
    """Read a JSON-lines file of {text, intent, language?, role?, sentiment?, emotion?}."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            try:
                out.append(
                    LabeledExample(
                        text=row["text"],
                        intent=row["intent"],
                        language=row.get("language"),
                        role=row.get("role", "buyer"),
                        sentiment=row.get("sentiment"),
                        emotion=row.get("emotion"),
                    )
                )
            except (KeyError, ValueError) as exc:
                raise ValueError(f"{path}:{number}: {exc}") from exc
    return out


def packaged_path(name: str) -> Path:
    return Path(str(resources.files("consigndesk.triage").joinpath("data", name)))


def seed_examples() -> list[LabeledExample]:
    return read_examples(packaged_path(SEED_FILE))


def unseen_examples() -> list[LabeledExample]:
    return read_examples(packaged_path(UNSEEN_FILE))


def fingerprint(examples: Iterable[LabeledExample]) -> str:
    """sha256 over the examples in a canonical order, so a model names the data it was fit on."""
    lines = sorted(json.dumps(asdict(e), ensure_ascii=False, sort_keys=True) for e in examples)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
