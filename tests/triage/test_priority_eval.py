"""P1/P2 recall on a small hand-labelled set of urgent and routine messages."""

from __future__ import annotations

import json

from consigndesk.domain.triage import TriageInput
from consigndesk.triage import TriageEngine
from consigndesk.triage.dataset import packaged_path


def test_urgent_messages_are_p1_or_p2_and_routine_ones_are_not(engine: TriageEngine) -> None:
    rows = [
        json.loads(line)
        for line in packaged_path("priority_eval.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    missed, false_alarms = [], []
    for row in rows:
        item = TriageInput(
            row["text"], role=row.get("role", "buyer"), tier=row.get("tier", "regular")
        )
        high = engine.triage(item).priority in ("P1", "P2")
        if row["urgent"] and not high:
            missed.append(row["text"])
        if not row["urgent"] and high:
            false_alarms.append(row["text"])
    urgent = sum(r["urgent"] for r in rows)
    assert (urgent - len(missed)) / urgent >= 0.9, missed
    assert not false_alarms
