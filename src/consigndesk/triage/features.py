"""Bag of features for the linear heads: char n-grams, jieba words, concepts, the role.

Training fits the vocabulary on `analyze`'s feature strings; serving finds the same features'
ids through `FeatureIndex` without building the strings. Both weigh ids through `vectorize`, so
the stored model sees exactly the features it was fitted on.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from consigndesk.triage.lexicon import concept_features
from consigndesk.triage.segment import words
from consigndesk.triage.text import HAN

_DIGITS = re.compile(r"\d+")
_NGRAM_SIZES = (2, 3, 4)


def analyze(text: str, role: str) -> list[str]:
    """Feature strings of one cleaned message; the role also conditions each word."""
    grams, others = _features(text, role)
    return ["c:" + gram for gram in grams] + others


def _features(text: str, role: str) -> tuple[list[str], list[str]]:
    """The character n-grams (without their `c:`) and the other feature strings."""
    text = _DIGITS.sub("0", text)
    return _char_grams(text), _word_features(text, role)


def _char_grams(text: str) -> list[str]:
    """Han characters alone, and every 2-4 character slice of the text padded with a space."""
    grams = HAN.findall(text)
    padded = f" {text} "
    for n in _NGRAM_SIZES:
        grams += [padded[i : i + n] for i in range(len(padded) - n + 1)]
    return grams


def _word_features(text: str, role: str) -> list[str]:
    """The role, words alone, with the role and in pairs, and the concepts they name."""
    tokens = words(text)
    feats = [f"r:{role}"]
    feats += ["w:" + t for t in tokens]
    feats += [f"rw:{role}|{t}" for t in tokens]
    feats += [f"b:{a}|{b}" for a, b in itertools.pairwise(tokens)]
    concepts = concept_features(text)
    feats += concepts
    feats += [f"rk:{role}|{k}" for k in concepts]
    return feats


@dataclass(frozen=True, slots=True)
class FeatureIndex:
    """A vocabulary laid out for serving: character features are looked up by their bare
    n-gram, so a message's few hundred `c:` strings are never built (ADR 0102 addendum)."""

    vocabulary: Mapping[str, int]
    chars: dict[str, int]

    @classmethod
    def of(cls, vocabulary: Mapping[str, int]) -> FeatureIndex:
        chars = {f[2:]: i for f, i in vocabulary.items() if f.startswith("c:")}
        return cls(vocabulary, chars)

    def ids(self, text: str, role: str) -> list[int | None]:
        """The vocabulary ids of `analyze(text, role)`, None for features it never saw."""
        grams, others = _features(text, role)
        found: list[int | None] = list(map(self.chars.get, grams))
        found += map(self.vocabulary.get, others)
        return found


def fit_vocabulary(
    docs: Sequence[Sequence[str]], min_df: int
) -> tuple[dict[str, int], npt.NDArray[np.float32]]:
    """Vocabulary of features seen in at least `min_df` documents, and their smoothed idf."""
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(set(doc))
    kept = sorted(f for f, count in df.items() if count >= min_df)
    n = len(docs)
    idf = np.array([math.log((1 + n) / (1 + df[f])) + 1.0 for f in kept], dtype=np.float32)
    return {f: i for i, f in enumerate(kept)}, idf


def vectorize(
    ids: Iterable[int | None], idf: npt.NDArray[np.float32]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Sparse l2-normalised tf-idf (sublinear tf) of one document's vocabulary ids (None for
    unknown features) as (indices, values). The ids are counted in C (`Counter`) and the
    arithmetic is a few array operations: a message has a few hundred features, so each numpy
    call's fixed cost matters more than its work."""
    counts = Counter(ids)
    counts.pop(None, None)  # features the model never saw
    if not counts:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    idx = np.fromiter(counts, np.int64, len(counts))
    values = (np.log(np.fromiter(counts.values(), np.float32, len(counts))) + 1) * idf[idx]
    values /= np.sqrt(values @ values)
    return idx, values


def matrix(
    docs: Sequence[Sequence[str]], vocab: Mapping[str, int], idf: npt.NDArray[np.float32]
) -> sparse.csr_matrix:
    """Stack `vectorize` rows into a CSR matrix for training."""
    indptr = [0]
    all_idx: list[npt.NDArray[np.int64]] = []
    all_val: list[npt.NDArray[np.float32]] = []
    for doc in docs:
        idx, val = vectorize(map(vocab.get, doc), idf)
        all_idx.append(idx)
        all_val.append(val)
        indptr.append(indptr[-1] + len(idx))
    return sparse.csr_matrix(
        (np.concatenate(all_val), np.concatenate(all_idx), np.array(indptr)),
        shape=(len(docs), len(vocab)),
    )
