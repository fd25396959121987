"""Issue 8 experiment: a small neural-network member for the technique detector (not shipped).

A one-hidden-layer network (scikit-learn ``MLPClassifier``, ReLU, multi-label sigmoid outputs)
pooled over ALL six languages: hashed char_wb 3-5-grams + word unigrams (sublinear TF-IDF, 2^15
buckets shared by the languages), a language one-hot, and optionally the title's and the
neighbouring paragraphs' rows (``--context``). It is scored the way ``plens evaluate`` scores the
detector: train-split fit, validation split, tuned (in-sample) and two-fold cross-fitted micro-F1
with the same Platt calibration and shrunk per-technique thresholds, as a member alone and inside
the ensemble, next to the current ensemble computed the same way (its members are refitted here).

Inside the ensemble the network gets weight w against the two linear members (weight 1 each),
combined as each language already combines its members: a weighted mean of probabilities (fr, it,
pl), of log-odds (en, de), or, for ru, of the stacker's log-odds (counted twice) and the network's.

Usage (single-threaded; about 10 minutes on one core with the defaults):
    python benchmarks/technique_network.py [--data-dir ../shared/data] [--context 0.3]
"""

from __future__ import annotations

import argparse
import os
import re
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

from persuasion_lens.data.semeval2023 import (  # noqa: E402
    TRAINING_LANGUAGES,
    LabelledArticle,
    load_technique_articles,
)
from persuasion_lens.models.features import char_wb_ngrams, context_blocks  # noqa: E402
from persuasion_lens.models.metrics import score_matrices  # noqa: E402
from persuasion_lens.models.technique_training import (  # noqa: E402
    TrainingConfig,
    cross_fitted_score,
    evaluate_language,
    fit_platt,
    paragraph_data,
    technique_names,
    tune_thresholds,
)
from persuasion_lens.models.techniques import _logit, _sigmoid  # noqa: E402

_WORD = re.compile(r"\w+")


@dataclass
class NetworkConfig:
    bits: int = 15
    hidden: int = 128
    epochs: int = 8
    alpha: float = 3e-3
    context: float = 0.3
    seed: int = 13


@dataclass
class LanguageBaseline:
    gold: np.ndarray
    sizes: np.ndarray
    raw: np.ndarray  # uncalibrated combination of the current members (or the ru stacker)
    members: dict[str, np.ndarray]
    combination: str  # "probability", "logit" or "stacker"


def _analyse(text: str) -> list[str]:
    return char_wb_ngrams(text, 3, 5) + ["w:" + w for w in _WORD.findall(text.lower())]


class PooledFeatures:
    """Hashed n-grams shared by all languages + language one-hot (+ title/neighbour rows)."""

    def __init__(self, bits: int, context: float):
        self.hasher = HashingVectorizer(analyzer=_analyse, n_features=2**bits,
                                        alternate_sign=False, norm=None, lowercase=False)
        self.context = context
        self.tfidf: TfidfTransformer | None = None

    def transform(self, articles: Sequence[LabelledArticle]) -> sp.csr_matrix:
        documents = [[p.text for p in a.document.paragraphs] for a in articles]
        sizes = [len(d) for d in documents]
        counts = self.hasher.transform([t for d in documents for t in d])
        counts.data = 1.0 + np.log(counts.data)
        if self.tfidf is None:
            self.tfidf = TfidfTransformer().fit(counts)
        x = self.tfidf.transform(counts).tocsr()
        language = np.repeat([TRAINING_LANGUAGES.index(a.language) for a in articles], sizes)
        one_hot = sp.csr_matrix((np.ones(len(language)), (np.arange(len(language)), language)),
                                shape=(len(language), len(TRAINING_LANGUAGES)))
        blocks = [x, one_hot]
        if self.context > 0:
            title, neighbours = context_blocks(x, sizes)
            blocks += [title * self.context, neighbours * self.context]
        return sp.hstack(blocks, format="csr").astype(np.float32)


def fit_network(train: Sequence[LabelledArticle], techniques: Sequence[str],
                config: NetworkConfig) -> tuple[PooledFeatures, MLPClassifier, np.ndarray]:
    features = PooledFeatures(config.bits, config.context)
    x = features.transform(train)
    _, labels = paragraph_data(train, techniques)
    seen = labels.sum(axis=0) > 0
    network = MLPClassifier(hidden_layer_sizes=(config.hidden,), alpha=config.alpha,
                            batch_size=128, learning_rate_init=1e-3, max_iter=config.epochs,
                            random_state=config.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        network.fit(x, labels[:, seen].astype(int))
    return features, network, seen


def network_probabilities(features: PooledFeatures, network: MLPClassifier, seen: np.ndarray,
                          articles: Sequence[LabelledArticle]) -> np.ndarray:
    x = features.transform(articles)
    probs = np.full((x.shape[0], len(seen)), 1e-4)
    probs[:, seen] = network.predict_proba(x)
    return probs


def baseline(train: Sequence[LabelledArticle], validation: Sequence[LabelledArticle],
             techniques: Sequence[str], language: str) -> LanguageBaseline:
    """The current recipe's members (and ru stacker), fitted on train, on validation."""
    config = TrainingConfig()
    model, _ = evaluate_language(train, validation, techniques, config, language,
                                 with_reference=False)
    documents, gold = paragraph_data(validation, techniques)
    sizes = np.asarray([len(d) for d in documents])
    members = model.member_probabilities(documents)
    model.calibration = (1.0, 0.0)
    combination = "stacker" if model.stacker is not None else model.combination
    return LanguageBaseline(gold, sizes, model.combine(members, sizes), members, combination)


def with_network(base: LanguageBaseline, network: np.ndarray, weight: float) -> np.ndarray:
    """The network added to the ensemble with `weight` (each linear member weighs 1)."""
    if base.combination == "probability":
        total = sum(base.members.values()) + weight * network
        return total / (len(base.members) + weight)
    n = len(base.members)
    return _sigmoid((n * _logit(base.raw) + weight * _logit(network)) / (n + weight))


def scores(raw: np.ndarray, base: LanguageBaseline, calibrated: bool,
           seed: int) -> tuple[float, float]:
    """(tuned, cross-fitted) micro-F1 as in ``evaluate_language``."""
    probs = raw
    if calibrated:
        slope, offset = fit_platt(raw, base.gold)
        probs = _sigmoid(slope * _logit(raw) + offset)
    thresholds = tune_thresholds(probs, base.gold, TrainingConfig.shrinkage)
    tuned = score_matrices(base.gold, probs >= thresholds).micro_f1
    crossed = cross_fitted_score(raw, base.gold, base.sizes, TrainingConfig.shrinkage, seed,
                                 calibrated).micro_f1
    return tuned, crossed


def print_table(rows: dict[str, dict[str, tuple[float, float]]]) -> None:
    languages = list(next(iter(rows.values())))
    print(f"{'micro-F1 tuned/cross-fitted':<28}"
          + "".join(f"{code:>13}" for code in [*languages, "mean"]))
    for name, by_language in rows.items():
        values = [by_language[code] for code in languages]
        mean = (float(np.mean([v[0] for v in values])), float(np.mean([v[1] for v in values])))
        print(f"{name:<28}" + "".join(f"  {a:.3f}/{b:.3f}" for a, b in [*values, mean]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--bits", type=int, default=NetworkConfig.bits)
    parser.add_argument("--hidden", type=int, default=NetworkConfig.hidden)
    parser.add_argument("--epochs", type=int, default=NetworkConfig.epochs)
    parser.add_argument("--alpha", type=float, default=NetworkConfig.alpha)
    parser.add_argument("--context", type=float, default=NetworkConfig.context)
    parser.add_argument("--weights", default="0.5,1", help="network weights in the ensemble")
    args = parser.parse_args()
    config = NetworkConfig(args.bits, args.hidden, args.epochs, args.alpha, args.context)
    started = time.perf_counter()
    articles = load_technique_articles(args.data_dir)
    techniques = technique_names(articles)
    train = [a for a in articles if a.split == "train"]
    features, network, seen = fit_network(train, techniques, config)
    print(f"pooled network fitted in {time.perf_counter() - started:.0f} s: {config}", flush=True)
    weights = [float(w) for w in args.weights.split(",")]
    rows: dict[str, dict[str, tuple[float, float]]] = {"ensemble (current)": {},
                                                       "network alone": {}}
    rows.update({f"ensemble + network w={w:g}": {} for w in weights})
    for language in TRAINING_LANGUAGES:
        validation = [a for a in articles if a.language == language and a.split == "validation"]
        base = baseline([a for a in train if a.language == language], validation, techniques,
                        language)
        net = network_probabilities(features, network, seen, validation)
        rows["ensemble (current)"][language] = scores(base.raw, base, True, config.seed)
        rows["network alone"][language] = scores(net, base, False, config.seed)
        for w in weights:
            rows[f"ensemble + network w={w:g}"][language] = scores(
                with_network(base, net, w), base, True, config.seed)
        print(f"{language} done ({time.perf_counter() - started:.0f} s)", flush=True)
    print_table(rows)


if __name__ == "__main__":
    main()
