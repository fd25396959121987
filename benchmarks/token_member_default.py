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

With `--features span-space` the tagger reads the span model's integer feature space
(`spans.FeatureSpace`: word, lemma, suffix, shape, neighbours, positions, quotes, ...) instead
of hashed strings, which is what a shipped member would need for speed; `--keep K` then keeps
the K largest weights per technique (the size a shipped member would take).

One thread; about 10 minutes for the six languages.

    python benchmarks/token_member_default.py [--data-dir ../shared/data] [--languages en,pl]
        [--features hashed|span-space] [--keep 5000]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _members  # first: it pins BLAS to one thread before numpy loads
import numpy as np
from _articles import DEFAULT_DATA
from scipy import sparse as sp
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from token_tagger import TaggerConfig, TokenTagger, aggregate, out_of_fold, token_data

from persuasion_lens.data.semeval2023 import TRAINING_LANGUAGES, load_technique_articles
from persuasion_lens.models import registry
from persuasion_lens.models import technique_training as tt
from persuasion_lens.models.embedding_training import (
    averaged,
    embed_articles,
    fit_member,
    stacked,
    train_only_base,
)
from persuasion_lens.models.embeddings import build_encoder
from persuasion_lens.models.manifest import read_manifest
from persuasion_lens.models.spans import load_default_span_detector, tokenize

SHARES = (0.0, 0.15, 0.25, 0.35, 0.45)
HALVINGS = range(13, 23)
RULE = "noisy-or"
# C of the members as `plens train` fits them (embedding_training, crosslingual_training)
MEMBER_C = {"en": 2.0, "*": 10.0}


def member_setups() -> dict[str, tuple[dict, Path]]:
    """Per language: the manifest of the member the default model averages in, and its folder."""
    english = read_manifest(registry.ENGLISH_ENSEMBLE_DIR / "model.json", "English member")
    crosslingual = read_manifest(registry.DEFAULT_ENSEMBLE_DIR / "model.json", "member")
    setups = {"en": (english, registry.ENGLISH_ENSEMBLE_DIR)}
    for language in crosslingual["languages"]:
        setups[language] = (crosslingual, registry.DEFAULT_ENSEMBLE_DIR)
    return setups


def share_of(manifest: dict, language: str) -> float:
    weight = manifest["weight"]
    return float(weight[language] if isinstance(weight, dict) else weight)


def default_validation(articles, techniques, language, linear, setups, member_cache):
    """Validation probabilities of the default model for `language`, train-split fits."""
    train = [a for a in articles if a.language == language and a.split == "train"]
    validation = [a for a in articles if a.language == language and a.split == "validation"]
    base = train_only_base(linear, train, validation, techniques, lambda line: None, language)
    if language not in setups:
        return base
    manifest, _ = setups[language]
    key = manifest["encoder"] + ("-en" if language == "en" else "")
    if key not in member_cache:
        # the English member learns from English paragraphs, the cross-lingual one from all
        pool = [a for a in articles if a.language == "en"] if language == "en" else articles
        features = embed_articles(build_encoder(manifest["encoder"]), pool, None,
                                  lambda line: None, tuple(manifest["features"]))
        by_id = {id(a): f for a, f in zip(pool, features, strict=True)}
        x, y = stacked(by_id, [a for a in pool if a.split == "train"], techniques)
        C = MEMBER_C.get(language, MEMBER_C["*"])
        member_cache[key] = (by_id, fit_member(x, y, C, 13))
    by_id, (coef, intercept, trained) = member_cache[key]
    x_val, _ = stacked(by_id, validation, techniques)
    return averaged(base, expit(x_val @ coef.T + intercept), trained, share_of(manifest, language))


def token_validation(articles, techniques, language, config) -> np.ndarray:
    train = [a for a in articles if a.language == language and a.split == "train"]
    validation = [a for a in articles if a.language == language and a.split == "validation"]
    oof, gold = out_of_fold(train, techniques, config)
    slope_offset = tt.fit_platt(oof[RULE], gold)
    tagger = TokenTagger(config)
    tagger.fit(token_data(train, tagger.hasher, techniques))
    scores = tagger.paragraph_scores(validation, (RULE,))[RULE]
    return _members.platt(scores, slope_offset)


class SpanSpaceTagger:
    """The same tagger over the span model's integer feature space."""

    def __init__(self, language: str, keep: int = 0, C: float = 1.0, seed: int = 13,
                 max_negatives: int = 120_000) -> None:
        self.space = load_default_span_detector().space
        self.language, self.keep, self.C, self.seed = language, keep, C, seed
        self.max_negatives = max_negatives

    def tokens(self, articles, techniques=None):
        """(one-hot token matrix, token -> paragraph row, paragraphs, gold token labels)."""
        blocks, owner, labels, row = [], [], [], 0
        column = {t: j for j, t in enumerate(techniques or ())}
        for article in articles:
            for index, paragraph in enumerate(article.document.paragraphs):
                spans = tokenize(paragraph.text)
                if spans:
                    blocks.append(self.space.encode(paragraph.text, spans, self.language))
                    owner.extend([row] * len(spans))
                    if techniques is not None:
                        labels.append(self._labels(article, index, paragraph, spans, column))
                row += 1
        index = np.concatenate(blocks)
        n, m = index.shape
        x = sp.csr_matrix((np.ones(n * m, np.float32), index.ravel(), np.arange(0, n * m + 1, m)),
                          shape=(n, self.space.size))
        x.sum_duplicates()
        x.data[:] = 1.0
        return x, np.asarray(owner), row, (np.vstack(labels) if labels else None)

    @staticmethod
    def _labels(article, index, paragraph, spans, column) -> np.ndarray:
        gold = article.paragraph_labels[index]
        starts = np.array([a for a, _ in spans]) + paragraph.start
        ends = np.array([b for _, b in spans]) + paragraph.start
        labels = np.zeros((len(spans), len(column)), dtype=bool)
        for span in article.spans:
            if span.technique in gold and span.technique in column:
                labels[(starts < span.end) & (ends > span.start), column[span.technique]] = True
        return labels

    def fit(self, articles, techniques) -> SpanSpaceTagger:
        x, _, _, y = self.tokens(articles, techniques)
        rng = np.random.default_rng(self.seed)
        self.coef = np.zeros((x.shape[1], y.shape[1]), dtype=np.float32)
        self.intercept = np.full(y.shape[1], -12.0, dtype=np.float32)
        for j in range(y.shape[1]):
            positive = np.flatnonzero(y[:, j])
            if len(positive) < 5:
                continue
            negative = np.flatnonzero(~y[:, j])
            rate = min(1.0, self.max_negatives / max(len(negative), 1))
            if rate < 1.0:
                negative = rng.choice(negative, self.max_negatives, replace=False)
            rows = np.sort(np.concatenate([positive, negative]))
            model = LogisticRegression(C=self.C, solver="liblinear", dual=True, max_iter=200,
                                       random_state=self.seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(x[rows], y[rows, j])
            weights = model.coef_[0].astype(np.float32)
            if self.keep and np.count_nonzero(weights) > self.keep:
                weights[np.abs(weights) < np.sort(np.abs(weights))[-self.keep]] = 0.0
            self.coef[:, j] = weights
            self.intercept[j] = model.intercept_[0] + np.log(rate)
        return self

    def paragraph_scores(self, articles) -> np.ndarray:
        x, owner, n, _ = self.tokens(articles)
        probabilities = expit(np.asarray(x @ self.coef) + self.intercept)
        return aggregate(probabilities, owner, n, (RULE,))[RULE]


def span_space_validation(articles, techniques, language, keep) -> np.ndarray:
    train = [a for a in articles if a.language == language and a.split == "train"]
    validation = [a for a in articles if a.language == language and a.split == "validation"]
    _, gold = tt.paragraph_data(train, techniques)
    fold = np.random.default_rng(13).permutation(len(train)) % 2
    row_fold = np.repeat(fold, [len(a.document.paragraphs) for a in train])
    oof = np.zeros(gold.shape)
    for k in (0, 1):
        tagger = SpanSpaceTagger(language, keep).fit(
            [a for a, f in zip(train, fold, strict=True) if f != k], techniques)
        oof[row_fold == k] = tagger.paragraph_scores(
            [a for a, f in zip(train, fold, strict=True) if f == k])
    slope_offset = tt.fit_platt(oof, gold)
    tagger = SpanSpaceTagger(language, keep).fit(train, techniques)
    return _members.platt(tagger.paragraph_scores(validation), slope_offset)


def halving_mean(probabilities, gold, sizes) -> float:
    return float(np.mean([
        tt.cross_fitted_score(probabilities, gold, sizes, tt.TrainingConfig.shrinkage, seed,
                              calibrated=False).micro_f1 for seed in HALVINGS]))


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
    setups, cache = member_setups(), {}
    print("cross-fitted micro-F1, mean of 10 halvings; token member share w (0: default alone)")
    print("lang " + "".join(f"{'w=' + format(w, 'g'):>9}" for w in SHARES) + "   best gain")
    gains = []
    for language in languages:
        validation = [a for a in articles if a.language == language and a.split == "validation"]
        _, gold = tt.paragraph_data(validation, techniques)
        sizes = [len(a.document.paragraphs) for a in validation]
        default = default_validation(articles, techniques, language, linear, setups, cache)
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
