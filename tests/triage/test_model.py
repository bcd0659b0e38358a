"""Model storage without pickle, the shipped model's provenance, training and hot swap."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from consigndesk.domain.triage import TriageInput
from consigndesk.triage import (
    LabeledExample,
    TriageEngine,
    compare,
    default_model_path,
    load_model,
    save_model,
    seed_examples,
    train,
)
from consigndesk.triage.dataset import fingerprint
from consigndesk.triage.features import FeatureIndex, analyze, vectorize
from consigndesk.triage.model import META_FILE, WEIGHTS_FILE, Head, TriageModel, softmax
from consigndesk.triage.text import clean
from consigndesk.triage.training import Metrics


def _refuse_pickle(*args: object, **kwargs: object) -> None:
    raise AssertionError("pickle must not be used to load a model")


def test_roundtrip_gives_identical_predictions_without_pickle(
    trained: tuple[TriageModel, Metrics], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, _ = trained
    save_model(model, tmp_path)
    monkeypatch.setattr(pickle, "load", _refuse_pickle)
    monkeypatch.setattr(pickle, "loads", _refuse_pickle)
    loaded = load_model(tmp_path)
    for text in ("退款什么时候到账", "my gift card code is invalid", "卖出去的货款什么时候结算"):
        a = model.predict(clean(text).text, "buyer")
        b = loaded.predict(clean(text).text, "buyer")
        assert {k: v.label for k, v in a.items()} == {k: v.label for k, v in b.items()}
        assert a["intent"].confidence == pytest.approx(b["intent"].confidence, abs=1e-6)
    assert loaded.metadata["training_sha256"] == model.metadata["training_sha256"]


def test_stored_files_are_plain_json_and_object_free_npz(
    trained: tuple[TriageModel, Metrics], tmp_path: Path
) -> None:
    save_model(trained[0], tmp_path)
    meta = json.loads((tmp_path / META_FILE).read_text(encoding="utf-8"))
    assert {"version", "created_at", "training_sha256", "metrics", "vocabulary"} <= set(meta)
    with np.load(tmp_path / WEIGHTS_FILE, allow_pickle=False) as arrays:
        assert all(arrays[name].dtype != object for name in arrays.files)


def test_loading_for_serving_does_not_import_sklearn() -> None:
    code = (
        "import sys\n"
        "from consigndesk.triage import default_engine\n"
        "from consigndesk.domain.triage import TriageInput\n"
        "default_engine().triage(TriageInput('where is my parcel'))\n"
        "assert not any(m.startswith('sklearn') for m in sys.modules), 'sklearn imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_shipped_model_was_trained_on_the_current_seed_file() -> None:
    shipped = load_model(default_model_path())
    assert shipped.metadata["training_sha256"] == fingerprint(seed_examples()), (
        "seed_intents.jsonl changed: rerun `python -m consigndesk.triage.training`"
    )


def test_held_out_metrics_are_reported_per_language(trained: tuple[TriageModel, Metrics]) -> None:
    _, metrics = trained
    assert set(metrics.accuracy_by_language) == {"zh", "en"}
    assert metrics.n_test > 0.15 * (metrics.n_train + metrics.n_test)
    assert min(metrics.accuracy_by_language.values()) >= 0.8
    assert Metrics.from_dict(metrics.to_dict()) == metrics


def test_progress_is_reported_and_corrections_are_learned() -> None:
    steps: list[tuple[int, int]] = []
    phrase = "zorblax widget flimflam"
    corrections = [LabeledExample(f"{phrase} {i}", "listing", "en", "seller") for i in range(12)]
    model, _ = train(seed_examples() + corrections, progress=lambda d, t: steps.append((d, t)))
    assert steps[-1][0] == steps[-1][1]
    assert model.predict(phrase, "seller")["intent"].label == "listing"


def test_compare_accepts_equal_and_rejects_worse(trained: tuple[TriageModel, Metrics]) -> None:
    _, current = trained
    assert compare(current, current)
    worse_en = {**current.accuracy_by_language, "en": current.accuracy_by_language["en"] - 0.1}
    worse = Metrics.from_dict({**current.to_dict(), "accuracy_by_language": worse_en})
    assert not compare(worse, current)


def test_unknown_labels_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown intent"):
        LabeledExample("hi", "smalltalk")


def test_swap_is_atomic_under_concurrent_reads(
    engine: TriageEngine, trained: tuple[TriageModel, Metrics]
) -> None:
    local = TriageEngine(engine.model, rules=engine.rules)
    new_model, _ = trained
    versions: set[str] = set()
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(100):
                versions.add(local.triage(TriageInput("我的快递到哪了")).model_version)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    old = local.swap(new_model)
    for t in threads:
        t.join()
    assert not errors
    assert old is engine.model
    assert local.model is new_model
    assert versions <= {engine.model.version, new_model.version}
    assert local.triage(TriageInput("我的快递到哪了")).model_version == new_model.version


def test_every_head_is_its_own_calibrated_softmax() -> None:
    """All heads are scored in one pass; each must still be the softmax of its own scores
    (intercept added, divided by its temperature), its classes in its order."""
    rng = np.random.default_rng(7)
    vocabulary = {f"w:{w}": i for i, w in enumerate(["退款", "refund", "卡密", "code", "慢"])}
    widths = {"intent": 4, "sentiment": 3, "emotion": 5}
    heads = {
        name: Head(
            classes=tuple(f"{name}{i}" for i in range(width)),
            coef=rng.normal(size=(len(vocabulary), width)).astype(np.float32),
            intercept=rng.normal(size=width).astype(np.float32),
            temperature=temperature,
        )
        for (name, width), temperature in zip(widths.items(), (0.5, 1.0, 2.5), strict=True)
    }
    model = TriageModel(vocabulary, np.ones(len(vocabulary), np.float32), heads)
    predicted = model.predict("退款 refund", "buyer")
    idx, values = vectorize(map(vocabulary.get, analyze("退款 refund", "buyer")), model.idf)
    for name, head in heads.items():
        expected = softmax((values @ head.coef[idx] + head.intercept) / head.temperature)
        got = predicted[name]
        assert list(got.probabilities) == list(head.classes)
        assert list(got.probabilities.values()) == pytest.approx(expected.tolist(), abs=1e-12)
        assert got.label == head.classes[int(np.argmax(expected))]
        assert got.confidence == pytest.approx(float(expected.max()), abs=1e-12)


SERVING_TEXTS = [
    "订单 js20261207000123 还没发货，退款什么时候到账？",
    "my gift card code from order 42 says already redeemed. refund?",
    "卖家：settlement 还没到账, please check 2 次了",
    "c: w:卡密 b:x|y rk:buyer|k:refund",  # text that looks like feature names
    "𠀀𠀁 astral 𝔘 characters and emoji-free symbols ★",
    " ",
    "",
    "a",
    "退",
]


@pytest.mark.parametrize("role", ["buyer", "seller"])
def test_serving_finds_exactly_the_features_training_names(engine: TriageEngine, role: str) -> None:
    """`FeatureIndex` skips building the `c:` strings; it must still find the same features,
    as often, as looking `analyze`'s strings up in the vocabulary does."""
    vocabulary = engine.model.vocabulary
    index = FeatureIndex.of(vocabulary)
    found_any = False
    for text in [*SERVING_TEXTS, *(clean(t).text for t in SERVING_TEXTS)]:
        expected = Counter(map(vocabulary.get, analyze(text, role)))
        assert Counter(index.ids(text, role)) == expected, text
        found_any |= any(i is not None for i in expected)
    assert found_any
