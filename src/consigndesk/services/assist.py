"""Agent assist: a suggested reply from the same facts and articles the assistant uses, the
articles themselves, and macros filled in for this ticket — all as the viewing agent may see it."""

from __future__ import annotations

from typing import Any

from consigndesk.domain import answers as text
from consigndesk.services.answers import Knowledge, attempt, translator
from consigndesk.services.macros import list_macros, macro_context, render_macro


def assist_panel(knowledge: Knowledge, ticket: dict[str, Any], agent_name: str) -> dict[str, Any]:
    """`ticket` is a ticket detail already shaped for the viewer (masked for outsourced agents)."""
    language = ticket["language"] if ticket["language"] in ("zh", "en") else "zh"
    question = next(
        (m["body"] for m in ticket["messages"] if m["author_type"] == "customer"), ticket["subject"]
    )
    suggestion = attempt(
        knowledge,
        intent=ticket["intent"],
        language=language,
        view=ticket.get("order"),
        customer_ref=ticket["customer"]["external_id"],
        question=question,
        closing=False,
    )
    t = translator(language)
    articles = knowledge.related(ticket["intent"], language, question)
    context = macro_context(ticket, agent_name)
    macros = []
    for macro in list_macros(knowledge.read_uow()):
        body, missing = render_macro(macro["body"], context)
        macros.append({**macro, "rendered": body, "missing": missing})
    macros.sort(key=lambda m: (m["language"] != language, ticket["intent"] not in m["intents"]))
    return {
        "language": language,
        "suggestion": suggestion.body,
        "suggestion_reason": suggestion.reason,
        "facts": suggestion.facts,
        "articles": [
            {**a, "insert": f"{t(text.ARTICLE_LINE) % {'title': a['title']}}\n\n{a['excerpt']}"}
            for a in articles
        ],
        "macros": macros,
    }
