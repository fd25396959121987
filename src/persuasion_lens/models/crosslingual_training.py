"""Training and validation of the cross-lingual member of the default technique detector.

One member for several languages: the distilled cross-lingual paragraph vectors
(`models.crosslingual`) of a paragraph and of its neighbours, one L2 logistic regression per
technique fitted on the training paragraphs of all six languages at once. Per language, as for
the English member (`embedding_training`):

1. the base detector's model for the language is refitted on the train split, so that its
   validation probabilities are honest; the member is fitted on the pooled train split;
2. the member's share in the language's average is chosen by the two-fold cross-fitted
   micro-F1 on the validation split, then the per-technique thresholds are tuned on all of it;
3. the saved member is refitted on train+validation of all six languages, keeping shares and
   thresholds, and averaged with the shipped detector.

English keeps its own static-embeddings member (the base of this ensemble) unless asked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from scipy.special import expit
from threadpoolctl import threadpool_limits

from persuasion_lens.models import crosslingual
from persuasion_lens.models.embedding_training import (
    averaged,
    best_share,
    embed_articles,
    fit_member,
    stacked,
    train_only_base,
    validation_scores,
)
from persuasion_lens.models.embeddings import EmbeddingEnsembleDetector, build_encoder

MEMBER_LANGUAGES = ("fr", "de", "it", "pl", "ru")
BLOCKS = ("paragraph", "neighbours")
SHARE_GRID = (0.0, 0.15, 0.25, 0.35, 0.45)  # 0: the language keeps the base alone


# One BLAS thread: the shares and thresholds then come out the same on any machine (the
# summation order of more threads moves some thresholds by up to .06).
@threadpool_limits.wrap(limits=1)
def train_crosslingual_member(
    data_dir: str | Path | None = None,
    base_path: str | None = None,
    output: Path | None = None,
    languages: Sequence[str] = MEMBER_LANGUAGES,
    C: float = 10.0,
    seed: int = 13,
    base_ref: str | None = None,
    encoder_name: str = crosslingual.ENCODER_NAME,
    log: Callable[[str], None] = print,
) -> EmbeddingEnsembleDetector:
    """`base_path`: the detector the member is averaged with (default: the shipped English
    ensemble);
    `base_ref`: "en-static" records the shipped English ensemble as the base instead of saving a
    copy of it with the member."""
    from persuasion_lens.data.semeval2023 import load_technique_articles
    from persuasion_lens.models import registry
    from persuasion_lens.models import technique_training as tt

    base = registry.technique_detector(base_path or str(registry.ENGLISH_ENSEMBLE_DIR))
    linear = getattr(base, "base", base)  # the linear detector under the English member
    techniques = list(base.techniques)
    shrinkage = float((linear.metadata.get("config") or {}).get("shrinkage", 30.0))
    articles = [a for a in load_technique_articles(data_dir) if a.paragraph_labels is not None]
    features = embed_articles(build_encoder(encoder_name), articles, None, log, BLOCKS)
    by_id = {id(a): f for a, f in zip(articles, features, strict=True)}
    train = [a for a in articles if a.split == "train"]
    x_train, y_train = stacked(by_id, train, techniques)
    log(f"fitting the member on {x_train.shape[0]} train paragraphs of "
        f"{len({a.language for a in train})} languages ...")
    coef, intercept, trained = fit_member(x_train, y_train, C, seed)
    shares, thresholds, report = {}, {}, {}
    for language in languages:
        language_train = [a for a in train if a.language == language]
        validation = [a for a in articles if a.split == "validation" and a.language == language]
        x_val, gold = stacked(by_id, validation, techniques)
        sizes = [len(a.document.paragraphs) for a in validation]
        base_val = train_only_base(linear, language_train, validation, techniques, log,
                                   language)
        member_val = expit(x_val @ coef.T + intercept)

        def scores(probabilities: np.ndarray, gold=gold, sizes=sizes) -> dict[str, float]:
            return validation_scores(probabilities, gold, sizes, shrinkage, seed)

        by_share = {s: scores(averaged(base_val, member_val, trained, s)) for s in SHARE_GRID}
        share = best_share(by_share)
        report[language] = {"base": scores(base_val), "member_alone": scores(member_val),
                            "ensemble": {"weight": share, **by_share[share]}}
        if share > 0:
            shares[language] = share
            thresholds[language] = tt.tune_thresholds(
                averaged(base_val, member_val, trained, share), gold, shrinkage)
        log(f"validation {language}: base {report[language]['base']['micro_f1']:.3f}, "
            f"+ member {by_share[share]['micro_f1']:.3f} (share {share})")

    log("refitting the member on train+validation ...")
    x_all, y_all = stacked(by_id, articles, techniques)
    coef, intercept, trained = fit_member(x_all, y_all, C, seed)
    detector = EmbeddingEnsembleDetector(
        base, coef, intercept, trained, techniques, thresholds, languages=list(shares),
        weight=shares, base_ref=base_ref or ("en-static" if base_path is None else "given"),
        version=f"{getattr(base, 'version', 'techniques')}+{encoder_name}",
        blocks=BLOCKS, encoder_name=encoder_name,
        metadata={
            "task": "SemEval-2023 Task 3 subtask 3, paragraphs of " + ", ".join(shares),
            "encoder": ("Universal Sentence Encoder multilingual v3 distilled to static word "
                        f"vectors ({crosslingual.DIMENSIONS} dimensions, int8), idf-weighted"
                        if encoder_name == crosslingual.ENCODER_NAME else
                        "Universal Sentence Encoder multilingual v3 (numpy port, frozen)"),
            "features": " + ".join(f"{b} embedding" for b in BLOCKS),
            "member": f"per-technique L2 logistic regression, C={C}, fitted on all six "
                      "languages' paragraphs together",
            "fitted_on": "train+validation (shares and thresholds from the train-only fit)",
            "validation_protocol": "train-split fit of base and member; share chosen per "
                                   "language by the two-fold cross-fitted micro-F1; thresholds "
                                   "tuned on the validation split",
            "validation": report,
        },
    )
    if output is not None:
        detector.save(Path(output))
        log(f"saved to {output}")
    return detector
