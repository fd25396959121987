"""Feature extraction for the technique detector: pruned word + character n-gram TF-IDF blocks,
document-context blocks (title, neighbouring paragraphs) and a few dense style features.

Everything a fitted featurizer needs is plain data (vocabulary lists, idf arrays), so it can be
stored as JSON + npz and rebuilt without pickles.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from persuasion_lens.models.ngrams import WordAnalyzer, count, count_columns, padded_word_ngrams

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import CountVectorizer

WORD_PATTERN = r"(?u)\b\w+\b"
_WORD_RE = re.compile(r"(?u)\w+")


def _word_vectorizer(vocabulary=None, ngram_range=(1, 2), min_df=1) -> CountVectorizer:
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(
        lowercase=True, token_pattern=WORD_PATTERN, ngram_range=tuple(ngram_range),
        vocabulary=vocabulary, min_df=min_df, dtype=np.float32,
    )


def _char_vectorizer(vocabulary=None, ngram_range=(2, 5), min_df=1) -> CountVectorizer:
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(
        lowercase=True, analyzer="char_wb", ngram_range=tuple(ngram_range),
        vocabulary=vocabulary, min_df=min_df, dtype=np.float32,
    )


def _select(counts: sp.csr_matrix, labels: np.ndarray, names: np.ndarray, keep: int) -> list[str]:
    """Keep the `keep` features with the highest max-over-labels chi2-like association, topped up
    by document frequency so that frequent neutral features stay (they matter for idf/l2)."""
    binary = (counts > 0).astype(np.float32).tocsc()
    df = np.asarray(binary.sum(axis=0)).ravel()
    if len(names) <= keep:
        return list(names)
    n = binary.shape[0]
    y = labels.astype(np.float32)
    pos = np.asarray(binary.T @ y)  # (V, L) documents with feature and label
    n_pos = y.sum(axis=0) + 1e-9
    p_feat = df[:, None] / n
    expected = p_feat * n_pos[None, :]
    score = ((pos - expected) ** 2 / (expected + 1e-9)).max(axis=1)
    half = keep * 3 // 4
    by_score = np.argsort(-score, kind="stable")[:half]
    chosen = set(by_score.tolist())
    for index in np.argsort(-df, kind="stable"):
        if len(chosen) >= keep:
            break
        chosen.add(int(index))
    return [names[i] for i in sorted(chosen)]


class NgramFeaturizer:
    """Word (1-2) + char_wb (2-5) n-gram counts -> sublinear TF-IDF, each block l2-normalised."""

    def __init__(self, word_vocab: list[str], char_vocab: list[str], word_idf: np.ndarray,
                 char_idf: np.ndarray, word_ngrams=(1, 2), char_ngrams=(2, 5),
                 char_weight: float = 1.0):
        self.word_vocab, self.char_vocab = list(word_vocab), list(char_vocab)
        self.word_idf = np.asarray(word_idf, dtype=np.float32)
        self.char_idf = np.asarray(char_idf, dtype=np.float32)
        self.word_ngrams, self.char_ngrams = tuple(word_ngrams), tuple(char_ngrams)
        self.char_weight = float(char_weight)
        self._word_analyzer = WordAnalyzer(WORD_PATTERN, self.word_ngrams)
        self._word_index = {w: i for i, w in enumerate(self.word_vocab)}
        self._char_index = {c: i for i, c in enumerate(self.char_vocab)}
        self._char_columns_by_word: dict[str, tuple[int, ...]] = {}

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_char_columns_by_word"] = {}
        return state

    @property
    def n_features(self) -> int:
        return len(self.word_vocab) + len(self.char_vocab)

    @classmethod
    def fit(cls, texts: Sequence[str], labels: np.ndarray, max_word: int = 20000,
            max_char: int = 30000, word_ngrams=(1, 2), char_ngrams=(2, 5), min_df: int = 2,
            char_weight: float = 1.0) -> NgramFeaturizer:
        vocabs, idfs = [], []
        for make, keep, rng in ((_word_vectorizer, max_word, word_ngrams),
                                (_char_vectorizer, max_char, char_ngrams)):
            vectorizer = make(ngram_range=rng, min_df=min(min_df, max(1, len(texts) // 2)))
            counts = vectorizer.fit_transform(texts).tocsr()
            names = vectorizer.get_feature_names_out()
            vocab = _select(counts, labels, names, keep)
            index = {name: i for i, name in enumerate(names)}
            columns = np.array([index[v] for v in vocab], dtype=np.int64)
            df = np.asarray((counts[:, columns] > 0).sum(axis=0)).ravel()
            idfs.append(np.log((1 + len(texts)) / (1 + df)) + 1.0)
            vocabs.append(vocab)
        return cls(vocabs[0], vocabs[1], idfs[0], idfs[1], word_ngrams, char_ngrams, char_weight)

    def _word_counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        return count(map(self._word_analyzer, texts), self._word_index, len(texts))

    def _char_counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """char_wb n-grams never cross a word, so each distinct word's vocabulary columns are
        looked up once and then reused (counting is about 5x faster on words seen before). The
        cache is emptied before a call once it holds more than _CHAR_CACHE_WORDS words."""
        cache = self._char_columns_by_word
        if len(cache) > _CHAR_CACHE_WORDS:
            cache.clear()
        lengths: list[int] = []
        columns: list[int] = []
        for text in texts:
            before = len(columns)
            for word in text.lower().split():
                known = cache.get(word)
                if known is None:
                    known = cache[word] = self._char_columns_of(word)
                columns.extend(known)
            lengths.append(len(columns) - before)
        return count_columns(np.array(columns, dtype=np.int64), lengths, len(self._char_index))

    def _char_columns_of(self, word: str) -> tuple[int, ...]:
        low, high = self.char_ngrams
        grams = map(self._char_index.get, padded_word_ngrams(word, low, high))
        return tuple(column for column in grams if column is not None)

    def _weigh(self, word_counts: sp.csr_matrix, char_counts: sp.csr_matrix) -> sp.csr_matrix:
        """Sublinear tf * idf, each block l2-normalised and weighted, side by side (CSR)."""
        n_rows = word_counts.shape[0]
        datas, indices, row_counts = [], [], []
        offset = 0
        for counts, idf, weight in ((word_counts, self.word_idf, 1.0),
                                    (char_counts, self.char_idf, self.char_weight)):
            data = (1.0 + np.log(counts.data.astype(np.float32))) * idf[counts.indices]
            per_row = np.diff(counts.indptr)
            rows = np.repeat(np.arange(n_rows), per_row)
            norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n_rows))
            norms[norms == 0] = 1.0
            datas.append((data / norms[rows] * weight).astype(np.float32))
            indices.append(counts.indices.astype(np.int64) + offset)
            row_counts.append(per_row)
            offset += counts.shape[1]
        # interleave the two blocks row by row
        per_row = row_counts[0] + row_counts[1]
        indptr = np.concatenate([[0], np.cumsum(per_row)])
        order = np.argsort(np.concatenate([
            np.repeat(np.arange(n_rows), row_counts[0]) * 2,
            np.repeat(np.arange(n_rows), row_counts[1]) * 2 + 1]), kind="stable")
        return sp.csr_matrix((np.concatenate(datas)[order], np.concatenate(indices)[order],
                              indptr), shape=(n_rows, offset))

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return self._weigh(self._word_counts(texts), self._char_counts(texts))

    def transform_with_sentences(self, texts: Sequence[str], sentence_texts: Sequence[str],
                                 owner: np.ndarray) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Paragraph and sentence features, analysing the characters only once: char_wb n-grams
        never cross a word, and sentences partition a paragraph's words, so a paragraph's char
        counts are exactly the sum of its sentences' (words are counted per paragraph, since
        word bigrams do cross sentence boundaries)."""
        sentence_chars = self._char_counts(sentence_texts)
        gather = sp.csr_matrix(
            (np.ones(len(owner), dtype=np.float32), (owner, np.arange(len(owner)))),
            shape=(len(texts), len(owner)))
        paragraph_chars = (gather @ sentence_chars).tocsr()
        paragraphs = self._weigh(self._word_counts(texts), paragraph_chars)
        sentences = self._weigh(self._word_counts(sentence_texts), sentence_chars)
        return paragraphs, sentences

    def to_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        meta = {"word_ngrams": list(self.word_ngrams), "char_ngrams": list(self.char_ngrams),
                "char_weight": self.char_weight, "word_vocab": self.word_vocab,
                "char_vocab": self.char_vocab}
        arrays = {"word_idf": self.word_idf.astype(np.float16),
                  "char_idf": self.char_idf.astype(np.float16)}
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays: dict[str, np.ndarray]) -> NgramFeaturizer:
        return cls(meta["word_vocab"], meta["char_vocab"], arrays["word_idf"], arrays["char_idf"],
                   meta["word_ngrams"], meta["char_ngrams"], meta.get("char_weight", 1.0))


_CHAR_CACHE_WORDS = 50_000  # about 13 MB per language (265 bytes a word) on long corpus runs


def _l2(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.diags((1.0 / norms).astype(np.float32)) @ matrix


def binarize(matrix: sp.csr_matrix) -> sp.csr_matrix:
    out = matrix.copy()
    out.data = np.ones_like(out.data)
    return out


def context_blocks(x: sp.csr_matrix, doc_sizes: Sequence[int]) -> tuple[sp.csr_matrix,
                                                                         sp.csr_matrix]:
    """For paragraph rows grouped by document: (title row repeated, mean of prev+next rows)."""
    n = x.shape[0]
    title_index = np.empty(n, dtype=np.int64)
    rows, cols, vals = [], [], []
    offset = 0
    for size in doc_sizes:
        title_index[offset:offset + size] = offset
        for i in range(size):
            neighbours = [j for j in (i - 1, i + 1) if 0 <= j < size]
            for j in neighbours:
                rows.append(offset + i)
                cols.append(offset + j)
                vals.append(1.0 / len(neighbours))
        offset += size
    title = x[title_index]
    averaging = sp.csr_matrix((vals, (rows, cols)), shape=(n, n), dtype=np.float32)
    return title.tocsr(), (averaging @ x).tocsr()


N_DENSE = 14


def dense_features(paragraph_texts: Sequence[str]) -> np.ndarray:
    """Style features of each paragraph of ONE document (position, length, punctuation, repeats)."""
    n = len(paragraph_texts)
    out = np.zeros((n, N_DENSE), dtype=np.float32)
    if n == 0:
        return out
    tokens = [[w.lower() for w in _WORD_RE.findall(t)] for t in paragraph_texts]
    doc_counts: Counter[str] = Counter()
    for words in tokens:
        doc_counts.update({w for w in words if len(w) > 3})
    for i, (text, words) in enumerate(zip(paragraph_texts, tokens, strict=True)):
        n_chars = max(len(text), 1)
        content = [w for w in words if len(w) > 3]
        own = Counter(content)
        repeated_here = sum(c - 1 for c in own.values() if c > 1)
        elsewhere = sum(1 for w in own if doc_counts[w] >= 3)
        upper = sum(map(str.isupper, text))
        out[i] = (
            1.0 if i == 0 else 0.0,
            i / max(n - 1, 1),
            np.log1p(len(words)) / 5.0,
            min(text.count("!"), 5) / 5.0,
            min(text.count("?"), 5) / 5.0,
            min(sum(text.count(q) for q in "\"“”«»„"), 8) / 8.0,
            min(text.count("..."), 3) / 3.0 + min(text.count("…"), 3) / 3.0,
            upper / n_chars * 5.0,
            sum(map(str.isdigit, text)) / n_chars * 5.0,
            min(repeated_here, 10) / 10.0,
            elsewhere / max(len(own), 1),
            1.0 if text.rstrip().endswith("?") else 0.0,
            min(text.count(":"), 3) / 3.0,
            1.0 if len(words) <= 8 else 0.0,
        )
    return out
