"""Word and character n-grams counted over a fixed vocabulary, as scikit-learn's
CountVectorizer and TfidfVectorizer count them, without importing scikit-learn.

Training fits its vocabularies with scikit-learn; analysis only needs to count the n-grams of
a fitted vocabulary, and importing scikit-learn (which pulls in scipy.stats and pandas) took
longer than loading every shipped model, on every `plens` command. The functions here give the
same n-grams and the same matrices (tests check them against scikit-learn).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import repeat

import numpy as np
import scipy.sparse as sp

# scikit-learn's default token pattern (words of two characters or more)
TWO_CHARACTER_WORDS = r"(?u)\b\w\w+\b"
# Texts longer than this are counted n-gram by n-gram instead of listing every n-gram first: the
# list for a 2.5 MB text held about 10 million strings (600 MB).
LONG_TEXT_CHARACTERS = 100_000


def word_ngrams(tokens: list[str], low: int, high: int) -> list[str]:
    """The token n-grams from `low` to `high` tokens, joined by spaces (unigrams first)."""
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        grams.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return grams


def char_wb_ngrams(text: str, low: int, high: int, lowercase: bool = True) -> list[str]:
    """The n-grams of scikit-learn's ``analyzer="char_wb"``: inside each word padded with a
    space on both sides; a word shorter than n gives itself once."""
    grams: list[str] = []
    for word in (text.lower() if lowercase else text).split():
        grams.extend(padded_word_ngrams(word, low, high))
    return grams


def padded_word_ngrams(word: str, low: int, high: int) -> list[str]:
    padded = f" {word} "
    size = len(padded)
    grams: list[str] = []
    for n in range(low, high + 1):
        if size <= n:
            grams.append(padded)
            break
        grams.extend([padded[i:i + n] for i in range(size - n + 1)])
    return grams


class WordAnalyzer:
    """Text -> word n-grams: lower case (optional), tokens by a regular expression, n-grams."""

    def __init__(self, token_pattern: str, ngram_range: Sequence[int],
                 lowercase: bool = True) -> None:
        self.tokens = re.compile(token_pattern).findall
        self.low, self.high = ngram_range
        self.lowercase = lowercase

    def __call__(self, text: str) -> list[str]:
        return word_ngrams(self.tokens(text.lower() if self.lowercase else text),
                           self.low, self.high)

    def counts(self, text: str) -> Counter[str]:
        """How often each n-gram of `self(text)` occurs, without listing them all."""
        tokens = self.tokens(text.lower() if self.lowercase else text)
        counts: Counter[str] = Counter(tokens if self.low == 1 else ())
        for n in range(max(self.low, 2), min(self.high, len(tokens)) + 1):
            counts.update(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
        return counts


class CharAnalyzer:
    """Text -> char_wb n-grams."""

    def __init__(self, ngram_range: Sequence[int], lowercase: bool = True) -> None:
        self.low, self.high = ngram_range
        self.lowercase = lowercase

    def __call__(self, text: str) -> list[str]:
        return char_wb_ngrams(text, self.low, self.high, self.lowercase)

    def counts(self, text: str) -> Counter[str]:
        """How often each n-gram of `self(text)` occurs: char_wb n-grams stay inside a word, so
        each distinct word is expanded once."""
        counts: Counter[str] = Counter()
        words = Counter((text.lower() if self.lowercase else text).split())
        for word, times in words.items():
            for gram in padded_word_ngrams(word, self.low, self.high):
                counts[gram] += times
        return counts


def count(analysed: Iterable[list[str]], index: dict[str, int], n_rows: int,
          dtype: type = np.float32) -> sp.csr_matrix:
    """Count matrix over a fixed vocabulary; the per-n-gram lookups run inside `map` (C)."""
    lengths: list[int] = []
    grams: list[str] = []
    for doc_grams in analysed:
        lengths.append(len(doc_grams))
        grams.extend(doc_grams)
    columns = np.fromiter(map(index.get, grams, repeat(-1)), dtype=np.int64, count=len(grams))
    return count_columns(columns, lengths, len(index), dtype)


def count_columns(columns: np.ndarray, lengths: list[int], n_columns: int,
                  dtype: type = np.float32) -> sp.csr_matrix:
    """Rows of counts from each row's column ids, in order (-1: not in the vocabulary)."""
    rows = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    known = columns >= 0
    matrix = sp.csr_matrix(
        (np.ones(int(known.sum()), dtype=dtype), (rows[known], columns[known])),
        shape=(len(lengths), n_columns))
    matrix.sum_duplicates()
    return matrix


class VocabularyCounter:
    """CountVectorizer.transform over a fixed vocabulary (a list of n-grams, column order)."""

    def __init__(self, vocabulary: Sequence[str], analyzer: WordAnalyzer | CharAnalyzer,
                 dtype: type = np.float32) -> None:
        self.index = {gram: i for i, gram in enumerate(vocabulary)}
        self.analyzer = analyzer
        self.dtype = dtype

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        blocks: list[sp.csr_matrix] = []
        short: list[str] = []
        for text in texts:
            if len(text) <= LONG_TEXT_CHARACTERS:
                short.append(text)
                continue
            if short:
                blocks.append(count(map(self.analyzer, short), self.index, len(short), self.dtype))
                short = []
            blocks.append(self._count_long(text))
        if short or not blocks:
            blocks.append(count(map(self.analyzer, short), self.index, len(short), self.dtype))
        return blocks[0] if len(blocks) == 1 else sp.vstack(blocks, format="csr")

    def _count_long(self, text: str) -> sp.csr_matrix:
        """One row of counts, from the analyzer's n-gram counts."""
        known = [(column, times) for gram, times in self.analyzer.counts(text).items()
                 if (column := self.index.get(gram)) is not None]
        known.sort()
        columns = np.array([c for c, _ in known], dtype=np.int32)
        values = np.array([t for _, t in known], dtype=self.dtype)
        return sp.csr_matrix((values, columns, np.array([0, len(known)], dtype=np.int32)),
                             shape=(1, len(self.index)))


class FittedTfidf(VocabularyCounter):
    """TfidfVectorizer.transform with a fitted vocabulary and idf: sublinear tf (1 + log),
    times idf, rows l2-normalised, float32."""

    def __init__(self, vocabulary: Sequence[str], analyzer: WordAnalyzer | CharAnalyzer,
                 idf: np.ndarray) -> None:
        super().__init__(vocabulary, analyzer, np.float32)
        self.idf = np.asarray(idf, dtype=np.float64)

    @property
    def vocabulary_(self) -> dict[str, int]:
        """The fitted TfidfVectorizer's name for the vocabulary (saving reads it)."""
        return self.index

    @property
    def idf_(self) -> np.ndarray:
        return self.idf

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        matrix = super().transform(texts)
        np.log(matrix.data, matrix.data)
        matrix.data += 1.0
        matrix.data *= self.idf[matrix.indices]
        # as scikit-learn normalises: float32 squares summed in float64, divided in float64
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        norms = np.sqrt(np.bincount(rows, weights=matrix.data * matrix.data,
                                    minlength=matrix.shape[0]))
        norms[norms == 0] = 1.0
        matrix.data = (matrix.data / norms[rows]).astype(np.float32)
        return matrix
