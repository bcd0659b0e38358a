"""Deflection: how many conversations the assistant resolved, per intent and language.

Resolved by AI = the customer confirmed ("solved"), or did not write again within 24 hours of
the answer. Escalated = the customer asked for a human (or wrote again); reopened = came back
after confirming. Shares of resolved are over all conversations opened in the period.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from consigndesk.domain.events import utcnow
from consigndesk.services.unit_of_work import UnitOfWork

QUIET_PERIOD = timedelta(hours=24)
COUNTS = (
    "conversations",
    "ai_answered",
    "declined",
    "confirmed",
    "no_reply_24h",
    "resolved_by_ai",
    "escalated",
    "reopened",
    "awaiting_customer",
)


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _with_rates(counts: dict[str, int]) -> dict[str, Any]:
    answered = counts["ai_answered"]
    return {
        **counts,
        "resolved_share": _share(counts["resolved_by_ai"], counts["conversations"]),
        "escalated_share": _share(counts["escalated"], answered),
        "reopened_share": _share(counts["reopened"], answered),
    }


def deflection(uow: UnitOfWork, since: datetime, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    with uow:
        rows: list[dict[str, Any]] = uow.answers.deflection_rows(since)
    groups: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for row in rows:
        counts = groups[(row["intent"], row["language"])]
        counts["conversations"] += 1
        if row["decision"] == "declined":
            counts["declined"] += 1
        if row["decision"] != "answered":
            continue
        counts["ai_answered"] += 1
        outcome = row["outcome"]
        if outcome == "solved":
            counts["confirmed"] += 1
        elif outcome == "human":
            counts["escalated"] += 1
        elif outcome == "reopened":
            counts["reopened"] += 1
        elif row["answered_at"] <= now - QUIET_PERIOD:
            counts["no_reply_24h"] += 1
        else:
            counts["awaiting_customer"] += 1
        counts["resolved_by_ai"] = counts["confirmed"] + counts["no_reply_24h"]
    totals = dict.fromkeys(COUNTS, 0)
    for counts in groups.values():
        for key in COUNTS:
            totals[key] += counts[key]
    return {
        "since": since,
        "until": now,
        "totals": _with_rates(totals),
        "groups": [
            {"intent": intent, "language": language, **_with_rates(counts)}
            for (intent, language), counts in sorted(groups.items())
        ],
    }
