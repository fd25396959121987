"""Span detection: the scorer, exact offsets, label/span consistency, the official file format."""

from __future__ import annotations

from pathlib import Path

import pytest

from persuasion_lens.models.span_metrics import (
    merge_ranges,
    span_identification_scores,
    technique_span_scores,
)
from persuasion_lens.text.documents import Document

DATA_DIR = Path(__file__).parents[1].parent / "shared" / "data"
LANGUAGES = ["en", "fr", "de", "it", "pl", "ru"]


# ---------------------------------------------------------------- scorer (hand-computed values)
def test_half_overlap_scores_a_half():
    predicted = {"1": [("A", 0, 10)]}
    gold = {"1": [("A", 5, 15)]}
    for scores in (span_identification_scores(predicted, gold),
                   technique_span_scores(predicted, gold)):
        assert scores.precision == pytest.approx(0.5)
        assert scores.recall == pytest.approx(0.5)
        assert scores.f1 == pytest.approx(0.5)


def test_technique_must_match_only_in_the_technique_aware_score():
    predicted = {"1": [("B", 0, 10)]}
    gold = {"1": [("A", 5, 15)]}
    assert technique_span_scores(predicted, gold).f1 == 0.0
    assert span_identification_scores(predicted, gold).f1 == pytest.approx(0.5)


def test_identification_merges_overlapping_ranges_but_technique_score_does_not():
    predicted = {"1": [("A", 0, 15)]}
    gold = {"1": [("A", 0, 10), ("B", 5, 15)]}
    si = span_identification_scores(predicted, gold)  # gold merged into (0, 15)
    assert (si.precision, si.recall, si.f1) == pytest.approx((1.0, 1.0, 1.0))
    tc = technique_span_scores(predicted, gold)
    assert tc.precision == pytest.approx(10 / 15)
    assert tc.recall == pytest.approx(1 / 2)
    assert tc.f1 == pytest.approx(4 / 7)


def test_one_prediction_can_collect_credit_from_several_gold_spans():
    predicted = {"1": [("A", 0, 20)]}
    gold = {"1": [("A", 0, 5), ("A", 10, 20)]}
    tc = technique_span_scores(predicted, gold)
    assert tc.precision == pytest.approx(15 / 20)
    assert tc.recall == pytest.approx(1.0)


def test_scores_are_micro_averaged_over_articles():
    predicted = {"1": [("A", 0, 10)], "2": [("A", 0, 10)]}
    gold = {"1": [("A", 0, 10)]}
    scores = technique_span_scores(predicted, gold)
    assert scores.precision == pytest.approx(0.5)
    assert scores.recall == pytest.approx(1.0)
    assert scores.f1 == pytest.approx(2 / 3)
    assert (scores.predicted, scores.gold) == (2, 1)


def test_empty_inputs():
    assert technique_span_scores({}, {}).f1 == 1.0
    assert technique_span_scores({"1": [("A", 0, 4)]}, {}).f1 == 0.0
    assert span_identification_scores({}, {"1": [("A", 0, 4)]}).recall == 0.0


def test_merge_ranges_keeps_touching_ranges_apart():
    assert merge_ranges([(5, 9), (0, 6), (9, 12), (3, 3)]) == [(0, 9), (9, 12)]


# ---------------------------------------------------------------- the model
@pytest.fixture(scope="module")
def detector():
    from persuasion_lens.models.spans import load_default_span_detector

    try:
        return load_default_span_detector()
    except FileNotFoundError:
        pytest.skip("no span model artifact")


def _check_hits(document: Document, given, hits) -> None:
    text = document.text
    assert len(hits) == len(document.paragraphs)
    for paragraph, pairs, paragraph_hits in zip(document.paragraphs, given, hits, strict=True):
        assert {h.technique for h in paragraph_hits} == {t for t, _ in pairs}
        for hit in paragraph_hits:
            assert text[hit.start:hit.end] == hit.text
            assert paragraph.start <= hit.start < hit.end <= paragraph.end
            assert hit.text == hit.text.strip()
            # word boundaries: a span never cuts a word in two
            assert not (hit.start > 0 and text[hit.start - 1].isalnum()
                        and text[hit.start].isalnum())
            assert not (hit.end < len(text) and text[hit.end].isalnum()
                        and text[hit.end - 1].isalnum())
            assert 0.0 <= hit.confidence <= 1.0
            assert hit.explanation
            assert hit.category or hit.technique == "Not_A_Technique"


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
def test_offsets_and_consistency_on_validation_articles(detector, language):
    if not DATA_DIR.is_dir():
        pytest.skip("training data not available")
    from persuasion_lens.data.semeval2023 import load_technique_articles

    articles = [a for a in load_technique_articles(DATA_DIR, [language])
                if a.split == "validation"][:15]
    assert articles
    for article in articles:
        given = [[(t, 0.9) for t in sorted(labels)] for labels in article.paragraph_labels]
        hits = detector.locate(article.document, given)
        _check_hits(article.document, given, hits)
        assert sum(len(h) for h in hits) >= sum(1 for g in given if g)


def test_every_given_technique_gets_a_span_and_no_other(detector):
    text = ("Title: they lie again\r\n\r\nThe corrupt, treacherous elite will destroy this "
            "country unless we act now!\r\nA calm line.\r\n\"Why would anyone trust them?\" "
            "she asked.")
    document = Document.from_text(text, language="en", doc_id="t")
    given = [
        [],
        [("Loaded_Language", 0.8), ("Appeal_to_Fear-Prejudice", 0.6), ("Not_A_Technique", 0.5)],
        [("Slogans", 0.7)],
        [("Doubt", 0.9)],
    ]
    hits = detector.locate(document, given)
    _check_hits(document, given, hits)
    assert hits[0] == []
    loaded = [h for h in hits[1] if h.technique == "Loaded_Language"]
    assert loaded[0].explanation.startswith("Loaded language: ")
    assert "weighed most" in loaded[0].explanation


@pytest.mark.parametrize("language", ["es", "ka", None])
def test_unsupported_languages_keep_offsets_exact(detector, language):
    text = "Titular\n\nLos corruptos mienten siempre, ¡basta ya de mentiras!\nOtra línea."
    document = Document.from_text(text, language=language)
    given = [[], [("Loaded_Language", 0.7), ("Slogans", 0.6)], [("Doubt", 0.5)]]
    _check_hits(document, given, detector.locate(document, given))


def test_save_and_load_give_the_same_spans(detector, tmp_path):
    from persuasion_lens.models.spans import SpanDetector

    detector.save(tmp_path / "model")
    again = SpanDetector.load(tmp_path / "model")
    document = Document.from_text("Head\nThe shameful, disastrous deal betrays every worker.",
                                  language="en")
    given = [[], [("Loaded_Language", 0.9), ("Name_Calling-Labeling", 0.5)]]
    first = [(h.start, h.end, h.technique) for p in detector.locate(document, given) for h in p]
    second = [(h.start, h.end, h.technique) for p in again.locate(document, given) for h in p]
    assert first == second
    assert again.version == detector.version


# ---------------------------------------------------------------- command line
class FakeTechniqueDetector:
    """Stands in for the paragraph-level detector: fixed probabilities per paragraph."""

    techniques = ("Loaded_Language", "Name_Calling-Labeling", "Slogans")

    def predict_proba(self, documents):
        import numpy as np

        return [np.tile([0.9, 0.2, 0.6], (len(d.paragraphs), 1)) for d in documents]

    def thresholds_for(self, language):
        return [0.5, 0.5, 0.5]


def _write_articles(folder: Path) -> dict[str, str]:
    texts = {
        "9001": "Traitors in Brussels\r\n\r\nThe corrupt puppets in Brussels betrayed us "
                "again, and only a fool would believe their lies.\r\n\r\nWe must fight back "
                "now, before it is too late!\r\n",
        "9002": "A quiet day\n\nThe council met on Tuesday and approved the budget.\n",
    }
    folder.mkdir()
    for article_id, text in texts.items():
        with open(folder / f"article{article_id}.txt", "w", encoding="utf-8",
                  newline="") as handle:
            handle.write(text)
    return texts


@pytest.mark.parametrize("real", [False, True])
def test_semeval_spans_writes_the_official_format(detector, tmp_path, monkeypatch, real):
    from typer.testing import CliRunner

    from persuasion_lens.cli import semeval_spans
    from persuasion_lens.cli.common import app

    if real:
        try:
            semeval_spans.load_technique_detector()
        except (FileNotFoundError, OSError):
            pytest.skip("no technique detector")
    else:
        monkeypatch.setattr(semeval_spans, "load_technique_detector",
                            lambda model=None: FakeTechniqueDetector())
    texts = _write_articles(tmp_path / "articles")
    output = tmp_path / "pred.txt"
    result = CliRunner().invoke(
        app, ["semeval", "spans", str(tmp_path / "articles"), "-o", str(output), "-l", "en"]
    )
    assert result.exit_code == 0, result.output
    lines = output.read_text(encoding="utf-8").splitlines()
    for line in lines:
        article_id, technique, start, end = line.split("\t")
        text = texts[article_id]
        assert technique and 0 <= int(start) < int(end) <= len(text)
        assert "\n" not in text[int(start):int(end)] and "\r" not in text[int(start):int(end)]
    if not real:  # the fake labels every paragraph with Loaded_Language and Slogans
        pairs = {(line.split("\t")[0], line.split("\t")[1]) for line in lines}
        assert ("9001", "Loaded_Language") in pairs and ("9002", "Slogans") in pairs
        assert not any(t == "Name_Calling-Labeling" for _, t in pairs)


def test_semeval_spans_without_technique_detector_fails_clearly(detector, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from persuasion_lens.cli import semeval_spans
    from persuasion_lens.cli.common import app

    def missing(model=None):
        raise FileNotFoundError("spans need paragraph labels, but the technique detector is gone")

    monkeypatch.setattr(semeval_spans, "load_technique_detector", missing)
    _write_articles(tmp_path / "articles")
    result = CliRunner().invoke(
        app, ["semeval", "spans", str(tmp_path / "articles"), "-o", str(tmp_path / "p.txt")]
    )
    assert result.exit_code == 2
    assert "paragraph labels" in result.output


@pytest.mark.slow
def test_evaluation_rows_in_both_settings(detector):
    if not DATA_DIR.is_dir():
        pytest.skip("training data not available")
    from persuasion_lens.cli.semeval_spans import span_evaluation_rows

    rows = span_evaluation_rows(DATA_DIR, ["pl"], detector,
                                technique_detector=FakeTechniqueDetector())
    assert [r["setting"] for r in rows] == ["gold labels", "predicted labels"]
    gold_row = rows[0]
    assert gold_row["tc_f1"] > gold_row["baseline_tc_f1"]
    assert gold_row["si_f1"] > gold_row["baseline_si_f1"]
    assert rows[1]["added_time"] > 0


def test_a_span_of_function_words_alone_gives_way_to_the_best_content_word():
    """'▸ Name calling: “the”' told a reader nothing; a span needs a word that is not among
    the commonest ones, and the fallback around the best word starts from such a word."""
    import numpy as np

    from persuasion_lens.models.spans import DecodeSettings, SpanDetector

    words = ["the", "corrupt", "elite", "of", "the", "city"]
    is_word = np.ones(6, dtype=bool)
    content = np.array([False, True, True, False, False, True])
    settings = DecodeSettings(threshold=0.5, gap=0)
    above_only_on_the = np.array([0.9, 0.3, 0.2, 0.1, 0.1, 0.1])
    assert SpanDetector.decode_runs(above_only_on_the, is_word, words, settings) == [(0, 1)]
    # around "corrupt", the best content word, the neighbours at 0.6 of its score join it
    assert SpanDetector.decode_runs(above_only_on_the, is_word, words, settings,
                                    content) == [(0, 3)]
    both = np.array([0.9, 0.1, 0.1, 0.1, 0.1, 0.8])  # "the" dropped, "city" kept
    assert SpanDetector.decode_runs(both, is_word, words, settings, content) == [(5, 6)]
