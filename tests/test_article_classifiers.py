"""Genre and framing classifiers: shipped artifact, a tiny training run, the st1/st2 commands."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import persuasion_lens.cli.article_eval  # registers evaluate-articles
import persuasion_lens.cli.semeval_articles  # noqa: F401  (registers semeval st1/st2)
from persuasion_lens.cli import app
from persuasion_lens.models.article_classifiers import (
    ArticleClassifier,
    ArticlePrediction,
    fit_article_classifier,
    load_default_article_classifier,
)
from persuasion_lens.text.documents import Document

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DATA = SHARED / "data"
SEED = SHARED / "examples" / "putin-kim-opinion-en.txt"

SAMPLE = (
    "Why the new tax plan will ruin the middle class\n\n"
    "Nobody in their right mind believes the minister's promises any more. "
    "We have heard it all before: lower taxes, more jobs, a brighter future.\n\n"
    "The truth is simpler and uglier. This plan protects the rich and punishes everyone else, "
    "and the government knows it.\n"
)


def _check(prediction: ArticlePrediction, classifier: ArticleClassifier) -> None:
    assert prediction.genre in classifier.genres
    assert set(prediction.genre_probabilities) == set(classifier.genres)
    assert math.isclose(sum(prediction.genre_probabilities.values()), 1.0, abs_tol=1e-6)
    assert max(prediction.genre_probabilities, key=prediction.genre_probabilities.get) == (
        prediction.genre
    )
    assert set(prediction.frame_probabilities) == set(classifier.frames)
    assert prediction.frames and set(prediction.frames) <= set(classifier.frames)
    probabilities = [prediction.frame_probabilities[f] for f in prediction.frames]
    assert probabilities == sorted(probabilities, reverse=True)


def test_shipped_artifact_loads_and_predicts():
    started = time.perf_counter()
    classifier = load_default_article_classifier()
    assert time.perf_counter() - started < 5  # < 1 s on an idle machine
    assert classifier.version
    assert classifier.genres == ["opinion", "reporting", "satire"]
    assert len(classifier.frames) == 14
    documents = [
        Document.from_text(SAMPLE, "en"),
        Document.from_text(SAMPLE, None),  # unknown language
        Document.from_text(SAMPLE, "xx"),  # unsupported language
    ]
    predictions = classifier.predict(documents)
    assert len(predictions) == 3
    for prediction in predictions:
        _check(prediction, classifier)
    assert classifier.predict([]) == []


def test_seed_example_is_opinion():
    if not SEED.exists():
        pytest.skip("../shared/examples is not available")
    text = SEED.read_text(encoding="utf-8")
    prediction = load_default_article_classifier().predict([Document.from_text(text, "en")])[0]
    assert prediction.genre == "opinion"


def test_save_load_round_trip(tmp_path):
    classifier = load_default_article_classifier()
    classifier.save(tmp_path / "model")
    again = ArticleClassifier.load(tmp_path / "model")
    document = Document.from_text(SAMPLE, "en")
    a, b = classifier.predict([document])[0], again.predict([document])[0]
    assert a.genre == b.genre and a.frames == b.frames
    with pytest.raises(FileNotFoundError):
        ArticleClassifier.load(tmp_path / "missing")


def test_tiny_training_run():
    if not (DATA / "semeval2023-task3").is_dir():
        pytest.skip("the training data (../shared/data) is not available")
    from persuasion_lens.data.semeval2023 import load_article_level
    from persuasion_lens.models.article_training import FeatureConfig, FrameConfig, GenreConfig

    articles = load_article_level(DATA, ["en", "de"])
    train = [a for a in articles if a.split == "train"][:60]
    tune = [a for a in articles if a.split == "validation"][:20]
    classifier = fit_article_classifier(
        train, tune, feature_config=FeatureConfig(word_max_features=2000),
        genre_config=GenreConfig(C=1.0), frame_config=FrameConfig(C=1.0),
    )
    for prediction in classifier.predict([a.document for a in tune[:5]]):
        _check(prediction, classifier)


ARTICLES = {
    "111": "Parliament passes budget\n\nThe parliament approved the budget on Tuesday, "
           "the finance ministry said in a statement.\n",
    "222": "Le gouvernement a tort\n\nCette réforme est une honte et nous devons la refuser. "
           "Les citoyens méritent mieux que ces mensonges.\n",
    "333": "Die Regierung plant neue Steuern\n\nDie Bundesregierung will im kommenden Jahr "
           "neue Steuern einführen, teilte ein Sprecher mit.\n",
}


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    for article_id, text in ARTICLES.items():
        (folder / f"article{article_id}.txt").write_text(text, encoding="utf-8")
    (folder / "notes.md").write_text("not an article", encoding="utf-8")
    return folder


def test_st1_and_st2_write_official_format(tmp_path):
    from persuasion_lens.taxonomy import FRAME_NAMES, GENRE_NAMES

    folder = _folder(tmp_path)
    runner = CliRunner()
    out1, out2 = tmp_path / "st1.txt", tmp_path / "st2.txt"
    result = runner.invoke(app, ["semeval", "st1", str(folder), "-o", str(out1)])
    assert result.exit_code == 0, result.output
    lines = out1.read_text(encoding="utf-8").splitlines()
    assert sorted(line.split("\t")[0] for line in lines) == sorted(ARTICLES)
    assert all(len(line.split("\t")) == 2 and line.split("\t")[1] in GENRE_NAMES
               for line in lines)

    result = runner.invoke(app, ["semeval", "st2", str(folder), "-o", str(out2), "--lang", "en"])
    assert result.exit_code == 0, result.output
    lines = out2.read_text(encoding="utf-8").splitlines()
    assert sorted(line.split("\t")[0] for line in lines) == sorted(ARTICLES)
    for line in lines:
        _, field = line.split("\t")
        assert field and set(field.split(",")) <= set(FRAME_NAMES)


def test_st1_empty_folder_is_one_line_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(app, ["semeval", "st1", str(empty)])
    assert result.exit_code != 0
    message = result.output.strip()
    assert "error" in message and "article" in message
    assert len(message.splitlines()) == 1
    assert "Traceback" not in message
