"""Our triage pipeline (clean → n-grams + jieba words + concepts → linear model) on public sets.

Trains on each set's train split and scores its test split, next to the numbers published for it
(see ../shared/data/README.md); then scores the shipped model on our own held-out and unseen sets.
The public data is read in place from ../shared/data and never copied or used for the shipped model.

Run: .venv/bin/python bench/eval_public.py [--only NAME ...] [--max-train N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer

from consigndesk.domain.triage import TriageInput
from consigndesk.triage import default_engine, default_model_path, load_model, unseen_examples
from consigndesk.triage.features import analyze, fit_vocabulary, matrix
from consigndesk.triage.text import clean

DATA = Path(
    os.environ.get("CONSIGNDESK_SHARED_DATA", Path(__file__).parents[2] / "shared" / "data")
)
COMMAND = ".venv/bin/python bench/eval_public.py"
SEED = 7


@dataclass(frozen=True)
class Task:
    name: str
    folder: str
    train: str
    test: str
    published: str
    multilabel: bool = False
    oos_label: str | None = None


TASKS = [
    Task(
        "banking77",
        "banking77",
        "train",
        "test",
        "BERT-large / USE+ConveRT ≈93–94 acc; README TF-IDF+LinearSVC 89.38 / 89.40",
    ),
    Task(
        "clinc150",
        "clinc150",
        "train",
        "test",
        "BERT 96.9 in-scope / 40.3 OOS recall; SVM 91.0 / 14.5; README 91.02 / 11.0",
        oos_label="oos",
    ),
    Task(
        "bitext",
        "bitext_customer_service",
        "train",
        "test",
        "no academic benchmark; README 99.26 / 99.28",
    ),
    Task(
        "goemotions (28 labels)",
        "goemotions",
        "train",
        "test",
        "BERT-base macro-F1 0.46; TF-IDF+LR micro-F1 0.51; README 45.43 / 52.81 (F1 %)",
        multilabel=True,
    ),
    Task(
        "online_shopping_10_cats",
        "online_shopping_10_cats",
        "train",
        "test",
        "no benchmark; README 93.26 / 93.26",
    ),
    Task(
        "chnsenticorp_htl_all",
        "chnsenticorp_htl_all",
        "train",
        "test",
        "no benchmark for this version; README 90.86 / 89.20",
    ),
    Task("waimai_10k", "waimai_10k", "train", "test", "no benchmark; README 90.63 / 88.79"),
    Task(
        "smp2020_ewect virus",
        "smp2020_ewect",
        "virus_train",
        "virus_test_labeled",
        "README 75.83 acc / 58.38 macro-F1",
    ),
    Task(
        "smp2020_ewect usual (2k train)",
        "smp2020_ewect",
        "usual_eval_labeled",
        "usual_test_labeled",
        "BERT on full usual_train 77.2 / 73.9; README 65.48 / 59.32",
    ),
]


def _read(task: Task, split: str, cap: int | None) -> list[dict[str, Any]]:
    path = DATA / task.folder / "jsonl" / f"{split}.jsonl"
    with path.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    if cap is not None and len(rows) > cap:
        rows = random.Random(SEED).sample(rows, cap)
    return rows


def _docs(rows: list[dict[str, Any]]) -> list[list[str]]:
    return [analyze(clean(str(r["text"])).text, "buyer") for r in rows]


def _evaluate(task: Task, max_train: int) -> dict[str, Any]:
    train_rows = _read(task, task.train, max_train)
    test_rows = _read(task, task.test, None)
    start = time.perf_counter()
    train_docs = _docs(train_rows)
    vocab, idf = fit_vocabulary(train_docs, 2)
    x_train = matrix(train_docs, vocab, idf)
    x_test = matrix(_docs(test_rows), vocab, idf)
    result: dict[str, Any] = {
        "task": task.name,
        "n_train": len(train_rows),
        "n_test": len(test_rows),
        "published": task.published,
    }
    if task.multilabel:
        binarizer = MultiLabelBinarizer()
        y_train = binarizer.fit_transform([r["label"] for r in train_rows])
        y_test = binarizer.transform([r["label"] for r in test_rows])
        clf = OneVsRestClassifier(
            LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced"), n_jobs=1
        )
        clf.fit(x_train, y_train)
        predicted = clf.predict(x_test)
        result["macro_f1"] = f1_score(y_test, predicted, average="macro", zero_division=0)
        result["micro_f1"] = f1_score(y_test, predicted, average="micro", zero_division=0)
    else:
        y_train = [str(r["label"]) for r in train_rows]
        truth = [str(r["label"]) for r in test_rows]
        clf_single = LogisticRegression(C=20.0, max_iter=3000)
        clf_single.fit(x_train, y_train)
        predicted_labels = list(clf_single.predict(x_test))
        result["accuracy"] = accuracy_score(truth, predicted_labels)
        result["macro_f1"] = f1_score(truth, predicted_labels, average="macro", zero_division=0)
        if task.oos_label:
            inscope = [i for i, t in enumerate(truth) if t != task.oos_label]
            oos = [i for i, t in enumerate(truth) if t == task.oos_label]
            result["in_scope_acc"] = float(
                np.mean([truth[i] == predicted_labels[i] for i in inscope])
            )
            result["oos_recall"] = float(
                np.mean([predicted_labels[i] == task.oos_label for i in oos])
            )
    result["seconds"] = time.perf_counter() - start
    return result


def _own_sets() -> list[str]:
    model = load_model(default_model_path())
    metrics = model.metadata["metrics"]
    engine = default_engine()
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for ex in unseen_examples():
        total[str(ex.language)] += 1
        right[str(ex.language)] += (
            engine.triage(TriageInput(ex.text, role=ex.role)).intent == ex.intent
        )
    by_lang = metrics["accuracy_by_language"]
    return [
        f"| own seed held-out 20 % (intent) | {metrics['n_train']} | {metrics['n_test']} | "
        f"{100 * metrics['accuracy']:.2f} "
        f"(zh {100 * by_lang['zh']:.2f}, en {100 * by_lang['en']:.2f})"
        f" | {100 * metrics['macro_f1']:.2f} | – | – |",
        f"| own unseen_eval (intent, shipped model) | – | {sum(total.values())} | "
        + ", ".join(f"{lang} {100 * right[lang] / total[lang]:.2f}" for lang in sorted(total))
        + " | – | target ≥ 90 per language | – |",
        f"| own seed held-out (sentiment / emotion) | {metrics['n_train']} | {metrics['n_test']} | "
        f"{100 * metrics['sentiment_accuracy']:.2f} / {100 * metrics['emotion_accuracy']:.2f}"
        " | – | – | – |",
    ]


def _row(r: dict[str, Any]) -> str:
    if "in_scope_acc" in r:
        score = (
            f"{100 * r['accuracy']:.2f} overall; in-scope {100 * r['in_scope_acc']:.2f}, "
            f"OOS recall {100 * r['oos_recall']:.2f}"
        )
    elif "accuracy" in r:
        score = f"{100 * r['accuracy']:.2f}"
    else:
        score = f"micro-F1 {100 * r['micro_f1']:.2f}"
    return (
        f"| {r['task']} | {r['n_train']} | {r['n_test']} | {score} | "
        f"{100 * r['macro_f1']:.2f} | {r['published']} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", help="task names to run (default: all)")
    parser.add_argument(
        "--max-train",
        type=int,
        default=20000,
        help="cap on training rows per set (sampled with a fixed seed)",
    )
    args = parser.parse_args()
    report: Callable[[str], None] = print
    report(
        "| set | train | test | accuracy (%) | macro-F1 (%) | published / reference | time (s) |"
    )
    report("|---|---|---|---|---|---|---|")
    for task in TASKS:
        if args.only and task.name not in args.only and task.folder not in args.only:
            continue
        r = _evaluate(task, args.max_train)
        report(_row(r) + f" {r['seconds']:.0f} |")
    for line in _own_sets():
        report(line)
    report(f"\nrerun: {COMMAND} --max-train {args.max_train}")


if __name__ == "__main__":
    main()
