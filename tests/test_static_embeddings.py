"""The default English member: static token vectors distilled from all-MiniLM-L6-v2, averaged
with the linear detector; and thresholds tuned for sparser gold labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from persuasion_lens.cli import app
from persuasion_lens.models import registry
from persuasion_lens.models import technique_training as T
from persuasion_lens.models.embeddings import EmbeddingEnsembleDetector
from persuasion_lens.models.static_embeddings import (
    ARTIFACT_DIR,
    DIMENSIONS,
    ENCODER_NAME,
    StaticEncoder,
)
from persuasion_lens.text.documents import Document

ARTIFACTS = Path(registry.__file__).parent / "artifacts"
ENGLISH = ("Our glorious nation will never bow to these corrupt traitors!\n"
           "The minister said on Tuesday that the budget would be published in May.\n"
           "Shame on the cowards who sold out our homeland to foreign puppets.\n")


@pytest.fixture(scope="module")
def encoder() -> StaticEncoder:
    return StaticEncoder()


def test_static_vectors_are_unit_length_and_mean_something(encoder):
    texts = ["The army attacked the city at dawn.",
             "At dawn, troops assaulted the town.",
             "The recipe needs two cups of flour and an egg.",
             "",
             "@@@ ###"]
    vectors = encoder.encode(texts)
    assert vectors.shape == (5, DIMENSIONS) and vectors.dtype == np.float32
    norms = np.linalg.norm(vectors, axis=1)
    assert np.allclose(norms[:3], 1.0, atol=1e-4)
    assert norms[3] == 0.0  # nothing to embed: zeros, not NaN
    assert np.isfinite(vectors).all()
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > unrelated + 0.2
    assert np.array_equal(vectors, encoder.encode(texts))  # deterministic
    assert encoder.encode([]).shape == (0, DIMENSIONS)


def test_the_english_ensemble_averages_the_member_in_for_english_only():
    default = registry.technique_detector(str(registry.ENGLISH_ENSEMBLE_DIR))
    assert registry.default_base_detector().base.version == default.version  # under the default
    linear = registry.technique_detector("linear")
    assert isinstance(default, EmbeddingEnsembleDetector)
    assert default.encoder_name == ENCODER_NAME and default.languages == ["en"]
    assert not isinstance(linear, EmbeddingEnsembleDetector)
    english = Document.from_text(ENGLISH, "en")
    french = Document.from_text("Honte à ces traîtres corrompus !\nLe budget sera publié.", "fr")
    mixed, alone = default.predict_proba([english, french]), linear.predict_proba([english, french])
    assert not np.allclose(mixed[0], alone[0])  # English: the member moves the probabilities
    assert np.array_equal(mixed[1], alone[1])  # French: the linear detector alone
    assert not np.array_equal(default.thresholds_for("en"), linear.thresholds_for("en"))
    assert np.array_equal(default.thresholds_for("fr"), linear.thresholds_for("fr"))
    assert default.metadata["missing_labels"] == pytest.approx(0.3)
    ensemble = default.metadata["validation"]["ensemble"]
    base = default.metadata["validation"]["base"]
    assert ensemble["cross_fitted_micro_f1"] > base["cross_fitted_micro_f1"]


def test_cli_uses_the_default_and_linear_on_request(tmp_path):
    article = tmp_path / "a.txt"
    article.write_text(ENGLISH, encoding="utf-8")
    runner = CliRunner()
    default = runner.invoke(app, ["analyze", str(article), "--format", "json", "--lang", "en"])
    linear = runner.invoke(app, ["analyze", str(article), "--format", "json", "--lang", "en",
                                 "--model", "linear"])
    assert default.exit_code == 0 and linear.exit_code == 0, default.output + linear.output
    assert "static-minilm-en" in default.output and "static-minilm-en" not in linear.output


def test_sparse_label_f1_and_thresholds_for_sparser_labels():
    assert T.sparse_label_f1(30, 10, 20, 0.0) == pytest.approx(60 / (60 + 10 + 20))
    # half the gold labels missing: 15 true positives left, 15 more false positives
    assert T.sparse_label_f1(30, 10, 20, 0.5) == pytest.approx(30 / (30 + 25 + 10))
    rng = np.random.default_rng(3)
    probs = rng.random((3000, 4))
    gold = rng.random((3000, 4)) < probs * 0.5
    dense = T.best_global_threshold(probs, gold, 0.0)
    sparse = T.best_global_threshold(probs, gold, 0.5)
    assert sparse > dense  # sparser gold labels call for more precision
    assert np.array_equal(T.tune_thresholds(probs, gold, 30.0),
                          T.tune_thresholds(probs, gold, 30.0, 0.0))


def test_all_shipped_models_fit_the_size_budget():
    total = sum(p.stat().st_size for p in ARTIFACTS.rglob("*") if p.is_file())
    assert total <= 25 * 1024 * 1024
    table = sum(p.stat().st_size for p in ARTIFACT_DIR.iterdir() if p.is_file())
    assert table <= 5 * 1024 * 1024
