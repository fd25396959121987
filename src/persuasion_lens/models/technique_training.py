"""Training, threshold tuning and evaluation of the technique detector, plus the plain
word+char n-gram logistic-regression reference it is compared against.

Protocol (per language): fit on the train split; predict the validation split; pick the Platt
calibration and the thresholds on those validation predictions (per-technique optimum shrunk
towards the per-language global optimum); score. Besides the in-sample ("tuned") score, a
two-fold cross-fitted score is computed: thresholds and calibration are tuned on one half of the
validation articles and applied to the other half, which estimates what tuning costs in honesty.
For the shipped artifact the same recipe is then refitted on train+validation (recorded in the
metadata as `fitted_on`). Languages in `stack_languages` get a stacker fitted on out-of-fold
member outputs of the train split (k-fold by article) before the validation tuning; the refit
keeps it.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from persuasion_lens.data.semeval2023 import LabelledArticle
from persuasion_lens.models.features import NgramFeaturizer, binarize
from persuasion_lens.models.metrics import (
    expected_calibration_error,
    label_matrix,
    score_matrices,
)
from persuasion_lens.models.techniques import (
    N_STACK_INPUTS,
    STACK_MEMBERS,
    LanguageModel,
    LinearMember,
    TechniqueDetector,
    _logit,
    apply_platt,
    paragraph_inputs,
    quantise,
    sentence_bounds,
    stack_inputs,
)


@dataclass
class TrainingConfig:
    max_word: int = 15000
    max_char: int = 25000
    C: float = 4.0
    nblr_C: float = 1.0
    context_weight: float = 0.3
    keep_per_technique: int | None = 6000  # pruned coefficients per technique column
    members: tuple[str, ...] = ("paragraph", "sentence")
    weights: tuple[float, ...] = (1.0, 1.0)
    # per language, how members are combined: "logit" (weighted mean of log-odds) or, for the
    # languages not listed, "probability" (weighted mean of probabilities); chosen where both the
    # train-split out-of-fold and the cross-fitted validation micro-F1 preferred it
    combination: dict[str, str] = field(default_factory=lambda: {"en": "logit", "de": "logit"})
    # languages whose members are combined by a stacker fitted on out-of-fold (k-fold by article)
    # member outputs of the train split (adds stack_folds member fits per language)
    stack_languages: tuple[str, ...] = ("ru",)
    stack_folds: int = 4
    stack_C: float = 0.1
    shrinkage: float = 30.0  # pseudo-positives pulling per-technique thresholds to the global one
    seed: int = 13


Progress = Callable[[str], None]


def technique_names(articles: Sequence[LabelledArticle]) -> list[str]:
    try:  # the taxonomy module is the source of truth once it exists
        from persuasion_lens.taxonomy import TECHNIQUE_NAMES  # type: ignore[attr-defined]

        return list(TECHNIQUE_NAMES)
    except ImportError:
        return sorted({t for a in articles for labels in a.paragraph_labels or [] for t in labels})


# ---------------------------------------------------------------------------- data
def paragraph_data(articles: Sequence[LabelledArticle], techniques: Sequence[str]):
    documents = [[p.text for p in a.document.paragraphs] for a in articles]
    labels = label_matrix([lab for a in articles for lab in a.paragraph_labels], techniques)
    return documents, labels


def sentence_data(articles: Sequence[LabelledArticle], techniques: Sequence[str]):
    """Sentences (split as at inference) with the paragraph's techniques whose gold spans cover at
    least half of the sentence or half of the span; and the sentence -> paragraph index."""
    texts, label_sets, owner = [], [], []
    row = 0
    for article in articles:
        for paragraph, gold in zip(article.document.paragraphs, article.paragraph_labels,
                                   strict=True):
            for start, end in sentence_bounds(paragraph.text):
                s_start, s_end = paragraph.start + start, paragraph.start + end
                found = set()
                for span in article.spans:
                    overlap = min(span.end, s_end) - max(span.start, s_start)
                    if overlap > 0 and span.technique in gold and overlap >= 0.5 * min(
                            span.end - span.start, s_end - s_start):
                        found.add(span.technique)
                texts.append(paragraph.text[start:end])
                label_sets.append(found)
                owner.append(row)
            row += 1
    return texts, label_matrix(label_sets, techniques), np.asarray(owner, dtype=np.int64)


# ---------------------------------------------------------------------------- learners
def fit_logistic(x, y: np.ndarray, C: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest L2 logistic regression (liblinear dual: fast when features >> rows)."""
    coef = np.zeros((x.shape[1], y.shape[1]), dtype=np.float32)
    intercept = np.full(y.shape[1], -9.0, dtype=np.float32)  # never-seen technique: ~0 prob
    for j in range(y.shape[1]):
        if y[:, j].sum() < 2:
            continue
        model = LogisticRegression(C=C, solver="liblinear", dual=True, max_iter=300,
                                   random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x, y[:, j])
        coef[:, j] = model.coef_[0]
        intercept[j] = model.intercept_[0]
    return coef, intercept


def fit_nblr(x_binary, y: np.ndarray, C: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """NB-weighted LR; the NB ratios fold into the coefficients, so it stays one linear map."""
    coef = np.zeros((x_binary.shape[1], y.shape[1]), dtype=np.float32)
    intercept = np.full(y.shape[1], -9.0, dtype=np.float32)
    for j in range(y.shape[1]):
        positive = y[:, j]
        if positive.sum() < 2:
            continue
        p = np.asarray(x_binary[positive].sum(axis=0)).ravel() + 1.0
        q = np.asarray(x_binary[~positive].sum(axis=0)).ravel() + 1.0
        ratio = np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)
        model = LogisticRegression(C=C, solver="liblinear", dual=True, max_iter=300,
                                   random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x_binary @ sp.diags(ratio), positive)
        coef[:, j] = model.coef_[0] * ratio
        intercept[j] = model.intercept_[0]
    return coef, intercept


def fit_language(articles: Sequence[LabelledArticle], techniques: Sequence[str],
                 config: TrainingConfig, language: str) -> LanguageModel:
    documents, labels = paragraph_data(articles, techniques)
    texts = [t for doc in documents for t in doc]
    sizes = [len(doc) for doc in documents]
    featurizer = NgramFeaturizer.fit(texts, labels, config.max_word, config.max_char)
    sentence_texts, sentence_labels, owner = sentence_data(articles, techniques)
    x, x_sentences = featurizer.transform_with_sentences(texts, sentence_texts, owner)
    members: dict[str, LinearMember] = {}
    for name in config.members:
        if name == "paragraph":
            member = LinearMember("paragraph", None, None, config.context_weight, True)
            coef, intercept = fit_logistic(paragraph_inputs(x, sizes, documents, member), labels,
                                           config.C, config.seed)
        elif name == "sentence":
            member = LinearMember("sentence", None, None)
            coef, intercept = fit_logistic(x_sentences, sentence_labels, config.C, config.seed)
        elif name == "nblr":
            member = LinearMember("nblr", None, None)
            coef, intercept = fit_nblr(binarize(x), labels, config.nblr_C, config.seed)
        else:
            raise ValueError(f"unknown member {name!r}")
        member.coef = quantise(coef, config.keep_per_technique)
        member.intercept = intercept
        members[name] = member
    weights = dict(zip(config.members, config.weights, strict=True))
    return LanguageModel(language, featurizer, members, weights,
                         combination=(config.combination or {}).get(language, "probability"))


# ---------------------------------------------------------------------------- stacker
def out_of_fold_members(articles: Sequence[LabelledArticle], techniques: Sequence[str],
                        config: TrainingConfig, language: str):
    """Member probabilities for every paragraph of `articles` from models fitted on the other
    folds (k-fold by article, fold = seeded permutation mod k); plus labels and sizes."""
    documents, labels = paragraph_data(articles, techniques)
    sizes = np.asarray([len(d) for d in documents])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    fold = np.random.default_rng(config.seed).permutation(len(articles)) % config.stack_folds
    fold_config = TrainingConfig(**{**config.__dict__, "members": STACK_MEMBERS,
                                    "weights": (1.0,) * len(STACK_MEMBERS)})
    probs = {name: np.zeros(labels.shape, dtype=np.float32) for name in STACK_MEMBERS}
    for k in range(config.stack_folds):
        held = np.flatnonzero(fold == k)
        if len(held) == 0:
            continue
        model = fit_language([a for a, f in zip(articles, fold, strict=True) if f != k],
                             techniques, fold_config, language)
        out = model.member_probabilities([documents[i] for i in held])
        rows = np.concatenate([np.arange(starts[i], starts[i] + sizes[i]) for i in held])
        for name in STACK_MEMBERS:
            probs[name][rows] = out[name]
    return probs, labels, sizes


def fit_stacker(inputs: np.ndarray, gold: np.ndarray, C: float) -> tuple[np.ndarray, np.ndarray]:
    """Per technique, L2 logistic regression on standardised stacker inputs (folded back into
    raw-input coefficients); a technique with < 3 positives averages the members' log-odds."""
    n_inputs = inputs.shape[2]
    flat = inputs.reshape(-1, n_inputs)
    mean, scale = flat.mean(axis=0), flat.std(axis=0) + 1e-6
    coef = np.zeros((gold.shape[1], n_inputs))
    bias = np.zeros(gold.shape[1])
    for j in range(gold.shape[1]):
        if gold[:, j].sum() < 3:
            coef[j, :2] = 0.5
            continue
        model = LogisticRegression(C=C, max_iter=2000).fit((inputs[:, j] - mean) / scale,
                                                            gold[:, j])
        coef[j] = model.coef_[0] / scale
        bias[j] = model.intercept_[0] - float((model.coef_[0] * mean / scale).sum())
    return coef, bias


def stacker_for(train: Sequence[LabelledArticle], techniques: Sequence[str],
                config: TrainingConfig, language: str):
    probs, labels, sizes = out_of_fold_members(train, techniques, config, language)
    inputs = stack_inputs(probs, sizes)
    assert inputs.shape[2] == N_STACK_INPUTS
    return fit_stacker(inputs, labels, config.stack_C)


# ---------------------------------------------------------------------------- reference
class ReferenceModel:
    """Plain word (1-2) + char_wb (2-5) TF-IDF one-vs-rest LR with one global threshold."""

    def __init__(self, C: float = 4.0, seed: int = 13):
        self.C, self.seed = C, seed

    def fit(self, texts: Sequence[str], labels: np.ndarray) -> ReferenceModel:
        self.word = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2)
        self.char = TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(2, 5),
                                    min_df=2)
        x = sp.hstack([self.word.fit_transform(texts), self.char.fit_transform(texts)]).tocsr()
        self.coef, self.intercept = fit_logistic(x, labels, self.C, self.seed)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        x = sp.hstack([self.word.transform(texts), self.char.transform(texts)]).tocsr()
        return expit(np.asarray(x @ self.coef) + self.intercept)


# ---------------------------------------------------------------------------- tuning
def sparse_label_f1(tp: float, fp: float, fn: float, missing: float = 0.0) -> float:
    """Micro-F1 expected when a share `missing` of the gold labels is absent at random (as in
    the English dev set, which has fewer labels per paragraph than the training data): of TP
    true positives, missing * TP turn into false positives, and FN shrink alike."""
    kept = (1 - missing) * tp
    return 2 * kept / max(2 * kept + fp + missing * tp + (1 - missing) * fn, 1e-12)


def best_global_threshold(probs: np.ndarray, gold: np.ndarray, missing: float = 0.0) -> float:
    grid = np.arange(0.05, 0.8, 0.01)
    gold = gold.astype(bool)
    scores = []
    for t in grid:
        predicted = probs >= t
        scores.append(sparse_label_f1((predicted & gold).sum(), (predicted & ~gold).sum(),
                                      (~predicted & gold).sum(), missing))
    return float(grid[int(np.argmax(scores))])


def tune_thresholds(probs: np.ndarray, gold: np.ndarray, shrinkage: float,
                    missing: float = 0.0) -> np.ndarray:
    """Per-technique F1-optimal thresholds (holding the others at the global one) shrunk towards
    the global optimum by `shrinkage` pseudo-positives; `missing`: see `sparse_label_f1`."""
    global_t = best_global_threshold(probs, gold, missing)
    thresholds = np.full(gold.shape[1], global_t)
    if shrinkage == np.inf:
        return thresholds
    grid = np.arange(0.05, 0.9, 0.01)
    base = probs >= global_t
    tp0 = (base & gold).sum()
    fp0 = (base & ~gold).sum()
    fn0 = (~base & gold).sum()
    for j in range(gold.shape[1]):
        n_pos = gold[:, j].sum()
        if n_pos == 0:
            continue
        col_tp0 = (base[:, j] & gold[:, j]).sum()
        col_fp0 = (base[:, j] & ~gold[:, j]).sum()
        col_fn0 = (~base[:, j] & gold[:, j]).sum()
        best, best_t = -1.0, global_t
        for t in grid:  # micro-F1 with only column j moved
            pred = probs[:, j] >= t
            tp = tp0 - col_tp0 + (pred & gold[:, j]).sum()
            fp = fp0 - col_fp0 + (pred & ~gold[:, j]).sum()
            fn = fn0 - col_fn0 + (~pred & gold[:, j]).sum()
            f1 = sparse_label_f1(tp, fp, fn, missing)
            if f1 > best + 1e-12:
                best, best_t = f1, t
        thresholds[j] = (n_pos * best_t + shrinkage * global_t) / (n_pos + shrinkage)
    return thresholds


def fit_platt(probs: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    z = _logit(probs).reshape(-1, 1)
    y = gold.ravel()
    if y.all() or not y.any():
        return 1.0, 0.0
    model = LogisticRegression(C=100.0, solver="lbfgs").fit(z, y)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def calibrate(model: LanguageModel, member_probs: dict[str, np.ndarray], gold: np.ndarray,
              shrinkage: float, sizes: Sequence[int] | None = None) -> np.ndarray:
    """Set the model's calibration and thresholds from validation predictions; return probs."""
    model.calibration = (1.0, 0.0)
    raw = model.combine(member_probs, sizes)
    model.calibration = fit_platt(raw, gold)
    probs = model.combine(member_probs, sizes)
    model.thresholds = tune_thresholds(probs, gold, shrinkage).astype(np.float32)
    return probs


def article_halves(sizes: Sequence[int], seed: int) -> np.ndarray:
    """Per paragraph row, the half (0 or 1) its article falls in; `sizes` are the articles'
    paragraph counts, in row order."""
    return np.repeat(np.random.default_rng(seed).permutation(len(sizes)) % 2, sizes)


def cross_fitted_score(raw: np.ndarray, gold: np.ndarray, sizes: Sequence[int],
                       shrinkage: float, seed: int, calibrated: bool = True,
                       missing: float = 0.0):
    """Two-fold by article: calibration + thresholds from one half, scored on the other."""
    return score_matrices(gold, cross_fitted_decisions(raw, gold, sizes, shrinkage, seed,
                                                       calibrated, missing))


def cross_fitted_decisions(raw: np.ndarray, gold: np.ndarray, sizes: Sequence[int],
                           shrinkage: float, seed: int, calibrated: bool = True,
                           missing: float = 0.0) -> np.ndarray:
    """The decisions of `cross_fitted_score`: each half of the articles decided with the
    calibration and thresholds fitted on the other half."""
    row_fold = article_halves(sizes, seed)
    predicted = np.zeros_like(gold)
    for fold in (0, 1):
        tune, apply = row_fold != fold, row_fold == fold
        probs = apply_platt(raw, fit_platt(raw[tune], gold[tune])) if calibrated else raw
        thresholds = tune_thresholds(probs[tune], gold[tune], shrinkage, missing)
        predicted[apply] = probs[apply] >= thresholds
    return predicted


# ---------------------------------------------------------------------------- evaluation
def evaluate_language(train: Sequence[LabelledArticle], validation: Sequence[LabelledArticle],
                      techniques: Sequence[str], config: TrainingConfig, language: str,
                      with_reference: bool = True, extra_members: Sequence[str] = (),
                      progress: Progress | None = None) -> tuple[LanguageModel, dict]:
    """Train-split fit, validation tuning and scores of members, ensemble and reference."""
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    members = tuple(config.members) + tuple(m for m in extra_members if m not in config.members)
    fit_config = TrainingConfig(**{**config.__dict__, "members": members,
                                   "weights": tuple(config.weights) + (0.0,) * (
                                       len(members) - len(config.members))})
    say(f"{language}: fitting members {', '.join(members)}")
    model = fit_language(train, techniques, fit_config, language)
    if language in config.stack_languages and set(STACK_MEMBERS) <= set(config.members):
        say(f"{language}: fitting the stacker on {config.stack_folds}-fold out-of-fold outputs")
        model.stacker = stacker_for(train, techniques, config, language)
    model.weights = {name: 1.0 for name in members}
    documents, gold = paragraph_data(validation, techniques)
    sizes = [len(d) for d in documents]
    member_probs = model.member_probabilities(documents)
    report: dict = {"n_train_paragraphs": int(sum(len(a.document.paragraphs) for a in train)),
                    "n_validation_paragraphs": int(gold.shape[0]),
                    "n_validation_labels": int(gold.sum()), "rows": {}}

    def row(name: str, probs: np.ndarray, calibrated: bool, shrink: float):
        thresholds = tune_thresholds(probs, gold, shrink)
        scores = score_matrices(gold, probs >= thresholds).to_dict()
        scores["cross_fitted_micro_f1"] = round(cross_fitted_score(
            probs, gold, sizes, shrink, config.seed, calibrated).micro_f1, 4)
        report["rows"][name] = scores

    for name, probs in member_probs.items():
        row(f"member:{name}", probs, False, config.shrinkage)
    model.weights = dict(zip(config.members, config.weights, strict=True))
    for name in extra_members:
        if name not in config.members:
            model.members.pop(name, None)
    kept = {name: member_probs[name] for name in config.members}
    model.calibration = (1.0, 0.0)
    raw = model.combine(kept, sizes)
    probs = calibrate(model, kept, gold, config.shrinkage, sizes)
    scores = score_matrices(gold, probs >= model.thresholds).to_dict()
    scores["cross_fitted_micro_f1"] = round(
        cross_fitted_score(raw, gold, sizes, config.shrinkage, config.seed).micro_f1, 4)
    report["rows"]["ensemble"] = scores
    ece, table = expected_calibration_error(probs, gold)
    report["calibration"] = {"ece": round(ece, 4), "reliability": table}
    if with_reference:
        say(f"{language}: fitting the reference LR")
        texts_train, labels_train = paragraph_data(train, techniques)
        reference = ReferenceModel(config.C, config.seed).fit(
            [t for d in texts_train for t in d], labels_train)
        ref_probs = reference.predict_proba([t for d in documents for t in d])
        row("reference", ref_probs, False, np.inf)
    report["seconds"] = round(time.perf_counter() - started, 1)
    return model, report


def train_detector(articles: Sequence[LabelledArticle], languages: Sequence[str],
                   config: TrainingConfig, refit_full: bool = True, with_reference: bool = True,
                   extra_members: Sequence[str] = (), fallback_language: str = "en",
                   version: str = "techniques-2026.11-2",
                   progress: Progress | None = None) -> tuple[TechniqueDetector, dict]:
    """Evaluate on validation (train-only fit), then optionally refit on train+validation keeping
    the tuned calibration and thresholds. Returns the detector and the per-language report."""
    say = progress or (lambda _message: None)
    techniques = technique_names(articles)
    models: dict[str, LanguageModel] = {}
    reports: dict[str, dict] = {}
    started = time.perf_counter()
    for language in languages:
        train = [a for a in articles if a.language == language and a.split == "train"]
        validation = [a for a in articles if a.language == language and a.split == "validation"]
        if not train or not validation:
            raise ValueError(f"no training or validation articles for language {language!r}")
        model, report = evaluate_language(train, validation, techniques, config, language,
                                          with_reference, extra_members, progress)
        if refit_full:
            say(f"{language}: refitting on train+validation")
            full = fit_language(list(train) + list(validation), techniques, config, language)
            full.weights, full.calibration, full.thresholds, full.stacker = (
                model.weights, model.calibration, model.thresholds, model.stacker)
            model = full
        model.extra = {"fitted_on": "train+validation" if refit_full else "train",
                       "validation": report}
        models[language] = model
        reports[language] = report
    fallback = fallback_language if fallback_language in models else next(iter(models))
    metadata = {
        "task": "SemEval-2023 Task 3 subtask 3 (paragraph-level persuasion techniques)",
        "data": "SemEval-2023 Task 3 training data (research use only); validation = the "
                "hash-chosen ~20% article split in splits/",
        "fitted_on": "train+validation" if refit_full else "train",
        "validation_protocol": "train-split fit; Platt calibration and thresholds tuned on the "
                               "validation split (in-sample); cross_fitted_micro_f1 tunes on one "
                               "half of the validation articles and scores the other half",
        "config": {k: (list(v) if isinstance(v, tuple) else v)
                   for k, v in config.__dict__.items()},
        "fallback": f"languages without a model use the {fallback!r} model",
        "training_seconds": round(time.perf_counter() - started, 1),
    }
    return TechniqueDetector(version, techniques, models, fallback, metadata), reports
