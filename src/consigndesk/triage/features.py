"""Bag of features for the linear heads: char n-grams, jieba words, concepts, the role.

Training and serving both go through `vectorize`, so the stored model sees exactly the
features it was fitted on.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence

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
    text = _DIGITS.sub("0", text)
    feats = [f"r:{role}"]
    padded = f" {text} "
    feats.extend(["c:" + ch for ch in HAN.findall(text)])
    for n in _NGRAM_SIZES:
        feats.extend(["c:" + padded[i : i + n] for i in range(len(padded) - n + 1)])
    tokens = words(text)
    feats.extend("w:" + t for t in tokens)
    feats.extend(f"rw:{role}|{t}" for t in tokens)
    feats.extend(f"b:{a}|{b}" for a, b in itertools.pairwise(tokens))
    concepts = concept_features(text)
    feats.extend(concepts)
    feats.extend(f"rk:{role}|{k}" for k in concepts)
    return feats


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
    feats: Sequence[str], vocab: Mapping[str, int], idf: npt.NDArray[np.float32]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Sparse l2-normalised tf-idf (sublinear tf) of one document as (indices, values). The ids
    are counted in C (`Counter`) and the arithmetic is a few array operations: a message has a
    few hundred features, so each numpy call's fixed cost matters more than its work."""
    counts = Counter(map(vocab.get, feats, itertools.repeat(-1)))
    counts.pop(-1, None)  # features the model never saw
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
        idx, val = vectorize(doc, vocab, idf)
        all_idx.append(idx)
        all_val.append(val)
        indptr.append(indptr[-1] + len(idx))
    return sparse.csr_matrix(
        (np.concatenate(all_val), np.concatenate(all_idx), np.array(indptr)),
        shape=(len(docs), len(vocab)),
    )
