"""The token member of the default technique detector (English, Italian, Polish, Russian)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse as sp

from persuasion_lens.models import registry
from persuasion_lens.models.spans import load_default_span_detector
from persuasion_lens.models.techniques import apply_platt
from persuasion_lens.models.token_member import (
    LanguageTagger,
    TokenEnsembleDetector,
    noisy_or,
    token_matrix,
)
from persuasion_lens.text.documents import Document

DATA = Path(os.environ.get("PLENS_DATA", Path(__file__).parents[2] / "shared" / "data"))
shipped = pytest.mark.skipif(not (registry.TOKEN_ENSEMBLE_DIR / "model.json").is_file(),
                             reason="the token member is not built")
ENGLISH = ("Title\n\nThese corrupt traitors lie to our great nation again and again!\n\n"
           "The council published its report on Tuesday.")
GERMAN = "Titel\n\nDiese korrupten Verräter belügen unser großes Volk schon wieder!"


def test_noisy_or_combines_the_tokens_of_each_paragraph() -> None:
    tokens = np.array([[0.5, 0.1], [0.5, 0.0], [0.2, 0.9]])
    owner = np.array([0, 0, 2])  # paragraph 1 has no tokens
    scores = noisy_or(tokens, owner, 3)
    np.testing.assert_allclose(scores[0], [0.75, 0.1])
    np.testing.assert_allclose(scores[2], [0.2, 0.9])
    assert (scores[1] < 1e-3).all()


def test_token_matrix_has_one_row_per_token_and_knows_its_paragraph() -> None:
    space = load_default_span_detector().space
    matrix, owner = token_matrix(space, ["Lies, lies!", "", "The council met."], "en")
    assert matrix.shape == (4 + 4, space.size)
    assert owner.tolist() == [0, 0, 0, 0, 2, 2, 2, 2]
    assert set(np.unique(matrix.data)) == {1.0}


def _toy_detector(base, shares, calibration=None) -> TokenEnsembleDetector:
    space = load_default_span_detector().space
    n = len(base.techniques)
    coef = sp.csc_matrix(np.zeros((space.size, n), dtype=np.float32))
    taggers = {code: LanguageTagger(coef, np.full(n, -1.0, np.float32), (1.0, 0.0))
               for code in shares}
    thresholds = {code: np.full(n, 0.42) for code in shares}
    return TokenEnsembleDetector(base, taggers, shares, thresholds, "toy", space=space,
                                 calibration=calibration)


def test_the_member_is_averaged_in_only_for_its_languages(tmp_path: Path) -> None:
    base = registry.default_base_detector()
    detector = _toy_detector(base, {"en": 0.25})
    english, german = (Document.from_text(ENGLISH, language="en"),
                       Document.from_text(GERMAN, language="de"))
    member = detector.member_proba(english)
    assert member.shape == (3, len(base.techniques))
    expected = 0.75 * base.predict_proba([english])[0] + 0.25 * member
    np.testing.assert_allclose(detector.predict_proba([english])[0], expected)
    np.testing.assert_allclose(detector.predict_proba([german])[0],
                               base.predict_proba([german])[0])
    assert (detector.thresholds_for("en") == 0.42).all()
    np.testing.assert_allclose(detector.thresholds_for("de"), base.thresholds_for("de"))
    detector.save(tmp_path / "token")
    again = TokenEnsembleDetector.load(tmp_path / "token", base)
    np.testing.assert_allclose(again.predict_proba([english])[0],
                               detector.predict_proba([english])[0], atol=1e-6)
    assert registry.model_kind(tmp_path / "token") == "token-ensemble"


def test_the_final_calibration_changes_probabilities_but_not_decisions(tmp_path: Path) -> None:
    base = registry.default_base_detector()
    plain = _toy_detector(base, {"en": 0.25})
    calibrated = _toy_detector(base, {"en": 0.25}, {"en": (1.4, 0.9), "de": (1.2, 0.3)})
    for text, code in ((ENGLISH, "en"), (GERMAN, "de")):
        document = Document.from_text(text, language=code)
        before, after = plain.predict_proba([document])[0], calibrated.predict_proba([document])[0]
        np.testing.assert_allclose(after, apply_platt(before, calibrated.calibration[code]))
        assert (after > before).any()
        assert ((after >= calibrated.thresholds_for(code))
                == (before >= plain.thresholds_for(code))).all()
    calibrated.save(tmp_path / "token")
    again = TokenEnsembleDetector.load(tmp_path / "token", base)
    assert again.calibration == {"en": (1.4, 0.9), "de": (1.2, 0.3)}
    french = Document.from_text("Titre\n\nCes traîtres corrompus nous mentent !", language="fr")
    np.testing.assert_allclose(again.predict_proba([french])[0], base.predict_proba([french])[0])


def test_a_final_platt_map_is_kept_only_where_it_helps_out_of_sample() -> None:
    from persuasion_lens.models.token_member_training import final_calibration

    rng = np.random.default_rng(0)
    truth = rng.beta(0.5, 4.0, size=(2000, 5))
    gold = rng.random(truth.shape) < truth
    sizes = [10] * 200
    platt, report = final_calibration(truth * 0.5, gold, sizes)  # too timid by half
    assert platt is not None and platt[1] > 0
    loss = report["cross_fitted_log_loss"]
    assert loss["platt"] < loss["as_averaged"] and report["ece"] < 0.01
    platt, report = final_calibration(truth, gold, sizes)  # calibrated already
    assert platt is None and report["platt"] is None


def test_a_member_for_another_feature_space_is_refused(tmp_path: Path) -> None:
    base = registry.default_base_detector()
    _toy_detector(base, {"pl": 0.3}).save(tmp_path / "token")
    manifest_path = tmp_path / "token" / "model.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["feature_space_size"] += 1
    manifest_path.write_text(json.dumps(manifest))
    detector = TokenEnsembleDetector.load(tmp_path / "token", base)  # quick: no space yet
    german = Document.from_text(GERMAN, language="de")
    assert len(detector.predict_proba([german])) == 1  # not a member language: no space needed
    with pytest.raises(ValueError, match="retrain it"):
        detector.predict_proba([Document.from_text("Tytuł\n\nKłamią!", language="pl")])


@shipped
def test_the_default_detector_is_the_token_ensemble() -> None:
    detector = registry.technique_detector()
    assert isinstance(detector, TokenEnsembleDetector)
    from persuasion_lens.models.token_member_training import MEMBER_LANGUAGES

    assert set(detector.languages) <= set(MEMBER_LANGUAGES) and detector.languages
    assert type(detector.base) is type(registry.default_base_detector())
    english = Document.from_text(ENGLISH, language="en")
    with_member = detector.predict_proba([english])[0]
    assert not np.allclose(with_member, detector.base.predict_proba([english])[0])
    assert ((with_member >= 0) & (with_member <= 1)).all()
    size = sum(p.stat().st_size for p in registry.TOKEN_ENSEMBLE_DIR.iterdir())
    assert size < 2_500_000


@pytest.mark.skipif(not (DATA / "semeval2023-task3").is_dir(), reason="no training data")
def test_a_tagger_learns_from_the_spans_and_keeps_its_largest_weights() -> None:
    from persuasion_lens.data.semeval2023 import load_technique_articles
    from persuasion_lens.models.token_member_training import fit_tagger, token_labels

    articles = [a for a in load_technique_articles(DATA, ["en"]) if a.split == "train"][:25]
    techniques = list(registry.default_base_detector().techniques)
    space = load_default_span_detector().space
    labels = token_labels(articles, techniques)
    matrix, _ = token_matrix(space, [p.text for a in articles for p in a.document.paragraphs],
                             "en")
    assert labels.shape == (matrix.shape[0], len(techniques)) and labels.any()
    coef, intercept = fit_tagger(space, articles, "en", techniques, keep=40)
    per_technique = np.diff(coef.indptr)
    assert per_technique.max() <= 40 and per_technique.sum() > 0
    loaded = techniques.index("Loaded_Language")
    assert per_technique[loaded] > 0 and intercept.shape == (len(techniques),)


def test_the_shipped_folder_can_be_named_as_a_model(tmp_path: Path) -> None:
    if not (registry.TOKEN_ENSEMBLE_DIR / "model.json").is_file():
        pytest.skip("the token member is not built")
    copy = tmp_path / "model"
    shutil.copytree(registry.TOKEN_ENSEMBLE_DIR, copy)
    assert isinstance(registry.technique_detector(str(copy)), TokenEnsembleDetector)


@shipped
def test_plens_evaluate_shows_the_shipped_final_calibration() -> None:
    from rich.console import Console

    from persuasion_lens.cli.models import _calibration_table
    from persuasion_lens.models.manifest import read_manifest

    manifest = read_manifest(registry.TOKEN_ENSEMBLE_DIR / "model.json", "token member")
    reports = manifest["metadata"]["validation"]
    console = Console(record=True, width=120)
    console.print(_calibration_table(reports))
    lines = {line.split()[1]: line for line in console.export_text().splitlines()
             if line.startswith("│ ")}
    assert set(lines) == {"en", "fr", "de", "it", "pl", "ru"}
    for code, report in reports.items():
        platt = report["calibration"]["platt"]
        kept = code in manifest["calibration"]
        assert (platt is not None) == kept
        assert (f"{platt[0]:.2f} / {platt[1]:.2f}" if kept else " no ") in lines[code]
