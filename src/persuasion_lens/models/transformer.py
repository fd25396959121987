"""Bring-your-own transformer: a fine-tuned Hugging Face encoder as the technique model.

`plens train-encoder --encoder NAME_OR_PATH` (see `transformer_training`) fine-tunes any encoder
(XLM-RoBERTa, mDeBERTa, BERT, ...) for multi-label paragraph classification and saves a folder
that `plens analyze --model FOLDER` (and the web app, corpus runs and Dask workers, which all go
through `registry.technique_detector`) can use. The folder holds the usual Hugging Face files
(config, weights, tokenizer) plus `model.json` with ``"kind": "transformer"``, the technique
order and the thresholds tuned on the validation split. A model trained with spans (the default)
also holds `span_head.safetensors`, a token head that says where in the paragraph each decided
technique sits (`transformer_spans`); the pipeline then takes spans from it instead of the
shipped span model.

Each paragraph is classified with the article title as a second segment. Nothing is downloaded
here: loading reads the folder only. torch and transformers are imported lazily.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from persuasion_lens.models.manifest import read_manifest, write_manifest
from persuasion_lens.models.registry import ModelNotAvailableError, model_kind
from persuasion_lens.models.spans import DecodeSettings, hits_for_paragraph
from persuasion_lens.models.transformer_spans import (
    TokenScores,
    decode_paragraph,
    load_span_head,
    paragraph_token_positions,
    save_span_head,
)
from persuasion_lens.pipeline.results import SpanHit
from persuasion_lens.text.documents import Document
from persuasion_lens.text.reading import InputError

KIND = "transformer"
FORMAT = 1
MANIFEST = "model.json"
DEFAULT_THRESHOLD_KEY = "default"
INSTALL_HINT = "pip install 'persuasion-lens[transformers]'"


# What `plens train-encoder` writes that loading needs, each with the names it may have: the
# weights whole or sharded, the tokenizer as `tokenizers` writes it, or (a tokenizer with no fast
# version) a slow tokenizer's vocabulary.
NEEDED_FILES: dict[str, tuple[str, ...]] = {
    "config.json": ("config.json",),
    "model.safetensors": ("model.safetensors", "model.safetensors.index.json"),
    "tokenizer.json": ("tokenizer.json", "vocab.txt", "vocab.json", "sentencepiece.bpe.model",
                       "spiece.model", "spm.model", "tokenizer.model"),
}


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
    transformers.utils.logging.disable_progress_bar()  # its own bar, inside our reports
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


def encode_batch(
    tokenizer: Any, texts: list[str], pairs: list[str], max_length: int, offsets: bool = False
) -> Any:
    """Tokenised (text, pair) rows; with `offsets`, also each token's character offsets
    (`offset_mapping`, which must be taken out before the batch goes to the model)."""
    options = {"padding": True, "max_length": max_length, "return_tensors": "pt"}
    if offsets:
        options["return_offsets_mapping"] = True
    if any(pairs):
        return tokenizer(texts, pairs, truncation="longest_first", **options)
    return tokenizer(texts, truncation=True, **options)


def forward(model: Any, span_head: Any, batch: Any) -> tuple[Any, Any]:
    """Paragraph logits and, with a span head, token logits, from one pass of the encoder."""
    inputs = {k: v for k, v in batch.items() if k != "offset_mapping"}
    if span_head is None:
        return model(**inputs).logits, None
    outputs = model(**inputs, output_hidden_states=True)
    return outputs.logits, span_head(outputs.hidden_states[-1])


def predict_outputs(
    model: Any,
    span_head: Any,
    tokenizer: Any,
    texts: list[str],
    pairs: list[str],
    max_length: int,
    batch_size: int,
    device: str,
) -> tuple[np.ndarray, list[TokenScores | None]]:
    """Paragraph probabilities for each (text, pair) and, with a span head, the token
    probabilities of each text (None without one); batched by length."""
    torch, _ = import_torch_stack()
    n_labels = model.config.num_labels
    result = np.zeros((len(texts), n_labels), dtype=np.float32)
    tokens: list[TokenScores | None] = [None] * len(texts)
    if not texts:
        return result, tokens
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
                tokenizer, [texts[i] for i in rows], [pairs[i] for i in rows], max_length,
                offsets=span_head is not None,
            )
            logits, token_logits = forward(model, span_head, batch.to(device))
            result[rows] = torch.sigmoid(logits.float()).cpu().numpy()
            if token_logits is None:
                continue
            token_probabilities = torch.sigmoid(token_logits.float()).cpu().numpy()
            offsets = batch["offset_mapping"].cpu().numpy()
            for position, row in enumerate(rows):
                kept = paragraph_token_positions(batch, position, offsets)
                tokens[row] = TokenScores(offsets[position, kept],
                                          token_probabilities[position, kept])
    return result, tokens


def is_transformer_folder(directory: Path) -> bool:
    """Whether `directory` holds a model written by `plens train-encoder`."""
    return model_kind(directory) == KIND


def check_replaceable(directory: Path) -> None:
    """A model may be saved to `directory`: it does not exist, is empty, or holds an earlier
    transformer model (which the new one replaces); InputError otherwise."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise InputError(f"{directory}: cannot write (a file is there: give a folder to write)")
    if not directory.is_dir() or not any(directory.iterdir()) or is_transformer_folder(directory):
        return
    raise InputError(f"{directory}: the folder holds other files, not a model of plens "
                     "train-encoder; give a new or empty folder (an earlier train-encoder "
                     "model folder is replaced)")


def check_model_files(directory: Path) -> None:
    """A ValueError naming the first file loading needs that the model folder lacks, before
    transformers fails on it with a message of its own (for a missing tokenizer.json, that
    sentencepiece should be installed)."""
    for name, alternatives in NEEDED_FILES.items():
        if not any((directory / alternative).is_file() for alternative in alternatives):
            raise ValueError(f"{directory}: the model folder has no {name}; save the model "
                             "again with `plens train-encoder` (it writes the whole folder)")


def _put_in_place(written: Path, directory: Path) -> None:
    """Move the folder `written` to `directory`, replacing the model folder there (an empty
    folder, perhaps the working directory, is kept and filled)."""
    if not directory.exists():
        written.rename(directory)
        return
    if not any(directory.iterdir()):
        for path in written.iterdir():
            path.rename(directory / path.name)
        return
    replaced = directory.with_name(f".{directory.name}.replaced-{os.getpid()}")
    shutil.rmtree(replaced, ignore_errors=True)
    directory.rename(replaced)
    try:
        written.rename(directory)
    except OSError:
        replaced.rename(directory)
        raise
    shutil.rmtree(replaced, ignore_errors=True)


class TransformerDetector:
    """A fine-tuned encoder with a multi-label classification head and, when it was trained
    with spans, a token head that places each decided technique (`locate`, the span model's
    interface, so the pipeline uses it instead of the shipped span model)."""

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
        span_head: Any = None,
        span_settings: DecodeSettings | None = None,
    ) -> None:
        self.device = pick_device(device)
        self.model = model.to(self.device)
        self.model.eval()
        self.span_head = span_head.to(self.device).eval() if span_head is not None else None
        self.span_settings = span_settings or DecodeSettings()
        # token scores of the last predict_proba call, so that locate need not run the
        # encoder again; a miss (another thread's call in between) only costs a second pass
        self._token_cache: dict[tuple[str, str], TokenScores] = {}
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

    @property
    def has_spans(self) -> bool:
        return self.span_head is not None

    def supported_languages(self) -> list[str]:
        return list(self.languages)

    def _predict(
        self, texts: list[str], pairs: list[str]
    ) -> tuple[np.ndarray, dict[tuple[str, str], TokenScores]]:
        """Paragraph probabilities and token scores by (text, pair); the latter are also kept
        for `locate`."""
        probabilities, tokens = predict_outputs(
            self.model, self.span_head, self.tokenizer, texts, pairs, self.max_length,
            self.batch_size, self.device,
        )
        scores_of = {(text, pair): scores
                     for text, pair, scores in zip(texts, pairs, tokens, strict=True)
                     if scores is not None}
        if self.span_head is not None:
            self._token_cache = scores_of
        return probabilities, scores_of

    def predict_proba(self, documents: Sequence[Document]) -> list[np.ndarray]:
        documents = list(documents)
        texts, pairs = paragraph_inputs(documents, self.use_title)
        probabilities, _ = self._predict(texts, pairs)
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

    def untrained_language_warning(self, language: str | None) -> str:
        """The warning for a language `uses_fallback` is true of: there is no other model, the
        fine-tuned encoder reads it zero-shot."""
        trained = ", ".join(self.languages) or "none"
        return (f"this model was not fine-tuned on language '{language}' (only on {trained}); "
                "its encoder reads it zero-shot and results are less reliable")

    def locate(
        self, document: Document, paragraph_techniques: list[list[tuple[str, float]]]
    ) -> list[list[SpanHit]]:
        """For each paragraph, spans for exactly the given (technique, confidence) pairs."""
        if self.span_head is None:
            raise ValueError("this transformer model was trained without spans")
        texts, pairs = paragraph_inputs([document], self.use_title)
        wanted = [i for i, given in enumerate(paragraph_techniques[:len(texts)]) if given]
        cache = self._token_cache
        missing = [i for i in wanted if (texts[i], pairs[i]) not in cache]
        if missing:
            _, computed = self._predict([texts[i] for i in missing], [pairs[i] for i in missing])
            cache = {**cache, **computed}
        column_of = {t: k for k, t in enumerate(self.techniques)}
        results: list[list[SpanHit]] = [[] for _ in document.paragraphs]
        for i in wanted:
            given = paragraph_techniques[i]
            paragraph = document.paragraphs[i]
            found = decode_paragraph(paragraph.text, cache[(texts[i], pairs[i])],
                                     [t for t, _ in given], column_of, self.span_settings)
            results[i] = hits_for_paragraph(document.text, paragraph, given, found, column_of)
        return results

    def save(self, directory: Path) -> None:
        """Write the model folder: into a new folder beside it, which then takes its place, so
        that an interrupted save leaves the earlier model whole and none of its files (an old
        span head, say) outlives it. Only a transformer model folder (or an empty one) is
        replaced."""
        directory = Path(os.path.abspath(directory))
        check_replaceable(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        partial = directory.with_name(f".{directory.name}.partial-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        try:
            self._write(partial)
            _put_in_place(partial, directory)
        finally:
            shutil.rmtree(partial, ignore_errors=True)

    def _write(self, directory: Path) -> None:
        directory.mkdir()
        self.model.save_pretrained(str(directory), safe_serialization=True)
        self.tokenizer.save_pretrained(str(directory))
        if self.span_head is not None:
            save_span_head(self.span_head, directory)
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
        if self.span_head is not None:
            manifest["spans"] = vars(self.span_settings)
        write_manifest(directory / MANIFEST, manifest)

    @classmethod
    def load(cls, directory: Path, device: str | None = None) -> TransformerDetector:
        directory = Path(directory)
        manifest = read_manifest(directory / MANIFEST, "persuasion-lens transformer model")
        if manifest.get("kind") != KIND:
            raise ValueError(f"{directory}: not a transformer model folder")
        check_model_files(directory)
        torch, transformers = import_torch_stack()
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(str(directory),
                                                                   local_files_only=True)
            model = transformers.AutoModelForSequenceClassification.from_pretrained(
                str(directory), local_files_only=True
            )
            span_head = load_span_head(torch, directory, model.config.hidden_size,
                                       len(manifest["techniques"]))
        except Exception as error:  # safetensors, tokenizers and torch each raise their own
            raise ValueError(f"{directory}: the model files cannot be read "
                             f"({type(error).__name__}: {error})") from error
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
            span_head=span_head,
            span_settings=DecodeSettings(**manifest["spans"]) if "spans" in manifest else None,
        )
