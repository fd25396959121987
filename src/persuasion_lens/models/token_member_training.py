"""Training of the token member (`models.token_member`) of the default technique detector.

Per language:

1. the default detector's validation probabilities from train-split fits: the linear detector
   refitted on the train split, with the language's English or cross-lingual member fitted on
   the train split and averaged in at its shipped share;
2. the token tagger: per technique a logistic regression over all tokens of the language's
   training paragraphs (a token is positive inside a gold span of a technique its paragraph
   carries; negatives subsampled, the intercept corrected), the largest `keep` weights kept;
   its Platt map is fitted on two-fold out-of-fold paragraph scores of the train split;
3. the member's share: the one with the best two-fold cross-fitted micro-F1 averaged over ten
   halvings of the validation split (0: the language keeps the default detector alone); the
   thresholds are then tuned on the whole validation split, for English for gold labels 30%
   sparser, as the English member's are;
4. the saved tagger is refitted on train+validation, keeping the Platt map, share and
   thresholds;
5. the final calibration, in all six languages: the whole default detector's validation
   probabilities (this member averaged in) get a Platt map of their own where it lowers the
   log loss out of sample (two-fold cross-fitted, mean of the ten halvings); the reliability of
   the final probabilities is stored for the model card.

    python -m persuasion_lens.models.token_member_training [--data-dir DIR] [--languages en,pl]
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse as sp
from scipy.special import expit
from threadpoolctl import threadpool_limits

from persuasion_lens.models import technique_training as tt
from persuasion_lens.models.embedding_training import (
    averaged,
    embed_articles,
    fit_member,
    stacked,
    train_only_base,
)
from persuasion_lens.models.metrics import expected_calibration_error
from persuasion_lens.models.spans import FeatureSpace, load_default_span_detector, tokenize
from persuasion_lens.models.techniques import apply_platt
from persuasion_lens.models.token_member import (
    ARTIFACT_DIR,
    LanguageTagger,
    TokenEnsembleDetector,
    noisy_or,
    token_matrix,
)

MEMBER_LANGUAGES = ("en", "fr", "de", "it", "pl", "ru")
CALIBRATED_LANGUAGES = ("en", "fr", "de", "it", "pl", "ru")
SHARES = (0.0, 0.15, 0.25, 0.35, 0.45)
HALVINGS = range(13, 23)
KEEP = 5000  # largest weights kept per technique
C = 1.0
MAX_NEGATIVES = 120_000
SEED = 13


def paragraph_token_labels(article: Any, index: int, offsets: Sequence[tuple[int, int]],
                           column: dict[str, int]) -> np.ndarray:
    """(tokens, techniques) for the tokens at `offsets` (relative to paragraph `index`): the
    token overlaps a gold span of a technique its paragraph carries."""
    paragraph = article.document.paragraphs[index]
    gold = article.paragraph_labels[index]
    starts = np.array([a for a, _ in offsets]) + paragraph.start
    ends = np.array([b for _, b in offsets]) + paragraph.start
    labels = np.zeros((len(offsets), len(column)), dtype=bool)
    for span in article.spans:
        if span.technique in gold and span.technique in column:
            labels[(starts < span.end) & (ends > span.start), column[span.technique]] = True
    return labels


def token_labels(articles: Sequence[Any], techniques: Sequence[str]) -> np.ndarray:
    """`paragraph_token_labels` of every paragraph, tokens in `token_matrix` order."""
    column = {t: j for j, t in enumerate(techniques)}
    blocks = [paragraph_token_labels(article, index, spans, column)
              for article in articles
              for index, paragraph in enumerate(article.document.paragraphs)
              if (spans := tokenize(paragraph.text))]
    return np.vstack(blocks) if blocks else np.zeros((0, len(column)), dtype=bool)


def _texts(articles: Sequence[Any]) -> list[str]:
    return [p.text for a in articles for p in a.document.paragraphs]


def fit_columns(x: sp.csr_matrix, y: np.ndarray, C: float = C, seed: int = SEED,
                max_negatives: int = MAX_NEGATIVES, keep: int = 0
                ) -> tuple[np.ndarray, np.ndarray]:
    """Per column of `y`, a logistic regression on the token rows of `x` with at most
    `max_negatives` negatives sampled (the intercept corrected for the sampling), its `keep`
    largest weights kept (0: all); a column with under 5 positives stays at -12. Returns
    (coef (features, columns) float32, intercept)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    coef = np.zeros((x.shape[1], y.shape[1]), dtype=np.float32)
    intercept = np.full(y.shape[1], -12.0, dtype=np.float32)
    for j in range(y.shape[1]):
        positive = np.flatnonzero(y[:, j])
        if len(positive) < 5:  # too rare: the member says nothing for it
            continue
        negative = np.flatnonzero(~y[:, j])
        rate = min(1.0, max_negatives / max(len(negative), 1))
        if rate < 1.0:
            negative = rng.choice(negative, max_negatives, replace=False)
        rows = np.sort(np.concatenate([positive, negative]))
        model = LogisticRegression(C=C, solver="liblinear", dual=True, max_iter=200,
                                   random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x[rows], y[rows, j])
        weights = model.coef_[0]
        if keep and np.count_nonzero(weights) > keep:
            kept = np.argpartition(np.abs(weights), -keep)[-keep:]
            coef[kept, j] = weights[kept]
        else:
            coef[:, j] = weights
        intercept[j] = model.intercept_[0] + np.log(rate)
    return coef, intercept


def fit_tagger(space: FeatureSpace, articles: Sequence[Any], language: str,
               techniques: Sequence[str], keep: int = KEEP, seed: int = SEED
               ) -> tuple[sp.csc_matrix, np.ndarray]:
    """(coef (space.size, techniques), intercept) of the token tagger."""
    x, _ = token_matrix(space, _texts(articles), language)
    coef, intercept = fit_columns(x, token_labels(articles, techniques), seed=seed, keep=keep)
    return sp.csc_matrix(coef), intercept


def raw_scores(space: FeatureSpace, coef: sp.csc_matrix, intercept: np.ndarray,
               articles: Sequence[Any], language: str) -> np.ndarray:
    texts = _texts(articles)
    x, owner = token_matrix(space, texts, language)
    return noisy_or(expit(np.asarray((x @ coef).todense()) + intercept), owner, len(texts))


def out_of_fold_platt(space: FeatureSpace, train: Sequence[Any], language: str,
                      techniques: Sequence[str], keep: int = KEEP) -> tuple[float, float]:
    """The Platt map of the paragraph scores, fitted on two-fold (by article) out-of-fold
    scores of the train split."""
    _, gold = tt.paragraph_data(list(train), list(techniques))
    fold = tt.article_halves([1] * len(train), SEED)
    row_fold = tt.article_halves([len(a.document.paragraphs) for a in train], SEED)
    scores = np.zeros(gold.shape)
    for k in (0, 1):
        fitted = [a for a, f in zip(train, fold, strict=True) if f != k]
        held = [a for a, f in zip(train, fold, strict=True) if f == k]
        coef, intercept = fit_tagger(space, fitted, language, techniques, keep)
        scores[row_fold == k] = raw_scores(space, coef, intercept, held, language)
    return tt.fit_platt(scores, gold)


def train_fit_validation(space: FeatureSpace, train: Sequence[Any], validation: Sequence[Any],
                         language: str, techniques: Sequence[str], keep: int = KEEP
                         ) -> tuple[np.ndarray, tuple[float, float]]:
    """The member fitted on the train split (its Platt map too): (its validation
    probabilities, the Platt map)."""
    platt = out_of_fold_platt(space, train, language, techniques, keep)
    coef, intercept = fit_tagger(space, train, language, techniques, keep)
    member = LanguageTagger(coef, intercept, platt).paragraph_probabilities(
        space, _texts(validation), language)
    return member, platt


def default_validation(articles: Sequence[Any], techniques: Sequence[str], language: str,
                       linear: Any, member_manifests: dict[str, dict],
                       cache: dict[str, Any], log: Callable[[str], None]) -> np.ndarray:
    """Validation probabilities of the default detector (without this member) for the
    language, every part fitted on the train split."""
    from persuasion_lens.models.embeddings import build_encoder

    train = [a for a in articles if a.language == language and a.split == "train"]
    validation = [a for a in articles if a.language == language and a.split == "validation"]
    base = train_only_base(linear, train, validation, techniques, log, language)
    manifest = member_manifests.get(language)
    if manifest is None:
        return base
    key = manifest["encoder"] + ("-en" if language == "en" else "")
    if key not in cache:
        # the English member learns from English paragraphs, the cross-lingual one from all
        pool = [a for a in articles if a.language == "en"] if language == "en" else articles
        features = embed_articles(build_encoder(manifest["encoder"]), pool, None, log,
                                  tuple(manifest["features"]))
        by_id = {id(a): f for a, f in zip(pool, features, strict=True)}
        x, y = stacked(by_id, [a for a in pool if a.split == "train"], techniques)
        member_c = float(manifest["metadata"]["member"].rsplit("C=", 1)[1].split(",")[0])
        cache[key] = (by_id, fit_member(x, y, member_c, SEED))
    by_id, (coef, intercept, trained) = cache[key]
    x_val, _ = stacked(by_id, validation, techniques)
    weight = manifest["weight"]
    share = float(weight[language] if isinstance(weight, dict) else weight)
    return averaged(base, expit(x_val @ coef.T + intercept), trained, share)


def halving_mean(probabilities: np.ndarray, gold: np.ndarray, sizes: Sequence[int],
                 shrinkage: float) -> float:
    return float(np.mean([tt.cross_fitted_score(probabilities, gold, sizes, shrinkage, seed,
                                                calibrated=False).micro_f1
                          for seed in HALVINGS]))


def log_loss(probabilities: np.ndarray, gold: np.ndarray) -> float:
    """Mean log loss over all (paragraph, technique) cells."""
    from sklearn.metrics import log_loss as cell_log_loss

    return float(cell_log_loss(np.ravel(gold), np.ravel(probabilities), labels=[False, True]))


def cross_fitted_platt(probabilities: np.ndarray, gold: np.ndarray, sizes: Sequence[int],
                       seed: int) -> np.ndarray:
    """Each half of the articles mapped by the Platt fit on the other half."""
    fold = tt.article_halves(sizes, seed)
    mapped = np.zeros(probabilities.shape)
    for k in (0, 1):
        platt = tt.fit_platt(probabilities[fold != k], gold[fold != k])
        mapped[fold == k] = apply_platt(probabilities[fold == k], platt)
    return mapped


def final_calibration(probabilities: np.ndarray, gold: np.ndarray, sizes: Sequence[int]
                      ) -> tuple[tuple[float, float] | None, dict[str, Any]]:
    """A Platt map of the detector's final validation probabilities, kept only where it lowers
    the cross-fitted log loss, and the report: both log losses, the ECE and reliability bins of
    the final probabilities (in-sample map, as for the linear model)."""
    as_averaged = log_loss(probabilities, gold)
    mapped = float(np.mean([log_loss(cross_fitted_platt(probabilities, gold, sizes, seed), gold)
                            for seed in HALVINGS]))
    platt = tt.fit_platt(probabilities, gold) if mapped < as_averaged else None
    final = apply_platt(probabilities, platt) if platt else probabilities
    ece, table = expected_calibration_error(final, gold)
    return platt, {"platt": list(platt) if platt else None,
                   "cross_fitted_log_loss": {"as_averaged": round(as_averaged, 5),
                                             "platt": round(mapped, 5)},
                   "ece": round(ece, 4), "reliability": table}


def _validation_gold(articles: Sequence[Any], language: str, techniques: Sequence[str]
                     ) -> tuple[list[Any], np.ndarray, list[int]]:
    validation = [a for a in articles if a.language == language and a.split == "validation"]
    _, gold = tt.paragraph_data(validation, list(techniques))
    return validation, gold, [len(a.document.paragraphs) for a in validation]


def member_manifests() -> dict[str, dict]:
    """Per language, the manifest of the member (English or cross-lingual) the default
    detector averages in."""
    from persuasion_lens.models import registry
    from persuasion_lens.models.manifest import read_manifest

    english = read_manifest(registry.ENGLISH_ENSEMBLE_DIR / "model.json", "English member")
    crosslingual = read_manifest(registry.DEFAULT_ENSEMBLE_DIR / "model.json", "member")
    manifests = {"en": english}
    manifests.update(dict.fromkeys(crosslingual["languages"], crosslingual))
    return manifests


# One BLAS thread, as for the other members: the same shares and thresholds on any machine.
@threadpool_limits.wrap(limits=1)
def train_token_member(data_dir: str | Path | None = None, output: Path | None = ARTIFACT_DIR,
                       languages: Sequence[str] = MEMBER_LANGUAGES,
                       log: Callable[[str], None] = print) -> TokenEnsembleDetector:
    from persuasion_lens.data.semeval2023 import load_technique_articles
    from persuasion_lens.models import registry

    started = time.time()
    base = registry.default_base_detector()
    linear = registry.technique_detector(registry.LINEAR_MODEL_NAME)
    techniques = list(base.techniques)
    shrinkage = float((linear.metadata.get("config") or {}).get("shrinkage", 30.0))
    space = load_default_span_detector().space
    articles = [a for a in load_technique_articles(data_dir) if a.paragraph_labels is not None]
    manifests, cache = member_manifests(), {}
    english_missing = float(manifests["en"]["metadata"].get("missing_labels", 0.0))
    taggers, shares, thresholds, report = {}, {}, {}, {}
    finals = {}  # language -> (final validation probabilities, gold, article sizes)
    for language in languages:
        train = [a for a in articles if a.language == language and a.split == "train"]
        validation, gold, sizes = _validation_gold(articles, language, techniques)
        default = default_validation(articles, techniques, language, linear, manifests, cache,
                                     log)
        finals[language] = (default, gold, sizes)
        member, platt = train_fit_validation(space, train, validation, language, techniques)
        everything = np.ones(len(techniques), dtype=bool)
        averages = {share: averaged(default, member, everything, share) for share in SHARES}
        by_share = {share: halving_mean(averages[share], gold, sizes, shrinkage)
                    for share in SHARES}
        share = max(SHARES, key=lambda s: (by_share[s], -s))
        report[language] = {"cross_fitted_micro_f1_by_share": by_share, "share": share,
                            "member_alone": halving_mean(member, gold, sizes, shrinkage)}
        log(f"{language}: default {by_share[0.0]:.4f}, + token member {by_share[share]:.4f} "
            f"(share {share}; {time.time() - started:.0f}s)")
        if share == 0.0:
            continue
        missing = english_missing if language == "en" else 0.0
        final = averages[share]
        finals[language] = (final, gold, sizes)
        thresholds[language] = tt.tune_thresholds(final, gold, shrinkage, missing)
        shares[language] = share
        coef, intercept = fit_tagger(space, train + validation, language, techniques)
        taggers[language] = LanguageTagger(coef, intercept, platt)
    calibration = {}
    for language in CALIBRATED_LANGUAGES:
        if language not in finals:
            _, gold, sizes = _validation_gold(articles, language, techniques)
            finals[language] = (default_validation(articles, techniques, language, linear,
                                                   manifests, cache, log), gold, sizes)
        platt, calibration_report = final_calibration(*finals[language])
        report.setdefault(language, {})["calibration"] = calibration_report
        if platt is not None:
            calibration[language] = platt
        log(f"{language}: final calibration {platt or 'none (did not help out of sample)'}")
    detector = TokenEnsembleDetector(
        base, taggers, shares, thresholds,
        version=f"{getattr(base, 'version', 'techniques')}+token",
        space=space,
        calibration=calibration,
        metadata={
            "member": f"per-technique logistic regression over the tokens of all paragraphs "
                      f"(span feature space, C={C}, {MAX_NEGATIVES} negatives, largest {KEEP} "
                      "weights kept), noisy-OR per paragraph, Platt map from two-fold "
                      "out-of-fold scores of the train split",
            "fitted_on": "train+validation (Platt maps, share and thresholds from the "
                         "train-only fit)",
            "calibration": "final Platt map per language on the default detector's "
                           "validation probabilities (train-split fits), kept where it lowers "
                           "the two-fold cross-fitted log loss (mean of 10 halvings)",
            "validation_protocol": "train-split fits of the default detector and the member; "
                                   "share by cross-fitted micro-F1 averaged over 10 halvings "
                                   "of the validation split; thresholds tuned on it (English: "
                                   f"for {english_missing:.0%} missing gold labels)",
            "validation": report,
            "training_seconds": round(time.time() - started, 1),
        },
    )
    if output is not None:
        detector.save(Path(output))
        log(f"saved to {output}")
    return detector


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Train the token member of the default "
                                     "technique detector.")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--languages", default=",".join(MEMBER_LANGUAGES))
    parser.add_argument("--out", default=str(ARTIFACT_DIR))
    args = parser.parse_args(argv)
    train_token_member(args.data_dir, Path(args.out), args.languages.split(","))


if __name__ == "__main__":
    main()
