"""How the English members combine: the full all-MiniLM-L6-v2 member (the opt-in `--model
embeddings`) against, and on top of, the default model's static MiniLM and token members.

Every part is fitted on the English training split and scored on the validation split:
two-fold cross-fitted micro-F1, mean of the 10 halvings `plens train` uses for the token member.
Prints the default model (linear + static member + token member at its shipped share), the
full MiniLM member averaged into it, the opt-in recipe (linear + full MiniLM member), and that
recipe with the token member averaged in. Needs the `embeddings` extra (torch); about 10
minutes of one core, 2 of them embedding (`--cache FILE.npy` keeps the embeddings).

Usage: python benchmarks/english_members.py [--data-dir ../shared/data] [--cache FILE.npy]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.special import expit
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).parent))
from _articles import DEFAULT_DATA

LANGUAGE = "en"


def main() -> None:
    from persuasion_lens.data.semeval2023 import load_technique_articles
    from persuasion_lens.models import registry
    from persuasion_lens.models import token_member_training as T
    from persuasion_lens.models.embedding_training import (
        averaged,
        embed_articles,
        fit_member,
        stacked,
        train_only_base,
    )
    from persuasion_lens.models.spans import load_default_span_detector

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    linear = registry.technique_detector(registry.LINEAR_MODEL_NAME)
    techniques = list(linear.techniques)
    shrinkage = float((linear.metadata.get("config") or {}).get("shrinkage", 30.0))
    token_share = registry.technique_detector().shares[LANGUAGE]
    articles = [a for a in load_technique_articles(args.data_dir, [LANGUAGE])
                if a.paragraph_labels is not None]
    train = [a for a in articles if a.split == "train"]
    validation, gold, sizes = T._validation_gold(articles, LANGUAGE, techniques)
    everything = np.ones(len(techniques), dtype=bool)

    def score(probabilities: np.ndarray) -> str:
        return f"{T.halving_mean(probabilities, gold, sizes, shrinkage):.4f}"

    with threadpool_limits(1):
        space = load_default_span_detector().space
        token, _ = T.train_fit_validation(space, train, validation, LANGUAGE, techniques)
        static = T.default_validation(articles, techniques, LANGUAGE, linear,
                                      T.member_manifests(), {}, print)
        default = averaged(static, token, everything, token_share)
        plain = train_only_base(linear, train, validation, techniques, print, LANGUAGE)
    features = embed_articles(None, articles, args.cache, print, ("paragraph",))
    by_id = {id(a): f for a, f in zip(articles, features, strict=True)}
    x_train, y_train = stacked(by_id, train, techniques)
    x_validation, _ = stacked(by_id, validation, techniques)
    with threadpool_limits(1):
        member_coef, member_intercept, trained = fit_member(x_train, y_train, 2.0, 13)
    minilm = expit(x_validation @ member_coef.T + member_intercept)

    print(f"linear detector: {score(plain)}")
    print(f"default (linear + static MiniLM + token member at {token_share}): {score(default)}")
    for share in (0.1, 0.2, 0.3, 0.4):
        print(f"default + full MiniLM member at {share}: "
              f"{score(averaged(default, minilm, trained, share))}")
    opt_in = averaged(plain, minilm, trained, 0.4)
    print(f"linear + full MiniLM member at 0.4 (`--model embeddings`): {score(opt_in)}")
    for share in (0.15, 0.25, 0.35):
        print(f"linear + full MiniLM + token member at {share}: "
              f"{score(averaged(opt_in, token, everything, share))}")


if __name__ == "__main__":
    main()
