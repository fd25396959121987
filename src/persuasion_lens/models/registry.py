"""Which models the pipeline uses: the shipped ones, or a technique model the user names.

Span and article models are optional: a model whose artifact is missing is skipped, so a
partial install still analyses techniques.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ARTIFACTS_DIR = Path(__file__).parent / "artifacts"


class ModelNotAvailableError(RuntimeError):
    """A model the user asked for cannot be loaded."""


def technique_detector(model_path: str | None = None) -> Any:
    from persuasion_lens.models import techniques

    if model_path is None:
        return techniques.load_default_detector()
    path = Path(model_path)
    if not path.is_dir():
        raise FileNotFoundError(f"{model_path}: no model folder here")
    return techniques.TechniqueDetector.load(path)


def span_detector() -> Any | None:
    try:
        from persuasion_lens.models import spans
    except ImportError:
        return None
    return _load_optional(spans.load_default_span_detector, "span")


def article_classifier() -> Any | None:
    try:
        from persuasion_lens.models import article_classifiers
    except ImportError:
        return None
    return _load_optional(article_classifiers.load_default_article_classifier, "genre/framing")


def _load_optional(loader: Any, what: str) -> Any | None:
    try:
        return loader()
    except (FileNotFoundError, OSError) as error:
        log.warning("the %s model is not available (%s); skipping it", what, error)
        return None
