"""Bring-your-own transformer: a fine-tuned Hugging Face encoder as the technique model.

`plens train-encoder --encoder NAME_OR_PATH` (see `transformer_training`) fine-tunes any encoder
(XLM-RoBERTa, mDeBERTa, BERT, ...) for multi-label paragraph classification and saves a folder
that `plens analyze --model FOLDER` (and the web app, corpus runs and Dask workers, which all go
through `registry.technique_detector`) can use. The folder holds the usual Hugging Face files
(config, weights, tokenizer) plus `model.json` with ``"kind": "transformer"``, the technique
order and the thresholds tuned on the validation split.

Each paragraph is classified with the article title as a second segment. Nothing is downloaded
here: loading reads the folder only. torch and transformers are imported lazily.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from persuasion_lens.models.manifest import read_manifest, write_manifest
from persuasion_lens.models.registry import ModelNotAvailableError
from persuasion_lens.text.documents import Document

KIND = "transformer"
FORMAT = 1
MANIFEST = "model.json"
DEFAULT_THRESHOLD_KEY = "default"
INSTALL_HINT = "pip install 'persuasion-lens[transformers]'"


class TransformersUnavailableError(ModelNotAvailableError, ValueError):
    """torch/transformers are missing (ValueError too, so the CLI prints one line)."""


def import_torch_stack() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as error:
        raise TransformersUnavailableError(
            f"transformer models need torch and transformers; {INSTALL_HINT}"
        ) from error
    return torch, transformers


def pick_device(device: str | None = None) -> str:
    torch, _ = import_torch_stack()
    if device:
        return device
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def paragraph_inputs(documents: Sequence[Document], use_title: bool) -> tuple[list[str], list[str]]:
    """(paragraph texts, second segments) for every paragraph of the documents, in order."""
    texts, pairs = [], []
    for document in documents:
        title = document.title if use_title else ""
        for paragraph in document.paragraphs:
            texts.append(paragraph.text)
            pairs.append("" if paragraph.index == 0 else title)
    return texts, pairs


def encode_batch(tokenizer: Any, texts: list[str], pairs: list[str], max_length: int) -> Any:
    if any(pairs):
        return tokenizer(
            texts, pairs, padding=True, truncation="longest_first", max_length=max_length,
            return_tensors="pt",
        )
    return tokenizer(texts, padding=True, truncation=True, max_length=max_length,
                     return_tensors="pt")


def predict_logits(
    model: Any,
    tokenizer: Any,
    texts: list[str],
    pairs: list[str],
    max_length: int,
    batch_size: int,
    device: str,
) -> np.ndarray:
    """Sigmoid probabilities of the model for each (text, pair), batched by length."""
    torch, _ = import_torch_stack()
    n_labels = model.config.num_labels
    result = np.zeros((len(texts), n_labels), dtype=np.float32)
    if not texts:
        return result
    order = np.argsort([len(t) + len(p) for t, p in zip(texts, pairs, strict=True)])
    model.eval()
    autocast = (
        torch.autocast("cuda", dtype=torch.bfloat16) if device.startswith("cuda")
        else torch.autocast("cpu", enabled=False)
    )
    with torch.inference_mode(), autocast:
        for begin in range(0, len(texts), batch_size):
            rows = order[begin:begin + batch_size]
            batch = encode_batch(
                tokenizer, [texts[i] for i in rows], [pairs[i] for i in rows], max_length
            ).to(device)
            logits = model(**batch).logits
            result[rows] = torch.sigmoid(logits.float()).cpu().numpy()
    return result


class TransformerDetector:
    """A fine-tuned encoder with a multi-label classification head."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        techniques: Sequence[str],
        thresholds: dict[str, np.ndarray],
        languages: Sequence[str],
        max_length: int = 256,
        use_title: bool = True,
        batch_size: int = 32,
        device: str | None = None,
        version: str = "transformer",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.device = pick_device(device)
        self.model = model.to(self.device)
        self.model.eval()
        self.tokenizer = tokenizer
        self.techniques = list(techniques)
        self.thresholds = {k: np.asarray(v, dtype=float) for k, v in thresholds.items()}
        self.languages = list(languages)
        self.max_length = int(max_length)
        self.use_title = bool(use_title)
        self.batch_size = int(batch_size)
        self.version = version
        self.metadata = dict(metadata or {})
        if model.config.num_labels != len(self.techniques):
            raise ValueError(
                f"the model has {model.config.num_labels} outputs but {len(self.techniques)} "
                "techniques are listed"
            )

    def supported_languages(self) -> list[str]:
        return list(self.languages)

    def predict_proba(self, documents: Sequence[Document]) -> list[np.ndarray]:
        documents = list(documents)
        texts, pairs = paragraph_inputs(documents, self.use_title)
        probabilities = predict_logits(
            self.model, self.tokenizer, texts, pairs, self.max_length, self.batch_size,
            self.device,
        )
        result, position = [], 0
        for document in documents:
            n = len(document.paragraphs)
            result.append(probabilities[position:position + n].astype(float))
            position += n
        return result

    def thresholds_for(self, language: str | None) -> np.ndarray:
        if language in self.thresholds:
            return self.thresholds[language]
        return self.thresholds[DEFAULT_THRESHOLD_KEY]

    def uses_fallback(self, language: str | None) -> bool:
        """True for a language the model was not fine-tuned on (it still runs, zero-shot)."""
        return language not in self.languages

    def save(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(str(directory), safe_serialization=True)
        self.tokenizer.save_pretrained(str(directory))
        manifest = {
            "kind": KIND,
            "format": FORMAT,
            "version": self.version,
            "techniques": self.techniques,
            "languages": self.languages,
            "max_length": self.max_length,
            "use_title": self.use_title,
            "thresholds": {k: [round(float(x), 4) for x in v] for k, v in self.thresholds.items()},
            "metadata": self.metadata,
        }
        write_manifest(directory / MANIFEST, manifest)

    @classmethod
    def load(cls, directory: Path, device: str | None = None) -> TransformerDetector:
        directory = Path(directory)
        manifest = read_manifest(directory / MANIFEST, "persuasion-lens transformer model")
        if manifest.get("kind") != KIND:
            raise ValueError(f"{directory}: not a transformer model folder")
        _, transformers = import_torch_stack()
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(directory),
                                                               local_files_only=True)
        model = transformers.AutoModelForSequenceClassification.from_pretrained(
            str(directory), local_files_only=True
        )
        return cls(
            model,
            tokenizer,
            manifest["techniques"],
            {k: np.asarray(v, dtype=float) for k, v in manifest["thresholds"].items()},
            manifest.get("languages", []),
            max_length=manifest.get("max_length", 256),
            use_title=manifest.get("use_title", True),
            device=device,
            version=manifest.get("version", "transformer"),
            metadata=manifest.get("metadata", {}),
        )
