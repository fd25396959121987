"""Bring-your-own transformer, end to end on a tiny BERT built here (no download): train a few
steps from the CLI, save, load through the registry, analyse through the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from typer.testing import CliRunner  # noqa: E402

import persuasion_lens.cli.transformer_train  # noqa: E402,F401  (registers the commands)
from persuasion_lens.cli import app  # noqa: E402
from persuasion_lens.data.semeval2023 import load_technique_articles  # noqa: E402
from persuasion_lens.models import registry  # noqa: E402
from persuasion_lens.models.transformer import TransformerDetector  # noqa: E402
from persuasion_lens.models.transformer_training import make_tiny_encoder  # noqa: E402
from persuasion_lens.taxonomy import TECHNIQUE_NAMES  # noqa: E402
from persuasion_lens.text.documents import Document  # noqa: E402

DATA = Path(os.environ.get("PLENS_DATA", Path(__file__).parents[2] / "shared" / "data"))
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (DATA / "semeval2023-task3").is_dir(), reason="no training data"),
]


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory) -> Path:
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("tiny")
    articles = load_technique_articles(DATA, ["it"])
    texts = [p.text for a in articles[:60] if a.split == "train" for p in a.document.paragraphs]
    encoder = make_tiny_encoder(root / "tiny-bert", texts[:400], vocab_size=1500)
    output = root / "model"
    result = CliRunner().invoke(app, [
        "train-encoder", "--encoder", str(encoder), "--data-dir", str(DATA), "--output",
        str(output), "--languages", "it", "--max-steps", "4", "--batch-size", "8",
        "--max-length", "64", "--max-articles", "40", "--threads", "1",
    ])
    assert result.exit_code == 0, result.output
    return output


def test_model_folder_is_complete(trained_model: Path) -> None:
    manifest = json.loads((trained_model / "model.json").read_text())
    assert manifest["kind"] == "transformer"
    assert manifest["techniques"] == list(TECHNIQUE_NAMES)
    assert manifest["languages"] == ["it"]
    assert len(manifest["thresholds"]["default"]) == len(TECHNIQUE_NAMES)
    assert manifest["metadata"]["steps"] == 4
    assert (trained_model / "config.json").is_file()
    assert (trained_model / "model.safetensors").is_file()
    assert (trained_model / "tokenizer.json").is_file()
    assert registry.model_kind(trained_model) == "transformer"


def test_registry_loads_it_and_it_predicts(trained_model: Path) -> None:
    detector = registry.technique_detector(str(trained_model))
    assert isinstance(detector, TransformerDetector)
    assert detector.supported_languages() == ["it"]
    assert not detector.uses_fallback("it")
    assert detector.uses_fallback("es")
    documents = [
        Document.from_text("Titolo\nPrimo paragrafo, molto bello.\nSecondo!", language="it"),
        Document.from_text("Only one line", language="en"),
    ]
    probabilities = detector.predict_proba(documents)
    assert [p.shape for p in probabilities] == [(3, 23), (1, 23)]
    assert all(((p >= 0) & (p <= 1)).all() for p in probabilities)
    assert detector.thresholds_for("it").shape == (23,)
    assert detector.thresholds_for("xx").shape == (23,)
    # save/load round trip keeps the predictions
    again = TransformerDetector.load(trained_model)
    np.testing.assert_allclose(again.predict_proba(documents)[0], probabilities[0], atol=1e-5)


def test_analyze_cli_uses_the_model(trained_model: Path, tmp_path: Path) -> None:
    article = tmp_path / "articolo.txt"
    article.write_text("Un titolo\n\nI traditori della patria ci rovinano tutti.\n",
                       encoding="utf-8")
    result = CliRunner().invoke(app, [
        "analyze", str(article), "--lang", "it", "--model", str(trained_model), "--format",
        "json", "--no-spans", "--all", "--output", str(tmp_path / "out.json"),
    ])
    assert result.exit_code == 0, result.output
    payload = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert payload["model_version"].startswith("transformer-tiny-bert")
    assert len(payload["paragraphs"]) == 2


def test_missing_folder_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [
        "train-encoder", "--encoder", str(tmp_path / "nope"), "--data-dir", str(DATA),
        "--output", str(tmp_path / "out"), "--languages", "it", "--max-steps", "1",
        "--max-articles", "5",
    ])
    assert result.exit_code != 0
