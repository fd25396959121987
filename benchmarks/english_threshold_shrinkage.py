"""Threshold shrinkage for the default English model, under sparser gold labels.

The default English model (the linear detector refitted on the train split, plus the static
MiniLM member fitted on the train split, averaged at the shipped share) predicts the English
validation split. For each share d of gold labels missing at random and each shrinkage s of the
per-technique thresholds towards the global one, it prints the expected micro-F1, cross-fitted
(thresholds tuned on one half of the articles for d, scored on the other), averaged over 20
halvings. One thread; about 3 minutes.

    python benchmarks/english_threshold_shrinkage.py [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _members  # noqa: F401  (first: it pins BLAS to one thread before numpy loads)
import numpy as np
from _articles import DEFAULT_DATA
from scipy.special import expit

from persuasion_lens.data.semeval2023 import load_technique_articles
from persuasion_lens.models import registry
from persuasion_lens.models import technique_training as tt
from persuasion_lens.models.embedding_training import (
    averaged,
    embed_articles,
    fit_member,
    stacked,
    train_embedding_member,
    train_only_base,
)
from persuasion_lens.models.embeddings import build_encoder
from persuasion_lens.models.manifest import read_manifest

SHRINKAGES = (0.0, 3.0, 10.0, 30.0, 100.0, np.inf)
MISSING = (0.0, 0.3, 0.5)
HALVINGS = range(13, 33)


def default_english_probabilities(data_dir: Path) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Validation probabilities of the default English model fitted on the train split."""
    linear = registry.technique_detector(registry.LINEAR_MODEL_NAME)
    manifest = read_manifest(registry.ENGLISH_ENSEMBLE_DIR / "model.json", "English ensemble")
    techniques = list(linear.techniques)
    articles = load_technique_articles(data_dir, ["en"])
    train = [a for a in articles if a.split == "train"]
    validation = [a for a in articles if a.split == "validation"]
    encoder = build_encoder(manifest["encoder"])  # the static table the default model reads
    features = embed_articles(encoder, articles, None, lambda line: None, tuple(
        manifest["features"]))
    by_id = {id(a): f for a, f in zip(articles, features, strict=True)}
    x_train, y_train = stacked(by_id, train, techniques)
    x_val, gold = stacked(by_id, validation, techniques)
    C = inspect.signature(train_embedding_member).parameters["C"].default  # as shipped
    coef, intercept, trained = fit_member(x_train, y_train, C, 13)
    base = train_only_base(linear, train, validation, techniques, lambda line: None)
    member = expit(x_val @ coef.T + intercept)
    probabilities = averaged(base, member, trained, float(manifest["weight"]))
    return probabilities, gold.astype(bool), [len(a.document.paragraphs) for a in validation]


def expected_f1(probabilities: np.ndarray, gold: np.ndarray, sizes: list[int],
                shrinkage: float, missing: float) -> tuple[float, float]:
    values = []
    for seed in HALVINGS:
        decided = tt.cross_fitted_decisions(probabilities, gold, sizes, shrinkage, seed,
                                            calibrated=False, missing=missing)
        values.append(tt.sparse_label_f1((decided & gold).sum(), (decided & ~gold).sum(),
                                         (~decided & gold).sum(), missing))
    return float(np.mean(values)), float(np.std(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    probabilities, gold, sizes = default_english_probabilities(args.data_dir)
    print("expected cross-fitted micro-F1 (mean / sd over 20 halvings), English validation")
    print("d      " + "".join(f"{'s=' + format(s, 'g'):>16}" for s in SHRINKAGES))
    for missing in MISSING:
        cells = [expected_f1(probabilities, gold, sizes, s, missing) for s in SHRINKAGES]
        print(f"{missing:<7}" + "".join(f"{m:>10.4f} /{sd:.3f}" for m, sd in cells), flush=True)


if __name__ == "__main__":
    main()
