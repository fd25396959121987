"""Article-level classifiers: genre (opinion / reporting / satire) and framing (14 frames).

Both are linear models over one pooled multilingual feature space (see ``article_training``),
trained on SemEval-2023 Task 3 subtasks 1 and 2. The shipped artifact lives in
``models/artifacts/article/`` and is a few hundred kilobytes of JSON and NumPy arrays.

    classifier = load_default_article_classifier()
    prediction = classifier.predict([document])[0]
    prediction.genre, prediction.frames
"""

from __future__ import annotations

import functools
import gzip
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from persuasion_lens.models import article_training as T
from persuasion_lens.models.manifest import read_manifest, write_gzipped_json, write_manifest
from persuasion_lens.models.ngrams import TWO_CHARACTER_WORDS, FittedTfidf, WordAnalyzer
from persuasion_lens.text.documents import Document

ARTIFACT_DIR = Path(__file__).parent / "artifacts" / "article"
FORMAT = 1

try:  # the taxonomy module is the single source of label names once it exists
    from persuasion_lens.taxonomy import FRAME_NAMES as _FRAME_NAMES
    from persuasion_lens.taxonomy import GENRE_NAMES as _GENRE_NAMES
except ImportError:  # pragma: no cover - only while the taxonomy module is missing
    _GENRE_NAMES = ["opinion", "reporting", "satire"]
    _FRAME_NAMES = [
        "Economic", "Capacity_and_resources", "Morality", "Fairness_and_equality",
        "Legality_Constitutionality_and_jurisprudence", "Policy_prescription_and_evaluation",
        "Crime_and_punishment", "Security_and_defense", "Health_and_safety", "Quality_of_life",
        "Cultural_identity", "Public_opinion", "Political", "External_regulation_and_reputation",
    ]

GENRES: list[str] = list(_GENRE_NAMES)
FRAMES: list[str] = list(_FRAME_NAMES)


@dataclass
class ArticlePrediction:
    genre: str
    genre_probabilities: dict[str, float]  # sums to 1
    frames: list[str]  # decided frames, most probable first
    frame_probabilities: dict[str, float]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ArticleClassifier:
    """Genre and framing models in one object (shared features, one artifact)."""

    features: T.FeatureSpace
    genres: list[str]
    frames: list[str]
    genre_coef: np.ndarray
    genre_intercept: np.ndarray
    genre_log_priors: dict[str, list[float]]  # per language, and "*" for an unknown language
    genre_alpha: float  # weight of the language's log-prior added to the log-probabilities
    genre_offsets: dict[str, list[float]]  # per language, and "*" for an unknown language
    frame_coef: np.ndarray
    frame_intercept: np.ndarray
    frame_thresholds: np.ndarray
    frame_shifts: dict[str, float]
    version: str = "article-lr-1"
    info: dict = field(default_factory=dict)

    # -- prediction -------------------------------------------------------------------------

    def _matrix(self, documents: Sequence[Document]):
        texts = [
            (d.title, d.text, [p.text for p in d.paragraphs]) for d in documents
        ]
        languages = [self._language(d) for d in documents]
        return self.features.transform(texts, languages), languages

    def _language(self, document: Document) -> str | None:
        code = (document.language or "").lower() or None
        return code if code in self.features.languages else None

    def genre_scores(self, X, languages: Sequence[str | None]) -> np.ndarray:
        log_probs = T.genre_log_probs(X, self.genre_coef, self.genre_intercept)
        priors = np.array([self.genre_log_priors.get(lang or "*", self.genre_log_priors["*"])
                           for lang in languages])
        offsets = np.array([self.genre_offsets.get(lang or "*", self.genre_offsets["*"])
                            for lang in languages])
        scores = log_probs + self.genre_alpha * priors + offsets
        scores -= scores.max(axis=1, keepdims=True)
        probabilities = np.exp(scores)
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def frame_scores(self, X) -> np.ndarray:
        return T.frame_probs(X, self.frame_coef, self.frame_intercept)

    def frame_decisions(self, probabilities: np.ndarray, languages: Sequence[str | None]):
        decided = []
        for row, language in zip(probabilities, languages, strict=True):
            cut = np.clip(self.frame_thresholds + self.frame_shifts.get(language or "*", 0.0),
                          0.02, 0.95)
            chosen = np.flatnonzero(row >= cut)
            if chosen.size == 0:  # every annotated article has at least one frame
                chosen = np.array([int(np.argmax(row))])
            decided.append([self.frames[j] for j in sorted(chosen, key=lambda j: -row[j])])
        return decided

    def predict(self, documents: Sequence[Document]) -> list[ArticlePrediction]:
        documents = list(documents)
        if not documents:
            return []
        X, languages = self._matrix(documents)
        genre_p = self.genre_scores(X, languages)
        frame_p = self.frame_scores(X)
        decided = self.frame_decisions(frame_p, languages)
        result = []
        for i in range(len(documents)):
            probabilities = {g: float(p) for g, p in zip(self.genres, genre_p[i], strict=True)}
            result.append(
                ArticlePrediction(
                    genre=self.genres[int(np.argmax(genre_p[i]))],
                    genre_probabilities=probabilities,
                    frames=decided[i],
                    frame_probabilities={
                        f: float(p) for f, p in zip(self.frames, frame_p[i], strict=True)
                    },
                )
            )
        return result

    # -- persistence ------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        space = self.features
        vocabulary = sorted(space.word.vocabulary_, key=space.word.vocabulary_.get)
        write_gzipped_json(directory / "vocabulary.json.gz", vocabulary)
        np.savez_compressed(
            directory / "weights.npz",
            word_idf=space.word.idf_.astype(np.float32),
            style_mean=space.style_mean,
            style_std=space.style_std,
            genre_coef=self.genre_coef.astype(np.float16),
            genre_intercept=self.genre_intercept,
            frame_coef=self.frame_coef.astype(np.float16),
            frame_intercept=self.frame_intercept,
            frame_thresholds=self.frame_thresholds,
        )
        manifest = {
            "format": FORMAT,
            "version": self.version,
            "genres": self.genres,
            "frames": self.frames,
            "languages": space.languages,
            "feature_config": asdict(space.config),
            "genre_log_priors": self.genre_log_priors,
            "genre_alpha": self.genre_alpha,
            "genre_offsets": self.genre_offsets,
            "frame_shifts": self.frame_shifts,
            "info": self.info,
        }
        write_manifest(directory / "manifest.json", manifest)

    @classmethod
    def load(cls, directory: Path) -> ArticleClassifier:
        directory = Path(directory)
        manifest = read_manifest(directory / "manifest.json", "article classifier")
        if manifest.get("format") != FORMAT:
            raise OSError(f"{directory}: unsupported article model format {manifest.get('format')}")
        with gzip.open(directory / "vocabulary.json.gz", "rt", encoding="utf-8") as handle:
            vocabulary = json.load(handle)
        weights = np.load(directory / "weights.npz")
        config_dict = dict(manifest["feature_config"])
        config_dict["char_range"] = tuple(config_dict["char_range"])
        config = T.FeatureConfig(**config_dict)
        word = FittedTfidf(vocabulary, WordAnalyzer(TWO_CHARACTER_WORDS, (1, 2), lowercase=False),
                           weights["word_idf"])
        space = T.FeatureSpace(
            config, word, None, weights["style_mean"], weights["style_std"],
            list(manifest["languages"]),
        )
        return cls(
            features=space,
            genres=list(manifest["genres"]),
            frames=list(manifest["frames"]),
            genre_coef=weights["genre_coef"].astype(np.float32),
            genre_intercept=weights["genre_intercept"],
            genre_log_priors=manifest["genre_log_priors"],
            genre_alpha=float(manifest["genre_alpha"]),
            genre_offsets=manifest["genre_offsets"],
            frame_coef=weights["frame_coef"].astype(np.float32),
            frame_intercept=weights["frame_intercept"],
            frame_thresholds=weights["frame_thresholds"],
            frame_shifts={k: float(v) for k, v in manifest["frame_shifts"].items()},
            version=manifest["version"],
            info=manifest.get("info", {}),
        )


@functools.lru_cache(maxsize=1)
def load_default_article_classifier() -> ArticleClassifier:
    """The shipped classifier (raises FileNotFoundError when the artifact is missing)."""
    return ArticleClassifier.load(ARTIFACT_DIR)


# ---------------------------------------------------------------------------------------------
# Training


def _texts(articles) -> list[tuple[str, str, list[str]]]:
    return [(a.document.title, a.document.text, [p.text for p in a.document.paragraphs])
            for a in articles]


def fit_article_classifier(
    train, tune, seed: int = 13, feature_config: T.FeatureConfig | None = None,
    genre_config: T.GenreConfig | None = None, frame_config: T.FrameConfig | None = None,
) -> ArticleClassifier:
    """Fit on `train` (LabelledArticle list), tune the decision rules on `tune` (held out)."""
    feature_config = feature_config or T.FeatureConfig()
    genre_config = genre_config or T.GenreConfig()
    frame_config = frame_config or T.FrameConfig()
    started = time.perf_counter()
    genres, frames = list(GENRES), list(FRAMES)
    space = T.FeatureSpace.fit(_texts(train), feature_config)
    X = space.transform(_texts(train), [a.language for a in train])

    with_genre = [i for i, a in enumerate(train) if a.genre in genres]
    y = np.array([genres.index(train[i].genre) for i in with_genre])
    Xg = X[with_genre]
    genre_coef, genre_intercept = T.fit_genre(Xg, y, genres, genre_config, seed)
    log_priors: dict[str, list[float]] = {}
    train_languages = np.array([train[i].language for i in with_genre], dtype=object)
    for language in [*space.languages, "*"]:
        mask = train_languages == language if language != "*" else np.ones(len(y), bool)
        counts = np.bincount(y[mask], minlength=len(genres)) + 1.0
        log_priors[language] = [float(v) for v in np.log(counts / counts.sum())]

    # held-out genre scores for tuning the decision: out-of-fold on train, plus `tune`
    held_scores, held_y, held_lang = [], [], []
    n_folds = min(genre_config.folds, int(np.bincount(y).min()) if len(y) else 0)
    if n_folds >= 2:
        from sklearn.model_selection import StratifiedKFold

        splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
        for fit_index, held_index in splitter.split(np.zeros(len(y)), y):
            coef, intercept = T.fit_genre(Xg[fit_index], y[fit_index], genres, genre_config, seed)
            held_scores.append(T.genre_log_probs(Xg[held_index], coef, intercept))
            held_y.append(y[held_index])
            held_lang.append(train_languages[held_index])

    with_frames = [i for i, a in enumerate(train) if a.frames is not None]
    Y = np.array([[f in train[i].frames for f in frames] for i in with_frames], dtype=bool)
    frame_coef, frame_intercept = T.fit_frames(X[with_frames], Y, frame_config, seed)

    classifier = ArticleClassifier(
        features=space, genres=genres, frames=frames,
        genre_coef=genre_coef.astype(np.float32), genre_intercept=genre_intercept,
        genre_log_priors=log_priors, genre_alpha=genre_config.prior_weight,
        genre_offsets={"*": [0.0] * len(genres)},
        frame_coef=frame_coef.astype(np.float32), frame_intercept=frame_intercept,
        frame_thresholds=np.full(len(frames), 0.3), frame_shifts={},
    )
    Xt = space.transform(_texts(tune), [a.language for a in tune]) if tune else None
    langs = np.array([a.language for a in tune], dtype=object)
    g_index = [i for i, a in enumerate(tune) if a.genre in genres]
    if g_index:
        held_scores.append(T.genre_log_probs(Xt[g_index], genre_coef, genre_intercept))
        held_y.append(np.array([genres.index(tune[i].genre) for i in g_index]))
        held_lang.append(langs[g_index])
    if held_scores:
        groups = np.concatenate(held_lang)
        priors = np.array([log_priors.get(g, log_priors["*"]) for g in groups])
        classifier.genre_offsets = T.tune_genre_offsets(
            np.vstack(held_scores) + genre_config.prior_weight * priors,
            np.concatenate(held_y), groups, space.languages, genre_config.shrink,
        )
    f_index = [i for i, a in enumerate(tune) if a.frames is not None]
    if f_index:
        probs = T.frame_probs(Xt[f_index], frame_coef, frame_intercept)
        Yt = np.array([[f in tune[i].frames for f in frames] for i in f_index], dtype=bool)
        thresholds, shifts = T.tune_frame_thresholds(
            probs, Yt, langs[f_index], space.languages, frame_config.shrink
        )
        classifier.frame_thresholds, classifier.frame_shifts = thresholds, shifts
    classifier.info = {
        "trained_on": "SemEval-2023 Task 3 subtasks 1-2 (research use only)",
        "train_articles": len(train),
        "tune_articles": len(tune),
        "languages": sorted({a.language for a in train}),
        "seed": seed,
        "training_seconds": round(time.perf_counter() - started, 1),
    }
    return classifier


def train_article_classifier(
    data_dir=None, seed: int = 13, languages: list[str] | None = None
) -> ArticleClassifier:
    """Fit on the train split of SemEval-2023 Task 3 (subtasks 1-2), tune on validation."""
    from persuasion_lens.data.semeval2023 import load_article_level

    articles = load_article_level(data_dir, languages)
    train = [a for a in articles if a.split == "train"]
    tune = [a for a in articles if a.split == "validation"]
    if not train:
        raise ValueError("no training articles found")
    return fit_article_classifier(train, tune, seed=seed)


def main(argv: list[str] | None = None) -> None:
    """`python -m persuasion_lens.models.article_classifiers [DATA_DIR] [OUT_DIR]`: retrain."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    data_dir = args[0] if args else None
    out = Path(args[1]) if len(args) > 1 else ARTIFACT_DIR
    classifier = train_article_classifier(data_dir)
    classifier.save(out)
    print(f"saved {classifier.version} to {out} ({classifier.info['training_seconds']} s)")


if __name__ == "__main__":
    main()
