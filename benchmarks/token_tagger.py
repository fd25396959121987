"""A token-level tagger as an extra member of the technique detector (measured, not shipped).

Per language, one logistic regression per technique over the tokens (``\\w+`` or a run of
punctuation) of ALL training paragraphs; a token is positive for technique t when it overlaps a
gold character span of t and t is among its paragraph's gold labels (as ``sentence_data`` labels
sentences). Features (hashed, ``FeatureHasher``, 2^bits buckets): the token lower-cased and as
written, its 3/4-letter prefixes and 2/3/4-letter suffixes, its shape, the lower-cased words at
-2, -1, +1, +2 and the bigrams with the previous and the next word. Negative tokens are subsampled
to at most ``--max-negatives`` per technique; the intercept is corrected by log(sampling rate).
(The shipped span model, ``models/spans.py``, is a different tagger: it is fitted only on the
paragraphs that carry the technique, so it says where, not whether.)

A paragraph's score for t aggregates its tokens' probabilities by one of three rules: ``max``,
``noisy-or`` (1 - prod(1 - p)) or ``top2`` (mean of the two largest). The rule is chosen on the
train split: two-fold (by article) out-of-fold tagger predictions, each rule Platt-scaled per
language on them and scored with tuned micro-F1; the rule with the best mean over the languages
wins. The same out-of-fold predictions give each language's Platt map for the member, which is
then fitted on the whole train split and scored on the validation split.

It is scored the way ``plens evaluate`` scores the detector (and as
``benchmarks/technique_network.py`` does): train-split fit, validation split, tuned (in-sample)
and two-fold cross-fitted micro-F1 with the shipped Platt calibration and shrunk per-technique
thresholds; alone, the shipped ensemble (members refitted here with ``TrainingConfig()``, ru with
its stacker), and the ensemble + token member with weight w against the linear members (weight 1
each), combined as each language combines its members: a weighted mean of probabilities (fr, it,
pl) or of log-odds (en, de; ru: the stacker's log-odds counted twice). The fixed-weight rows are
weights picked on validation; the row "w chosen per half" is honest about that choice: on each
validation half the weight with the best tuned micro-F1 on that half is picked and its
calibration and thresholds are applied to the other half (the halves of ``cross_fitted_score``).
The last lines average the cross-fitted micro-F1 (and the per-half weight choice) over 10
halvings (seeds 13-22).

Speed: paragraphs per second of the token member alone (tokenising, hashing, scoring,
aggregating) on the validation paragraphs, one thread, next to the shipped members' own
``member_probabilities`` on the same paragraphs.

Usage (single-threaded; 10-11 minutes for the six languages on a shared 2-core machine):
    python benchmarks/token_tagger.py [--data-dir ../shared/data] [--weights 0.25,0.5,1,2]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _members  # noqa: F401  (first: it pins BLAS to one thread before numpy loads)
import numpy as np
import scipy.sparse as sp
from _articles import DEFAULT_DATA
from _members import (
    LanguageBaseline,
    baseline,
    language_split,
    platt,
    print_table,
    scores,
    tuned_f1,
    with_member,
)
from scipy.special import expit
from sklearn.feature_extraction import FeatureHasher

from persuasion_lens.data.semeval2023 import (
    TRAINING_LANGUAGES,
    LabelledArticle,
    load_technique_articles,
)
from persuasion_lens.models.metrics import score_matrices
from persuasion_lens.models.technique_training import (
    TrainingConfig,
    cross_fitted_score,
    fit_platt,
    paragraph_data,
    technique_names,
    tune_thresholds,
)
from persuasion_lens.models.token_member_training import fit_columns, paragraph_token_labels

_TOKEN = re.compile(r"\w+|[^\w\s]+")
RULES = ("max", "noisy-or", "top2")
HALVINGS = range(13, 23)  # seeds of the validation halvings averaged at the end
FLOOR = 1e-4  # score of a paragraph without tokens / technique never seen in training


@dataclass
class TaggerConfig:
    bits: int = 19
    C: float = 1.5  # train out-of-fold mean (noisy-or): C=.15 .377, .5 .391, 1.5 .399, 4 .397
    max_negatives: int = 120_000
    seed: int = 13


# ---------------------------------------------------------------------------- tokens
def _shape(word: str) -> str:
    if word.isdigit():
        return "d"
    if not word[0].isalnum() and word[0] != "_":
        return "p"
    if word.isupper():
        return "X" if len(word) > 1 else "Xs"
    if word[0].isupper():
        return "Xx"
    return "x"


def paragraph_tokens(text: str) -> tuple[list[list[str]], list[tuple[int, int]]]:
    """Feature lists and (start, end) offsets of the paragraph's tokens."""
    matches = list(_TOKEN.finditer(text))
    words = [m.group() for m in matches]
    lower = ["<s>", "<s>", *(w.lower() for w in words), "</s>", "</s>"]
    features = []
    for i, word in enumerate(words):
        k = i + 2
        low = lower[k]
        features.append([
            "w=" + low, "c=" + word, "p3=" + low[:3], "p4=" + low[:4], "s2=" + low[-2:],
            "s3=" + low[-3:], "s4=" + low[-4:], "sh=" + _shape(word),
            "l2=" + lower[k - 2], "l1=" + lower[k - 1], "r1=" + lower[k + 1],
            "r2=" + lower[k + 2], "bl=" + lower[k - 1] + "|" + low,
            "br=" + low + "|" + lower[k + 1]])
    return features, [(m.start(), m.end()) for m in matches]


@dataclass
class TokenData:
    x: sp.csr_matrix  # (n_tokens, 2^bits)
    owner: np.ndarray  # token -> paragraph row
    n_paragraphs: int
    labels: np.ndarray | None = None  # (n_tokens, n_techniques) bool


def token_data(articles: Sequence[LabelledArticle], hasher: FeatureHasher,
               techniques: Sequence[str] | None = None) -> TokenData:
    """Hashed token features of all paragraphs; with `techniques`, the gold token labels."""
    feature_lists: list[list[str]] = []
    owner: list[int] = []
    label_rows: list[np.ndarray] = []
    index = {t: j for j, t in enumerate(techniques or ())}
    row = 0
    for article in articles:
        for p_index, paragraph in enumerate(article.document.paragraphs):
            features, offsets = paragraph_tokens(paragraph.text)
            feature_lists.extend(features)
            owner.extend([row] * len(features))
            if techniques is not None and offsets:
                label_rows.append(paragraph_token_labels(article, p_index, offsets, index))
            row += 1
    x = hasher.transform(feature_lists).tocsr()
    x.data[:] = 1.0
    labels = None
    if techniques is not None:
        labels = (np.vstack(label_rows) if label_rows
                  else np.zeros((0, len(techniques)), dtype=bool))
    return TokenData(x, np.asarray(owner, dtype=np.int64), row, labels)


# ---------------------------------------------------------------------------- tagger
class TokenTagger:
    def __init__(self, config: TaggerConfig):
        self.config = config
        self.hasher = FeatureHasher(n_features=2**config.bits, input_type="string",
                                    alternate_sign=False)
        self.coef: np.ndarray | None = None
        self.intercept: np.ndarray | None = None

    def fit(self, data: TokenData) -> TokenTagger:
        self.coef, self.intercept = fit_columns(data.x, data.labels, self.config.C,
                                                self.config.seed, self.config.max_negatives)
        return self

    def token_probabilities(self, data: TokenData) -> np.ndarray:
        return expit(np.asarray(data.x @ self.coef) + self.intercept)

    def paragraph_scores(self, articles: Sequence[LabelledArticle],
                         rules: Sequence[str] = RULES) -> dict[str, np.ndarray]:
        data = token_data(articles, self.hasher)
        return aggregate(self.token_probabilities(data), data.owner, data.n_paragraphs, rules)


def aggregate(probs: np.ndarray, owner: np.ndarray, n: int,
              rules: Sequence[str] = RULES) -> dict[str, np.ndarray]:
    """Per rule, (n_paragraphs, n_techniques) scores from token probabilities (tokens in
    paragraph order)."""
    n_out = probs.shape[1]
    out = {rule: np.full((n, n_out), FLOOR) for rule in rules}
    if len(owner) == 0:
        return out
    rows, starts = np.unique(owner, return_index=True)
    if "max" in rules:
        out["max"][rows] = np.maximum.reduceat(probs, starts, axis=0)
    if "noisy-or" in rules:
        log_miss = np.add.reduceat(np.log1p(-np.clip(probs, 0, 1 - 1e-7)), starts, axis=0)
        out["noisy-or"][rows] = 1 - np.exp(log_miss)
    if "top2" not in rules:
        return out
    counts = np.diff(np.append(starts, len(owner)))
    second_at = starts + (counts > 1)  # a one-token paragraph takes its token twice
    top2 = np.empty((len(rows), n_out))
    for j in range(n_out):
        ordered = probs[np.lexsort((-probs[:, j], owner)), j]
        top2[:, j] = (ordered[starts] + ordered[second_at]) / 2
    out["top2"][rows] = top2
    return out


# ---------------------------------------------------------------------------- scoring
def chosen_per_half(candidates: dict[float, np.ndarray], base: LanguageBaseline,
                    seed: int) -> tuple[float, list[float]]:
    """Cross-fitted micro-F1 when each half also picks the weight (best tuned micro-F1 on that
    half); the halves are those of ``cross_fitted_score``. Returns the score and the picks."""
    shrinkage = TrainingConfig.shrinkage
    doc_fold = np.random.default_rng(seed).permutation(len(base.sizes)) % 2
    row_fold = np.repeat(doc_fold, base.sizes)
    predicted = np.zeros_like(base.gold)
    picks = []
    for fold in (0, 1):
        tune, apply = row_fold != fold, row_fold == fold
        best = (-1.0, 0.0, None, None)
        for weight, raw in candidates.items():
            probs = platt(raw, fit_platt(raw[tune], base.gold[tune]))
            thresholds = tune_thresholds(probs[tune], base.gold[tune], shrinkage)
            f1 = score_matrices(base.gold[tune], probs[tune] >= thresholds).micro_f1
            if f1 > best[0] + 1e-12:
                best = (f1, weight, probs, thresholds)
        _, weight, probs, thresholds = best
        picks.append(weight)
        predicted[apply] = probs[apply] >= thresholds
    return score_matrices(base.gold, predicted).micro_f1, picks


def out_of_fold(train: Sequence[LabelledArticle], techniques: Sequence[str],
                config: TaggerConfig) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Two-fold (by article) out-of-fold paragraph scores per rule on the train split."""
    _, gold = paragraph_data(train, techniques)
    fold = np.random.default_rng(config.seed).permutation(len(train)) % 2
    sizes = np.asarray([len(a.document.paragraphs) for a in train])
    row_fold = np.repeat(fold, sizes)
    out = {rule: np.zeros(gold.shape) for rule in RULES}
    for k in (0, 1):
        tagger = TokenTagger(config)
        tagger.fit(token_data([a for a, f in zip(train, fold, strict=True) if f != k],
                              tagger.hasher, techniques))
        held = tagger.paragraph_scores([a for a, f in zip(train, fold, strict=True) if f == k])
        for rule in RULES:
            out[rule][row_fold == k] = held[rule]
    return out, gold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--languages", default=",".join(TRAINING_LANGUAGES))
    parser.add_argument("--bits", type=int, default=TaggerConfig.bits)
    parser.add_argument("--C", type=float, default=TaggerConfig.C)
    parser.add_argument("--max-negatives", type=int, default=TaggerConfig.max_negatives)
    parser.add_argument("--weights", default="0.25,0.5,1,2", help="member weights in the ensemble")
    parser.add_argument("--no-baseline", action="store_true",
                        help="only the train-split out-of-fold rule selection (fast check)")
    args = parser.parse_args()
    config = TaggerConfig(args.bits, args.C, args.max_negatives)
    languages = args.languages.split(",")
    weights = [float(w) for w in args.weights.split(",")]
    started = time.perf_counter()
    articles = load_technique_articles(args.data_dir, languages)
    techniques = technique_names(articles)
    print(f"token tagger: {config}", flush=True)

    # 1. rule and per-language Platt maps from train-split out-of-fold predictions
    oof: dict[str, tuple[dict[str, np.ndarray], np.ndarray]] = {}
    for language in languages:
        train = language_split(articles, language, "train")
        oof[language] = out_of_fold(train, techniques, config)
        print(f"{language}: out-of-fold tagger done ({time.perf_counter() - started:.0f} s)",
              flush=True)
    maps: dict[str, dict[str, tuple[float, float]]] = {}
    oof_f1: dict[str, list[float]] = {rule: [] for rule in RULES}
    for language, (by_rule, gold) in oof.items():
        maps[language] = {}
        for rule in RULES:
            maps[language][rule] = fit_platt(by_rule[rule], gold)
            oof_f1[rule].append(tuned_f1(platt(by_rule[rule], maps[language][rule]), gold))
    print("train-split out-of-fold micro-F1 of the token member by aggregation rule ("
          + ", ".join(languages) + "; mean):")
    for rule in RULES:
        print(f"  {rule:<9}" + "".join(f" {v:.3f}" for v in oof_f1[rule])
              + f"  mean {np.mean(oof_f1[rule]):.3f}")
    rule = max(RULES, key=lambda r: float(np.mean(oof_f1[r])))
    print(f"chosen rule: {rule}", flush=True)
    if args.no_baseline:
        return

    # 2. validation: member alone, shipped ensemble, ensemble + member
    rows: dict[str, dict[str, tuple[float, float]]] = {
        f"token member ({rule})": {}, "ensemble (shipped)": {}}
    rows.update({f"ensemble + token w={w:g}": {} for w in weights})
    chosen: dict[str, tuple[float, list[float]]] = {}
    averaged: dict[str, dict[str, float]] = {"ensemble (shipped)": {}}
    averaged.update({f"ensemble + token w={w:g}": {} for w in weights})
    averaged["ensemble + token, w per half"] = {}
    speed: dict[str, tuple[float, float]] = {}
    seed = TrainingConfig.seed
    for language in languages:
        train = language_split(articles, language, "train")
        validation = language_split(articles, language, "validation")
        base = baseline(train, validation, techniques, language)
        tagger = TokenTagger(config)
        tagger.fit(token_data(train, tagger.hasher, techniques))
        tick = time.perf_counter()
        member = platt(tagger.paragraph_scores(validation, (rule,))[rule],
                       maps[language][rule])
        token_seconds = (time.perf_counter() - tick) / max(int(base.sizes.sum()), 1)
        speed[language] = (1 / token_seconds, 1 / base.seconds_per_paragraph)
        rows[f"token member ({rule})"][language] = scores(member, base, False, seed)
        rows["ensemble (shipped)"][language] = scores(base.raw, base, True, seed)
        candidates = {w: with_member(base, member, w) for w in weights}
        for w, raw in candidates.items():
            rows[f"ensemble + token w={w:g}"][language] = scores(raw, base, True, seed)
        chosen[language] = chosen_per_half(candidates, base, seed)
        for name, raw in [("ensemble (shipped)", base.raw),
                          *((f"ensemble + token w={w:g}", r) for w, r in candidates.items())]:
            averaged[name][language] = float(np.mean([
                cross_fitted_score(raw, base.gold, base.sizes, TrainingConfig.shrinkage, s,
                                   True).micro_f1 for s in HALVINGS]))
        averaged["ensemble + token, w per half"][language] = float(np.mean([
            chosen_per_half(candidates, base, s)[0] for s in HALVINGS]))
        print(f"{language} done ({time.perf_counter() - started:.0f} s)", flush=True)

    print()
    print_table(rows)
    shipped = rows["ensemble (shipped)"]
    print(f"{'ensemble + token, w per half':<30}" + "".join(
        f"      -/{chosen[code][0]:.3f}" for code in languages)
        + f"      -/{np.mean([chosen[code][0] for code in languages]):.3f}")
    print("  weights picked on the two halves: " + ", ".join(
        f"{code} {'/'.join(f'{w:g}' for w in chosen[code][1])}" for code in languages))
    print()
    print("cross-fitted micro-F1 averaged over 10 halvings (seeds 13-22), "
          + " ".join(languages) + ":")
    for name, by_language in averaged.items():
        values = [by_language[code] for code in languages]
        print(f"  {name:<30}" + "".join(f" {v:.3f}" for v in values)
              + f"  mean {np.mean(values):.3f}")
    print("  change against the shipped ensemble:")
    reference = averaged["ensemble (shipped)"]
    for name, by_language in list(averaged.items())[1:]:
        deltas = [by_language[code] - reference[code] for code in languages]
        print(f"  {name:<30}" + "".join(f" {d:+.3f}" for d in deltas)
              + f"  mean {np.mean(deltas):+.3f}")
    print()
    print("change against the shipped ensemble, cross-fitted (seed 13 halving):")
    for w in weights:
        deltas = [rows[f"ensemble + token w={w:g}"][code][1] - shipped[code][1]
                  for code in languages]
        print(f"  w={w:<5g}" + "".join(f" {code} {d:+.3f}" for code, d in
                                         zip(languages, deltas, strict=True))
              + f"  mean {np.mean(deltas):+.3f}")
    print()
    print("prediction speed, paragraphs/s on one thread (token member alone | shipped members):")
    for code in languages:
        print(f"  {code}: {speed[code][0]:8.0f} | {speed[code][1]:8.0f}")
    token_rate = np.mean([speed[c][0] for c in languages])
    shipped_rate = np.mean([speed[c][1] for c in languages])
    print(f"  mean: {token_rate:.0f} | {shipped_rate:.0f}; both together "
          f"~{1 / (1 / token_rate + 1 / shipped_rate):.0f} paragraphs/s")
    coef_mb = 2**config.bits * len(techniques) * 4 / 1e6
    print(f"token member coefficients: {coef_mb:.0f} MB per language as dense float32")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
