"""Shared fixtures: the shipped engine and one training run per test session."""

from __future__ import annotations

import pytest

from consigndesk.triage import TriageEngine, default_engine, seed_examples, train
from consigndesk.triage.model import TriageModel
from consigndesk.triage.training import Metrics


@pytest.fixture(scope="session")
def engine() -> TriageEngine:
    return default_engine()


@pytest.fixture(scope="session")
def trained() -> tuple[TriageModel, Metrics]:
    return train(seed_examples())
