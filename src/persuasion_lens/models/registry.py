"""Which models the pipeline uses: the shipped ones, or a technique model the user names.

Span and article models are optional: a model whose artifact is missing is skipped, so a
partial install still analyses techniques.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class ModelNotAvailableError(RuntimeError):
    """A model the user asked for cannot be loaded."""


# `--model embeddings`: the shipped detector with the English sentence-embeddings member.
EMBEDDINGS_MODEL_NAME = "embeddings"
# `--model crosslingual`: the full multilingual sentence encoder as the member outside English
# (needs the `crosslingual` extra; about 200 paragraphs a second instead of thousands).
CROSSLINGUAL_MODEL_NAME = "crosslingual"
CROSSLINGUAL_MODEL_DIR = Path(__file__).parent / "artifacts" / "crosslingual"
# `--model linear`: the shipped linear detector alone, without the default English member.
LINEAR_MODEL_NAME = "linear"
# The linear detector with the static-embeddings member averaged in for English ...
ENGLISH_ENSEMBLE_DIR = Path(__file__).parent / "artifacts" / "techniques-en-static"
# ... and that with the cross-lingual member averaged in for the other languages ...
DEFAULT_ENSEMBLE_DIR = Path(__file__).parent / "artifacts" / "techniques-crosslingual"
# ... and, the default, that with the token member averaged in for all six languages.
TOKEN_ENSEMBLE_DIR = Path(__file__).parent / "artifacts" / "techniques-token"


def model_kind(path: Path) -> str | None:
    """The `kind` a model folder's model.json declares ("transformer", "embedding-ensemble")."""
    manifest = path / "model.json"
    if not manifest.is_file():
        return None
    try:
        kind = json.loads(manifest.read_text(encoding="utf-8")).get("kind")
    except (ValueError, AttributeError):
        return None
    return kind if isinstance(kind, str) else None


def technique_detector(model_path: str | os.PathLike[str] | None = None) -> Any:
    """The technique model: the shipped one, or the folder the user names (any kind)."""
    if model_path is not None and not isinstance(model_path, (str, os.PathLike)):
        raise TypeError(f"the model path is a folder's name (str or Path), not "
                        f"{type(model_path).__name__}")
    if isinstance(model_path, os.PathLike):
        model_path = os.fspath(model_path)
    if isinstance(model_path, str) and not model_path.strip():
        raise ValueError("the model path is empty: name a model folder, or leave it out for "
                         "the shipped model")
    if model_path == EMBEDDINGS_MODEL_NAME and not Path(model_path).is_dir():
        from persuasion_lens.models import embeddings

        return embeddings.load_default_embedding_detector()
    if model_path == CROSSLINGUAL_MODEL_NAME and not Path(model_path).is_dir():
        from persuasion_lens.models.embeddings import EmbeddingEnsembleDetector

        if not (CROSSLINGUAL_MODEL_DIR / "model.json").is_file():
            raise FileNotFoundError(f"{CROSSLINGUAL_MODEL_DIR}: the cross-lingual model is not "
                                    "built")
        detector = EmbeddingEnsembleDetector.load(CROSSLINGUAL_MODEL_DIR)
        detector.encoder  # noqa: B018  (fails now, in one line, when the extra is missing)
        return detector
    if model_path is None:
        if (TOKEN_ENSEMBLE_DIR / "model.json").is_file():
            from persuasion_lens.models.token_member import TokenEnsembleDetector

            return TokenEnsembleDetector.load(TOKEN_ENSEMBLE_DIR)
        return default_base_detector()
    if model_path == LINEAR_MODEL_NAME and not Path(model_path).is_dir():
        from persuasion_lens.models import techniques

        return techniques.load_default_detector()
    path = Path(model_path)
    if not path.is_dir():
        raise FileNotFoundError(f"{model_path}: no model folder here (a model is a folder, or "
                                f"'{LINEAR_MODEL_NAME}', '{EMBEDDINGS_MODEL_NAME}' or "
                                f"'{CROSSLINGUAL_MODEL_NAME}')")
    kind = model_kind(path)
    if kind == "token-ensemble":
        from persuasion_lens.models.token_member import TokenEnsembleDetector

        return TokenEnsembleDetector.load(path)
    if kind == "transformer":
        from persuasion_lens.models.transformer import TransformerDetector

        return TransformerDetector.load(path)
    if kind == "embedding-ensemble":
        from persuasion_lens.models.embeddings import EmbeddingEnsembleDetector

        return EmbeddingEnsembleDetector.load(path)
    if not (path / "metadata.json").is_file():
        raise FileNotFoundError(_not_a_technique_model(model_path, path))
    from persuasion_lens.models import techniques

    return techniques.TechniqueDetector.load(path)


def _not_a_technique_model(model_path: str, path: Path) -> str:
    """Why the folder is no technique model, naming what it holds when we can tell."""
    if (path / "config.json").is_file() and not (path / "model.json").is_file():
        return (f"{model_path}: a Hugging Face model without the model.json of plens "
                f"train-encoder, so no technique model; fine-tune it with plens train-encoder "
                f"--encoder {model_path} --output FOLDER, then use --model FOLDER")
    return (f"{model_path}: no technique model here (a technique model folder, as plens train "
            "or plens train-encoder writes it, holds metadata.json or a model.json of a "
            "technique model)")


def default_base_detector() -> Any:
    """The default detector without the token member: the linear one with the English and the
    cross-lingual members averaged in (as far as their artifacts are installed)."""
    for directory in (DEFAULT_ENSEMBLE_DIR, ENGLISH_ENSEMBLE_DIR):
        if (directory / "model.json").is_file():
            from persuasion_lens.models.embeddings import EmbeddingEnsembleDetector

            return EmbeddingEnsembleDetector.load(directory)
    from persuasion_lens.models import techniques

    return techniques.load_default_detector()


def span_detector(technique_detector: Any = None) -> Any | None:
    """The model that places decided techniques: the technique model itself when it has its
    own span head (a transformer trained with spans), else the shipped span model."""
    if getattr(technique_detector, "has_spans", False):
        return technique_detector
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


def narrative_model() -> Any | None:
    try:
        from persuasion_lens.models import narratives
    except ImportError:
        return None
    return _load_optional(narratives.load_default_narrative_model, "narrative")


def _load_optional(loader: Any, what: str) -> Any | None:
    try:
        return loader()
    except (FileNotFoundError, OSError) as error:
        log.warning("the %s model is not available (%s); skipping it", what, error)
        return None
