"""Span scores of the SemEval-2020 Task 11 family (partial-overlap credit).

Both scores compare, article by article, a set S of predicted character ranges with the set T of
gold ranges (offsets end exclusive) and give partial credit for overlap:

    C(s, t, h) = |s ∩ t| / h · δ(s, t)

    P(S, T) = 1/|S| · Σ_{s∈S} Σ_{t∈T} C(s, t, |s|)
    R(S, T) = 1/|T| · Σ_{s∈S} Σ_{t∈T} C(s, t, |t|)
    F1 = 2PR / (P + R)

Over a corpus the numerators and the denominators (|S|, |T|) are summed over all articles before
dividing (micro average), as the official scorers do.

* Span identification (`span_identification_scores`, SemEval-2020 Task 11 subtask SI): the
  technique is ignored (δ = 1) and, because of that, overlapping ranges of one article are merged
  first, on both sides, so that text carrying two techniques is not counted twice.
* Technique-aware span F1 (`technique_span_scores`, the "FLC" score of Da San Martino et al. 2019,
  used again in SemEval-2021 Task 6): δ = 1 only when the techniques are equal; ranges are
  not merged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

Span = tuple[str, int, int]  # (technique, start, end), end exclusive


@dataclass(frozen=True)
class SpanScores:
    precision: float
    recall: float
    f1: float
    predicted: int  # |S| summed over articles
    gold: int  # |T| summed over articles

    def as_dict(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of overlapping ranges (ranges that merely touch stay apart); empty ones dropped."""
    merged: list[list[int]] = []
    for start, end in sorted(r for r in ranges if r[1] > r[0]):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _article_sums(
    predicted: list[Span], gold: list[Span], technique_aware: bool
) -> tuple[float, float, int, int]:
    predicted = [s for s in predicted if s[2] > s[1]]
    gold = [s for s in gold if s[2] > s[1]]
    if not technique_aware:
        predicted = [("", a, b) for a, b in merge_ranges((s[1], s[2]) for s in predicted)]
        gold = [("", a, b) for a, b in merge_ranges((s[1], s[2]) for s in gold)]
    precision_sum = recall_sum = 0.0
    for s_tech, s_start, s_end in predicted:
        for t_tech, t_start, t_end in gold:
            if technique_aware and s_tech != t_tech:
                continue
            inter = _overlap((s_start, s_end), (t_start, t_end))
            if inter:
                precision_sum += inter / (s_end - s_start)
                recall_sum += inter / (t_end - t_start)
    return precision_sum, recall_sum, len(predicted), len(gold)


def _scores(
    predicted: Mapping[str, list[Span]], gold: Mapping[str, list[Span]], technique_aware: bool
) -> SpanScores:
    p_num = r_num = 0.0
    n_pred = n_gold = 0
    for article in set(predicted) | set(gold):
        a, b, c, d = _article_sums(
            list(predicted.get(article, [])), list(gold.get(article, [])), technique_aware
        )
        p_num, r_num, n_pred, n_gold = p_num + a, r_num + b, n_pred + c, n_gold + d
    precision = p_num / n_pred if n_pred else 0.0
    recall = r_num / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    if not n_pred and not n_gold:
        f1 = 1.0
    return SpanScores(precision, recall, f1, n_pred, n_gold)


def span_identification_scores(
    predicted: Mapping[str, list[Span]], gold: Mapping[str, list[Span]]
) -> SpanScores:
    """Technique ignored, overlapping ranges merged per article (SemEval-2020 Task 11 SI)."""
    return _scores(predicted, gold, technique_aware=False)


def technique_span_scores(
    predicted: Mapping[str, list[Span]], gold: Mapping[str, list[Span]]
) -> SpanScores:
    """Technique must match; partial-overlap credit (FLC score)."""
    return _scores(predicted, gold, technique_aware=True)
