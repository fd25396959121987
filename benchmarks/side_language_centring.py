"""Whether the side-taken model reads the language instead of the stance, measured.

The side model (`narratives.SideStance`) is a logistic regression over the narrative model's
word and character n-grams, trained on the war articles whose roles show a side. Most of its
Bulgarian, Portuguese and Russian articles take the Russian side and about half of its English
and Hindi ones do, so n-grams that only say "this is English" also say "Western side". This
fits variants on the training split's articles (the shipped featurizer, C as shipped unless
given) and prints, for each: the out-of-fold accuracy on the training split (the shipped
model's folds), accuracy / AUC per language on the validation split, and P(Russian side) for
the project's worked example.

Variants: the shipped features; word n-grams only; character n-grams only; features centred on
their language's mean training article (language identity removed), with a global intercept or
with one intercept per language (the language's prior kept). About a minute of one core.

Usage: python benchmarks/side_language_centring.py [--data-dir ../shared/data] [--example FILE]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _articles import DEFAULT_DATA  # noqa: E402

EXAMPLE = Path(__file__).parents[1].parent / "shared" / "examples" / "putin-kim-opinion-en.txt"


def main() -> None:
    from persuasion_lens.data import semeval2025 as D
    from persuasion_lens.models.narrative_training import (
        TrainingConfig,
        _fit_with_out_of_fold,
        with_a_side,
    )
    from persuasion_lens.models.narratives import load_default_narrative_model
    from persuasion_lens.text.documents import Document

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--example", type=Path, default=EXAMPLE)
    config = TrainingConfig()
    parser.add_argument("--c", type=float, nargs="+", default=[config.side_c])
    args = parser.parse_args()
    featurizer = load_default_narrative_model().featurizer
    articles = D.load_articles(args.data_dir)
    train, y_train = with_a_side([a for a in articles if a.split == "train"])
    test, y_test = with_a_side([a for a in articles if a.split == "validation"])
    x_train = featurizer.transform([a.document for a in train]).toarray()
    x_test = featurizer.transform([a.document for a in test]).toarray()
    l_train = np.array([a.language for a in train])
    l_test = np.array([a.language for a in test])
    example = Document.from_text(args.example.read_text(encoding="utf-8"), language="en")
    x_example = featurizer.transform([example]).toarray()
    languages = sorted(set(l_train))
    means = {code: x_train[l_train == code].mean(axis=0) for code in languages}
    n_words = len(featurizer.word_vocabulary)

    def centred(x: np.ndarray, codes) -> np.ndarray:
        return x - np.stack([means[code] for code in codes])

    def one_hot(codes) -> np.ndarray:
        return np.array([[code == k for k in languages] for code in codes], dtype=float)

    variants: dict[str, Callable[[np.ndarray, list[str]], np.ndarray]] = {
        "shipped features": lambda x, codes: x,
        "word n-grams only": lambda x, codes: x[:, :n_words],
        "character n-grams only": lambda x, codes: x[:, n_words:],
        "centred on the language": centred,
        "centred + an intercept per language": lambda x, codes: np.hstack(
            [centred(x, codes), one_hot(codes)]),
    }
    shares = ", ".join(f"{code} {int((l_train == code).sum())} "
                       f"({y_train[l_train == code].mean():.2f})" for code in languages)
    print(f"training articles with a side: {len(y_train)}, Russian side {y_train.mean():.2f}; "
          f"{shares}")
    for name, make in variants.items():
        for c in args.c:
            a, b, e = make(x_train, l_train), make(x_test, l_test), make(x_example, ["en"])
            model, out_of_fold = _fit_with_out_of_fold(a, y_train, c, config.side_folds)
            p = model.predict_proba(b)[:, 1]
            scores = []
            for code in languages:
                chosen = l_test == code
                auc = (roc_auc_score(y_test[chosen], p[chosen])
                       if len(set(y_test[chosen])) > 1 else float("nan"))
                right = ((p[chosen] >= .5) == y_test[chosen]).mean()
                scores.append(f"{code} {right:.3f}/{auc:.3f}")
            print(f"{name:36s} C={c:g}  out of fold {((out_of_fold >= .5) == y_train).mean():.3f}"
                  f"  validation {((p >= .5) == y_test).mean():.3f}: {' '.join(scores)}"
                  f"  example {model.predict_proba(e)[0, 1]:.2f}", flush=True)


if __name__ == "__main__":
    main()
