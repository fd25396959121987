"""What happens to paragraph micro-F1 when the gold labels are sparser than in training.

The official English dev set has fewer technique labels per paragraph than the training data
(held-out micro-F1 of the plain n-gram reference: .20, against .40 on our validation split). This
script models that as labels missing at random: with a share d of the gold labels dropped, a
decision set with TP, FP, FN on the validation split expects TP(1-d) true positives, FP + d TP
false positives and FN(1-d) false negatives. For one language it prints, two-fold cross-fitted
(thresholds tuned on one half of the validation articles, scored on the other), the expected
micro-F1 at several d of:

* the shipped recipe (ensemble, per-technique thresholds shrunk towards the language's global
  one), with thresholds tuned as now (d=0) and tuned for sparser labels (d>0);
* the same ensemble with one global threshold per language;
* for English, the default model: the ensemble averaged with the static-embeddings member
  (weight 0.6, member fitted on the train split), thresholds tuned for d=0 and d=0.3;
* the plain n-gram reference with one global threshold.

Usage: python benchmarks/label_sparsity.py [--data-dir ../shared/data] [--language en]
(fits the members on the train split: about 3 minutes for English on one core).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import numpy as np  # noqa: E402
from scipy.special import expit  # noqa: E402

from persuasion_lens.data import semeval2023 as S  # noqa: E402
from persuasion_lens.models import technique_training as T  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _articles import DEFAULT_DATA  # noqa: E402

DROPPED = (0.0, 0.3, 0.5, 0.65)
ONE_THRESHOLD = np.inf  # shrinkage that keeps every technique at the language's threshold


def expected_f1(predicted: np.ndarray, gold: np.ndarray, dropped: float) -> float:
    return T.sparse_label_f1(float((predicted & gold).sum()), float((predicted & ~gold).sum()),
                             float((~predicted & gold).sum()), dropped)


def row(name: str, probs: np.ndarray, gold: np.ndarray, sizes: list[int], shrinkage: float,
        tuned_for: float, seed: int) -> str:
    decided = T.cross_fitted_decisions(probs, gold, sizes, shrinkage, seed, calibrated=False,
                                       missing=tuned_for).astype(bool)
    return f"{name:44}" + "".join(f"{expected_f1(decided, gold, d):<8.3f}" for d in DROPPED)


def with_static_member(probs: np.ndarray, train, validation, techniques,
                       weight: float = 0.6) -> np.ndarray:
    from persuasion_lens.models.embedding_training import fit_member
    from persuasion_lens.models.metrics import label_matrix
    from persuasion_lens.models.static_embeddings import StaticEncoder

    encoder = StaticEncoder()

    def embed(articles):
        return encoder.encode([p.text for a in articles for p in a.document.paragraphs])

    labels = label_matrix([lab for a in train for lab in a.paragraph_labels], techniques)
    coef, intercept, trained = fit_member(embed(train), labels, 2.0, 13)
    member = expit(embed(validation) @ coef.T + intercept)
    combined = probs.astype(float).copy()
    combined[:, trained] = (1 - weight) * combined[:, trained] + weight * member[:, trained]
    return combined


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--language", default="en")
    args = parser.parse_args()
    articles = [a for a in S.load_technique_articles(args.data_dir, [args.language])
                if a.paragraph_labels is not None]
    train = [a for a in articles if a.split == "train"]
    validation = [a for a in articles if a.split == "validation"]
    techniques = T.technique_names(articles)
    config = T.TrainingConfig()
    model, _ = T.evaluate_language(train, validation, techniques, config, args.language,
                                   with_reference=False)
    documents, gold = T.paragraph_data(validation, techniques)
    gold = gold.astype(bool)
    sizes = [len(d) for d in documents]
    probs = model.predict_proba(documents)
    train_texts, train_gold = T.paragraph_data(train, techniques)
    reference = T.ReferenceModel(config.C, config.seed).fit(
        [t for d in train_texts for t in d], train_gold)
    reference_probs = reference.predict_proba([t for d in documents for t in d])

    print(f"{args.language}: expected micro-F1 (cross-fitted) when a share d of the gold labels "
          "is missing")
    print(f"{'':44}" + "".join(f"d={d:<6}" for d in DROPPED))
    seed, shrinkage = config.seed, config.shrinkage
    for tuned_for in DROPPED:
        print(row(f"ensemble, thresholds tuned for d={tuned_for}", probs, gold, sizes, shrinkage,
                  tuned_for, seed))
    for tuned_for in (0.0, 0.3):
        print(row(f"ensemble, one global threshold for d={tuned_for}", probs, gold, sizes,
                  ONE_THRESHOLD, tuned_for, seed))
    if args.language == "en":
        combined = with_static_member(probs, train, validation, techniques)
        for tuned_for in (0.0, 0.3):
            print(row(f"default (+ static member), tuned for d={tuned_for}", combined, gold,
                      sizes, shrinkage, tuned_for, seed))
    print(row("reference, one global threshold", reference_probs, gold, sizes, ONE_THRESHOLD,
              0.0, seed))


if __name__ == "__main__":
    main()
