"""Shared by the benchmarks that measure an extra member of the technique detector
(``token_tagger.py``, ``technique_network.py``): the shipped ensemble refitted as a baseline, the
extra member combined with it as each language combines its members, and the scores of
``plens evaluate`` (tuned and two-fold cross-fitted micro-F1).

Import this module before numpy: it pins the BLAS and OpenMP pools to one thread.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402
from scipy.special import expit  # noqa: E402

from persuasion_lens.data.semeval2023 import LabelledArticle  # noqa: E402
from persuasion_lens.models.metrics import score_matrices  # noqa: E402
from persuasion_lens.models.technique_training import (  # noqa: E402
    TrainingConfig,
    cross_fitted_score,
    evaluate_language,
    fit_platt,
    paragraph_data,
    tune_thresholds,
)
from persuasion_lens.models.techniques import _logit  # noqa: E402


@dataclass
class LanguageBaseline:
    gold: np.ndarray
    sizes: np.ndarray
    raw: np.ndarray  # uncalibrated combination of the shipped members (or the ru stacker)
    members: dict[str, np.ndarray]
    combination: str  # "probability", "logit" or "stacker"
    seconds_per_paragraph: float  # the shipped members' member_probabilities


def language_split(articles: Sequence[LabelledArticle], language: str,
                   split: str) -> list[LabelledArticle]:
    """The articles of one language in one split ("train" or "validation")."""
    return [a for a in articles if a.language == language and a.split == split]


def baseline(train: Sequence[LabelledArticle], validation: Sequence[LabelledArticle],
             techniques: Sequence[str], language: str) -> LanguageBaseline:
    """The shipped recipe's members (and ru stacker), fitted on train, on validation."""
    model, _ = evaluate_language(train, validation, techniques, TrainingConfig(), language,
                                 with_reference=False)
    documents, gold = paragraph_data(validation, techniques)
    sizes = np.asarray([len(d) for d in documents])
    started = time.perf_counter()
    members = model.member_probabilities(documents)
    seconds = (time.perf_counter() - started) / max(int(sizes.sum()), 1)
    model.calibration = (1.0, 0.0)
    combination = "stacker" if model.stacker is not None else model.combination
    return LanguageBaseline(gold, sizes, model.combine(members, sizes), members, combination,
                            seconds)


def with_member(base: LanguageBaseline, member_probs: np.ndarray, weight: float) -> np.ndarray:
    """The extra member added to the ensemble with `weight` (each linear member weighs 1):
    a weighted mean of probabilities or (logit, stacker) of log-odds."""
    n = len(base.members)
    if base.combination == "probability":
        return (sum(base.members.values()) + weight * member_probs) / (n + weight)
    return expit((n * _logit(base.raw) + weight * _logit(member_probs)) / (n + weight))


def platt(scores: np.ndarray, slope_offset: tuple[float, float]) -> np.ndarray:
    """Scores through a Platt map (slope, offset) on their log-odds."""
    slope, offset = slope_offset
    return expit(slope * _logit(scores) + offset)


def tuned_f1(probs: np.ndarray, gold: np.ndarray) -> float:
    """Micro-F1 with shrunk per-technique thresholds tuned on the same rows."""
    thresholds = tune_thresholds(probs, gold, TrainingConfig.shrinkage)
    return score_matrices(gold, probs >= thresholds).micro_f1


def scores(raw: np.ndarray, base: LanguageBaseline, calibrated: bool,
           seed: int) -> tuple[float, float]:
    """(tuned, cross-fitted) micro-F1 as in ``evaluate_language``."""
    probs = platt(raw, fit_platt(raw, base.gold)) if calibrated else raw
    crossed = cross_fitted_score(raw, base.gold, base.sizes, TrainingConfig.shrinkage, seed,
                                 calibrated).micro_f1
    return tuned_f1(probs, base.gold), crossed


def print_table(rows: dict[str, dict[str, tuple[float, float]]], width: int = 30) -> None:
    """One row per name: tuned/cross-fitted micro-F1 per language and their means."""
    languages = list(next(iter(rows.values())))
    print(f"{'micro-F1 tuned/cross-fitted':<{width}}"
          + "".join(f"{code:>13}" for code in [*languages, "mean"]))
    for name, by_language in rows.items():
        values = [by_language[code] for code in languages]
        mean = (float(np.mean([v[0] for v in values])), float(np.mean([v[1] for v in values])))
        print(f"{name:<{width}}" + "".join(f"  {a:.3f}/{b:.3f}" for a, b in [*values, mean]))
