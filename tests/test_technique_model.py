"""Technique detector: metrics by hand, smoke training, artifact round-trip, shipped model."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from persuasion_lens.data.semeval2023 import GoldSpan, LabelledArticle
from persuasion_lens.models.metrics import (
    expected_calibration_error,
    score_label_sets,
    score_matrices,
)
from persuasion_lens.models.technique_training import (
    TrainingConfig,
    train_detector,
    tune_thresholds,
)
from persuasion_lens.models.techniques import (
    ARTIFACT_DIR,
    N_STACK_INPUTS,
    LanguageModel,
    TechniqueDetector,
    _logit,
    load_default_detector,
    stack_inputs,
)
from persuasion_lens.text.documents import Document


# ---------------------------------------------------------------- features
def test_char_counts_match_scikit_learn_with_cold_and_warm_word_cache(monkeypatch):
    import pickle
    from pathlib import Path

    from sklearn.feature_extraction.text import CountVectorizer

    from persuasion_lens.models.features import NgramFeaturizer

    example = Path(__file__).parents[1] / "examples" / "harbour-bridge-opinion-en.txt"
    texts = [line for line in example.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts += ["Żółć gęślą, «Ça va?» — Straße", "", "a"]
    reference = CountVectorizer(analyzer="char_wb", ngram_range=(2, 5))
    expected = reference.fit_transform(texts)
    vocabulary = list(reference.get_feature_names_out())
    featurizer = NgramFeaturizer(["x"], vocabulary, np.ones(1), np.ones(len(vocabulary)))
    for _ in ("cold", "warm"):
        counts = featurizer._char_counts(texts)
        assert (counts != expected).nnz == 0
    assert featurizer._char_columns_by_word
    restored = pickle.loads(pickle.dumps(featurizer))
    assert restored._char_columns_by_word == {}
    assert (restored._char_counts(texts) != expected).nnz == 0
    monkeypatch.setattr("persuasion_lens.models.features._CHAR_CACHE_WORDS", 5)
    restored._char_counts(["a b c"])  # a full cache is emptied before the next call fills it
    assert set(restored._char_columns_by_word) == {"a", "b", "c"}
    assert (restored._char_counts(texts) != expected).nnz == 0


# ---------------------------------------------------------------- metrics, by hand
def test_micro_and_macro_f1_by_hand():
    gold = [{"A"}, {"A", "B"}, set(), {"B"}]
    predicted = [{"A"}, {"B"}, {"A"}, set()]
    scores = score_label_sets(gold, predicted, ["A", "B"])
    # pairs: tp = (0,A), (1,B) = 2; fp = (2,A) = 1; fn = (1,A), (3,B) = 2
    assert scores.precision == pytest.approx(2 / 3)
    assert scores.recall == pytest.approx(2 / 4)
    assert scores.micro_f1 == pytest.approx(2 * 2 / (2 * 2 + 1 + 2))
    # A: tp1 fp1 fn1 -> 0.5 ; B: tp1 fp0 fn1 -> 2/3
    assert scores.macro_f1 == pytest.approx((0.5 + 2 / 3) / 2)
    assert scores.n_paragraphs == 4 and scores.n_gold == 4 and scores.n_predicted == 3


def test_empty_predictions_and_unseen_technique():
    gold = np.array([[True, False], [False, False]])
    scores = score_matrices(gold, np.zeros_like(gold))
    assert scores.micro_f1 == 0.0 and scores.macro_f1 == 0.0 and scores.precision == 0.0
    perfect = score_matrices(gold, gold)
    assert perfect.micro_f1 == 1.0
    assert perfect.macro_f1 == 0.5  # technique with no gold and no prediction scores 0
    with pytest.raises(ValueError):
        score_matrices(gold, gold[:1])


def test_calibration_error_by_hand():
    probs = np.array([0.05, 0.05, 0.95, 0.95])
    gold = np.array([False, False, True, False])
    ece, table = expected_calibration_error(probs, gold, bins=10)
    # bin 0: conf .05 freq 0 -> .05 ; bin 9: conf .95 freq .5 -> .45 ; weights .5 each
    assert ece == pytest.approx(0.5 * 0.05 + 0.5 * 0.45)
    assert [row["n"] for row in table] == [2, 2]


def test_thresholds_shrink_towards_global():
    rng = np.random.default_rng(0)
    gold = rng.random((200, 3)) < 0.2
    probs = np.clip(gold * 0.3 + rng.random((200, 3)) * 0.6, 0, 1)
    pooled = tune_thresholds(probs, gold, np.inf)
    assert np.allclose(pooled, pooled[0])
    free = tune_thresholds(probs, gold, 0.0)
    shrunk = tune_thresholds(probs, gold, 30.0)
    assert np.all(np.abs(shrunk - pooled) <= np.abs(free - pooled) + 1e-9)


# ---------------------------------------------------------------- combination and stacker
def test_logit_and_probability_combination_by_hand():
    probs = {"paragraph": np.array([[0.2, 0.9]]), "sentence": np.array([[0.8, 0.5]])}
    model = LanguageModel("xx", None, {}, {"paragraph": 1.0, "sentence": 3.0})
    np.testing.assert_allclose(model.combine(probs), [[0.65, 0.6]])  # (0.2 + 3 * 0.8) / 4
    model.combination = "logit"
    expected = expit((_logit(np.array([0.2, 0.9])) + 3 * _logit(np.array([0.8, 0.5]))) / 4)
    np.testing.assert_allclose(model.combine(probs)[0], expected)
    model.calibration = (2.0, -1.0)
    np.testing.assert_allclose(model.combine(probs)[0], expit(2 * _logit(expected) - 1))


def test_stack_inputs_by_hand():
    # two documents: 3 paragraphs and 1 paragraph, one technique
    par = np.array([[0.1], [0.3], [0.5], [0.7]])
    sent = np.array([[0.3], [0.5], [0.7], [0.9]])
    x = stack_inputs({"paragraph": par, "sentence": sent}, [3, 1])
    assert x.shape == (4, 1, N_STACK_INPUTS)
    np.testing.assert_allclose(x[:, 0, 0], _logit(par[:, 0]))
    np.testing.assert_allclose(x[:, 0, 1], _logit(sent[:, 0]))
    # member average [0.2, 0.4, 0.6, 0.8]: mean over the article's other paragraphs (none: 0)
    np.testing.assert_allclose(x[:, 0, 2], _logit(np.array([0.5, 0.4, 0.3, 0.0])))
    np.testing.assert_allclose(x[:, 0, 3], _logit(np.array([0.6, 0.6, 0.6, 0.8])))  # maximum
    np.testing.assert_allclose(x[:, 0, 4], _logit(np.array([0.4, 0.6, 0.4, 0.0]) + 1e-3))
    np.testing.assert_allclose(x[:, 0, 5], _logit(np.array([0.2, 0.2, 0.2, 0.8])))  # title
    np.testing.assert_allclose(x[:, 0, 6], [1, 0, 0, 1])  # is the first paragraph
    np.testing.assert_allclose(x[:, 0, 7], [0, 0.5, 1, 0])  # relative position
    np.testing.assert_allclose(x[:, 0, 8], np.log([3, 3, 3, 1]))
    # a stacker needs the document sizes
    model = LanguageModel("xx", None, {}, {"paragraph": 1.0, "sentence": 1.0},
                          stacker=(np.zeros((1, N_STACK_INPUTS)), np.zeros(1)))
    with pytest.raises(ValueError):
        model.combine({"paragraph": par, "sentence": sent})
    np.testing.assert_allclose(model.combine({"paragraph": par, "sentence": sent}, [3, 1]), 0.5)


# ---------------------------------------------------------------- smoke training
_WORDS = {
    "Loaded_Language": "outrageous disgraceful shocking scandal",
    "Doubt": "allegedly supposedly questionable claims",
    "Flag_Waving": "our nation patriots homeland",
}


def _article(i: int, language: str, split: str, rng: np.random.Generator) -> LabelledArticle:
    lines, labels, spans = [f"Title number {i}"], [frozenset()], []
    offset = len(lines[0]) + 1
    for k in range(6):
        technique = list(_WORDS)[(i + k) % 4] if (i + k) % 4 < 3 else None
        filler = " ".join(rng.choice(["the", "report", "said", "city", "people", "today"], 8))
        words = _WORDS.get(technique, "") if technique else ""
        text = f"{filler} {words}. Another sentence here {k}."
        lines.append(text)
        labels.append(frozenset({technique}) if technique else frozenset())
        if technique:
            start = offset + len(filler) + 1
            spans.append(GoldSpan(technique, start, start + len(words)))
        offset += len(text) + 1
    text = "\n".join(lines)
    document = Document.from_text(text, language, f"{language}{i}")
    return LabelledArticle(f"{language}{i}", language, document, split, labels, spans)


@pytest.fixture(scope="module")
def smoke_detector():
    rng = np.random.default_rng(1)
    articles = [_article(i, lang, "validation" if i % 4 == 0 else "train", rng)
                for lang in ("en", "de") for i in range(16)]
    config = TrainingConfig(max_word=500, max_char=800, keep_per_technique=300,
                            stack_languages=("en",))
    detector, reports = train_detector(articles, ["en", "de"], config, refit_full=True,
                                       extra_members=("nblr",))
    return detector, reports


def test_smoke_training_learns_and_reports(smoke_detector):
    detector, reports = smoke_detector
    assert set(reports) == {"en", "de"}
    for report in reports.values():
        expected = {"ensemble", "reference", "member:paragraph", "member:sentence", "member:nblr"}
        assert expected <= set(report["rows"])
        assert report["rows"]["ensemble"]["micro_f1"] > 0.5
    assert detector.supported_languages() == ["de", "en"]
    assert detector.metadata["fitted_on"] == "train+validation"
    # English gets an out-of-fold stacker (as configured); German log-odds averaging (default)
    assert detector.models["en"].stacker is not None and detector.models["de"].stacker is None
    assert detector.models["de"].combination == "logit"


def test_round_trip_and_api(smoke_detector, tmp_path):
    detector, _ = smoke_detector
    detector.save(tmp_path)
    loaded = TechniqueDetector.load(tmp_path)
    rng = np.random.default_rng(5)
    docs = [_article(99, "en", "train", rng).document, Document.from_text("", "en"),
            _article(98, "es", "train", rng).document, Document.from_text("Hello.\nWorld", None)]
    before = detector.predict_proba(docs)
    after = loaded.predict_proba(docs)
    for a, b, doc in zip(before, after, docs, strict=True):
        assert a.shape == (len(doc.paragraphs), len(detector.techniques))
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert after[1].shape == (0, len(detector.techniques))
    assert loaded.uses_fallback("es") and loaded.uses_fallback(None)
    assert not loaded.uses_fallback("en")
    assert loaded.thresholds_for("es").shape == (len(detector.techniques),)
    assert loaded.version == detector.version and loaded.techniques == detector.techniques
    for language, model in detector.models.items():
        assert loaded.models[language].combination == model.combination
        assert (loaded.models[language].stacker is None) == (model.stacker is None)
    labels = loaded.predict_labels(docs[:1])[0]
    assert len(labels) == len(docs[0].paragraphs)


# ---------------------------------------------------------------- shipped artifact
@pytest.mark.skipif(not (ARTIFACT_DIR / "metadata.json").exists(), reason="no shipped artifact")
def test_shipped_detector_loads_and_predicts():
    detector = load_default_detector()
    assert set(detector.supported_languages()) == {"en", "fr", "de", "it", "pl", "ru"}
    assert len(detector.techniques) == 23
    docs = [Document.from_text("Title\nThese traitors are destroying our great nation!\n\nWhy?",
                               lang) for lang in ("en", "ru", "es", None)]
    probs = detector.predict_proba(docs)
    for p in probs:
        assert p.shape == (3, 23) and np.all((p >= 0) & (p <= 1))
    assert detector.uses_fallback("es") and not detector.uses_fallback("ru")
    assert "validation" in detector.metadata["languages"]["en"]
    assert detector.models["ru"].stacker is not None and detector.models["en"].stacker is None


def test_artifact_without_combination_key_averages_probabilities(smoke_detector, tmp_path):
    import json

    detector, _ = smoke_detector
    detector.save(tmp_path)
    meta = json.loads((tmp_path / "metadata.json").read_text(encoding="utf-8"))
    for info in meta["languages"].values():
        info.pop("combination")
    (tmp_path / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    assert TechniqueDetector.load(tmp_path).models["de"].combination == "probability"


@pytest.mark.parametrize("language", ["en", "ru"])
def test_paragraphs_scored_in_chunks_give_the_same_probabilities(analyzer, project_example,
                                                                 monkeypatch, language):
    """Book-length inputs are featurised a chunk of paragraphs at a time (memory); the title,
    the neighbours and the article-wide stacker inputs must still see the whole article."""
    from persuasion_lens.models import techniques, token_member

    text = project_example.read_text(encoding="utf-8")
    documents = [Document.from_text(text, language), Document.from_text("Short one.\n\nTwo.",
                                                                        language),
                 Document.from_text(text, language)]
    whole = analyzer.detector.predict_proba(documents)
    assert sum(len(d.paragraphs) for d in documents) > 5
    for size in (1, 2, 5):
        monkeypatch.setattr(techniques, "PARAGRAPHS_PER_PASS", size)
        monkeypatch.setattr(token_member, "PARAGRAPHS_PER_PASS", size)
        chunked = analyzer.detector.predict_proba(documents)
        for expected, got in zip(whole, chunked, strict=True):
            assert np.array_equal(expected, got)
