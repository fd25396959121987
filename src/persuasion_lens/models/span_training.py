"""Training and tuning of the span tagger (see `persuasion_lens.models.spans`).

Rows are the tokens of training paragraphs; the model of technique t is fitted only on the
tokens of paragraphs labelled with t (target: the token lies inside a gold span of t), because at
prediction time it is only asked about paragraphs that have t. The decoding thresholds (one per
technique, one shift per language) are tuned on out-of-fold predictions over the training
articles (never on the validation split); then the models are refitted on all of them.

    python -m persuasion_lens.models.span_training [DATA_DIR] [OUT_DIR]
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from persuasion_lens.data.semeval2023 import LabelledArticle, load_technique_articles
from persuasion_lens.models.span_metrics import span_identification_scores, technique_span_scores
from persuasion_lens.models.spans import (
    DecodeSettings,
    FeatureSpace,
    SpanDetector,
    build_feature_space,
    tokenize,
)

log = logging.getLogger(__name__)

ALPHA = 2e-5
EPOCHS = 8
THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
GAPS = (3, 10_000)
SHIFTS = (-0.15, -0.1, -0.05, 0.0, 0.05, 0.1)
FOLDS = 4


@dataclass
class ParagraphExample:
    article_id: str
    language: str
    start: int  # paragraph offset in the article
    text: str
    labels: frozenset[str]
    tokens: list[tuple[int, int]]
    inside: dict[str, np.ndarray]  # technique -> bool per token


def paragraph_examples(articles: list[LabelledArticle]) -> list[ParagraphExample]:
    """Labelled paragraphs with tokens and per-technique token targets (token centre inside a
    gold span of that technique)."""
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
            examples.append(ParagraphExample(article.article_id, article.language,
                                             paragraph.start, paragraph.text, labels, tokens,
                                             inside))
    return examples


def _matrix(examples: list[ParagraphExample], space: FeatureSpace) -> sparse.csr_matrix:
    blocks = [space.encode(e.text, e.tokens, e.language) for e in examples]
    index = np.concatenate(blocks)
    n, m = index.shape
    return sparse.csr_matrix(
        (np.ones(n * m, dtype=np.float32), index.ravel(), np.arange(0, n * m + 1, m)),
        shape=(n, space.size),
    )


def fit_taggers(
    examples: list[ParagraphExample], seed: int = 13, alpha: float = ALPHA
) -> tuple[FeatureSpace, np.ndarray, np.ndarray, list[str]]:
    from sklearn.linear_model import SGDClassifier

    space = build_feature_space([(e.text, e.tokens, e.language) for e in examples])
    matrix = _matrix(examples, space)
    matrix.sum_duplicates()
    offsets = np.cumsum([0] + [len(e.tokens) for e in examples])
    techniques = sorted({t for e in examples for t in e.labels})
    weights = np.zeros((space.size, len(techniques)), dtype=np.float32)
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
        model = SGDClassifier(loss="log_loss", alpha=alpha, max_iter=EPOCHS, tol=None,
                              random_state=seed)
        model.fit(matrix[index], y)
        weights[:, k] = model.coef_[0]
        bias[k] = model.intercept_[0]
    return space, weights, bias, techniques


def _fold(article_id: str, seed: int) -> int:
    digest = hashlib.sha1(f"{seed}:{article_id}".encode()).hexdigest()
    return int(digest[:8], 16) % FOLDS


def _scored(detector: SpanDetector, examples: list[ParagraphExample]):
    """Token probabilities of every (paragraph, gold technique), computed once for tuning."""
    scored = []
    for example in examples:
        known = [t for t in sorted(example.labels) if t in detector.column]
        if not known:
            continue
        words = [example.text[a:b] for a, b in example.tokens]
        probabilities, _, _, is_word = detector.token_scores(
            example.text, example.tokens, example.language, [detector.column[t] for t in known],
            words,
        )
        scored.append((example, known, probabilities, is_word, words))
    return scored


def _decode_all(scored, settings: DecodeSettings, technique: str) -> dict[str, list]:
    result: dict[str, list] = {}
    for example, known, probabilities, is_word, words in scored:
        if technique not in known:
            continue
        k = known.index(technique)
        for a, b in SpanDetector.decode_runs(probabilities[:, k], is_word, words, settings):
            result.setdefault(example.article_id, []).append(
                (technique, example.start + example.tokens[a][0],
                 example.start + example.tokens[b - 1][1]))
    return result


def _best_settings(scored, technique: str, gold_t: dict[str, list],
                   default: DecodeSettings) -> tuple[DecodeSettings, float]:
    best, best_f1 = default, -1.0
    for threshold in THRESHOLDS:
        for gap in GAPS:
            settings = DecodeSettings(threshold, gap)
            f1 = technique_span_scores(_decode_all(scored, settings, technique), gold_t).f1
            if f1 > best_f1 + 1e-9:
                best, best_f1 = settings, f1
    return best, best_f1


def _all_spans(scored, chosen: dict[str, DecodeSettings], shift: float) -> dict[str, list]:
    result: dict[str, list] = {}
    for technique, settings in chosen.items():
        moved = DecodeSettings(min(0.95, max(0.0, settings.threshold + shift)), settings.gap)
        for article, spans in _decode_all(scored, moved, technique).items():
            result.setdefault(article, []).extend(spans)
    return result


def tune_decoding(
    scored, gold: dict[str, list], techniques: list[str]
) -> tuple[dict[str, DecodeSettings], dict[str, float]]:
    """Per technique, the threshold and gap with the best technique-aware span F1 over all
    languages; then per language one shift of all thresholds, chosen for the mean of the two
    span scores (one parameter per language keeps this robust)."""
    chosen: dict[str, DecodeSettings] = {}
    for technique in techniques:
        gold_t = {a: [s for s in spans if s[0] == technique] for a, spans in gold.items()}
        if not any(gold_t.values()):
            continue
        chosen[technique], _ = _best_settings(scored, technique, gold_t,
                                              DecodeSettings(0.0, 10_000))
    shifts: dict[str, float] = {}
    for language in sorted({item[0].language for item in scored}):
        scored_l = [item for item in scored if item[0].language == language]
        articles = {item[0].article_id for item in scored_l}
        gold_l = {a: s for a, s in gold.items() if a in articles}
        best, best_score = 0.0, -1.0
        for shift in SHIFTS:
            predicted = _all_spans(scored_l, chosen, shift)
            score = (technique_span_scores(predicted, gold_l).f1
                     + span_identification_scores(predicted, gold_l).f1) / 2
            if score > best_score + 1e-4 or (shift == 0.0 and score >= best_score - 1e-4):
                best, best_score = shift, score
        shifts[language] = best
    return chosen, shifts


def gold_spans_in_labelled_paragraphs(articles: list[LabelledArticle]) -> dict[str, list]:
    return {a.article_id: [(s.technique, s.start, s.end) for s in a.spans] for a in articles}


def train_span_detector(data_dir=None, seed: int = 13, languages: list[str] | None = None,
                        tune: bool = True) -> SpanDetector:
    """Fit on the training split. Decoding is tuned on out-of-fold predictions: the training
    articles are cut into FOLDS parts by a hash of their id, each part is scored by a model
    fitted on the others; the validation split is never looked at."""
    started = time.perf_counter()
    articles = [a for a in load_technique_articles(data_dir, languages) if a.split == "train"]
    examples = paragraph_examples(articles)
    decode: dict[str, DecodeSettings] = {}
    shifts: dict[str, float] = {}
    if tune:
        scored = []
        for fold in range(FOLDS):
            held = [e for e in examples if _fold(e.article_id, seed) == fold]
            fitted = SpanDetector(*fit_taggers(
                [e for e in examples if _fold(e.article_id, seed) != fold], seed))
            scored.extend(_scored(fitted, held))
            log.info("fold %d scored (%.0fs)", fold, time.perf_counter() - started)
        decode, shifts = tune_decoding(scored, gold_spans_in_labelled_paragraphs(articles),
                                       sorted({t for e in examples for t in e.labels}))
        log.info("tuned decoding in %.0fs: shifts %s", time.perf_counter() - started, shifts)
    space, weights, bias, techniques = fit_taggers(examples, seed)
    metadata = {
        "trained_on": "SemEval-2023 Task 3 span labels, training split (validation held out)",
        "languages": sorted({a.language for a in articles}),
        "seed": seed,
        "alpha": ALPHA,
        "epochs": EPOCHS,
        "language_shift": shifts,
        "training_seconds": round(time.perf_counter() - started, 1),
    }
    return SpanDetector(space, weights, bias, techniques, decode, "spans-1", metadata)


def main(argv: list[str] | None = None) -> None:
    """`python -m persuasion_lens.models.span_training [DATA_DIR] [OUT_DIR]`"""
    import sys

    from persuasion_lens.models.spans import ARTIFACT_DIR

    args = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    detector = train_span_detector(args[0] if args else None)
    out = args[1] if len(args) > 1 else ARTIFACT_DIR
    detector.save(out)
    log.info("saved %s in %.0fs", out, detector.metadata["training_seconds"])


if __name__ == "__main__":
    main()
