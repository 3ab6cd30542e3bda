"""TF-IDF text features that give exactly what scikit-learn's ``TfidfVectorizer`` gives, faster.

scikit-learn cuts every text into n-grams in Python, one string at a time: within-word character
n-grams of 100,000 short reviews take about a minute. Here the vocabulary and idf are fitted by
``TfidfVectorizer`` itself; transforming looks each distinct word up once (its character n-grams'
column numbers are kept in a cache, since the same words come back all the time) and builds the
sparse matrix with numpy. ``tests/test_classify.py`` checks the output equals scikit-learn's.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

_WHITE_SPACES = re.compile(r"\s\s+")  # as scikit-learn's char_wb
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
_CACHE_LIMIT = 500_000


class FastTfidf(TransformerMixin, BaseEstimator):
    """``TfidfVectorizer(analyzer=..., ngram_range=..., lowercase=True, norm="l2", smooth_idf=True)``.

    ``analyzer`` is ``"word"`` (n-grams of the default token pattern) or ``"char_wb"``.
    """

    def __init__(
        self,
        analyzer: str = "word",
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int = 2,
        max_features: int | None = None,
        sublinear_tf: bool = True,
    ):
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf

    def reference(self) -> TfidfVectorizer:
        """The scikit-learn vectorizer this one reproduces."""
        return TfidfVectorizer(
            analyzer=self.analyzer, ngram_range=self.ngram_range, min_df=self.min_df,
            max_features=self.max_features, sublinear_tf=self.sublinear_tf, dtype=np.float32,
        )  # fmt: skip

    def fit(self, texts: list[str], y: Any = None) -> FastTfidf:
        fitted = self.reference().fit(texts)
        self.vocabulary_ = {term: int(col) for term, col in fitted.vocabulary_.items()}
        self.idf_ = fitted.idf_.astype(np.float32)
        self._cache: dict[str, np.ndarray] = {}
        return self

    def fit_transform(self, texts: list[str], y: Any = None, **fit_params: Any) -> sp.csr_matrix:
        return self.fit(texts).transform(texts)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_cache", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._cache = {}

    def _word_columns(self, word: str) -> np.ndarray:
        """Column numbers of the within-word character n-grams of one word (as scikit-learn cuts them)."""
        w = f" {word} "
        size = len(w)
        get = self.vocabulary_.get
        cols = []
        min_n, max_n = self.ngram_range
        for n in range(min_n, max_n + 1):
            offset = 0
            while True:
                col = get(w[offset : offset + n])
                if col is not None:
                    cols.append(col)
                if offset + n >= size:
                    break
                offset += 1
            if offset == 0:
                break
        return np.array(cols, dtype=np.int32)

    def _counts_char_wb(self, texts: list[str]) -> sp.csr_matrix:
        cache = self._cache
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        chunks: list[np.ndarray] = []
        rows: list[int] = []
        lengths: list[int] = []
        for i, text in enumerate(texts):
            for word in _WHITE_SPACES.sub(" ", text.lower()).split():
                cols = cache.get(word)
                if cols is None:
                    cols = cache[word] = self._word_columns(word)
                chunks.append(cols)
                rows.append(i)
                lengths.append(len(cols))
        cols_all = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int32)
        rows_all = np.repeat(np.array(rows, dtype=np.int32), np.array(lengths, dtype=np.int64))
        return self._matrix(rows_all, cols_all, len(texts))

    def _counts_word(self, texts: list[str]) -> sp.csr_matrix:
        get = self.vocabulary_.get
        min_n, max_n = self.ngram_range
        cols: list[int] = []
        rows: list[int] = []
        for i, text in enumerate(texts):
            tokens = _TOKEN.findall(text.lower())
            grams: list[str] = list(tokens) if min_n == 1 else []
            for n in range(max(min_n, 2), max_n + 1):
                grams.extend(" ".join(tokens[j : j + n]) for j in range(len(tokens) - n + 1))
            found = [c for c in map(get, grams) if c is not None]
            cols.extend(found)
            rows.extend([i] * len(found))
        return self._matrix(np.array(rows, dtype=np.int32), np.array(cols, dtype=np.int32), len(texts))

    def _matrix(self, rows: np.ndarray, cols: np.ndarray, n: int) -> sp.csr_matrix:
        data = np.ones(len(cols), dtype=np.float32)
        counts = sp.coo_matrix((data, (rows, cols)), shape=(n, len(self.idf_))).tocsr()
        counts.sum_duplicates()
        return counts

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        if self.analyzer == "char_wb":
            x = self._counts_char_wb(texts)
        elif self.analyzer == "word":
            x = self._counts_word(texts)
        else:
            raise ValueError(f"analyzer {self.analyzer!r} is not supported")
        if self.sublinear_tf:
            np.log(x.data, out=x.data)
            x.data += 1.0
        x.data *= self.idf_[x.indices]
        return normalize(x, norm="l2", copy=False)
