"""Triage engine: language, intent, sentiment, emotion, priority and group of a customer message.

Pure Python over numpy/scipy at serving time; scikit-learn is used only by `train`.
"""

from typing import TYPE_CHECKING

from consigndesk.triage.cli_lines import run_triage_lines
from consigndesk.triage.dataset import LabeledExample, read_examples, seed_examples, unseen_examples
from consigndesk.triage.engine import TriageEngine, default_engine, default_model_path
from consigndesk.triage.model import TriageModel, load_model, save_model
from consigndesk.triage.rules import load_rules

if TYPE_CHECKING:
    from consigndesk.triage.training import Metrics, compare, train

__all__ = [
    "LabeledExample",
    "Metrics",
    "TriageEngine",
    "TriageModel",
    "compare",
    "default_engine",
    "default_model_path",
    "load_model",
    "load_rules",
    "read_examples",
    "run_triage_lines",
    "save_model",
    "seed_examples",
    "train",
    "unseen_examples",
]


def __getattr__(name: str) -> object:
    """`train`/`compare` load scikit-learn, so serving code that never trains never imports it."""
    if name in ("train", "compare", "Metrics"):
        from consigndesk.triage import training

        return getattr(training, name)
    raise AttributeError(name)
