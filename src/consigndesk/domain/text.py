"""Text every database can store: PostgreSQL's text cannot hold U+0000, and a lone surrogate
(`\\ud800` in JSON) has no UTF-8 form at all, so neither database can take it."""

from __future__ import annotations


def has_nul(text: str) -> bool:
    return "\x00" in text


def has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def storable(text: str) -> bool:
    return not has_nul(text) and not has_lone_surrogate(text)
