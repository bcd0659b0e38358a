"""Behaviour on messages the model never saw: the unseen set, written apart from the seed set."""

from __future__ import annotations

from collections import Counter

from consigndesk.domain.triage import TriageInput
from consigndesk.triage import TriageEngine, seed_examples, unseen_examples


def test_seed_set_covers_every_intent_in_both_languages() -> None:
    counts = Counter((e.intent, e.language) for e in seed_examples())
    assert len(counts) == 24
    assert min(counts.values()) >= 60


def test_unseen_set_shares_no_text_with_the_seed_set() -> None:
    assert not {e.text for e in seed_examples()} & {e.text for e in unseen_examples()}


def test_unseen_intent_accuracy_is_at_least_90_percent_per_language(engine: TriageEngine) -> None:
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for example in unseen_examples():
        result = engine.triage(TriageInput(example.text, role=example.role))
        assert result.language == example.language, example.text
        total[example.language] += 1
        right[example.language] += result.intent == example.intent
    accuracy = {lang: right[lang] / total[lang] for lang in total}
    assert min(accuracy.values()) >= 0.9, accuracy
