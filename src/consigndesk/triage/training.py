"""Fit the three linear heads on labelled examples and report held-out metrics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import optimize, sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from consigndesk.triage.dataset import LabeledExample, fingerprint, packaged_path, seed_examples
from consigndesk.triage.features import analyze, fit_vocabulary, matrix
from consigndesk.triage.lang import detect_language
from consigndesk.triage.model import HEADS, Head, TriageModel, save_model, softmax
from consigndesk.triage.text import clean

HELD_OUT = 0.2
SEED = 13
MIN_DF = 2
C_BY_HEAD = {"intent": 20.0, "sentiment": 5.0, "emotion": 5.0}
COMPARE_TOLERANCE = 0.01  # a retrained model may be this much worse and still count as not worse
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Metrics:
    """Held-out scores of one training run (the shipped weights are then refit on all data)."""

    accuracy: float
    macro_f1: float
    accuracy_by_language: dict[str, float]
    f1_by_intent: dict[str, float]
    sentiment_accuracy: float
    emotion_accuracy: float
    n_train: int
    n_test: int
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Metrics:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class _Prepared:
    docs: list[list[str]]
    languages: list[str]
    labels: dict[str, list[str | None]]


def _prepare(examples: Sequence[LabeledExample]) -> _Prepared:
    docs, languages = [], []
    for ex in examples:
        cleaned = clean(ex.text)
        docs.append(analyze(cleaned.text, ex.role))
        languages.append(ex.language or detect_language(cleaned.text).language)
    labels: dict[str, list[str | None]] = {
        "intent": [ex.intent for ex in examples],
        "sentiment": [ex.sentiment for ex in examples],
        "emotion": [ex.emotion for ex in examples],
    }
    return _Prepared(docs, languages, labels)


def _split(prepared: _Prepared) -> tuple[list[int], list[int]]:
    """Stratified by intent × language when every stratum allows it, else by intent, else none."""
    rows = list(range(len(prepared.docs)))
    intents = [str(i) for i in prepared.labels["intent"]]
    for strata in (
        [f"{i}/{lang}" for i, lang in zip(intents, prepared.languages, strict=True)],
        intents,
    ):
        if min(Counter(strata).values()) >= 2:
            train, test = train_test_split(
                rows, test_size=HELD_OUT, random_state=SEED, stratify=strata
            )
            return list(train), list(test)
    train, test = train_test_split(rows, test_size=HELD_OUT, random_state=SEED)
    return list(train), list(test)


def _fit_head(name: str, x: sparse.csr_matrix, y: Sequence[str | None]) -> Head:
    rows = [i for i, label in enumerate(y) if label is not None]
    targets = [str(y[i]) for i in rows]
    if len(set(targets)) < 2:
        raise ValueError(f"the {name} head needs at least two labelled classes")
    clf = LogisticRegression(C=C_BY_HEAD[name], max_iter=5000, class_weight="balanced")
    clf.fit(x[rows], targets)
    # Stored as float16: round here so the in-memory model equals the one loaded from disk.
    coef = clf.coef_.T.astype(np.float16).astype(np.float32)
    intercept = clf.intercept_.astype(np.float32)
    if coef.shape[1] == 1:  # binary: sklearn keeps one column; expand to two softmax columns
        coef = np.hstack([-coef / 2, coef / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
    return Head(tuple(str(c) for c in clf.classes_), coef, intercept)


def _logits(head: Head, x: sparse.csr_matrix) -> npt.NDArray[np.float64]:
    return np.asarray(x @ head.coef, dtype=np.float64) + head.intercept


def _temperature(head: Head, x: sparse.csr_matrix, y: Sequence[str | None]) -> float:
    """Temperature minimising held-out log loss (Guo et al. 2017 temperature scaling)."""
    rows = [i for i, label in enumerate(y) if label is not None and label in head.classes]
    if not rows:
        return 1.0
    logits = _logits(head, x[rows])
    target = np.array([head.classes.index(str(y[i])) for i in rows])

    def nll(log_t: float) -> float:
        probs = softmax(logits / np.exp(log_t))
        return float(-np.mean(np.log(probs[np.arange(len(rows)), target] + 1e-12)))

    result = optimize.minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
    return float(np.exp(result.x))


def _accuracy(head: Head, x: sparse.csr_matrix, y: Sequence[str | None]) -> float:
    rows = [i for i, label in enumerate(y) if label is not None]
    if not rows:
        return 0.0
    predicted = np.array(head.classes)[np.argmax(_logits(head, x[rows]), axis=1)]
    return float(accuracy_score([y[i] for i in rows], predicted))


def _fit_heads(
    docs: Sequence[Sequence[str]], labels: dict[str, list[str | None]]
) -> tuple[dict[str, int], npt.NDArray[np.float32], sparse.csr_matrix, dict[str, Head]]:
    vocab, idf = fit_vocabulary(docs, MIN_DF)
    x = matrix(docs, vocab, idf)
    return vocab, idf, x, {name: _fit_head(name, x, labels[name]) for name in HEADS}


def _subset(
    labels: dict[str, list[str | None]], rows: Sequence[int]
) -> dict[str, list[str | None]]:
    return {name: [values[i] for i in rows] for name, values in labels.items()}


def train(
    examples: Iterable[LabeledExample], *, progress: Progress | None = None
) -> tuple[TriageModel, Metrics]:
    """Fit on 80 %, score and calibrate on the held-out 20 %, then refit on everything."""
    items = list(examples)
    report = progress or (lambda done, total: None)
    steps = 4
    prepared = _prepare(items)
    report(1, steps)

    train_rows, test_rows = _split(prepared)
    vocab_tr, idf_tr, _, held_heads = _fit_heads(
        [prepared.docs[i] for i in train_rows], _subset(prepared.labels, train_rows)
    )
    report(2, steps)
    x_test = matrix([prepared.docs[i] for i in test_rows], vocab_tr, idf_tr)
    test_labels = _subset(prepared.labels, test_rows)
    temperatures = {n: _temperature(h, x_test, test_labels[n]) for n, h in held_heads.items()}
    metrics = _metrics(
        held_heads["intent"],
        x_test,
        test_labels,
        held_heads,
        [prepared.languages[i] for i in test_rows],
        len(train_rows),
    )
    report(3, steps)

    vocab, idf, _, heads = _fit_heads(prepared.docs, prepared.labels)
    calibrated = {
        n: Head(h.classes, h.coef, h.intercept, temperatures[n]) for n, h in heads.items()
    }
    created = datetime.now(UTC)
    sha = fingerprint(items)
    metadata = {
        "version": f"{created:%Y%m%d.%H%M%S}-{sha[:8]}",
        "created_at": created.isoformat(timespec="seconds"),
        "training_sha256": sha,
        "n_examples": len(items),
        "metrics": metrics.to_dict(),
    }
    report(4, steps)
    return TriageModel(vocab, idf, calibrated, metadata), metrics


def _metrics(
    intent_head: Head,
    x: sparse.csr_matrix,
    labels: dict[str, list[str | None]],
    heads: dict[str, Head],
    languages: Sequence[str],
    n_train: int,
) -> Metrics:
    truth = [str(v) for v in labels["intent"]]
    predicted = list(np.array(intent_head.classes)[np.argmax(_logits(intent_head, x), axis=1)])
    by_language = {}
    for lang in sorted(set(languages)):
        rows = [i for i, v in enumerate(languages) if v == lang]
        by_language[lang] = float(
            accuracy_score([truth[i] for i in rows], [predicted[i] for i in rows])
        )
    classes = sorted(set(truth))
    f1s = f1_score(truth, predicted, labels=classes, average=None, zero_division=0)
    return Metrics(
        accuracy=float(accuracy_score(truth, predicted)),
        macro_f1=float(f1_score(truth, predicted, average="macro", zero_division=0)),
        accuracy_by_language=by_language,
        f1_by_intent={c: float(f) for c, f in zip(classes, f1s, strict=True)},
        sentiment_accuracy=_accuracy(heads["sentiment"], x, labels["sentiment"]),
        emotion_accuracy=_accuracy(heads["emotion"], x, labels["emotion"]),
        n_train=n_train,
        n_test=len(truth),
    )


def compare(new_metrics: Metrics, current_metrics: Metrics) -> bool:
    """True when the new model is not worse: accuracy, macro-F1 and each language, ± tolerance."""
    pairs = [
        (new_metrics.accuracy, current_metrics.accuracy),
        (new_metrics.macro_f1, current_metrics.macro_f1),
    ]
    pairs.extend(
        (new_metrics.accuracy_by_language.get(lang, 0.0), value)
        for lang, value in current_metrics.accuracy_by_language.items()
    )
    return all(new >= current - COMPARE_TOLERANCE for new, current in pairs)


def rebuild_shipped_model() -> Metrics:
    """Retrain on the packaged seed set and overwrite the shipped model (after editing seeds)."""
    model, metrics = train(seed_examples(), progress=lambda d, t: print(f"training {d}/{t}"))
    print(f"saved {save_model(model, packaged_path('model'))} version {model.version}")
    return metrics


if __name__ == "__main__":
    rebuild_shipped_model()
