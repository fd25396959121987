"""Paragraph-level persuasion-technique detector (SemEval-2023 Task 3, subtask 3): inference and
artifact load/save.

Per language, one shared word + character n-gram featurizer feeds an ensemble of linear members:

* ``paragraph``: logistic regression on the paragraph's n-grams, the title's and the neighbouring
  paragraphs' n-grams (down-weighted) and a few style features (length, punctuation, repeats);
* ``sentence``: logistic regression trained on sentences labelled from the gold spans; a paragraph
  scores the maximum over its sentences;
* ``nblr``: Naive-Bayes-weighted logistic regression on binary n-grams.

Member probabilities are combined with per-language weights (``combination``: ``"logit"``, a
weighted mean of the members' log-odds, or ``"probability"``, a weighted mean of probabilities;
artifacts without the key use the latter), then Platt-scaled (one slope and offset per language)
so they read as probabilities. For some languages a *stacker* replaces the plain average: per
technique, a logistic regression (fitted on out-of-fold member outputs of the train split) over
both members' log-odds and article context -- the mean over the article's other paragraphs, the
article maximum, the stronger neighbour, the title, the paragraph's position and the article
length (``stack_inputs``). A label is decided when the probability is at
least ``thresholds_for(language)[j]``. Languages without a model use the fallback language's model
(``uses_fallback``).

Artifact layout (``artifacts/techniques/``): ``metadata.json`` (everything small), per language
``<lang>.vocab.json`` (vocabularies) and ``<lang>.npz`` (idf, int8-quantised sparse coefficients).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from persuasion_lens.models.features import (
    NgramFeaturizer,
    binarize,
    context_blocks,
    dense_features,
)
from persuasion_lens.models.manifest import read_manifest, write_manifest
from persuasion_lens.text.documents import Document, split_sentences

ARTIFACT_DIR = Path(__file__).resolve().parent / "artifacts" / "techniques"
MEMBER_KINDS = ("paragraph", "sentence", "nblr")
COMBINATIONS = ("probability", "logit")
# Paragraphs featurised at once: the n-gram matrices of a book-length input would otherwise take
# hundreds of MB; per chunk they stay small, and the results are the same.
PARAGRAPHS_PER_PASS = 1000


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def apply_platt(probabilities: np.ndarray, platt: tuple[float, float]) -> np.ndarray:
    """sigmoid(slope * logit(p) + offset), p clipped away from 0 and 1."""
    slope, offset = platt
    return expit(slope * _logit(np.asarray(probabilities, dtype=float)) + offset)


@dataclass
class LinearMember:
    """One linear one-vs-rest member: probabilities = sigmoid(X @ coef + intercept)."""

    kind: str
    coef: np.ndarray  # (n_inputs, n_techniques), float32
    intercept: np.ndarray
    context_weight: float = 0.0  # paragraph member: weight of the title/neighbour blocks
    use_dense: bool = False
    extra: dict = field(default_factory=dict)  # inference caches

    def scores(self, x: sp.csr_matrix) -> np.ndarray:
        if sp.issparse(self.coef):  # kept dense after loading; sparse only while packing
            self.coef = self.coef.toarray()
        if not self.coef.flags["C_CONTIGUOUS"]:  # scipy would copy an F-ordered one per call
            self.coef = np.ascontiguousarray(self.coef, dtype=np.float32)
        return np.asarray(x @ self.coef) + self.intercept


@dataclass
class LanguageModel:
    language: str
    featurizer: NgramFeaturizer
    members: dict[str, LinearMember]
    weights: dict[str, float]
    calibration: tuple[float, float] = (1.0, 0.0)  # slope, offset on the logit of the average
    thresholds: np.ndarray | None = None
    extra: dict = field(default_factory=dict)
    combination: str = "probability"  # or "logit": weighted mean of the members' log-odds
    stacker: tuple[np.ndarray, np.ndarray] | None = None  # (n_techniques, n_inputs) coef, bias

    # ------------------------------------------------------------------ inference
    def member_probabilities(self, documents: Sequence[Sequence[str]]) -> dict[str, np.ndarray]:
        """Per member, an (n_paragraphs_total, n_techniques) array for the documents' paragraphs,
        in order. `documents` is a list of paragraph-text lists."""
        texts = [t for doc in documents for t in doc]
        sizes = [len(doc) for doc in documents]
        out: dict[str, np.ndarray] = {}
        if not texts:
            return out
        active = [name for name in self.members
                  if self.weights.get(name, 0.0) > 0 or self.stacker is not None]
        pieces: dict[str, list[np.ndarray]] = {name: [] for name in active}
        for begin in range(0, len(texts), PARAGRAPHS_PER_PASS):
            chunk = texts[begin:begin + PARAGRAPHS_PER_PASS]
            for name, rows in self._row_outputs(chunk, active).items():
                pieces[name].append(rows)
        for name in active:
            rows = np.concatenate(pieces[name])
            member = self.members[name]
            if member.kind == "paragraph":
                out[name] = expit(paragraph_scores_from_parts(rows, sizes, documents, member))
            else:
                out[name] = rows
        return out

    def _row_outputs(self, texts: Sequence[str], active: Sequence[str]) -> dict[str, np.ndarray]:
        """Per active member, what each paragraph gives on its own: the n-gram parts of a
        paragraph member's score (its context is added once all paragraphs are scored), the
        probabilities of the other members."""
        if any(self.members[name].kind == "sentence" for name in active):
            sentence_texts, owner = sentences_of(texts)
            x, x_sentences = self.featurizer.transform_with_sentences(texts, sentence_texts, owner)
        else:
            x = self.featurizer.transform(texts)
        out: dict[str, np.ndarray] = {}
        for name in active:
            member = self.members[name]
            if member.kind == "paragraph":
                out[name] = paragraph_parts(x, member)
            elif member.kind == "nblr":
                out[name] = expit(member.scores(binarize(x)))
            elif member.kind == "sentence":
                probs = expit(member.scores(x_sentences))
                out[name] = max_by_owner(probs, owner, len(texts))
            else:  # pragma: no cover - guarded at load time
                raise ValueError(f"unknown member kind {member.kind}")
        return out

    def combine(self, member_probs: dict[str, np.ndarray],
                sizes: Sequence[int] | None = None) -> np.ndarray:
        """Calibrated probabilities from member probabilities; `sizes` (paragraphs per document,
        in order) is needed by a stacker."""
        total = sum(self.weights[name] for name in member_probs)
        if self.stacker is not None:
            if sizes is None:
                raise ValueError("this model's stacker needs the documents' paragraph counts")
            coef, bias = self.stacker
            log_odds = np.einsum("ntk,tk->nt", stack_inputs(member_probs, sizes), coef) + bias
        elif self.combination == "logit":
            log_odds = sum(
                self.weights[name] * _logit(p) for name, p in member_probs.items()) / total
        else:
            log_odds = _logit(
                sum(self.weights[name] * p for name, p in member_probs.items()) / total)
        slope, offset = self.calibration
        return expit(slope * log_odds + offset)

    def predict_proba(self, documents: Sequence[Sequence[str]]) -> np.ndarray:
        probs = self.member_probabilities(documents)
        if not probs:
            return np.zeros((0, self.featurizer_n_out()), dtype=np.float32)
        return self.combine(probs, [len(doc) for doc in documents]).astype(np.float32)

    def featurizer_n_out(self) -> int:
        return len(next(iter(self.members.values())).intercept)


def paragraph_inputs(x: sp.csr_matrix, sizes: Sequence[int], documents: Sequence[Sequence[str]],
                     member: LinearMember) -> sp.csr_matrix:
    blocks = [x]
    if member.context_weight > 0:
        title, neighbours = context_blocks(x, sizes)
        blocks += [title * member.context_weight, neighbours * member.context_weight]
    if member.use_dense:
        blocks.append(sp.csr_matrix(np.vstack([dense_features(list(doc)) for doc in documents])))
    return sp.hstack(blocks, format="csr") if len(blocks) > 1 else x


def paragraph_scores(x: sp.csr_matrix, sizes: Sequence[int], documents: Sequence[Sequence[str]],
                     member: LinearMember) -> np.ndarray:
    """Same as ``member.scores(paragraph_inputs(...))`` without building the context blocks: the
    model is linear, so the title and neighbour parts are the n-gram scores of those rows."""
    return paragraph_scores_from_parts(paragraph_parts(x, member), sizes, documents, member)


def paragraph_parts(x: sp.csr_matrix, member: LinearMember) -> np.ndarray:
    """The n-gram parts of a paragraph member's scores, one row per paragraph: with context, the
    row's own, title and neighbour scores side by side (n_paragraphs, 3 * n_techniques); without,
    its n-gram scores. Rows depend on their paragraph alone, so they can be computed in chunks."""
    n_features = x.shape[1]
    stacked = member.extra.get("stacked")
    if stacked is None:
        if sp.issparse(member.coef):
            member.coef = member.coef.toarray()
        coef = member.coef
        blocks = 3 if member.context_weight > 0 else 1
        stacked = np.ascontiguousarray(np.hstack(
            [coef[k * n_features:(k + 1) * n_features] for k in range(blocks)]), dtype=np.float32)
        member.extra["stacked"] = stacked
        member.extra["dense"] = np.ascontiguousarray(coef[blocks * n_features:],
                                                     dtype=np.float32)
    return np.asarray(x @ stacked)


def paragraph_scores_from_parts(parts: np.ndarray, sizes: Sequence[int],
                                documents: Sequence[Sequence[str]],
                                member: LinearMember) -> np.ndarray:
    """A paragraph member's scores from `paragraph_parts` of all the documents' paragraphs: the
    title's and the neighbours' parts (weighted), the style features and the intercept added."""
    n_out = len(member.intercept)
    if member.context_weight > 0:
        own, title, neighbour = parts[:, :n_out], parts[:, n_out:2 * n_out], parts[:, 2 * n_out:]
        sizes_array = np.asarray(sizes, dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes_array)[:-1]])
        first = np.repeat(starts, sizes_array)
        last = np.repeat(starts + sizes_array - 1, sizes_array)
        index = np.arange(len(first))
        has_prev = (index > first).astype(np.float32)[:, None]
        has_next = (index < last).astype(np.float32)[:, None]
        previous = neighbour[np.maximum(index - 1, 0)] * has_prev
        following = neighbour[np.minimum(index + 1, len(index) - 1)] * has_next
        neighbours = (previous + following) / np.maximum(has_prev + has_next, 1.0)
        scores = own + member.context_weight * (title[first] + neighbours) + member.intercept
    else:
        scores = parts + member.intercept
    if member.use_dense:
        dense = np.vstack([dense_features(list(doc)) for doc in documents])
        scores = scores + dense @ member.extra["dense"]
    return scores


STACK_MEMBERS = ("paragraph", "sentence")
N_STACK_INPUTS = 10


def stack_inputs(member_probs: dict[str, np.ndarray], sizes: Sequence[int]) -> np.ndarray:
    """(n_paragraphs, n_techniques, N_STACK_INPUTS) stacker inputs: per technique the paragraph
    and sentence members' log-odds and, from their average, the log-odds of the mean over the
    article's other paragraphs, of the article maximum, of the stronger neighbour and of the title
    (first paragraph); then, shared by all techniques, is-title, relative position, log article
    length and log of the paragraph's summed probabilities."""
    first_member, second_member = (member_probs[name] for name in STACK_MEMBERS)
    n, n_out = first_member.shape
    sizes_array = np.asarray(sizes, dtype=np.int64)
    if n == 0:
        return np.zeros((0, n_out, N_STACK_INPUTS))
    average = (first_member + second_member) / 2
    starts = np.concatenate([[0], np.cumsum(sizes_array)[:-1]])
    kept = sizes_array > 0
    doc = np.repeat(np.arange(len(sizes_array)), sizes_array)
    sums = np.zeros((len(sizes_array), n_out))
    sums[kept] = np.add.reduceat(average, starts[kept], axis=0)
    maxima = np.zeros((len(sizes_array), n_out))
    maxima[kept] = np.maximum.reduceat(average, starts[kept], axis=0)
    size = sizes_array[doc][:, None]
    others = (sums[doc] - average) / np.maximum(size - 1, 1)
    index = np.arange(n)
    first = starts[doc]
    last = first + sizes_array[doc] - 1
    previous = np.where((index > first)[:, None], average[np.maximum(index - 1, 0)], 0.0)
    following = np.where((index < last)[:, None], average[np.minimum(index + 1, n - 1)], 0.0)
    per_technique = [_logit(first_member), _logit(second_member), _logit(others),
                     _logit(maxima[doc]), _logit(np.maximum(previous, following) + 1e-3),
                     _logit(average[first])]
    shared = np.stack([(index == first).astype(float),
                       (index - first) / np.maximum(sizes_array[doc] - 1, 1),
                       np.log(sizes_array[doc]), np.log(average.sum(axis=1))], axis=-1)
    return np.concatenate([np.stack(per_technique, axis=-1),
                           np.broadcast_to(shared[:, None, :], (n, n_out, shared.shape[1]))],
                          axis=-1)


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets in a paragraph that together cover all its words: each
    sentence runs to the next one's start (so closing quotes stay), whitespace trimmed."""
    starts = [s.start for s in split_sentences(text)]
    if not starts:
        return [(0, len(text))]
    bounds = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(text)
        while end > start and text[end - 1].isspace():
            end -= 1
        bounds.append((start, end))
    return bounds


def sentences_of(paragraph_texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """All sentences of the paragraphs, and the index of the paragraph each belongs to."""
    texts: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(paragraph_texts):
        for start, end in sentence_bounds(text):
            texts.append(text[start:end])
            owner.append(i)
    return texts, np.asarray(owner, dtype=np.int64)


def max_by_owner(values: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((n, values.shape[1]), dtype=values.dtype)
    np.maximum.at(out, owner, values)
    return out


class TechniqueDetector:
    """Calibrated per-paragraph technique probabilities for whole documents."""

    def __init__(self, version: str, techniques: list[str], models: dict[str, LanguageModel],
                 fallback_language: str, metadata: dict | None = None):
        self.version = version
        self.techniques = list(techniques)
        self.models = models
        self.fallback_language = fallback_language
        self.metadata = metadata or {}

    # ------------------------------------------------------------------ API
    def supported_languages(self) -> list[str]:
        return sorted(self.models)

    def uses_fallback(self, language: str | None) -> bool:
        return language not in self.models

    def _model_for(self, language: str | None) -> LanguageModel:
        return self.models.get(language) or self.models[self.fallback_language]

    def thresholds_for(self, language: str | None) -> np.ndarray:
        model = self._model_for(language)
        if model.thresholds is None:
            return np.full(len(self.techniques), 0.5, dtype=np.float32)
        return np.asarray(model.thresholds, dtype=np.float32).copy()

    def predict_proba(self, documents: Sequence[Document]) -> list[np.ndarray]:
        """One (n_paragraphs, n_techniques) float32 array per document (calibrated probabilities).

        Documents are grouped by the model they use and vectorised together, which is much faster
        than one call per document."""
        n = len(self.techniques)
        results: list[np.ndarray] = [np.zeros((0, n), dtype=np.float32) for _ in documents]
        groups: dict[str, list[int]] = {}
        for i, document in enumerate(documents):
            if document.paragraphs:
                key = document.language if document.language in self.models else \
                    self.fallback_language
                groups.setdefault(key, []).append(i)
        for language, indices in groups.items():
            texts = [[p.text for p in documents[i].paragraphs] for i in indices]
            probs = self.models[language].predict_proba(texts)
            offset = 0
            for i, paragraph_texts in zip(indices, texts, strict=True):
                results[i] = probs[offset:offset + len(paragraph_texts)]
                offset += len(paragraph_texts)
        return results

    def predict_labels(self, documents: Sequence[Document]) -> list[list[list[str]]]:
        """Decided technique names per paragraph, per document."""
        out = []
        for document, probs in zip(documents, self.predict_proba(documents), strict=True):
            decided = probs >= self.thresholds_for(document.language)
            out.append([[self.techniques[j] for j in np.flatnonzero(row)] for row in decided])
        return out

    # ------------------------------------------------------------------ storage
    def save(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        languages = {}
        for language, model in self.models.items():
            vocab_meta, arrays = model.featurizer.to_state()
            (directory / f"{language}.vocab.json").write_text(
                json.dumps(vocab_meta, ensure_ascii=False, separators=(",", ":")),
                encoding="utf-8")
            members = {}
            for name, member in model.members.items():
                arrays.update(_pack_coef(f"{name}.", member.coef))
                arrays[f"{name}.intercept"] = np.asarray(member.intercept, dtype=np.float32)
                members[name] = {"kind": member.kind, "context_weight": member.context_weight,
                                 "use_dense": member.use_dense}
            if model.stacker is not None:
                arrays["stacker.coef"] = np.asarray(model.stacker[0], dtype=np.float32)
                arrays["stacker.bias"] = np.asarray(model.stacker[1], dtype=np.float32)
            np.savez_compressed(directory / f"{language}.npz", **arrays)
            languages[language] = {
                "members": members, "weights": model.weights,
                "combination": model.combination,
                "stacker": None if model.stacker is None else {
                    "inputs": N_STACK_INPUTS, "members": list(STACK_MEMBERS)},
                "calibration": list(model.calibration),
                "thresholds": None if model.thresholds is None
                else [round(float(t), 4) for t in model.thresholds],
                **model.extra,
            }
        meta = dict(self.metadata)
        meta.update({"version": self.version, "techniques": self.techniques,
                     "fallback_language": self.fallback_language, "languages": languages})
        write_manifest(directory / "metadata.json", meta)

    @classmethod
    def load(cls, directory: Path) -> TechniqueDetector:
        directory = Path(directory)
        path = directory / "metadata.json"
        meta = read_manifest(path, "technique model")
        models = {}
        for language, info in meta["languages"].items():
            vocab_meta = json.loads((directory / f"{language}.vocab.json").read_text("utf-8"))
            with np.load(directory / f"{language}.npz") as npz:
                arrays = {k: npz[k] for k in npz.files}
            featurizer = NgramFeaturizer.from_state(vocab_meta, arrays)
            members = {}
            for name, spec in info["members"].items():
                if spec["kind"] not in MEMBER_KINDS:
                    raise ValueError(f"unknown member kind {spec['kind']!r} in {path}")
                members[name] = LinearMember(
                    spec["kind"], _unpack_coef(f"{name}.", arrays).toarray(order="C"),
                    arrays[f"{name}.intercept"].astype(np.float32),
                    spec.get("context_weight", 0.0), spec.get("use_dense", False))
            if info.get("combination", "probability") not in COMBINATIONS:
                raise ValueError(f"unknown combination {info['combination']!r} in {path}")
            thresholds = info.get("thresholds")
            stacker = None
            if info.get("stacker"):
                if info["stacker"].get("inputs") != N_STACK_INPUTS:
                    raise ValueError(f"{path}: stacker for {language} has unknown inputs")
                stacker = (arrays["stacker.coef"].astype(np.float64),
                           arrays["stacker.bias"].astype(np.float64))
            extra = {k: v for k, v in info.items()
                     if k not in ("members", "weights", "calibration", "thresholds",
                                  "combination", "stacker")}
            models[language] = LanguageModel(
                language, featurizer, members, {k: float(v) for k, v in info["weights"].items()},
                tuple(info.get("calibration", (1.0, 0.0))),
                None if thresholds is None else np.asarray(thresholds, dtype=np.float32), extra,
                info.get("combination", "probability"), stacker)
        metadata = {k: v for k, v in meta.items()
                    if k not in ("version", "techniques", "fallback_language", "languages")}
        metadata["languages"] = meta["languages"]
        return cls(meta["version"], meta["techniques"], models, meta["fallback_language"],
                   metadata)


def _pack_coef(prefix: str, coef) -> dict[str, np.ndarray]:
    """Sparse int8 storage: per-column scale, CSC indices (uint32) and int8 values."""
    matrix = sp.csc_matrix(coef, dtype=np.float32)
    matrix.eliminate_zeros()
    n_cols = matrix.shape[1]
    scale = np.zeros(n_cols, dtype=np.float32)
    values = np.zeros(matrix.nnz, dtype=np.int8)
    for j in range(n_cols):
        lo, hi = matrix.indptr[j], matrix.indptr[j + 1]
        if hi > lo:
            scale[j] = np.abs(matrix.data[lo:hi]).max() / 127.0
            values[lo:hi] = np.round(matrix.data[lo:hi] / scale[j]).astype(np.int8)
    return {f"{prefix}indptr": matrix.indptr.astype(np.int32),
            f"{prefix}indices": matrix.indices.astype(np.int32),
            f"{prefix}values": values, f"{prefix}scale": scale,
            f"{prefix}shape": np.asarray(matrix.shape, dtype=np.int64)}


def _unpack_coef(prefix: str, arrays: dict[str, np.ndarray]) -> sp.csc_matrix:
    indptr = arrays[f"{prefix}indptr"]
    scale = arrays[f"{prefix}scale"]
    counts = np.diff(indptr)
    data = arrays[f"{prefix}values"].astype(np.float32) * np.repeat(scale, counts)
    shape = tuple(int(s) for s in arrays[f"{prefix}shape"])
    return sp.csc_matrix((data, arrays[f"{prefix}indices"], indptr), shape=shape)


def quantise(coef: np.ndarray, keep: int | None) -> np.ndarray:
    """Keep the `keep` largest-magnitude weights per column, then round-trip through int8."""
    coef = np.asarray(coef, dtype=np.float32)
    if keep is not None and keep < coef.shape[0]:
        pruned = np.zeros_like(coef)
        for j in range(coef.shape[1]):
            top = np.argpartition(-np.abs(coef[:, j]), keep)[:keep]
            pruned[top, j] = coef[top, j]
        coef = pruned
    return _unpack_coef("", _pack_coef("", coef)).toarray(order="C")


@lru_cache(maxsize=1)
def load_default_detector() -> TechniqueDetector:
    """The shipped detector (cached)."""
    return TechniqueDetector.load(ARTIFACT_DIR)
