"""The token member of the default technique detector (English, Italian, Polish, Russian).

A token tagger: for every token of a paragraph and every technique, a logistic regression over
the span model's integer feature space (`spans.FeatureSpace`: the word, its lemma and suffix,
shape, neighbours, position, quotes, ...) says whether the token lies inside a span of that
technique. Unlike the span model it is trained on the tokens of all paragraphs, so it says
*whether* as well as where. A paragraph scores the noisy-OR of its tokens (1 - prod(1 - p)),
mapped by a Platt sigmoid per language, and this member is averaged into the detector below it
with a share per language. Averages of calibrated members are not calibrated themselves (they
come out too timid), so the detector's final probabilities get one more Platt map per language
where it helped out of sample. Training: `token_member_training`; measurements:
docs/MODEL_CARD.md.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse as sp
from scipy.special import expit

from persuasion_lens.models.manifest import read_manifest, write_manifest
from persuasion_lens.models.member_base import AveragedIntoBase
from persuasion_lens.models.registry import TOKEN_ENSEMBLE_DIR
from persuasion_lens.models.spans import FeatureSpace, load_default_span_detector, tokenize
from persuasion_lens.models.techniques import PARAGRAPHS_PER_PASS, apply_platt
from persuasion_lens.text.documents import Document

ARTIFACT_DIR = TOKEN_ENSEMBLE_DIR
KIND = "token-ensemble"
FORMAT = 1
FLOOR = 1e-4  # score of a paragraph without tokens


def token_matrix(space: FeatureSpace, texts: Sequence[str], language: str
                 ) -> tuple[sp.csr_matrix, np.ndarray]:
    """One-hot token features (tokens x space.size) of the texts, and each token's text index."""
    blocks, owner = [], []
    for row, text in enumerate(texts):
        spans = tokenize(text)
        if spans:
            blocks.append(space.encode(text, spans, language))
            owner.append(np.full(len(spans), row))
    if not blocks:
        return sp.csr_matrix((0, space.size), dtype=np.float32), np.zeros(0, dtype=int)
    index = np.concatenate(blocks)
    n, m = index.shape
    matrix = sp.csr_matrix((np.ones(n * m, np.float32), index.ravel(), np.arange(0, n * m + 1, m)),
                           shape=(n, space.size))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix, np.concatenate(owner)


def noisy_or(token_probabilities: np.ndarray, owner: np.ndarray, n_texts: int) -> np.ndarray:
    """Per text and technique, 1 - prod(1 - p) over its tokens (tokens in text order)."""
    result = np.full((n_texts, token_probabilities.shape[1]), FLOOR)
    if not len(owner):
        return result
    rows, starts = np.unique(owner, return_index=True)
    missed = np.add.reduceat(np.log1p(-np.clip(token_probabilities, 0, 1 - 1e-7)), starts, axis=0)
    result[rows] = 1 - np.exp(missed)
    return result


@dataclass
class LanguageTagger:
    coef: sp.csc_matrix  # (space.size, n_techniques)
    intercept: np.ndarray  # (n_techniques,)
    platt: tuple[float, float]  # slope, offset on the noisy-OR's log-odds

    def paragraph_probabilities(self, space: FeatureSpace, texts: Sequence[str],
                                language: str) -> np.ndarray:
        chunks = [self._chunk_probabilities(space, texts[begin:begin + PARAGRAPHS_PER_PASS],
                                            language)
                  for begin in range(0, len(texts), PARAGRAPHS_PER_PASS)]
        combined = np.concatenate(chunks) if chunks else np.zeros((0, len(self.intercept)))
        return apply_platt(combined, self.platt)

    def _chunk_probabilities(self, space: FeatureSpace, texts: Sequence[str],
                             language: str) -> np.ndarray:
        matrix, owner = token_matrix(space, texts, language)
        tokens = expit(np.asarray((matrix @ self.coef).todense()) + self.intercept)
        return noisy_or(tokens, owner, len(texts))


class TokenEnsembleDetector(AveragedIntoBase):
    """A base technique detector with the token member averaged in for some languages, and the
    final probabilities re-calibrated for the languages in `calibration` (slope, offset of a
    Platt map; the thresholds are mapped with them, so the decisions do not change)."""

    def __init__(self, base: Any, taggers: dict[str, LanguageTagger], shares: dict[str, float],
                 thresholds: dict[str, np.ndarray], version: str = "token",
                 metadata: dict[str, Any] | None = None, space: FeatureSpace | None = None,
                 space_size: int | None = None,
                 calibration: dict[str, tuple[float, float]] | None = None) -> None:
        self.base = base
        self.techniques = list(base.techniques)
        self.taggers = dict(taggers)
        self.shares = {code: float(share) for code, share in shares.items()}
        self.thresholds = {code: np.asarray(t, dtype=float) for code, t in thresholds.items()}
        self.version = version
        self.metadata = dict(metadata or {})
        self._space = space
        self._space_size = space_size  # the size the taggers were trained for
        self.calibration = {code: (float(a), float(b))
                            for code, (a, b) in (calibration or {}).items()}

    @property
    def space(self) -> FeatureSpace:
        """The span model's feature space, loaded at the first paragraph in a member language (so
        that loading the detector stays quick)."""
        if self._space is None:
            space = load_default_span_detector().space
            if self._space_size is not None and space.size != self._space_size:
                raise ValueError(f"the token member was trained on a span feature space of "
                                 f"{self._space_size} features, the installed one has "
                                 f"{space.size}; retrain it (plens train)")
            self._space = space
        return self._space

    @property
    def languages(self) -> list[str]:
        return sorted(self.shares)

    def thresholds_for(self, language: str | None) -> np.ndarray:
        thresholds = super().thresholds_for(language)
        if language in self.calibration:
            return apply_platt(thresholds, self.calibration[language])
        return thresholds

    def member_proba(self, document: Document) -> np.ndarray:
        return self._member_probabilities([document], document.language or "")[0]

    def _member_probabilities(self, documents: Sequence[Document], language: str
                              ) -> list[np.ndarray]:
        """The member's probabilities for documents of one language, scored in one batch."""
        texts = [p.text for d in documents for p in d.paragraphs]
        scores = self.taggers[language].paragraph_probabilities(self.space, texts, language)
        bounds = np.cumsum([0] + [len(d.paragraphs) for d in documents])
        return [scores[a:b] for a, b in itertools.pairwise(bounds)]

    def predict_proba(self, documents: Sequence[Document]) -> list[np.ndarray]:
        documents = list(documents)
        result = list(self.base.predict_proba(documents))
        for language, share in self.shares.items():
            chosen = [i for i, d in enumerate(documents) if d.language == language]
            if not chosen or not share:
                continue
            member = self._member_probabilities([documents[i] for i in chosen], language)
            for i, probabilities in zip(chosen, member, strict=True):
                result[i] = (1 - share) * np.asarray(result[i], dtype=float) + share * probabilities
        for i, document in enumerate(documents):
            if document.language in self.calibration:
                result[i] = apply_platt(result[i], self.calibration[document.language])
        return result

    def save(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        for code, tagger in self.taggers.items():
            coef = tagger.coef.tocoo()
            scale = max(float(np.abs(coef.data).max(initial=0.0)) / 127.0, 1e-12)
            arrays[f"{code}_row"] = coef.row.astype(np.int32)
            arrays[f"{code}_col"] = coef.col.astype(np.int8)
            arrays[f"{code}_value"] = np.round(coef.data / scale).astype(np.int8)
            arrays[f"{code}_scale"] = np.array([scale], dtype=np.float32)
            arrays[f"{code}_intercept"] = tagger.intercept.astype(np.float32)
            arrays[f"{code}_platt"] = np.asarray(tagger.platt, dtype=np.float32)
        np.savez_compressed(directory / "member.npz", **arrays)
        write_manifest(directory / "model.json", {
            "kind": KIND,
            "format": FORMAT,
            "version": self.version,
            "base": "default",
            "feature_space_size": self.space.size,
            "shares": self.shares,
            "calibration": {k: [round(a, 6), round(b, 6)]
                            for k, (a, b) in self.calibration.items()},
            "techniques": self.techniques,
            "thresholds": {k: [round(float(x), 4) for x in v] for k, v in self.thresholds.items()},
            "metadata": self.metadata,
        })

    @classmethod
    def load(cls, directory: Path, base: Any = None) -> TokenEnsembleDetector:
        directory = Path(directory)
        manifest = read_manifest(directory / "model.json", "token ensemble")
        if manifest.get("kind") != KIND:
            raise ValueError(f"{directory}: not a {KIND} model folder")
        if base is None:
            from persuasion_lens.models.registry import default_base_detector

            base = default_base_detector()
        if list(manifest["techniques"]) != list(base.techniques):
            raise ValueError(f"{directory}: its techniques differ from the base detector's")
        n_techniques = len(manifest["techniques"])
        taggers = {}
        with np.load(directory / "member.npz") as arrays:
            for code in manifest["shares"]:
                values = arrays[f"{code}_value"].astype(np.float32) * arrays[f"{code}_scale"][0]
                coef = sp.csc_matrix(
                    (values, (arrays[f"{code}_row"], arrays[f"{code}_col"].astype(np.int32))),
                    shape=(manifest["feature_space_size"], n_techniques))
                taggers[code] = LanguageTagger(coef, arrays[f"{code}_intercept"],
                                               tuple(float(v) for v in arrays[f"{code}_platt"]))
        return cls(base, taggers, manifest["shares"],
                   {k: np.asarray(v, dtype=float) for k, v in manifest["thresholds"].items()},
                   manifest.get("version", "token"), manifest.get("metadata", {}),
                   space_size=manifest["feature_space_size"],
                   calibration={k: tuple(v) for k, v in manifest.get("calibration", {}).items()})
