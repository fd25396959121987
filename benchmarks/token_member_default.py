"""The token-level tagger of ``token_tagger.py`` as an extra member of the DEFAULT detector.

``token_tagger.py`` measured the tagger against the linear members alone. The default detector
now also averages in the static English member (en) and the cross-lingual member (fr, it, pl,
ru); this measures what the tagger adds on top of that, per language:

1. the default model's validation probabilities from train-split fits (the linear detector
   refitted on train, calibrated; the language's member fitted on train and averaged in at its
   shipped share);
2. the token member: fitted on the language's train split, its noisy-OR paragraph scores
   Platt-mapped with a map fitted on two-fold out-of-fold scores of the train split;
3. the member averaged into the default model with share w (0 = the default model alone),
   scored as the default model's shares are chosen: two-fold cross-fitted micro-F1, here
   averaged over 10 halvings (seeds 13-22), thresholds shrunk as shipped.

With `--features span-space` the tagger is the shipped member's recipe
(`models.token_member_training`): the span model's integer feature space (word, lemma, suffix,
shape, neighbours, positions, quotes, ...) instead of hashed strings; `--keep K` keeps the K
largest weights per technique (the shipped member keeps 5,000).

One thread; about 10 minutes for the six languages.

    python benchmarks/token_member_default.py [--data-dir ../shared/data] [--languages en,pl]
        [--features hashed|span-space] [--keep 5000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _members  # first: it pins BLAS to one thread before numpy loads
import numpy as np
from _articles import DEFAULT_DATA
from token_tagger import TaggerConfig, TokenTagger, out_of_fold, token_data

from persuasion_lens.data.semeval2023 import TRAINING_LANGUAGES, load_technique_articles
from persuasion_lens.models import registry
from persuasion_lens.models import technique_training as tt
from persuasion_lens.models import token_member_training as T
from persuasion_lens.models.embedding_training import averaged
from persuasion_lens.models.spans import load_default_span_detector

SHARES = (0.0, 0.15, 0.25, 0.35, 0.45)
HALVINGS = range(13, 23)
RULE = "noisy-or"


def token_validation(articles, techniques, language, config) -> np.ndarray:
    """The hashed tagger of token_tagger.py, Platt-mapped from out-of-fold train scores."""
    train = [a for a in articles if a.language == language and a.split == "train"]
    validation = [a for a in articles if a.language == language and a.split == "validation"]
    oof, gold = out_of_fold(train, techniques, config)
    slope_offset = tt.fit_platt(oof[RULE], gold)
    tagger = TokenTagger(config)
    tagger.fit(token_data(train, tagger.hasher, techniques))
    scores = tagger.paragraph_scores(validation, (RULE,))[RULE]
    return _members.platt(scores, slope_offset)


def span_space_validation(articles, techniques, language, keep) -> np.ndarray:
    """The shipped member's recipe (`token_member_training`), with `keep` weights."""
    space = load_default_span_detector().space
    train = [a for a in articles if a.language == language and a.split == "train"]
    validation = [a for a in articles if a.language == language and a.split == "validation"]
    return T.train_fit_validation(space, train, validation, language, techniques, keep)[0]


def halving_mean(probabilities, gold, sizes) -> float:
    return T.halving_mean(probabilities, gold, sizes, tt.TrainingConfig.shrinkage)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--languages", default=",".join(TRAINING_LANGUAGES))
    parser.add_argument("--features", choices=("hashed", "span-space"), default="hashed")
    parser.add_argument("--keep", type=int, default=0, help="largest weights kept per "
                        "technique (span-space; 0: all)")
    args = parser.parse_args()
    languages = args.languages.split(",")
    started = time.perf_counter()
    articles = [a for a in load_technique_articles(args.data_dir)
                if a.paragraph_labels is not None]
    linear = registry.technique_detector(registry.LINEAR_MODEL_NAME)
    techniques = list(linear.techniques)
    manifests, cache = T.member_manifests(), {}
    print("cross-fitted micro-F1, mean of 10 halvings; token member share w (0: default alone)")
    print("lang " + "".join(f"{'w=' + format(w, 'g'):>9}" for w in SHARES) + "   best gain")
    gains = []
    for language in languages:
        validation = [a for a in articles if a.language == language and a.split == "validation"]
        _, gold = tt.paragraph_data(validation, techniques)
        sizes = [len(a.document.paragraphs) for a in validation]
        default = T.default_validation(articles, techniques, language, linear, manifests, cache,
                                       lambda line: None)
        token = (token_validation(articles, techniques, language, TaggerConfig())
                 if args.features == "hashed" else
                 span_space_validation(articles, techniques, language, args.keep))
        everything = np.ones(len(techniques), dtype=bool)
        row = [halving_mean(averaged(default, token, everything, w), gold, sizes)
               for w in SHARES]
        gains.append(max(row) - row[0])
        print(f"{language:<5}" + "".join(f"{v:9.3f}" for v in row)
              + f"   {gains[-1]:+.3f} ({time.perf_counter() - started:.0f} s)", flush=True)
    print(f"mean best gain {np.mean(gains):+.3f} (the best w per language is chosen on "
          "validation, so this is optimistic)")


if __name__ == "__main__":
    main()
