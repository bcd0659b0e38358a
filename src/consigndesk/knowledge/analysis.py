"""Text analysis shared by indexing and querying, so both sides always agree on tokens.

- Chinese runs are segmented by jieba (search mode, no HMM: deterministic) with our own words
  added, in a private `jieba.Tokenizer` so triage's global dictionary is left alone;
- Latin runs are lower-cased, NFKC-folded and lightly stemmed (refunds/refunded → refund);
- the index stores the tokens space-joined, so SQLite FTS5 (unicode61) and PostgreSQL
  (`to_tsvector('simple', …)`) see exactly the same words;
- queries drop stop words, correct typos against the index vocabulary (edit distance 1-2 via
  deletion neighbourhoods, SymSpell-style) and add the members of bilingual synonym groups.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import jieba

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_RUNS = re.compile(rf"[{_HAN}]+|[a-z0-9]+")
_IS_HAN = re.compile(rf"^[{_HAN}]+$")


@cache
def _word_list(name: str) -> frozenset[str]:
    """A word list from data/ (read on first use, not at import)."""
    source = resources.files("consigndesk.knowledge").joinpath(f"data/{name}")
    lines = (line.strip() for line in source.read_text(encoding="utf-8").splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def stop_words() -> frozenset[str]:
    return _word_list("stopwords_en.txt") | _word_list("stopwords_zh.txt")


def _jieba_cache_dir() -> str:
    path = os.path.join(tempfile.gettempdir(), "consigndesk-jieba")
    os.makedirs(path, exist_ok=True)
    return path


_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def _jieba() -> jieba.Tokenizer:
    """Our own tokenizer, loaded once per process (≈1 s from jieba's cache)."""
    global _tokenizer
    if _tokenizer is not None:
        return _tokenizer
    with _lock:
        if _tokenizer is None:
            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.tmp_dir = _jieba_cache_dir()
            tokenizer.initialize()
            for word in {*_word_list("words_zh.txt"), *synonym_table().han_words}:
                tokenizer.add_word(word, 20000)
            _tokenizer = tokenizer
    return _tokenizer


def warm_up() -> None:
    """Load the dictionary now rather than on the first search (call from start-up code)."""
    _jieba()


def stem(word: str) -> str:
    """A light English stemmer: plural, -ed, -ing and a final -e (receive/received → receiv)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "xes", "ches", "shes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ied") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeious":
        word = word[:-1]  # shipp → ship, runn → run; keeps "fee", "call", "pass"
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _surface_tokens(text: str) -> list[tuple[str, str]]:
    """(word as written, index token) pairs; Chinese words are their own tokens."""
    out: list[tuple[str, str]] = []
    for match in _RUNS.finditer(normalise(text)):
        run = match.group(0)
        if _IS_HAN.match(run):
            out.extend((w, w) for w in _jieba().cut_for_search(run, HMM=False) if w.strip())
        else:
            out.append((run, stem(run)))
    return out


def index_tokens(text: str) -> list[str]:
    """The words stored in the search index for a title, tag list or body."""
    return [token for _, token in _surface_tokens(text)]


def plain_text(markdown: str) -> str:
    """Markdown without its markup, for indexing and snippets."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.DOTALL)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+", "", text, flags=re.MULTILINE)
    text = re.sub(r"[*_`]+", "", text)
    text = re.sub(r"\||^-{3,}$", " ", text, flags=re.MULTILINE)
    return " ".join(text.split())


# --- synonyms ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SynonymTable:
    groups: tuple[frozenset[str], ...]  # single-word members, as index tokens
    by_term: dict[str, tuple[int, ...]]  # token → groups it belongs to
    phrases: tuple[tuple[tuple[str, ...], int], ...]  # multi-word trigger → group
    han_words: frozenset[str]

    def expand(self, tokens: list[str]) -> dict[str, str]:
        """Extra query terms (term → the query word that brought it in)."""
        hits: dict[int, str] = {}
        for token in tokens:
            for group in self.by_term.get(token, ()):
                hits.setdefault(group, token)
        for phrase, group in self.phrases:
            n = len(phrase)
            if any(tuple(tokens[i : i + n]) == phrase for i in range(len(tokens) - n + 1)):
                hits.setdefault(group, " ".join(phrase))
        extra: dict[str, str] = {}
        for group, source in hits.items():
            for member in sorted(self.groups[group]):
                extra.setdefault(member, source)
        return extra


def _split_member(member: str) -> list[str]:
    """Latin members are stemmed word by word; Chinese members stay whole (they are jieba words)."""
    text = normalise(member)
    return [stem(w) if not _IS_HAN.match(w) else w for w in _RUNS.findall(text)]


@cache
def synonym_table() -> SynonymTable:
    source = resources.files("consigndesk.knowledge").joinpath("data/synonyms.txt")
    groups: list[frozenset[str]] = []
    by_term: dict[str, list[int]] = {}
    phrases: list[tuple[tuple[str, ...], int]] = []
    han: set[str] = set()
    for raw in source.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        number = len(groups)
        singles: set[str] = set()
        for member in (m.strip() for m in line.split("|")):
            words = _split_member(member)
            if len(words) == 1:
                singles.add(words[0])
                by_term.setdefault(words[0], []).append(number)
                if _IS_HAN.match(words[0]):
                    han.add(words[0])
            elif len(words) > 1:
                phrases.append((tuple(words), number))
        groups.append(frozenset(singles))
    return SynonymTable(
        groups=tuple(groups),
        by_term={k: tuple(v) for k, v in by_term.items()},
        phrases=tuple(phrases),
        han_words=frozenset(han),
    )


# --- typo tolerance ----------------------------------------------------------------------------


def _max_edits(word: str) -> int:
    if _IS_HAN.match(word):
        return 1 if len(word) >= 3 else 0
    if len(word) < 4 or word.isdigit():
        return 0
    return 1 if len(word) <= 7 else 2


def _deletes(word: str, edits: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(edits):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a transposition counts as one edit), capped at limit+1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        if min(row) > limit:
            return limit + 1
        prev2, prev = prev, row
    return prev[-1]


class Vocabulary:
    """The index's words with their document frequency; corrects query words not in it."""

    def __init__(self, df: dict[str, int], rows: int = 0, avgdl: float = 1.0) -> None:
        self.df = df
        self.rows = rows  # documents (translations) in the index
        self.avgdl = avgdl  # their mean length in tokens
        self._neighbours: dict[str, list[str]] | None = None

    def __contains__(self, term: str) -> bool:
        return term in self.df

    def _index(self) -> dict[str, list[str]]:
        if self._neighbours is None:
            neighbours: dict[str, list[str]] = {}
            for word in self.df:
                for key in _deletes(word, _max_edits(word)):
                    neighbours.setdefault(key, []).append(word)
            self._neighbours = neighbours
        return self._neighbours

    def correct(self, term: str) -> str | None:
        """The closest, then most frequent, index word within 1-2 edits; None if none is."""
        edits = _max_edits(term)
        if edits == 0:
            return None
        index = self._index()
        candidates = {w for key in _deletes(term, edits) for w in index.get(key, ())}
        best: tuple[int, int, str] | None = None
        for word in candidates:
            distance = edit_distance(term, word, edits)
            if distance <= edits and _is_han(word) == _is_han(term):
                rank = (distance, -self.df[word], word)
                if best is None or rank < best:
                    best = rank
        return best[2] if best else None

    def parts(self, han_term: str) -> list[str]:
        """Known words inside an unknown Chinese word (jieba full mode): 退款单号 → 退款, 单号."""
        return [w for w in _jieba().cut(han_term, cut_all=True) if w != han_term and w in self.df]


def _is_han(word: str) -> bool:
    return bool(_IS_HAN.match(word))


# --- queries -----------------------------------------------------------------------------------


@dataclass
class QueryPlan:
    """What a search for `text` looks for, and why (shown to users as "did you mean")."""

    text: str
    words: list[str] = field(default_factory=list)  # the query's own content words
    corrections: dict[str, str] = field(default_factory=dict)  # typo → index word
    synonyms: dict[str, str] = field(default_factory=dict)  # added term → query word
    terms: list[str] = field(default_factory=list)  # everything searched for (OR)

    @property
    def empty(self) -> bool:
        return not self.terms


def analyse_query(
    text: str, vocabulary: Vocabulary | None = None, max_terms: int = 40
) -> QueryPlan:
    plan = QueryPlan(text=text)
    pairs = _surface_tokens(text[:500])
    tokens = [token for _, token in pairs]
    table = synonym_table()
    stop = stop_words()
    content = [t for w, t in pairs if w not in stop] or tokens
    words: list[str] = list(dict.fromkeys(content))
    plan.words = list(words)
    resolved: list[str] = []
    for word in words:
        if vocabulary is None or word in vocabulary or word in table.by_term:
            resolved.append(word)
            continue
        fixed = vocabulary.correct(word)
        if fixed is not None:
            plan.corrections[word] = fixed
            resolved.append(fixed)
        elif _is_han(word):
            resolved.extend(vocabulary.parts(word))
    synonyms = table.expand(resolved + [t for t in tokens if t not in resolved])
    terms = list(dict.fromkeys(resolved))
    for term, source in synonyms.items():
        if term not in terms:
            terms.append(term)
            plan.synonyms[term] = source
    if vocabulary is not None:
        terms = [t for t in terms if t in vocabulary]
    plan.terms = terms[:max_terms]
    return plan


def snippet(body_text: str, words: Iterable[str], width: int = 140) -> str:
    """A window of the plain body around the first query word found (or its start)."""
    lowered = normalise(body_text)
    positions = [lowered.find(w) for w in words if w and lowered.find(w) >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
    piece = body_text[start : start + width].strip()
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(body_text) else ""
    return f"{prefix}{piece}{suffix}"
