"""How precisely a span is placed, by its localisation (the mean token probability of the span
model inside it; a hit's confidence divided by its paragraph's confidence in the technique).

Validation split, gold paragraph labels, all six languages: every placed span's technique-aware
precision (the share of its characters inside a gold span of the same technique) and whether it
touches such a gold span at all, bucketed by localisation.

Usage: python benchmarks/span_localisation.py [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _articles import DEFAULT_DATA

EDGES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 1.0)
LANGUAGES = ("en", "fr", "de", "it", "pl", "ru")


def placed_spans(detector, article) -> list[tuple[float, float, bool]]:
    """(localisation, precision, touches gold) of each span placed for the gold labels."""
    given = [[(t, 1.0) for t in sorted(labels)] for labels in article.paragraph_labels]
    gold = [(s.technique, s.start, s.end) for s in article.spans]
    rows = []
    for paragraph in detector.locate(article.document, given):
        for hit in paragraph:
            if hit.end <= hit.start:
                continue
            inside = sum(max(0, min(hit.end, end) - max(hit.start, start))
                         for technique, start, end in gold if technique == hit.technique)
            rows.append((hit.confidence, min(1.0, inside / (hit.end - hit.start)), inside > 0))
    return rows


def main() -> None:
    from persuasion_lens.data.semeval2023 import load_technique_articles
    from persuasion_lens.models.spans import load_default_span_detector

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    detector = load_default_span_detector()
    rows = [row for article in load_technique_articles(args.data_dir, list(LANGUAGES))
            if article.split == "validation" and article.paragraph_labels
            for row in placed_spans(detector, article)]
    values = np.array(rows, dtype=float)
    bucket = np.clip(np.searchsorted(EDGES, values[:, 0], side="right") - 1, 0, len(EDGES) - 2)
    for b in range(len(EDGES) - 1):
        chosen = values[bucket == b]
        if len(chosen):
            print(f"localisation {EDGES[b]:.2f}-{EDGES[b + 1]:.2f}: {len(chosen):5d} spans, "
                  f"precision {chosen[:, 1].mean():.3f}, touches gold {chosen[:, 2].mean():.3f}")


if __name__ == "__main__":
    main()
