"""Training and tuning of the span tagger (see `persuasion_lens.models.spans`).

Rows are the tokens of training paragraphs; the model of technique t is fitted only on the
tokens of paragraphs labelled with t (target: the token lies inside a gold span of t), because at
prediction time it is only asked about paragraphs that have t. The decoding threshold of each
technique is tuned on an inner split of the training articles (never on the validation split),
then the models are refitted on all training articles.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from persuasion_lens.data.semeval2023 import LabelledArticle, load_technique_articles
from persuasion_lens.models.span_metrics import technique_span_scores
from persuasion_lens.models.spans import (
    DecodeSettings,
    SpanDetector,
    token_features,
    tokenize,
)

log = logging.getLogger(__name__)

MIN_FEATURE_COUNT = 2
C_VALUE = 0.25
THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
GAPS = (1, 3)


@dataclass
class ParagraphExample:
    article_id: str
    language: str
    start: int  # paragraph offset in the article
    text: str
    labels: frozenset[str]
    tokens: list[tuple[int, int]]
    features: list[list[str]]
    inside: dict[str, np.ndarray]  # technique -> bool per token


def paragraph_examples(articles: list[LabelledArticle]) -> list[ParagraphExample]:
    """Labelled paragraphs with tokens, features and per-technique token targets."""
    examples = []
    for article in articles:
        document = article.document
        for paragraph, labels in zip(document.paragraphs, article.paragraph_labels or [],
                                     strict=False):
            if not labels:
                continue
            tokens = tokenize(paragraph.text)
            if not tokens:
                continue
            mids = np.array([paragraph.start + (a + b) / 2 for a, b in tokens])
            inside = {}
            for technique in labels:
                mask = np.zeros(len(tokens), dtype=bool)
                for span in article.spans:
                    if span.technique == technique and span.start < paragraph.end \
                            and paragraph.start < span.end:
                        mask |= (mids >= span.start) & (mids < span.end)
                inside[technique] = mask
            examples.append(
                ParagraphExample(
                    article.article_id, article.language, paragraph.start, paragraph.text,
                    labels, tokens, token_features(paragraph.text, tokens, article.language),
                    inside,
                )
            )
    return examples


def _vocabulary(examples: list[ParagraphExample]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for example in examples:
        for names in example.features:
            counts.update(names)
    kept = sorted(name for name, c in counts.items() if c >= MIN_FEATURE_COUNT)
    return {name: i for i, name in enumerate(kept)}


def _matrix(examples: list[ParagraphExample], vocabulary: dict[str, int]) -> sparse.csr_matrix:
    indptr = [0]
    indices: list[int] = []
    for example in examples:
        for names in example.features:
            indices.extend(sorted({vocabulary[n] for n in names if n in vocabulary}))
            indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return sparse.csr_matrix(
        (data, np.asarray(indices), np.asarray(indptr)), shape=(len(indptr) - 1, len(vocabulary))
    )


def fit_taggers(
    examples: list[ParagraphExample], seed: int = 13, c_value: float = C_VALUE
) -> tuple[dict[str, int], np.ndarray, np.ndarray, list[str]]:
    from sklearn.linear_model import LogisticRegression

    vocabulary = _vocabulary(examples)
    matrix = _matrix(examples, vocabulary)
    offsets = np.cumsum([0] + [len(e.tokens) for e in examples])
    techniques = sorted({t for e in examples for t in e.labels})
    weights = np.zeros((len(vocabulary), len(techniques)), dtype=np.float32)
    bias = np.zeros(len(techniques), dtype=np.float32)
    for k, technique in enumerate(techniques):
        rows: list[np.ndarray] = []
        targets: list[np.ndarray] = []
        for i, example in enumerate(examples):
            if technique in example.inside:
                rows.append(np.arange(offsets[i], offsets[i + 1]))
                targets.append(example.inside[technique])
        index = np.concatenate(rows)
        y = np.concatenate(targets)
        if y.all() or not y.any():
            bias[k] = 4.0 if y.all() else -4.0
            continue
        model = LogisticRegression(C=c_value, solver="liblinear", max_iter=200,
                                   random_state=seed)
        model.fit(matrix[index], y)
        weights[:, k] = model.coef_[0]
        bias[k] = model.intercept_[0]
    return vocabulary, weights, bias, techniques


def _inner_split(article_id: str, seed: int) -> bool:
    digest = hashlib.sha1(f"{seed}:{article_id}".encode()).hexdigest()
    return int(digest[:8], 16) % 5 == 0


def predicted_spans(
    detector: SpanDetector, examples: list[ParagraphExample], decode: dict[str, DecodeSettings]
    | None = None,
) -> dict[str, list[tuple[str, int, int]]]:
    """Spans for gold paragraph labels (technique, start, end) per article."""
    result: dict[str, list[tuple[str, int, int]]] = {}
    for example in examples:
        techniques = sorted(example.labels)
        spans = result.setdefault(example.article_id, [])
        known = [t for t in techniques if t in detector.column]
        probabilities, *_ = detector.token_scores(
            example.text, example.tokens, example.language, [detector.column[t] for t in known]
        )
        words = [example.text[a:b] for a, b in example.tokens]
        for k, technique in enumerate(known):
            settings = (decode or {}).get(technique) or detector._settings(technique)
            for a, b in detector.decode_runs(probabilities[:, k], words, settings):
                spans.append((technique, example.start + example.tokens[a][0],
                              example.start + example.tokens[b - 1][1]))
    return result


def tune_decoding(
    detector: SpanDetector, examples: list[ParagraphExample], gold: dict[str, list]
) -> dict[str, DecodeSettings]:
    """Per technique, the threshold and gap with the best technique-aware span F1."""
    cache: dict[tuple[float, int], dict[str, list]] = {}
    for threshold in THRESHOLDS:
        for gap in GAPS:
            settings = DecodeSettings(threshold, gap)
            cache[(threshold, gap)] = predicted_spans(
                detector, examples, {t: settings for t in detector.techniques}
            )
    chosen: dict[str, DecodeSettings] = {}
    for technique in detector.techniques:
        gold_t = {a: [s for s in spans if s[0] == technique] for a, spans in gold.items()}
        if not any(gold_t.values()):
            continue
        best, best_f1 = (0.4, 1), -1.0
        for key, predicted in cache.items():
            pred_t = {a: [s for s in spans if s[0] == technique]
                      for a, spans in predicted.items()}
            f1 = technique_span_scores(pred_t, gold_t).f1
            if f1 > best_f1 + 1e-9:
                best, best_f1 = key, f1
        chosen[technique] = DecodeSettings(*best)
    return chosen


def gold_spans_in_labelled_paragraphs(articles: list[LabelledArticle]) -> dict[str, list]:
    return {a.article_id: [(s.technique, s.start, s.end) for s in a.spans] for a in articles}


def train_span_detector(data_dir=None, seed: int = 13, languages: list[str] | None = None,
                        tune: bool = True) -> SpanDetector:
    started = time.perf_counter()
    articles = [a for a in load_technique_articles(data_dir, languages) if a.split == "train"]
    decode: dict[str, DecodeSettings] = {}
    if tune:
        inner_fit = [a for a in articles if not _inner_split(a.article_id, seed)]
        inner_dev = [a for a in articles if _inner_split(a.article_id, seed)]
        fit_examples = paragraph_examples(inner_fit)
        detector = SpanDetector(*fit_taggers(fit_examples, seed))
        decode = tune_decoding(
            detector, paragraph_examples(inner_dev), gold_spans_in_labelled_paragraphs(inner_dev)
        )
        log.info("tuned decoding in %.0fs", time.perf_counter() - started)
    examples = paragraph_examples(articles)
    vocabulary, weights, bias, techniques = fit_taggers(examples, seed)
    metadata = {
        "trained_on": "SemEval-2023 Task 3 span labels, training split (validation held out)",
        "languages": sorted({a.language for a in articles}),
        "seed": seed,
        "c": C_VALUE,
        "training_seconds": round(time.perf_counter() - started, 1),
    }
    return SpanDetector(vocabulary, weights, bias, techniques, decode, "spans-1", metadata)
