"""The techniques the shipped detector practically never reports, and the reports' note."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from persuasion_lens import analyze_file
from persuasion_lens.cli import app
from persuasion_lens.models import coverage
from persuasion_lens.models.registry import technique_detector
from persuasion_lens.taxonomy import TECHNIQUE_NAMES

runner = CliRunner()


def test_the_stored_coverage_was_measured_for_the_shipped_detector():
    """Retraining changes the detector's version; this fails until the coverage is measured
    again (python -m persuasion_lens.models.coverage)."""
    stored = json.loads(coverage.COVERAGE_FILE.read_text(encoding="utf-8"))
    assert stored["technique_model"] == technique_detector().version
    for language in ("en", "fr", "de", "it", "pl", "ru"):
        measured = stored["languages"][language]
        assert measured["paragraphs"] > 300
        assert list(measured["decided"]) == list(TECHNIQUE_NAMES)


class _Stub:
    version = "stub-1"
    techniques = ("Often", "Never", "Once")

    def thresholds_for(self, language):
        return np.array([0.5, 0.5, 0.5])

    def predict_proba(self, documents):
        out = []
        for document in documents:
            scores = np.zeros((len(document.paragraphs), 3))
            scores[:, 0] = 0.9
            if document.doc_id == "2":
                scores[0, 2] = 0.7
            out.append(scores)
        return out


def test_measure_counts_the_decided_paragraphs_per_technique(tmp_path):
    folder = tmp_path / "semeval2023-task3" / "test-unlabelled"
    folder.mkdir(parents=True)
    lines = [f"{article}\t{line}\tParagraph {line} of article {article}."
             for article in ("1", "2", "3") for line in (1, 3, 4)]
    (folder / "en.template").write_text("\n".join(lines) + "\n", encoding="utf-8")
    measured = coverage.measure(_Stub(), tmp_path)
    assert measured["technique_model"] == "stub-1"
    assert measured["languages"]["en"] == {"paragraphs": 9,
                                           "decided": {"Often": 9, "Never": 0, "Once": 1}}
    measured["rare_per_thousand"] = 200  # under 1.8 paragraphs of 9
    assert coverage.rarely_reported_from(measured, "en") == ["Never", "Once"]


def test_english_reports_name_whataboutism_as_rarely_reported(project_example, tmp_path):
    result = analyze_file(project_example)
    assert "Whataboutism" in result.rarely_reported
    assert "Loaded_Language" not in result.rarely_reported
    assert json.loads(result.to_json())["rarely_reported"] == result.rarely_reported
    terminal = runner.invoke(app, ["analyze", str(project_example), "--summary"])
    assert "Rarely reported by this model in English" in " ".join(terminal.output.split())
    page = tmp_path / "page.html"
    runner.invoke(app, ["analyze", str(project_example), "-f", "html", "-o", str(page)])
    assert "<div class='rarely'>Rarely reported by this model in English" in page.read_text(
        encoding="utf-8")


@pytest.mark.parametrize("model", ["linear"])
def test_another_model_has_no_such_list(project_example, model):
    result = runner.invoke(app, ["analyze", str(project_example), "--model", model, "-f", "json"])
    assert result.exit_code == 0, result.output
    assert "rarely_reported" not in json.loads(result.stdout)


def test_the_note_leaves_out_what_the_article_has_all_the_same():
    """A long article may have a rarely reported technique after all; the note must not call
    its absence uninformative right under a table that counts it."""
    from persuasion_lens.pipeline.results import ArticleResult, ParagraphResult, TechniqueHit

    slogan = TechniqueHit("Slogans", "Call", 0.9)
    result = ArticleResult(language="en", paragraphs=[
        ParagraphResult(0, 0, 12, "Never again!", [slogan])],
        rarely_reported=["Slogans", "Whataboutism"])
    note = result.rarely_reported_note()
    assert note.endswith("so their absence says little: whataboutism (found here all the "
                         "same: slogans).")
    result.rarely_reported = ["Slogans"]
    assert result.rarely_reported_note().endswith("; this article has all of them.")
    result.rarely_reported = []
    assert result.rarely_reported_note() is None
