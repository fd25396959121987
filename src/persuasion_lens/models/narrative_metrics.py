"""Official-style scores of SemEval-2025 Task 10.

Subtask 2 (narratives): samples-averaged F1 — the F1 of every document's predicted label set
against its gold set, averaged over documents (as scikit-learn's ``average="samples"``; a
document whose gold and predicted sets are both empty scores 0, which cannot happen with the
`Other` label). Subtask 1 (entity roles): exact-match ratio of the fine-role sets over the gold
mentions, and main-role accuracy beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def set_f1(gold: Iterable[str], predicted: Iterable[str]) -> float:
    gold_set, predicted_set = set(gold), set(predicted)
    if not gold_set and not predicted_set:
        return 0.0
    overlap = len(gold_set & predicted_set)
    return 2 * overlap / (len(gold_set) + len(predicted_set))


def samples_f1(gold: Sequence[Iterable[str]], predicted: Sequence[Iterable[str]]) -> float:
    """Mean over documents of the F1 between gold and predicted label sets."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold label sets but {len(predicted)} predicted")
    if not gold:
        return 0.0
    return sum(set_f1(g, p) for g, p in zip(gold, predicted, strict=True)) / len(gold)


def exact_match_ratio(gold: Sequence[Iterable[str]], predicted: Sequence[Iterable[str]]) -> float:
    """Share of mentions whose predicted fine-role set equals the gold set."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold role sets but {len(predicted)} predicted")
    if not gold:
        return 0.0
    return sum(set(g) == set(p) for g, p in zip(gold, predicted, strict=True)) / len(gold)


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predicted")
    if not gold:
        return 0.0
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)


def span_recall(gold: Sequence[tuple[int, int]], found: Iterable[tuple[int, int]],
                overlap: bool = False) -> float:
    """Share of gold (start, end) spans found exactly (or, with `overlap`, overlapped)."""
    if not gold:
        return 0.0
    found = list(found)
    found_set = set(found)
    hits = 0
    for start, end in gold:
        if (start, end) in found_set or (overlap and any(s < end and start < e for s, e in found)):
            hits += 1
    return hits / len(gold)
