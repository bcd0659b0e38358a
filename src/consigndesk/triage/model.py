"""The fitted model as plain arrays: stored as JSON + .npz (no pickle), scored with numpy."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from consigndesk.triage.features import FeatureIndex, vectorize

FORMAT = "consigndesk-triage/1"
META_FILE = "model.json"
WEIGHTS_FILE = "weights.npz"
HEADS = ("intent", "sentiment", "emotion")


@dataclass(frozen=True, slots=True)
class Head:
    """One linear classifier over the shared features, with its calibration temperature."""

    classes: tuple[str, ...]
    coef: npt.NDArray[np.float32]  # (n_features, n_classes)
    intercept: npt.NDArray[np.float32]
    temperature: float = 1.0


@dataclass(frozen=True, slots=True)
class Prediction:
    label: str
    confidence: float
    probabilities: dict[str, float]


@dataclass(frozen=True)
class TriageModel:
    """Immutable once built, so threads can share it without locks."""

    vocabulary: dict[str, int]
    idf: npt.NDArray[np.float32]
    heads: dict[str, Head]
    metadata: dict[str, Any] = field(default_factory=dict)
    _index: FeatureIndex = field(init=False, repr=False)
    _stacked: npt.NDArray[np.float32] = field(init=False, repr=False)
    _offsets: dict[str, tuple[int, int]] = field(init=False, repr=False)
    _intercepts: npt.NDArray[np.float32] = field(init=False, repr=False)
    _temperatures: npt.NDArray[np.float32] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        heads = [self.heads[name] for name in HEADS]
        widths = np.array([len(h.classes) for h in heads])
        starts = np.concatenate(([0], np.cumsum(widths)[:-1]))
        offsets = {
            name: (int(a), int(a + w)) for name, a, w in zip(HEADS, starts, widths, strict=True)
        }
        stacked = np.ascontiguousarray(np.hstack([h.coef for h in heads]), dtype=np.float32)
        stacked.setflags(write=False)
        # every head's intercepts and temperature side by side, so one pass scores all heads
        intercepts = np.hstack([h.intercept for h in heads]).astype(np.float32)
        temperatures = np.repeat(np.array([h.temperature for h in heads], np.float32), widths)
        for name, value in (
            ("_index", FeatureIndex.of(self.vocabulary)),
            ("_stacked", stacked),
            ("_offsets", offsets),
            ("_intercepts", intercepts),
            ("_temperatures", temperatures),
        ):
            object.__setattr__(self, name, value)

    @property
    def version(self) -> str:
        return str(self.metadata.get("version", "unversioned"))

    def predict(self, text: str, role: str) -> dict[str, Prediction]:
        """Calibrated class probabilities of every head for one cleaned message."""
        idx, values = vectorize(self._index.ids(text, role), self.idf)
        raw = values @ self._stacked[idx] if len(idx) else np.zeros(self._stacked.shape[1])
        scores = ((raw + self._intercepts) / self._temperatures).tolist()
        out: dict[str, Prediction] = {}
        for name in HEADS:
            classes = self.heads[name].classes
            lo, hi = self._offsets[name]
            probs = _softmax(scores[lo:hi])
            best = max(range(len(classes)), key=probs.__getitem__)
            by_class = dict(zip(classes, probs, strict=True))
            out[name] = Prediction(classes[best], probs[best], by_class)
        return out


def _softmax(scores: list[float]) -> list[float]:
    """One head's softmax in plain floats: a head has a handful of classes, fewer than it takes
    for numpy's per-call cost to pay off."""
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def softmax(scores: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float64]:
    shifted = np.exp(scores.astype(np.float64) - np.max(scores, axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def save_model(model: TriageModel, path: str | os.PathLike[str]) -> Path:
    """Write model.json + weights.npz into directory `path`, each replaced atomically."""
    target = Path(path)
    target.mkdir(parents=True, exist_ok=True)
    vocab_list = sorted(model.vocabulary, key=model.vocabulary.__getitem__)
    meta = {
        "format": FORMAT,
        **model.metadata,
        "heads": {
            n: {"classes": list(h.classes), "temperature": h.temperature}
            for n, h in model.heads.items()
        },
        "vocabulary": vocab_list,
    }
    arrays: dict[str, npt.NDArray[Any]] = {"idf": model.idf}
    for name, head in model.heads.items():
        arrays[f"coef_{name}"] = head.coef.astype(np.float16)
        arrays[f"intercept_{name}"] = head.intercept
    _atomic_write(
        target / WEIGHTS_FILE, lambda fh: np.savez_compressed(fh, allow_pickle=False, **arrays)
    )
    _atomic_write(
        target / META_FILE,
        lambda fh: fh.write(json.dumps(meta, ensure_ascii=False, indent=0).encode("utf-8")),
    )
    return target


def _atomic_write(dest: Path, write: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the model ships as ordinary package data
        os.replace(tmp, dest)
    except BaseException:
        os.unlink(tmp)
        raise


def load_model(path: str | os.PathLike[str]) -> TriageModel:
    """Read a model directory written by `save_model`; arrays load with allow_pickle=False."""
    source = Path(path)
    meta = json.loads((source / META_FILE).read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT:
        raise ValueError(f"{source}: not a {FORMAT} model (format={meta.get('format')!r})")
    vocabulary = {f: i for i, f in enumerate(meta.pop("vocabulary"))}
    heads_meta: Mapping[str, Any] = meta.pop("heads")
    meta.pop("format")
    with np.load(source / WEIGHTS_FILE, allow_pickle=False) as arrays:
        idf = arrays["idf"].astype(np.float32)
        heads = {
            name: Head(
                classes=tuple(heads_meta[name]["classes"]),
                coef=arrays[f"coef_{name}"].astype(np.float32),
                intercept=arrays[f"intercept_{name}"].astype(np.float32),
                temperature=float(heads_meta[name]["temperature"]),
            )
            for name in HEADS
        }
    if len(idf) != len(vocabulary):
        raise ValueError(f"{source}: {len(idf)} idf values for {len(vocabulary)} features")
    return TriageModel(vocabulary, idf, heads, meta)
