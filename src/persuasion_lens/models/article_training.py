"""Features and fitting for the article-level classifiers (genre and framing).

One feature space is shared by both tasks and by all languages (the article-level data has only
~100-360 articles per language, so pooling helps):

* word uni+bigram TF-IDF (sublinear tf, min_df 2, capped at 40k terms so the artifact stays
  small); character n-grams are supported (``char_max_features``) but off by default: they cost
  ~25 ms per article and did not help on validation;
* a handful of language-independent style features (length, paragraphs, quotes, questions,
  exclamations, digits, first/second person, ...), standardised;
* a one-hot language indicator (all zeros for an unknown language), so the pooled model can
  learn per-language priors.

Genre: class-weighted ("balanced") multinomial logistic regression; the language's log-prior
is added back to its log-probabilities and per-language class offsets (shrunk towards pooled
ones) are tuned for macro-F1 on out-of-fold train predictions plus the validation split.
Framing: one logistic regression per frame; per-frame decision thresholds (halfway to a single
pooled threshold) and per-language shifts (shrunk in proportion to the language's size) are
tuned for micro-F1 on the validation split.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from scipy.special import expit

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from persuasion_lens.models.ngrams import FittedTfidf

LANGUAGES = ["en", "fr", "de", "it", "pl", "ru"]

_QUOTES = re.compile(r"[\"“”«»„‘’‚]")
_DIGIT = re.compile(r"\d")
_FIRST_PERSON = re.compile(
    r"(?i)\b(i|we|me|us|my|our|je|nous|moi|mon|ma|mes|notre|nos|ich|wir|mich|uns|mein|unser|"
    r"io|noi|mio|mia|nostro|nostra|ja|my|mnie|nas|mój|moja|nasz|nasza|я|мы|меня|нас|мой|моя|наш|"
    r"наша)\b"
)
_SECOND_PERSON = re.compile(
    r"(?i)\b(you|your|vous|tu|votre|du|ihr|sie|euer|voi|tuo|vostro|ty|wy|wasz|twój|вы|ты|ваш|твой)\b"
)
STYLE_NAMES = [
    "log_chars", "log_paragraphs", "log_mean_paragraph", "quote_rate", "question_rate",
    "exclamation_rate", "digit_rate", "upper_rate", "first_person_rate", "second_person_rate",
    "title_question", "title_quote", "ellipsis_rate",
]


def style_vector(text: str, paragraphs: Sequence[str]) -> np.ndarray:
    n = max(len(text), 1)
    words = max(len(text.split()), 1)
    title = paragraphs[0] if paragraphs else ""
    return np.array(
        [
            np.log1p(len(text)),
            np.log1p(len(paragraphs)),
            np.log1p(len(text) / max(len(paragraphs), 1)),
            1000 * len(_QUOTES.findall(text)) / n,
            1000 * text.count("?") / n,
            1000 * text.count("!") / n,
            100 * len(_DIGIT.findall(text)) / n,
            100 * sum(map(str.isupper, text)) / n,
            100 * len(_FIRST_PERSON.findall(text)) / words,
            100 * len(_SECOND_PERSON.findall(text)) / words,
            float("?" in title),
            float(bool(_QUOTES.search(title))),
            1000 * (text.count("...") + text.count("…")) / n,
        ],
        dtype=np.float64,
    )


def normalise(text: str) -> str:
    return _DIGIT.sub("0", text.lower())


@dataclass
class FeatureConfig:
    word_max_features: int = 40000
    char_max_features: int = 0  # 0: no character n-grams (they cost ~25 ms per article)
    word_min_df: int = 2
    char_min_df: int = 3
    char_range: tuple[int, int] = (2, 5)
    style_weight: float = 1.0
    language_weight: float = 1.0
    title_repeat: int = 2


@dataclass
class FeatureSpace:
    """Fitted vectorisers plus the scaling of the dense features."""

    config: FeatureConfig
    word: TfidfVectorizer | FittedTfidf
    char: TfidfVectorizer | None
    style_mean: np.ndarray
    style_std: np.ndarray
    languages: list[str] = field(default_factory=lambda: list(LANGUAGES))

    @staticmethod
    def text_of(title: str, body: str, repeat: int) -> str:
        return normalise(" ".join([title] * repeat + [body]))

    @classmethod
    def fit(
        cls, texts: Sequence[tuple[str, str, list[str]]], config: FeatureConfig
    ) -> FeatureSpace:
        """texts: (title, full text, paragraphs) per article."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        joined = [cls.text_of(t, body, config.title_repeat) for t, body, _ in texts]
        word = TfidfVectorizer(
            analyzer="word", ngram_range=(1, 2), min_df=config.word_min_df, sublinear_tf=True,
            max_features=config.word_max_features, lowercase=False, dtype=np.float32,
            token_pattern=r"(?u)\b\w\w+\b",
        ).fit(joined)
        char = None
        if config.char_max_features:
            char = TfidfVectorizer(
                analyzer="char_wb", ngram_range=config.char_range, min_df=config.char_min_df,
                sublinear_tf=True, max_features=config.char_max_features, lowercase=False,
                dtype=np.float32,
            ).fit(joined)
        styles = np.vstack([style_vector(body, paras) for _, body, paras in texts])
        mean, std = styles.mean(axis=0), styles.std(axis=0) + 1e-6
        return cls(config, word, char, mean, std)

    def transform(
        self, texts: Sequence[tuple[str, str, list[str]]], languages: Sequence[str | None]
    ) -> sparse.csr_matrix:
        joined = [self.text_of(t, body, self.config.title_repeat) for t, body, _ in texts]
        styles = np.vstack([style_vector(body, paras) for _, body, paras in texts])
        styles = np.clip((styles - self.style_mean) / self.style_std, -5, 5)
        styles *= self.config.style_weight / np.sqrt(len(STYLE_NAMES))
        lang = np.zeros((len(texts), len(self.languages)), dtype=np.float64)
        for i, language in enumerate(languages):
            if language in self.languages:
                lang[i, self.languages.index(language)] = self.config.language_weight
        blocks = [self.word.transform(joined)]
        if self.char is not None:
            blocks.append(self.char.transform(joined))
        return sparse.hstack(
            [*blocks, sparse.csr_matrix(styles), sparse.csr_matrix(lang)],
            format="csr",
            dtype=np.float32,
        )


# ---------------------------------------------------------------------------------------------
# Genre


@dataclass
class GenreConfig:
    C: float = 30.0
    class_weight: str | None = "balanced"
    prior_weight: float = 1.0  # how much of the language's genre prior is added back
    folds: int = 5  # out-of-fold predictions on train for tuning the offsets (0: none)
    shrink: float = 30.0


def fit_genre(X, y: np.ndarray, classes: list[str], config: GenreConfig, seed: int):
    """(coef, intercept) with one row per class; a class absent from y never wins."""
    from sklearn.linear_model import LogisticRegression

    coef = np.zeros((len(classes), X.shape[1]))
    intercept = np.full(len(classes), -20.0)
    present = np.unique(y)
    if len(present) == 1:
        intercept[present[0]] = 0.0
        return coef, intercept
    model = LogisticRegression(
        C=config.C, class_weight=config.class_weight, max_iter=2000, random_state=seed
    )
    model.fit(X, y)
    if len(present) == 2:  # binary: one row of weights for the second class
        coef[present[1]], intercept[present[1]] = model.coef_[0], model.intercept_[0]
        intercept[present[0]] = 0.0
    else:
        for row, label in enumerate(model.classes_):
            coef[label], intercept[label] = model.coef_[row], model.intercept_[row]
    return coef, intercept


def genre_log_probs(X, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    scores = np.asarray(X @ coef.T) + intercept
    scores -= scores.max(axis=1, keepdims=True)
    return scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))


def macro_f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    """Macro-F1 over the classes present in gold or prediction (as scikit-learn does)."""
    labels = np.union1d(gold, predicted)
    scores = []
    for label in labels:
        tp = np.sum((gold == label) & (predicted == label))
        fp = np.sum((gold != label) & (predicted == label))
        fn = np.sum((gold == label) & (predicted != label))
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def _best_offsets(scores: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-class additive offsets (class 0 the reference) maximising macro-F1, by grid search."""
    grid = np.linspace(-3, 3, 13)
    best, offsets = -1.0, np.zeros(scores.shape[1])
    if scores.shape[1] != 3:  # pragma: no cover - the task has three genres
        return offsets
    for a in grid:
        for b in grid:
            trial = np.array([0.0, a, b])
            value = macro_f1(y, np.argmax(scores + trial, axis=1))
            if value > best + 1e-9:
                best, offsets = value, trial
    return offsets


def tune_genre_offsets(
    scores: np.ndarray, y: np.ndarray, groups: np.ndarray, languages: list[str], shrink: float
) -> dict[str, list[float]]:
    """Per-language class offsets on prior-adjusted log-probabilities, maximising macro-F1.

    A pooled set of offsets ("*", used for unknown languages) and one per language, pulled
    towards the pooled one like `shrink` pseudo-articles:
    (n * own + shrink * pooled) / (n + shrink).
    """
    pooled = _best_offsets(scores, y)
    result = {"*": [float(v) for v in pooled]}
    for language in languages:
        mask = groups == language
        n = int(mask.sum())
        own = _best_offsets(scores[mask], y[mask]) if n else pooled
        result[language] = [float(v) for v in (n * own + shrink * pooled) / (n + shrink)]
    return result


# ---------------------------------------------------------------------------------------------
# Framing


@dataclass
class FrameConfig:
    C: float = 10.0
    class_weight: str | None = None
    folds: int = 5
    shrink: float = 60.0  # pseudo-articles pulling a language's threshold towards the global one


def fit_frames(X, Y: np.ndarray, config: FrameConfig, seed: int):
    from sklearn.linear_model import LogisticRegression

    coefs, intercepts = [], []
    for j in range(Y.shape[1]):
        column = Y[:, j]
        if column.min() == column.max():
            coefs.append(np.zeros(X.shape[1]))
            intercepts.append(8.0 if column[0] else -8.0)
            continue
        model = LogisticRegression(
            C=config.C, class_weight=config.class_weight, max_iter=2000, random_state=seed
        )
        model.fit(X, column)
        coefs.append(model.coef_[0])
        intercepts.append(float(model.intercept_[0]))
    return np.vstack(coefs), np.array(intercepts)


def frame_probs(X, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    return expit(np.asarray(X @ coef.T) + intercept)


def micro_f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    tp = float(np.sum(gold & predicted))
    fp = float(np.sum(~gold & predicted))
    fn = float(np.sum(gold & ~predicted))
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


_THRESHOLDS = np.linspace(0.05, 0.8, 31)


def tune_frame_thresholds(
    probs: np.ndarray, Y: np.ndarray, groups: np.ndarray, languages: list[str], shrink: float
) -> tuple[np.ndarray, dict[str, float]]:
    """Per-frame global thresholds (coordinate ascent on micro-F1), then per-language shifts."""
    thresholds = np.full(Y.shape[1], 0.3)
    best_single = max(_THRESHOLDS, key=lambda t: micro_f1(Y, probs >= t))
    thresholds[:] = best_single
    for _ in range(2):
        for j in range(Y.shape[1]):
            best_t, best = thresholds[j], micro_f1(Y, probs >= thresholds)
            for t in _THRESHOLDS:
                trial = thresholds.copy()
                trial[j] = t
                score = micro_f1(Y, probs >= trial)
                if score > best + 1e-9:
                    best, best_t = score, t
            thresholds[j] = best_t
    # per-frame thresholds are noisy with few positives: halfway to the single best one
    thresholds = 0.5 * thresholds + 0.5 * best_single
    shifts: dict[str, float] = {}
    for language in languages:
        mask = groups == language
        n = int(mask.sum())
        if n == 0:
            continue
        candidates = np.linspace(-0.2, 0.2, 17)
        scores = [micro_f1(Y[mask], probs[mask] >= np.clip(thresholds + s, 0.02, 0.95))
                  for s in candidates]
        raw = float(candidates[int(np.argmax(scores))])
        shifts[language] = raw * n / (n + shrink)
    return thresholds, shifts
