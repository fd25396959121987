"""Official-style scores for multi-label paragraph classification (SemEval-2023 Task 3, subtask 3).

Micro-F1 is computed over (paragraph, technique) pairs with every paragraph counted (paragraphs
with no gold and no predicted label add nothing to the counts, but are not dropped); macro-F1 is
the unweighted mean of the per-technique F1 over the techniques given (a technique with no gold
and no predicted pair scores 0, as in scikit-learn's ``zero_division=0``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class MultiLabelScores:
    micro_f1: float
    macro_f1: float
    precision: float
    recall: float
    n_paragraphs: int
    n_gold: int
    n_predicted: int

    def to_dict(self) -> dict[str, float | int]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _f1(tp: float, fp: float, fn: float) -> float:
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def score_matrices(gold: np.ndarray, predicted: np.ndarray) -> MultiLabelScores:
    """Scores of two aligned boolean (n_paragraphs, n_techniques) matrices."""
    gold = np.asarray(gold, dtype=bool)
    predicted = np.asarray(predicted, dtype=bool)
    if gold.shape != predicted.shape:
        raise ValueError(f"shape mismatch: gold {gold.shape}, predicted {predicted.shape}")
    tp_per = (gold & predicted).sum(axis=0).astype(float)
    fp_per = (~gold & predicted).sum(axis=0).astype(float)
    fn_per = (gold & ~predicted).sum(axis=0).astype(float)
    tp, fp, fn = tp_per.sum(), fp_per.sum(), fn_per.sum()
    macro = (
        float(np.mean([_f1(*counts) for counts in zip(tp_per, fp_per, fn_per, strict=True)]))
        if gold.shape[1] else 0.0
    )
    return MultiLabelScores(
        micro_f1=_f1(tp, fp, fn),
        macro_f1=macro,
        precision=float(tp / (tp + fp)) if tp + fp else 0.0,
        recall=float(tp / (tp + fn)) if tp + fn else 0.0,
        n_paragraphs=int(gold.shape[0]),
        n_gold=int(tp + fn),
        n_predicted=int(tp + fp),
    )


def label_matrix(label_sets: Iterable[Iterable[str]], techniques: Sequence[str]) -> np.ndarray:
    """Boolean (n, len(techniques)) matrix of per-paragraph label sets (unknown labels ignored)."""
    column = {t: j for j, t in enumerate(techniques)}
    rows = list(label_sets)
    matrix = np.zeros((len(rows), len(techniques)), dtype=bool)
    for i, labels in enumerate(rows):
        for label in labels:
            if label in column:
                matrix[i, column[label]] = True
    return matrix


def score_label_sets(
    gold: Iterable[Iterable[str]],
    predicted: Iterable[Iterable[str]],
    techniques: Sequence[str] | None = None,
) -> MultiLabelScores:
    """Scores of aligned per-paragraph label sets; techniques default to the union seen."""
    gold = [frozenset(g) for g in gold]
    predicted = [frozenset(p) for p in predicted]
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold paragraphs but {len(predicted)} predicted")
    if techniques is None:
        techniques = sorted(set().union(*gold, *predicted)) if gold else []
    return score_matrices(label_matrix(gold, techniques), label_matrix(predicted, techniques))


def expected_calibration_error(
    probabilities: np.ndarray, gold: np.ndarray, bins: int = 10
) -> tuple[float, list[dict[str, float]]]:
    """ECE over all (paragraph, technique) cells in equal-width bins, and the reliability table."""
    p = np.asarray(probabilities, dtype=float).ravel()
    y = np.asarray(gold, dtype=bool).ravel()
    if p.size == 0:
        return 0.0, []
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    table = []
    for b in range(bins):
        mask = which == b
        if not mask.any():
            continue
        confidence, frequency = float(p[mask].mean()), float(y[mask].mean())
        ece += mask.mean() * abs(confidence - frequency)
        table.append({
            "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}", "n": int(mask.sum()),
            "mean_probability": round(confidence, 4), "observed_rate": round(frequency, 4),
        })
    return float(ece), table
