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
        [--languages pl,de]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _members  # noqa: F401  (first: it pins BLAS to one thread before numpy loads)
import numpy as np
import scipy.sparse as sp
from _articles import DEFAULT_DATA
from _members import baseline, language_split, print_table, scores, with_member
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.neural_network import MLPClassifier

from persuasion_lens.data.semeval2023 import (
    TRAINING_LANGUAGES,
    LabelledArticle,
    load_technique_articles,
)
from persuasion_lens.models.features import context_blocks
from persuasion_lens.models.ngrams import char_wb_ngrams
from persuasion_lens.models.technique_training import paragraph_data, technique_names

_WORD = re.compile(r"\w+")


@dataclass
class NetworkConfig:
    bits: int = 15
    hidden: int = 128
    epochs: int = 8
    alpha: float = 3e-3
    context: float = 0.3
    seed: int = 13


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--languages", default=",".join(TRAINING_LANGUAGES),
                        help="languages scored (the network is fitted on all six regardless)")
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
    for language in args.languages.split(","):
        validation = language_split(articles, language, "validation")
        base = baseline(language_split(articles, language, "train"), validation, techniques,
                        language)
        net = network_probabilities(features, network, seen, validation)
        rows["ensemble (current)"][language] = scores(base.raw, base, True, config.seed)
        rows["network alone"][language] = scores(net, base, False, config.seed)
        for w in weights:
            rows[f"ensemble + network w={w:g}"][language] = scores(
                with_member(base, net, w), base, True, config.seed)
        print(f"{language} done ({time.perf_counter() - started:.0f} s)", flush=True)
    print_table(rows, width=28)


if __name__ == "__main__":
    main()
