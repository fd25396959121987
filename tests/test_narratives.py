"""Narratives and entity roles (SemEval-2025 Task 10): reader, metrics, shipped model, CLI."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from persuasion_lens.cli import app
from persuasion_lens.data import semeval2025 as D
from persuasion_lens.models import entities as E
from persuasion_lens.models.narrative_metrics import (
    accuracy,
    exact_match_ratio,
    samples_f1,
    set_f1,
    span_recall,
)
from persuasion_lens.text.documents import Document

DATA = Path(__file__).parents[1].parent / "shared" / "data"
TASK = DATA / D.TASK_FOLDER
needs_data = pytest.mark.skipif(not TASK.is_dir(), reason="SemEval-2025 data not available")
EXAMPLE = Path(__file__).parents[1].parent / "shared" / "examples" / "putin-kim-opinion-en.txt"

SAMPLE = (
    "Russia blames the West for the war\n\n"
    "Moscow says that NATO and the United States provoked the conflict in Ukraine, while "
    "Russian soldiers defend civilians in Donbas. Washington keeps sending weapons to Kyiv.\n"
)


# -- metrics (hand-computed) ---------------------------------------------------------------------


def test_set_f1_and_samples_f1():
    assert set_f1(["a", "b"], ["a"]) == pytest.approx(2 / 3)
    assert set_f1(["a"], ["b"]) == 0.0
    assert set_f1([], []) == 0.0
    # documents: F1 1.0, 2/3, 0.0 -> mean 5/9
    gold = [["Other"], ["A", "B"], ["C"]]
    predicted = [["Other"], ["A"], ["D", "E"]]
    assert samples_f1(gold, predicted) == pytest.approx(5 / 9)
    with pytest.raises(ValueError):
        samples_f1([["a"]], [])


def test_role_metrics():
    gold = [["Victim"], ["Guardian", "Virtuous"], ["Instigator"], ["Tyrant"]]
    predicted = [["Victim"], ["Virtuous", "Guardian"], ["Instigator", "Tyrant"], ["Corrupt"]]
    assert exact_match_ratio(gold, predicted) == pytest.approx(0.5)
    assert accuracy(["Innocent", "Protagonist", "Antagonist"],
                    ["Innocent", "Antagonist", "Antagonist"]) == pytest.approx(2 / 3)
    assert span_recall([(0, 5), (10, 15)], [(0, 5), (11, 14)]) == pytest.approx(0.5)
    assert span_recall([(0, 5), (10, 15)], [(0, 5), (11, 14)], overlap=True) == 1.0


# -- reader ---------------------------------------------------------------------------------------


def test_parse_lines_and_parent():
    doc, narratives, subs = D.parse_subtask2_line(
        "EN_1.txt\tURW: Praise of Russia;Other\tURW: Praise of Russia: Other\n")
    assert doc == "EN_1.txt"
    assert narratives == ["URW: Praise of Russia", "Other"]
    assert subs == ["URW: Praise of Russia: Other"]
    assert D.parent_narrative(subs[0]) == "URW: Praise of Russia"
    assert D.parent_narrative("Other") == "Other"
    assert D.parse_subtask1_line("D.txt\tNATO\t5\t8\tAntagonist\tInstigator\tConspirator")[2:] == (
        5, 8, "Antagonist", ("Instigator", "Conspirator"))
    with pytest.raises(ValueError):
        D.parse_subtask1_line("D.txt\tNATO\tfive\t8")


def test_resolve_mention_handles_crlf_and_utf16_offsets():
    text = "Line one\nLine two\nNATO acts"
    # counted with CRLF line breaks: two extra characters before NATO
    assert D.resolve_mention(text, "NATO", 20, 23) == (18, 22)
    emoji = "🔵 Russia moves"
    assert D.resolve_mention(emoji, "Russia", 3, 8) == (2, 8)
    assert D.resolve_mention(text, "Kyiv", 0, 3) is None


@needs_data
def test_reader_offsets_are_exact():
    articles = D.load_articles(DATA, ["en", "ru"])
    assert {a.split for a in articles} == {"train", "validation"}
    mentions = 0
    for article in articles:
        for m in article.mentions:
            assert article.document.text[m.start:m.end] == m.entity
            assert m.main_role in D.MAIN_ROLES
            mentions += 1
        if article.narratives is not None:
            for sub in article.subnarratives:
                assert D.parent_narrative(sub) in article.narratives
    assert mentions > 1000
    narratives, subs = D.load_taxonomy(DATA)
    assert "Other" in narratives and "URW: Praise of Russia" in narratives
    assert len(subs) > 80


# -- grouping and detection -----------------------------------------------------------------------


def test_grouping_aliases_and_surnames():
    names = ["United States", "US", "the USA", "Vladimir Putin", "Putin", "Japan", "America"]
    groups = E.group_mentions(names, "en")
    by_name = {g.name: g.indices for g in groups}
    assert by_name["United States"] == [0, 1, 2, 6]
    assert by_name["Vladimir Putin"] == [3, 4]
    assert by_name["Japan"] == [5]


def test_geopolitical_side_of_names():
    sides = {name: E.bloc_of(name, language) for name, language in [
        ("Russia", "en"), ("Russian troops", "en"), ("Россия", "ru"), ("Путина", "ru"),
        ("the DPRK", "en"), ("the United States", "en"), ("NATO", "en"), ("the West", "en"),
        ("Kyiv", "en"), ("Зеленский", "ru"), ("रूस", "hi"), ("Senator Smith", "en"),
        ("Westport", "en"), ("Garcia", "pt")]}
    assert [n for n, side in sides.items() if side == "RU"] == [
        "Russia", "Russian troops", "Россия", "Путина", "the DPRK", "रूस"]
    assert [n for n, side in sides.items() if side == "WEST"] == [
        "the United States", "NATO", "the West"]
    assert [n for n, side in sides.items() if side == "UA"] == ["Kyiv", "Зеленский"]
    # a stem must start a word: "nato" is not in "senator", nor "cia" in "garcia"
    assert sides["Senator Smith"] is sides["Westport"] is sides["Garcia"] is None
    # languages without role data have their own stems
    assert [E.bloc_of(name, language) for name, language in [
        ("la Russie", "fr"), ("Rosja", "pl"), ("die Vereinigten Staaten", "de"),
        ("gli Stati Uniti", "it"), ("Kijów", "pl"), ("Selenskyj", "de")]] == [
        "RU", "RU", "WEST", "WEST", "UA", "UA"]


# -- the shipped model -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model():
    from persuasion_lens.models.narratives import load_default_narrative_model

    return load_default_narrative_model()


def test_shipped_model_predicts(model):
    document = Document.from_text(SAMPLE, language="en")
    prediction = model.predict([document])[0]
    assert prediction.narratives and prediction.subnarratives
    labels = [n for n, _ in prediction.narratives]
    for sub, probability in prediction.subnarratives:
        assert 0.0 <= probability <= 1.0
        assert D.parent_narrative(sub) in labels
    assert prediction.warnings == []
    data = prediction.to_dict()
    json.dumps(data)
    assert set(data) >= {"narratives", "subnarratives", "entities"}
    assert data["entities"], "mentions are detected"
    for entity in data["entities"]:
        assert entity["main_role"] in D.MAIN_ROLES
        assert 0.0 <= entity["main_role_probability"] <= 1.0
        for fine in entity["fine_roles"]:
            assert D.FINE_TO_MAIN[fine["label"]] == entity["main_role"]
        for mention in entity["mentions"]:
            assert document.text[mention["start"]:mention["end"]] == mention["text"]


def test_given_mentions_and_unknown_language(model):
    document = Document.from_text(SAMPLE, language="de")
    start = SAMPLE.index("NATO")
    prediction = model.predict([document], mentions=[[(start, start + 4)]])[0]
    assert [e.entity for e in prediction.entities] == ["NATO"]
    assert prediction.entities[0].mentions == [(start, start + 4, "NATO")]
    assert prediction.warnings and "quality is unknown" in prediction.warnings[0]
    with pytest.raises(ValueError):
        model.predict([document], mentions=[[(0, 10_000)]])
    assert model.predict([]) == []


def test_save_and_load_round_trip(model, tmp_path):
    from persuasion_lens.models.narratives import NarrativeModel

    model.save(tmp_path)
    again = NarrativeModel.load(tmp_path)
    document = Document.from_text(SAMPLE, language="en")
    first, second = model.predict([document])[0], again.predict([document])[0]
    assert [n for n, _ in first.narratives] == [n for n, _ in second.narratives]
    assert [e.entity for e in first.entities] == [e.entity for e in second.entities]
    assert [e.main_role_probability for e in first.entities] == pytest.approx(
        [e.main_role_probability for e in second.entities], abs=1e-6)
    # the version says which mention rules ran; the artifact keeps its own
    assert again.version == model.version and model.version.endswith(".entities-4")
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert not manifest["version"].endswith(".entities-4")


def test_entities_are_ranked_by_salience_and_split_into_main_actors(model):
    text = SAMPLE + "Pope Francis and Brazil were also named. " * 2 + "Tuesday was sunny.\n"
    prediction = model.predict([Document.from_text(text, language="en")])[0]
    everything = prediction.entities + prediction.minor_entities
    scores = [e.salience for e in prediction.entities]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    cut = model.salience.cut
    assert all(e.salience < cut for e in prediction.minor_entities)
    assert all(e.salience >= cut for e in prediction.entities[6:])
    assert len(prediction.entities) >= min(6, len(everything))
    data = prediction.to_dict()
    assert len(data["minor_entities"]) == len(prediction.minor_entities)
    # given mentions are never demoted, whatever their salience
    start = text.index("Tuesday")
    given = model.predict([Document.from_text(text, "en")], mentions=[[(start, start + 7)]])[0]
    assert [e.entity for e in given.entities] == ["Tuesday"] and not given.minor_entities


def test_second_stage_reads_the_side_the_article_takes(model):
    """The main role's second stage moves an entity with the article's narratives as the
    training data do, and leaves names of no side alone."""
    import numpy as np

    stacker = model.role_stacker
    assert stacker is not None and stacker.blocs == ["RU", "WEST", "UA"]
    undecided = np.full((1, 3), 1 / 3)
    protagonist, antagonist = model.main_roles.index("Protagonist"), \
        model.main_roles.index("Antagonist")

    def roles(name: str, narrative: str) -> np.ndarray:
        scores = np.zeros(len(model.narratives))
        scores[model.narratives.index(narrative)] = 0.6
        return stacker.apply(undecided, [name], "en", scores)[0]

    praise_russia, praise_west = "URW: Praise of Russia", "URW: Overpraising the West"
    blame_west = "URW: Discrediting the West, Diplomacy"
    assert roles("Russia", praise_west)[antagonist] > roles("Russia", praise_russia)[antagonist]
    assert roles("the United States", praise_west)[protagonist] > \
        roles("the United States", blame_west)[protagonist]
    assert np.allclose(roles("Westport", praise_west), roles("Westport", praise_russia))


def test_model_without_salience_still_loads(model, tmp_path):
    """Artifacts trained before entity salience existed keep working (by mention count)."""
    import dataclasses

    from persuasion_lens.models.narratives import NarrativeModel

    dataclasses.replace(model, salience=None, role_stacker=None, side_stance=None).save(tmp_path)
    old = NarrativeModel.load(tmp_path)
    assert old.salience is None and old.role_stacker is None and old.side_stance is None
    prediction = old.predict([Document.from_text(SAMPLE, language="en")])[0]
    counts = [len(e.mentions) for e in prediction.entities]
    assert counts == sorted(counts, reverse=True) and not prediction.minor_entities
    assert prediction.side is None and prediction.to_dict()["side_taken"] is None


def test_saving_twice_writes_the_same_bytes(model, tmp_path):
    """A retrained artifact is reproducible byte for byte (no timestamps in the files)."""
    import time

    model.save(tmp_path / "first")
    time.sleep(1.1)  # gzip and zip headers count seconds
    model.save(tmp_path / "second")
    names = sorted(f.name for f in (tmp_path / "first").iterdir())
    assert "vocabulary.json.gz" in names
    for name in names:
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes()


def test_the_war_topic_is_saved_and_older_artifacts_read_sides_without_it(model, tmp_path):
    import dataclasses

    import numpy as np

    from persuasion_lens.models.narratives import NarrativeModel

    model.save(tmp_path / "now")
    again = NarrativeModel.load(tmp_path / "now").side_stance
    assert np.array_equal(again.topic_coef, model.side_stance.topic_coef)
    assert again.topic_bias == model.side_stance.topic_bias
    before = dataclasses.replace(model.side_stance, topic_coef=None, topic_bias=0.0)
    dataclasses.replace(model, side_stance=before).save(tmp_path / "before")
    old = NarrativeModel.load(tmp_path / "before")
    assert old.side_stance.topic_coef is None
    prediction = old.predict([Document.from_text(SAMPLE, language="en")])[0]
    assert prediction.side is not None


def _article(text: str, roles: list[tuple[str, str]], domain: str = "URW"
             ) -> D.NarrativeArticle:
    mentions = [D.GoldMention(name, text.index(name), text.index(name) + len(name), role, ())
                for name, role in roles]
    return D.NarrativeArticle("EN_X.txt", "en", Document.from_text(text, "en"), "train", domain,
                              mentions=mentions, has_roles=True)


def test_side_target_follows_the_annotated_roles():
    from persuasion_lens.models.narrative_training import side_target

    text = "Russia, NATO, Kyiv and Greta met."
    assert side_target(_article(text, [("Russia", "Protagonist"), ("NATO", "Antagonist")])) == 1
    assert side_target(_article(text, [("Russia", "Antagonist"), ("Kyiv", "Innocent")])) == 0
    assert side_target(_article(text, [("Russia", "Innocent"), ("Kyiv", "Innocent")])) is None
    assert side_target(_article(text, [("Greta", "Antagonist")])) is None


def test_climate_articles_teach_no_side():
    from persuasion_lens.models.narrative_training import with_a_side

    text = "Biden and Russia met."
    roles = [("Biden", "Antagonist"), ("Russia", "Protagonist")]
    sided, targets = with_a_side([_article(text, roles), _article(text, roles, "CC"),
                                  _article(text, roles, None)])
    assert [a.domain for a in sided] == ["URW", None] and targets.tolist() == [1, 1]


def test_a_climate_article_naming_western_leaders_is_read_for_no_side(model):
    """The Western names (and Russia's) would open the side reading; the war/climate topic
    closes it."""
    import dataclasses

    climate = ("Biden's war on your gas stove\n\nThe White House and the European Union want "
               "to ban gas stoves and petrol cars to fight climate change. Washington's climate "
               "alarmists will make energy unaffordable while the planet keeps its own pace, "
               "and Europe buys Russia's liquefied gas anyway.\n")
    document = Document.from_text(climate, "en")
    prediction = model.predict([document])[0]
    assert any(E.bloc_of(e.entity, "en") == "WEST" for e in prediction.entities)
    assert prediction.side is None
    ungated = dataclasses.replace(model, side_stance=dataclasses.replace(model.side_stance,
                                                                         topic_coef=None))
    assert ungated.predict([document])[0].side is not None


def test_western_names_alone_do_not_make_an_article_about_the_war(model):
    gaza = ("Washington backs Israel as Gaza strikes continue\n\nThe United States again "
            "blocked a ceasefire resolution at the UN Security Council, as Israeli air strikes "
            "on Gaza killed dozens of civilians. The White House said Israel has the right to "
            "defend itself. Protesters in London and Paris demanded an end to the bombing.\n")
    with_russia = gaza.replace("Protesters in London", "Russia condemned the veto. Protesters "
                               "in London")
    alone, named = model.predict([Document.from_text(gaza, "en"),
                                  Document.from_text(with_russia, "en")])
    assert any(E.bloc_of(e.entity, "en") == "WEST" for e in alone.entities)
    assert alone.side is None
    assert named.side is not None  # a name on Russia's side opens the reading again


def test_roles_at_odds_with_the_side_are_flagged():
    from persuasion_lens.models.narratives import EntityRoles, mark_roles_at_odds
    from persuasion_lens.taxonomy.roles import SideReading

    def entity(name: str, role: str) -> EntityRoles:
        return EntityRoles(name, role, 0.7, [], [])

    entities = [entity("Russia", "Antagonist"), entity("Putin", "Protagonist"),
                entity("Ukraine", "Innocent"), entity("United States", "Antagonist"),
                entity("Mariupol", "Innocent")]
    mark_roles_at_odds(entities, SideReading(0.63), "en")  # leans to Russia's side
    assert [e.at_odds_with_side for e in entities] == [True, False, True, False, False]
    mark_roles_at_odds(entities, SideReading(0.2), "en")  # Ukraine's and the West's side
    assert [e.at_odds_with_side for e in entities] == [False, True, False, True, False]
    fresh = [entity("Russia", "Antagonist")]
    mark_roles_at_odds(fresh, None, "en")
    mark_roles_at_odds(fresh, SideReading(0.5), "en")  # no leaning either way
    assert not fresh[0].at_odds_with_side and fresh[0].to_dict()["at_odds_with_side"] is False


@needs_data
def test_roles_at_odds_with_the_side_are_less_often_right(model):
    from persuasion_lens.models import narrative_training as T

    validation = [a for a in D.load_articles(DATA) if a.split == "validation"]
    outcomes = T.roles_against_the_side(model, validation)
    agrees, at_odds = outcomes[(False, False)], outcomes[(True, False)]  # unclear roles
    assert agrees[0] > 50 and at_odds[0] > 20
    assert at_odds[1] < agrees[1] - 0.1  # what the reports' note says


def test_side_taken_is_read_where_the_main_actors_stand_on_a_side(model):
    from persuasion_lens.taxonomy.roles import OPPOSING_SIDE, RUSSIAN_SIDE

    pro_ukraine = ("Russian invaders shell Kharkiv again\n\nRussian troops shelled Kharkiv "
                   "overnight, killing civilians. Putin's army keeps committing war crimes, while "
                   "Ukraine's brave defenders, backed by their allies, free occupied villages.\n")
    climate = ("Climate alarmists want to ban cars\n\nThe elites of the World Economic Forum "
               "use climate fears to control people and raise taxes.\n")
    sided, unsided = model.predict([Document.from_text(pro_ukraine, "en"),
                                    Document.from_text(climate, "en")])
    assert sided.side is not None and sided.side.favoured == OPPOSING_SIDE
    assert sided.side.opposed == RUSSIAN_SIDE
    data = sided.to_dict()["side_taken"]
    assert data["probability"] == pytest.approx(1 - data["russian_side_probability"], abs=1e-3)
    assert data["is_clear"] == (data["probability"] >= 0.8)
    assert unsided.side is None and unsided.to_dict()["side_taken"] is None


@needs_data
def test_side_taken_is_evaluated_against_the_annotations(model):
    from persuasion_lens.models import narrative_training as T

    articles = [a for a in D.load_articles(DATA) if a.language == "en"]
    scores = T.evaluate_side(model, [a for a in articles if a.split == "train"],
                             [a for a in articles if a.split == "validation"])
    english = scores["en"]
    assert english.articles >= 15 and english.auc is not None
    assert english.accuracy > english.majority_accuracy
    assert english.topic_accuracy > 0.9


@needs_data
def test_salience_training_targets_follow_the_annotations():
    from persuasion_lens.models import narrative_training as T

    articles = [a for a in D.load_articles(DATA) if a.split == "train" and a.has_roles][:40]
    detector = T.fit_detector(articles)
    rows, targets, owners, counts = T.salience_rows(articles, detector)
    assert len(rows) == len(targets) == len(owners) == len(counts) > 40
    assert 0 < targets.mean() < 1
    model = T.fit_salience(articles, detector, T.TrainingConfig(salience_folds=2))
    probabilities = model.probabilities(rows)
    # in-sample, annotated entities score higher than the rest on average
    assert probabilities[targets].mean() > probabilities[~targets].mean()
    assert 0.05 <= model.cut <= 0.8


@needs_data
def test_entity_role_reliability_bins_every_entity_once(model):
    from persuasion_lens.models import narrative_training as T

    articles = [a for a in D.load_articles(DATA) if a.split == "validation" and a.mentions][:12]
    rows = T.entity_role_reliability(model, articles)
    entities = sum(len(model.group(model.mention_roles(
        a.document.text, [(m.start, m.end) for m in a.mentions], a.language), a.language))
        for a in articles)
    assert sum(count for _, _, count, _, _ in rows) == entities
    for low, high, count, mean, right in rows:
        assert low <= mean < high and 0.0 <= right <= 1.0 and count > 0


@pytest.mark.skipif(not EXAMPLE.exists(), reason="worked example not available")
def test_worked_example_makes_sense(model):
    text = EXAMPLE.read_text(encoding="utf-8")
    document = Document.from_text(text, language="en")
    prediction = model.predict([document])[0]
    assert prediction.narratives  # decided: Other (see docs/narratives.md, known weaknesses)
    pn, _ = model.narrative_probabilities([document])
    leading = [model.narratives[j] for j in pn[0].argsort()[::-1][:3]]
    assert any(n.startswith("URW:") for n in leading)
    entities = {e.entity: e for e in prediction.entities}
    for name in ("Russia", "DPRK", "United States", "the West"):
        assert name in entities
    assert len(entities["DPRK"].mentions) >= 4  # DPRK and North Korea grouped
    for name in ("United States", "the West"):
        assert entities[name].main_role == "Antagonist"
        assert entities[name].main_role_probability > 0.75
    from persuasion_lens.taxonomy.roles import RUSSIAN_SIDE

    assert prediction.side is not None and prediction.side.favoured == RUSSIAN_SIDE
    # the article favours Russia's side, so an Antagonist there is flagged, the West's is not
    for name in ("Russia", "DPRK"):
        assert entities[name].at_odds_with_side == (entities[name].main_role == "Antagonist")
    for name in ("United States", "the West"):
        assert not entities[name].at_odds_with_side
    for entity in prediction.entities:
        data = entity.to_dict()
        assert data["role_is_clear"] == (data["main_role_probability"] >= 0.8)
        assert abs(sum(data["main_role_probabilities"].values()) - 1) < 1e-3
        assert max(data["main_role_probabilities"], key=data["main_role_probabilities"].get) \
            == data["main_role"]


def test_artifact_is_small():
    from persuasion_lens.models.narratives import ARTIFACT_DIR

    size = sum(p.stat().st_size for p in ARTIFACT_DIR.iterdir() if p.is_file())
    assert size <= 5 * 1024 * 1024


# -- command line ---------------------------------------------------------------------------------


@pytest.fixture()
def docs_dir(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "EN_A.txt").write_text(SAMPLE, encoding="utf-8")
    (folder / "EN_B.txt").write_text(
        "Climate alarmists want to ban cars\n\nThe elites of the World Economic Forum use "
        "climate fears to control people and raise taxes.\n", encoding="utf-8")
    return folder


def test_cli_narratives_format(docs_dir, tmp_path):
    out = tmp_path / "pred.txt"
    result = CliRunner().invoke(app, ["semeval", "narratives", str(docs_dir), "--lang", "en",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [line.split("\t")[0] for line in lines] == ["EN_A.txt", "EN_B.txt"]
    for line in lines:
        _doc, narratives, subs = line.split("\t")
        for sub in subs.split(";"):
            assert D.parent_narrative(sub) in narratives.split(";")


def test_cli_roles_with_given_mentions(docs_dir, tmp_path):
    start = SAMPLE.index("NATO")
    mentions = tmp_path / "mentions.txt"
    mentions.write_text(f"EN_A.txt\tNATO\t{start}\t{start + 3}\tAntagonist\tInstigator\n",
                        encoding="utf-8")
    result = CliRunner().invoke(app, ["semeval", "roles", str(docs_dir), "--lang", "en",
                                      "--mentions", str(mentions)])
    assert result.exit_code == 0, result.output
    fields = result.output.strip().split("\t")
    assert fields[:4] == ["EN_A.txt", "NATO", str(start), str(start + 3)]
    assert fields[4] in D.MAIN_ROLES
    assert D.FINE_TO_MAIN[fields[5]] == fields[4]


def test_cli_roles_writes_the_given_offsets_back(tmp_path):
    """The task counts offsets in UTF-16 units: after an emoji they are one more than ours.
    The mention is found all the same, and its line keeps the offsets as given (a scorer
    matches mentions by them); a mentions file saved with a byte-order mark is read too."""
    docs = tmp_path / "docs"
    docs.mkdir()
    text = "Breaking 🔵 news. NATO expanded again, and Russia answered."
    (docs / "EN_E.txt").write_text(text, encoding="utf-8")
    utf16 = len(text[:text.index("Russia")].encode("utf-16-le")) // 2
    assert utf16 == text.index("Russia") + 1
    mentions = tmp_path / "mentions.txt"
    mentions.write_text(f"\ufeffEN_E.txt\tRussia\t{utf16}\t{utf16 + 5}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["semeval", "roles", str(docs), "--lang", "en",
                                      "--mentions", str(mentions)])
    assert result.exit_code == 0, result.output
    assert result.output.split("\t")[:4] == ["EN_E.txt", "Russia", str(utf16), str(utf16 + 5)]


def test_cli_roles_leaves_out_the_mentions_of_a_skipped_file(docs_dir, tmp_path):
    """A file that cannot be read is skipped with a warning; its mentions stopped the run with
    "document EN_C.txt is not in the documents folder", which it is."""
    (docs_dir / "EN_C.txt").write_bytes(bytes(range(256)) * 8)
    start = SAMPLE.index("NATO")
    mentions = tmp_path / "mentions.txt"
    mentions.write_text(f"EN_C.txt\tNATO\t10\t13\nEN_A.txt\tNATO\t{start}\t{start + 3}\n",
                        encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "persuasion_lens", "semeval", "roles", str(docs_dir), "--lang",
         "en", "--mentions", str(mentions)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    assert [line.split("\t")[:2] for line in result.stdout.splitlines()] == [["EN_A.txt", "NATO"]]
    assert "EN_C.txt: this looks like a binary file" in result.stderr
    assert "1 mention of skipped files left out" in result.stderr
    assert "not in the documents folder" not in result.stderr


def _roles(docs: Path, mentions: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "persuasion_lens", "semeval", "roles", str(docs), "--lang", "en",
         "--mentions", str(mentions)], capture_output=True, text=True, timeout=300)


def test_cli_roles_warns_of_an_end_offset_that_does_not_fit_the_entity(docs_dir, tmp_path):
    """Every line of the official subtask-1 files has end = start + length - 1 (5,617 of
    5,617). A mentions file written with exclusive ends, or an entity column cut short, was
    accepted without a word, and its offsets written back as if they were the task's."""
    nato, us = SAMPLE.index("NATO"), SAMPLE.index("United States")
    mentions = tmp_path / "mentions.txt"
    mentions.write_text(f"EN_A.txt\tNATO\t{nato}\t{nato + 3}\n"
                        f"EN_A.txt\tUnited States\t{us}\t{us + 13}\n"
                        f"EN_A.txt\tUnited\t{us}\t{us + 12}\n", encoding="utf-8")
    result = _roles(docs_dir, mentions)
    assert result.returncode == 0, result.stderr
    assert [line.split("\t")[1:4] for line in result.stdout.splitlines()] == [
        ["NATO", str(nato), str(nato + 3)], ["United States", str(us), str(us + 13)],
        ["United", str(us), str(us + 12)]]  # the offsets as given
    warning = " ".join(result.stderr.split())
    assert "mentions.txt: 2 mentions whose end offset does not fit the entity" in warning
    assert "ends are inclusive" in warning
    assert (f"first: line 2: 'United States' has 13 characters but {us}-{us + 13} spans 14 "
            "(an exclusive end?)") in warning


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_cli_roles_reads_a_utf16_mentions_file_without_a_byte_order_mark(encoding, tmp_path):
    """Such a file (iconv -t UTF-16LE, some Windows tools) stopped the run with "not a text
    file (NUL bytes)"."""
    docs = tmp_path / "docs"
    docs.mkdir()
    text = "Émile Zola and Russia\n\nRussia blames NATO for the war in Ukraine.\n"
    (docs / "EN_Z.txt").write_text(text, encoding="utf-8")
    start = text.index("NATO")
    mentions = tmp_path / "mentions.txt"
    mentions.write_bytes(f"EN_Z.txt\tÉmile Zola\t0\t9\r\nEN_Z.txt\tNATO\t{start}\t{start + 3}"
                         "\r\n".encode(encoding))
    result = _roles(docs, mentions)
    assert result.returncode == 0, result.stderr
    assert [line.split("\t")[:4] for line in result.stdout.splitlines()] == [
        ["EN_Z.txt", "Émile Zola", "0", "9"], ["EN_Z.txt", "NATO", str(start), str(start + 3)]]
    assert "warning" not in result.stderr


def test_a_cut_off_utf16_file_is_said_to_be_one(tmp_path):
    path = tmp_path / "mentions.txt"
    path.write_bytes("EN_A.txt\tNATO\t0\t3\n".encode("utf-16-le")[:-1])
    with pytest.raises(D.semeval2023.DataError, match="UTF-16 text cut off in the middle"):
        D.read_subtask1_lines(path)


def test_cli_narratives_name_the_model_applied_to_other_languages(tmp_path):
    """The warning said "the fallback model", which the narratives do not have."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "DE_A.txt").write_text(
        "Russland beschuldigt den Westen\n\nMoskau sagt, dass die NATO und die Vereinigten "
        "Staaten den Konflikt in der Ukraine provoziert haben.\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "persuasion_lens", "semeval", "narratives", str(docs), "--lang",
         "de"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert ("no training data for language(s) de: the pooled multilingual model is applied to "
            "those articles and its quality is unknown") in " ".join(result.stderr.split())


def test_cli_roles_detects_mentions(docs_dir):
    result = CliRunner().invoke(app, ["semeval", "roles", str(docs_dir), "--lang", "en"])
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.output.strip().splitlines()]
    assert rows
    texts = {"EN_A.txt": SAMPLE}
    for row in rows:
        if row[0] in texts:
            assert texts[row[0]][int(row[2]):int(row[3]) + 1] == row[1]


def _english_sample_of_the_data(root: Path, train_documents: int = 60) -> Path:
    """A data folder with the English validation documents and a few training ones (links to
    the real files, the annotation files cut down), so that the baseline trains in seconds."""
    task = root / D.TASK_FOLDER
    (task / "EN").mkdir(parents=True)
    for name in ("splits", "taxonomy"):
        (task / name).symlink_to(TASK / name)
    (task / "EN" / "raw-documents").symlink_to(TASK / "EN" / "raw-documents")
    held_out = D.validation_ids(DATA, "en")
    annotations = TASK / "EN" / "subtask-2-annotations.txt"
    trained = [line.split("\t")[0] for line in annotations.read_text("utf-8").splitlines()
               if line.split("\t")[0] not in held_out][:train_documents]
    kept = held_out | set(trained)
    for name in ("subtask-1-annotations.txt", "subtask-2-annotations.txt"):
        lines = (TASK / "EN" / name).read_text("utf-8").splitlines(keepends=True)
        (task / "EN" / name).write_text(
            "".join(line for line in lines if line.split("\t")[0] in kept), "utf-8")
    return root


@needs_data
@pytest.mark.slow
def test_evaluate_narratives_is_readable_in_80_columns(tmp_path):
    """The first table had ten columns, the baseline's numbers beside the model's, and at 80
    columns every header was cut ("ment…", "narr…", "(sali…")."""
    data = _english_sample_of_the_data(tmp_path / "data")
    result = subprocess.run(
        [sys.executable, "-m", "persuasion_lens", "evaluate-narratives", "--data-dir", str(data)],
        capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in result.stdout
    words = set(result.stdout.split())
    assert {"narratives", "subnarratives", "EMR", "mentions", "recall", "salience",
            "actors"} <= words
    assert any(re.search(r"0\.\d{3} / 0\.\d{3}", line) and line.startswith("│   en")
               for line in lines)  # the model's score beside the baseline's


@pytest.mark.parametrize("args", [
    ["semeval", "narratives", "/no/such/folder"],
    ["semeval", "roles", "{docs}", "--mentions", "/no/such/file.txt"],
])
def test_cli_bad_input_is_one_line(args, docs_dir):
    args = [a.replace("{docs}", str(docs_dir)) for a in args]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "error:" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@needs_data
@pytest.mark.parametrize("damage", ["a key missing", "bad JSON", "a weights file missing"])
def test_evaluate_narratives_refuses_a_damaged_model_in_one_line(damage, tmp_path):
    """A manifest without `thresholds` gave a KeyError traceback; a manifest of bad JSON said
    only "Expecting value: line 1 column 1 (char 0)", naming no file."""
    from persuasion_lens.models.narratives import ARTIFACT_DIR

    folder = tmp_path / "model"
    shutil.copytree(ARTIFACT_DIR, folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if damage == "a key missing":
        del manifest["thresholds"]
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    elif damage == "bad JSON":
        (folder / "manifest.json").write_text('{"format": ', encoding="utf-8")
    else:
        (folder / "weights.npz").unlink()
    result = subprocess.run(
        [sys.executable, "-m", "persuasion_lens", "evaluate-narratives", "--no-baseline",
         "--model", str(folder), "--data-dir", str(DATA)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {folder}")


def test_russian_mentions_come_from_natasha_when_installed(model):
    pytest.importorskip("natasha")
    text = ("Владимир Путин встретился с Ким Чен Ыном на космодроме Восточный. "
            "США и НАТО выразили обеспокоенность, а Пхеньян промолчал.")
    library = E.library_entities(text, "ru")
    assert (0, 14) in library  # "Владимир Путин", one person
    found = model.detector.detect(text, "ru")
    surfaces = [text[s:e] for s, e in found]
    assert "Ким Чен Ыном" in surfaces and "США" in surfaces and "НАТО" in surfaces
    assert found == sorted(found)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(found))  # no overlaps
    assert E.library_entities(text, "bg") is None  # no library for Bulgarian: rules alone


def test_rules_skip_title_case_headlines_and_keep_capitalised_common_words_inside_names():
    detector = E.MentionDetector({"en": ["westport"]}, {"en": ["once", "the", "city", "but"]})
    text = ("The Bridge Scandal Our Spineless Council Wants You to Forget\n\n"
            "Once again, the experts at City Hall failed Westport. But Mara Vell said no.\n")
    surfaces = [text[s:e] for s, e in detector.detect(text, "en")]
    assert surfaces == ["City Hall", "Westport", "Mara Vell"]
    # the same words in an ordinary sentence are names again
    plain = "Yesterday Our Spineless Council met the mayor down at the harbour."
    found = [plain[s:e] for s, e in detector.detect(plain, "en")]
    assert found == ["Yesterday Our Spineless Council"]


def test_detector_common_words_grow_with_extra_text():
    from persuasion_lens.models import narrative_training as T

    extra = {"en": ["Either way, we go. We go either way, either now or either later."] * 3,
             "de": ["Die Regierung sagt nichts. Wir sagen die Wahrheit."] * 3}
    detector = T.fit_detector([], extra)
    assert "either" in detector.common_words["en"]
    assert "die" in detector.common_words["de"]  # languages with technique data only get a list
    assert "either" not in T.fit_detector([]).common_words["en"]


def _overlapping_spans(seed: int) -> list[tuple[int, int]]:
    import random

    rng = random.Random(seed)
    return [(s, s + rng.randint(1, 12)) for s in (rng.randint(0, 200) for _ in range(80))]


@pytest.mark.parametrize("seed", range(20))
def test_overlap_removal_keeps_the_longest_spans_as_a_pairwise_check_would(seed):
    """The bisection that replaced a scan of every kept span (quadratic on long texts) keeps
    the same spans: the longest first, the earliest on ties, none overlapping."""
    spans = _overlapping_spans(seed)
    kept: list[tuple[int, int]] = []
    for start, end in sorted(set(spans), key=lambda s: (-(s[1] - s[0]), s[0])):
        if all(end <= s or start >= e for s, e in kept):
            kept.append((start, end))
    assert E._without_overlaps(spans) == sorted(kept)
    chosen = E._without_overlaps(spans)
    for start, end in spans:
        expected = any(s < end and e > start for s, e in chosen)
        assert E._overlaps_any(chosen, start, end) == expected
        assert E._inside_any(chosen, start) == any(s <= start < e for s, e in chosen)



def test_mention_roles_scored_in_chunks_are_the_same(model, seed_example, monkeypatch):
    from persuasion_lens.models import narratives as N

    text = seed_example.read_text(encoding="utf-8")
    spans = model.detector.detect(text, "en")
    whole = model.mention_roles(text, spans, "en")
    monkeypatch.setattr(N, "MENTIONS_PER_PASS", 7)
    chunked = model.mention_roles(text, spans, "en")
    assert len(spans) > 14
    for expected, got in zip(whole, chunked, strict=True):
        assert (got.start, got.end, got.main_role) == (expected.start, expected.end,
                                                        expected.main_role)
        assert np.array_equal(got.probabilities, expected.probabilities)


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("de", "Viele sind Rentner, die für ihr Eigenheim gespart haben. Wer glaubt das? Trotzdem "
           "soll es in wenigen Jahren geschehen, sagte Olaf Scholz in Berlin. Es ist höchste Zeit, "
           "auf die Bürger zu hören, den Bürgern zu dienen. Konkrete Zusagen gab es nicht.",
     ["Olaf Scholz", "Berlin"]),  # "sind Rentner", a plural with no article, is no name
    ("pl", "Ceny paliw w Polsce rosną. Tymczasem benzyna tanieje. Zwykli ludzie płacą, "
           "mówi Anna Kowalczyk z Warszawy. A połowa ceny to podatki.",
     ["Polsce", "Anna Kowalczyk", "Warszawy"]),
    ("en", 'He called it "a sensible compromise". Sensible for whom? Not for Cumbria. '
           "Trump said so. Trump was wrong.", ["Cumbria", "Trump", "Trump"]),
])
def test_rules_leave_out_dictionary_words_capitalised_by_grammar(language, text, expected):
    # German capitalises every noun, and any language the first word of a sentence; the QA
    # sweep found Eigenheim, Trotzdem, Wer, Ceny, Tymczasem, Sensible among the main actors
    detector = E.MentionDetector({}, {})
    assert [text[s:e] for s, e in detector.detect(text, language)] == expected


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("en", "Yesterday Mr. Putin met Mr Biden and Dr. Fauci in Geneva. They talked for hours "
           "about the war and what comes after it. Hello, President, said one of them.",
     ["Putin", "Mr Biden", "Fauci", "Geneva"]),
    ("de", "Gestern traf Herr Scholz Frau Merkel in Berlin.",
     ["Herr Scholz", "Frau Merkel", "Berlin"]),
    ("pl", "Wczoraj Pan Tusk i Pani Kowalska byli w Gdańsku.",
     ["Pan Tusk", "Pani Kowalska", "Gdańsku"]),  # "Wczoraj" is a common word to the model
    ("en", "Putin Meets Kim At The Cosmodrome\nThe two leaders met in Vostochny.",
     ["Vostochny"]),
])
def test_titles_alone_are_no_names_and_open_a_new_one(model, language, text, expected):
    """"Mr", "Dr" and "President" alone were entities (a corpus report listed "Mr" among its
    actors); "Herr Scholz Frau Merkel" was one name; and a German sentence of many nouns was
    taken for a Title Case headline, so nothing in it was found (Title Case is English's)."""
    assert [text[s:e] for s, e in model.detector.detect(text, language)] == expected


def test_inflected_names_are_shown_in_their_dictionary_form():
    groups = E.group_mentions(["Германии", "Европа", "Polsce"], "ru")
    assert [g.name for g in groups][:2] == ["Германия", "Европа"]
    assert E.group_mentions(["Polsce", "Warszawy"], "pl")[0].name == "Polska"
    assert E.group_mentions(["Brussels"], "en")[0].name == "Brussels"


def test_polish_names_are_shown_as_a_polish_reader_writes_them():
    """A people was shown in the singular ("Polacy" as "Polak"), the genitive "Polski" above
    "Polska" where it was more frequent, and "Sejmu", "Unii", "Twitterze" as written."""
    names = ["Polacy", "Polaków", "Ukraińców", "Polski", "Polska", "Polski", "Sejmu", "Unii",
             "Twitterze", "Rosjan"]
    groups = E.group_mentions(names, "pl")
    assert [(g.name, g.indices) for g in groups] == [
        ("Polacy", [0, 1]), ("Ukraińcy", [2]), ("Polska", [3, 4, 5]), ("Sejm", [6]),
        ("Unia", [7]), ("Twitter", [8]), ("Rosjanie", [9])]


def test_polish_country_genitives_plurals_and_adjectives_are_shown_in_the_nominative():
    """In 80 Polish training articles "z Niemiec" (Germany's genitive) was shown as "Niemiec"
    (a German) beside "Niemcy" 4 times, "rząd Włoch" as "Włoch" beside "Włochy", "Bracia" as
    "Brat", and a noun with its adjectives as written ("Komisji Europejskiej" 4 times,
    "Parlamentu Europejskiego" 6) or with a masculine adjective ("Morze Czarny" 3 times)."""
    text = ("Jeszcze pięć lat temu Bracia z Włoch – nazwa inspirowana słowami hymnu – mieli 4 "
            "proc. Meloni zdominuje następny rząd Włoch. Trwają walki w ukraińskim rezerwacie "
            "biosfery Morza Czarnego. Polska mogła się zaopatrywać tzw. rewersem z Niemiec. "
            "Niemcy muszą uwolnić się od zależności, pisze rzecznik Komisji Europejskiej.")
    found = [text[s:e] for s, e in E.MentionDetector({}, {}).detect(text, "pl")]
    assert [(g.name, g.indices) for g in E.group_mentions(found, "pl")] == [
        ("Bracia", [0]), ("Włochy", [1, 3]), ("Meloni", [2]), ("Morze Czarne", [4]),
        ("Polska", [5]), ("Niemcy", [6, 7]), ("Komisja Europejska", [8])]
    assert [g.name for g in E.group_mentions(
        ["Silvio Berlusconi", "Disha Ravi", "Nagrody Nobla", "Osetii Południowej"],
        "pl")] == ["Silvio Berlusconi", "Disha Ravi", "Nagrody Nobla",
                   "Osetia Południowa"]


def test_polish_peoples_in_the_nominative_plural_are_shown_so():
    """"Grecy", "Szwedzi", "Arabowie", "Turcy", "Latynosi" were shown in the singular (Grek,
    Szwed, Arab, ...: 8 entity rows in 80 Polish training articles); a town's locative in -owie
    ("Rzeszowie") and a country's genitive ("Białorusi") stay in their dictionary form."""
    text = ("Wyobrażanie sobie, że wszyscy Arabowie, Irańczycy czy Turcy są fanatykami, to błąd. "
            "Wynika z nich, że Latynosi i Afroamerykanie głosują inaczej. Tekst \"Szwedzi "
            "zaczynają mieć problem\". Więcej pracowali Grecy. Było to w Rzeszowie, nie na "
            "Białorusi.")
    found = [text[s:e] for s, e in E.MentionDetector({}, {}).detect(text, "pl")]
    assert [g.name for g in E.group_mentions(found, "pl")] == [
        "Arabowie", "Irańczycy", "Turcy", "Latynosi", "Afroamerykanie", "Szwedzi", "Grecy",
        "Rzeszów", "Białoruś"]


def _polish_entities_shown(text: str) -> list[str]:
    found = [text[s:e] for s, e in E.MentionDetector({}, {}).detect(text, "pl")]
    return [g.name for g in E.group_mentions(found, "pl")]


def test_polish_mens_names_in_the_genitive_are_shown_in_the_nominative():
    """The dictionary showed "Ronalda Reagana" as "Ronaldo Reagan", "Benito Mussoliniego" as
    "Benita Mussolini", "Tomasza Lisa" as "Tomasz Lisa", "Andrzeja Dudy" as "Andrzej Dudy"
    (17 entity rows in 80 Polish training articles); a woman's name in the nominative stays."""
    text = ("Zwieńczonej błyskotliwym programem opracowanym przez prezydenta Ronalda Reagana i "
            "jego administrację. To prawie 100 lat po dojściu do władzy w październiku 1922 "
            "roku Benito Mussoliniego, faszystowskiego dyktatora. Po latach mają jednak "
            "przeprosić za zdjęcie Tomasza Lisa w nazistowskim mundurze. Słowa prezydenta "
            "Andrzeja Dudy na temat skuteczności szczepień. Monika Olejnik zaprosiła marszałka "
            "senatu, Tomasza Grodzkiego. Zmusiły go do przekazania władzy technokracie Mario "
            "Montiemu. Szereg działań Ordo Iuris zmierza do tego. Rozmawiała z nią Anna Moskwa.")
    assert _polish_entities_shown(text) == [
        "Ronald Reagan", "Benito Mussolini", "Tomasz Lis", "Andrzej Duda", "Monika Olejnik",
        "Tomasz Grodzki", "Mario Montiemu", "Ordo Iuris", "Anna Moskwa"]


def test_polish_words_the_dictionary_takes_for_other_names_are_shown_as_meant():
    """"Serbowie" was shown as "Serbów", "Kosowa" and "Kosowem" as "Kosów" (villages of the
    dictionary), "Szwedkę" as "Szwedko" and "Budowa" as "Budowo"."""
    text = ("Według tego zastawienia więcej pracowali Serbowie (43,3 godz.). Napięcie na "
            "granicy Kosowa z Serbią. Serbia utraciła kontrolę nad Kosowem po kampanii NATO w "
            "1999 roku. Kamera była skierowana cały czas na Szwedkę, chociaż to nie ona była "
            "mówczynią. — Budowa nowego rurociągu w Ugandzie pozbawi część ludzi ich domów.")
    shown = _polish_entities_shown(text)
    assert {"Serbowie", "Kosowo", "Szwedka", "Budowa"} <= set(shown), shown
    assert not {"Serbów", "Kosów", "Szwedko", "Budowo"} & set(shown), shown


@pytest.mark.parametrize(("language", "names", "expected"), [
    ("fr", ["Marine Le Pen", "Macron", "Marine", "France", "France Info", "France"],
     [("Marine Le Pen", [0, 2]), ("Macron", [1]), ("France", [3, 5]), ("France Info", [4])]),
    ("it", ["Italia Viva", "Italia", "Greta Thunberg", "Greta"],
     [("Italia Viva", [0]), ("Italia", [1]), ("Greta Thunberg", [2, 3])]),
    ("pl", ["Greta Thunberg", "Greta", "TVP Info", "TVP"],
     [("Greta Thunberg", [0, 1]), ("TVP Info", [2]), ("TVP", [3])]),
    ("en", ["Greta Thunberg", "Greta"], [("Greta Thunberg", [0]), ("Greta", [1])]),
])
def test_a_first_name_alone_joins_its_full_name(language, names, expected):
    """"Marine" and "Greta" were entities of their own beside "Marine Le Pen" and "Greta
    Thunberg"; a country or an acronym opening a longer name stays apart (English unchanged,
    as measured on its annotated data)."""
    groups = E.group_mentions(names, language)
    assert [(g.name, g.indices) for g in groups] == expected


def test_mentions_shown_under_one_name_are_one_entity():
    """The lemma of lower-case "киев" is "кий" but "Киева" gives "Киев": two rows of "Киев"
    in one article (31 of 215 Russian articles had such a pair)."""
    groups = E.group_mentions(["Киев", "Россия", "Киева", "Путина", "Путин"], "ru")
    assert [(g.name, g.indices) for g in groups] == [
        ("Киев", [0, 2]), ("Russia", [1]), ("Путин", [3, 4])]


def test_german_names_after_an_article_are_found():
    """German writes the war's countries and acronyms with an article ("in der Ukraine", "die
    USA", "der NATO"), and the rule that drops a noun after an article dropped them all: in 80
    German training articles, Ukraine was missed 124 times, the USA 58, the EU 31, NATO 17."""
    text = ("Die USA liefern Waffen an die Ukraine. Der Krieg in der Ukraine dauert an, sagte "
            "der Sprecher der NATO. Die Regierung schweigt.")
    detector = E.MentionDetector({}, {})
    assert [text[s:e] for s, e in detector.detect(text, "de")] == ["USA", "Ukraine", "Ukraine",
                                                                    "NATO"]


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("it", "L’Italia non cambia. Dell'Europa si parla. Secondo l'Ucraina, no.",
     ["Italia", "Europa", "Ucraina"]),
    ("fr", "L'Ukraine résiste. Selon l'OTAN, non.", ["Ukraine", "OTAN"]),
    ("en", "O'Brien met D'Souza.", ["O'Brien", "D'Souza"]),
])
def test_an_elided_article_opening_a_sentence_is_no_part_of_the_name(language, text, expected):
    """"L’Italia" was an Italian entity of its own beside "Italia" (8 times in 60 articles)."""
    detector = E.MentionDetector({}, {})
    assert [text[s:e] for s, e in detector.detect(text, language)] == expected


def test_german_abstract_nouns_are_no_names():
    """Nouns in -keit, -heit, -ung, -ismus, -tät opening a sentence were entities (in 80 German
    training articles: Abtreibung 7, Freiheit 6, Unterstützung 6, Wirklichkeit 5, ...)."""
    text = ("Unfähigkeit prägt die Politik. Freiheit ist teuer, sagte Olaf Scholz. "
            "Unterstützung kam aus Berlin. Journalismus hilft, schrieb die Frankfurter "
            "Allgemeine Zeitung.")
    detector = E.MentionDetector({}, {})
    assert [text[s:e] for s, e in detector.detect(text, "de")] == [
        "Olaf Scholz", "Berlin", "Frankfurter Allgemeine Zeitung"]


def test_german_plurals_with_an_umlaut_are_no_names():
    """Plurals that take an umlaut (Länder, Krankenhäuser, Todesfälle) passed the plural rule,
    which compared the word with its lemma letter by letter: 103 such mentions in 80 articles."""
    text = "Länder helfen. Krankenhäuser sind voll, sagte Markus Söder in München."
    detector = E.MentionDetector({}, {})
    assert [text[s:e] for s, e in detector.detect(text, "de")] == ["Markus Söder", "München"]


def test_german_dates_and_amounts_are_no_names():
    """German months and weekdays, and measure words after a number ("56 Prozent", "18
    Milliarden Dollar"), were entities: 215 such mentions in 80 German articles."""
    text = ("Im Juli stiegen die Preise um 56 Prozent. Russland zahlte 18 Milliarden Dollar, "
            "sagte Olaf Scholz am Montag.")
    detector = E.MentionDetector({}, {})
    assert [text[s:e] for s, e in detector.detect(text, "de")] == ["Russland", "Olaf Scholz"]


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("fr", "L'Union européenne aide. Selon l'Union européenne, oui.",
     ["Union européenne", "Union européenne"]),
    ("it", "Secondo l’Unione europea, no.", ["Unione europea"]),
    ("de", "Europäische Union hilft.", ["Europäische Union"]),
])
def test_the_european_union_is_found_whole(language, text, expected):
    """French and Italian write the adjective of "Union européenne" in lower case, so the name
    ended at "Union" (25 times in 60 French articles), and a sentence opening with German
    "Europäische Union" lost its adjective; neither joined "European Union"."""
    detector = E.MentionDetector({}, {"de": ["europäische"]})
    found = [text[s:e] for s, e in detector.detect(text, language)]
    assert found == expected
    assert {g.name for g in E.group_mentions(found, language)} == {"European Union"}


def test_german_genitive_names_are_their_names():
    """"Putins Kalkül" was an entity of its own (50 such in 80 German training articles:
    "Russlands Wirtschaft", "Trumps Sieg", ...), and "Putins" was not grouped with "Putin"."""
    text = ("Wladimir Putin hat Pläne. Putins Kalkül geht auf, sagt Hans Müller. Selenskyj "
            "schweigt, und Selenskyjs Berater reden.")
    detector = E.MentionDetector({}, {})
    found = [text[s:e] for s, e in detector.detect(text, "de")]
    assert "Putins" in found and "Hans Müller" in found
    groups = E.group_mentions(found, "de")
    assert [(g.name, [found[i] for i in g.indices]) for g in groups if "Put" in g.name] == [
        ("Wladimir Putin", ["Wladimir Putin", "Putins"])]
    assert any(g.name == "Selenskyj" and len(g.indices) == 2 for g in groups)
    # a name the training articles know is told without the text writing it alone
    known = E.MentionDetector({"en": ["putin"]}, {})
    alone = "Putins Kalkül geht auf."
    assert [alone[s:e] for s, e in known.detect(alone, "de")] == ["Putins"]


def test_a_german_genitive_alone_is_shown_as_its_name(model):
    """"Putins" where the article never writes "Putin" was an entity of its own, shown with its
    -s (3 of 80 German training articles listed "Putins"); the training articles know the name,
    so it is Putin."""
    text = ("Putins Kalkül geht nicht auf. Putins Krieg dauert an, sagte Olaf Scholz in Berlin. "
            "Die Sanktionen treffen Russland hart.")
    prediction = model.predict([Document.from_text(text, language="de")])[0]
    shown = [e.entity for e in [*prediction.entities, *prediction.minor_entities]]
    assert "Putin" in shown and "Putins" not in shown
    putin = next(e for e in [*prediction.entities, *prediction.minor_entities]
                 if e.entity == "Putin")
    assert [m[2] for m in putin.mentions] == ["Putins", "Putins"]


def test_german_plurals_without_an_article_are_no_names():
    """A plural with no article whose singular is the same word ("Kritiker", "Rentner") or an
    adjective's noun ("Jugendliche") was a name: 104 such mentions in 80 German training articles
    (Wissenschaftler, Wähler, Bürger, ...); surnames (after a first name), Twitter and Hannover
    stay."""
    text = ("Die Regierung schweigt, aber Kritiker warnen vor den Folgen. Wladimir Putin hat "
            "Pläne, und Wissenschaftler sowie Jugendliche protestieren, sagte Hans Müller auf "
            "Twitter. Müller lebt in Hannover.")
    detector = E.MentionDetector({}, {})
    assert [text[s:e] for s, e in detector.detect(text, "de")] == [
        "Wladimir Putin", "Hans Müller", "Twitter", "Müller", "Hannover"]


def test_german_nouns_of_set_phrases_after_a_preposition_are_no_names():
    """"von Anfang an", "zu Ende", "vor Ort", "seit Beginn der Pandemie": the noun of a phrase
    that German writes with no article was a name (75 mentions in 80 training articles, Ende 12
    of them)."""
    text = ("Wladimir Putin hat von Anfang an falsch gespielt. Die Vorstellung ist zu "
            "Ende, sagte Boris Johnson vor Ort in London. Seit Beginn der Pandemie warnt das RKI.")
    detector = E.MentionDetector({}, {})
    assert [text[s:e] for s, e in detector.detect(text, "de")] == [
        "Wladimir Putin", "Boris Johnson", "London", "RKI"]


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("it", "L’economia globale ha subito un rallentamento. L'allarme di Fabrizio Curcio: "
           "\"Acqua razionata di giorno\"", ["Fabrizio Curcio"]),
    ("fr", "La France s’est affaiblie en Afrique. L’opération Barkhane menée dans le Sahel. "
           "L’inflation galope.", ["France", "Afrique", "Barkhane", "Sahel"]),
])
def test_a_common_noun_after_an_elided_article_is_no_name(language, text, expected):
    """"L’economia", "L’inflation", "L'allarme di Fabrizio Curcio": with the elided article
    dropped, the lower-case noun after it was a name (in 80 training articles 83 French
    mentions, 72 Italian, every one a common noun: "economia" 5 times, "inflation" 3)."""
    detector = E.MentionDetector({}, {"fr": ["la", "le"]})
    assert [text[s:e] for s, e in detector.detect(text, language)] == expected


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("pl", "Tuż po II wojnie światowej homoseksualiści trafiali do więzień. Potem papieżem "
           "został Jan Paweł II. W XIX wieku kontrrewolucjonista pisał o potędze II Rzeszy "
           "i cara Piotra I.",
     ["Jan Paweł II", "II Rzeszy", "Piotra I"]),
    ("it", "Cortina di Latta – una reinvenzione del XXI secolo dell'Intermarium.",
     ["Cortina di Latta", "Intermarium"]),
])
def test_a_roman_numeral_alone_is_no_name(model, language, text, expected):
    """"po II wojnie światowej", "del XXI secolo": a century or war's number was a name (in 80
    training articles 10 Polish mentions, 3 Italian); after or before a name it stays."""
    assert [text[s:e] for s, e in model.detector.detect(text, language)] == expected


def test_laut_opening_a_german_sentence_is_no_part_of_a_name():
    """"Laut" (according to) opening a sentence was the start of a name: "Laut der Zeitung",
    "Laut Olaf Scholz", and after an ellipsis "Laut COP26"."""
    text = ("Laut der Zeitung ist das falsch. Laut Olaf Scholz stimmt es nicht. … Laut COP26 "
            "sollten wir sparen.")
    detector = E.MentionDetector({}, {})
    assert [text[s:e] for s, e in detector.detect(text, "de")] == ["Olaf Scholz", "COP26"]


@pytest.mark.parametrize(("language", "names", "shown"), [
    ("de", ["Vereinigten Staaten", "USA", "Russland", "Russlands", "Nordkorea",
            "Europäischen Union", "Großbritannien"],
     ["United States", "Russia", "DPRK", "European Union", "United Kingdom"]),
    ("fr", ["États-Unis", "Russie", "Corée du Nord", "Union européenne", "Royaume-Uni"],
     ["United States", "Russia", "DPRK", "European Union", "United Kingdom"]),
    ("it", ["Stati Uniti", "Russia", "Ucraina", "Unione Europea", "Regno Unito"],
     ["United States", "Russia", "Ukraine", "European Union", "United Kingdom"]),
    ("pl", ["Stanów Zjednoczonych", "Rosji", "Ukrainy", "Unii Europejskiej",
            "Wielkiej Brytanii", "Zachodu"],
     ["United States", "Russia", "Ukraine", "European Union", "United Kingdom", "the West"]),
])
def test_the_sides_countries_have_one_name_in_every_language(language, names, shown):
    """German "Vereinigten Staaten" was shown as "Vereinigte Staat" beside "United States" (from
    "USA"); in French, German, Italian and Polish the countries of the war's sides now group and
    show as they do in the five languages of the narratives data."""
    assert [g.name for g in E.group_mentions(names, language)] == shown


@needs_data
def test_an_article_lists_each_entity_once(tmp_path):
    article = TASK / "RU" / "raw-documents" / "RU-URW-1257.txt"
    result = CliRunner().invoke(app, ["analyze", str(article), "--narratives", "--format",
                                      "json"])
    assert result.exit_code == 0, result.output
    entities = [*json.loads(result.stdout)["entities"],
                *json.loads(result.stdout)["minor_entities"]]
    names = [e["entity"] for e in entities]
    assert len(names) == len(set(names)), names
    kyiv = next(e for e in entities if e["entity"] == "Киев")
    assert {m["text"] for m in kyiv["mentions"]} == {"Киев", "Киева", "Киеву"}


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("fr", "Selon l'Assemblée nationale et la Commission européenne, la Seconde Guerre mondiale "
           "et le Fonds monétaire international. L'Union demain ? La Commission a dit non.",
     ["Assemblée nationale", "Commission européenne", "Seconde Guerre mondiale",
      "Fonds monétaire international", "Union", "Commission"]),
    ("it", "Il Consiglio europeo e la Corte suprema. La Repubblica abbiano detto. Lo Stato "
           "islamico.",
     ["Consiglio europeo", "Corte suprema", "Repubblica", "Stato islamico"]),
])
def test_french_and_italian_institutions_keep_their_adjectives(language, text, expected):
    """French and Italian write an institution as a capitalised noun and lower-case adjectives,
    so the name ended at the noun: "Cour" for "Cour suprême", "Assemblée" for "Assemblée
    nationale" (in 80 French training articles 85 names were so cut, in 80 Italian ones 36)."""
    detector = E.MentionDetector({}, {"fr": ["la", "le"], "it": ["il", "la", "lo"]})
    assert [text[s:e] for s, e in detector.detect(text, language)] == expected


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("fr", "Certes, Macron parle. Peut-on le croire ? Souvenez-vous de Poutine. Eh bien, non.",
     ["Macron", "Poutine"]),
    ("it", "Inoltre, Draghi tace. Ecco Salvini. Fortunatamente Roma resiste.",
     ["Draghi", "Salvini", "Roma"]),
    ("pl", "Stąd Tusk milczy. Niegdyś Kraków był stolicą.", ["Tusk", "Kraków"]),
])
def test_sentence_adverbs_are_no_names(language, text, expected):
    """Adverbs, interjections and French verbs with their pronoun opening a sentence were
    entities (in 80 training articles: French 46, "Certes" 5, "Peut-on" 2; Italian 44, "Ecco"
    10, "Inoltre" 7; Polish 9): the dictionaries lack them."""
    detector = E.MentionDetector({}, {})
    assert [text[s:e] for s, e in detector.detect(text, language)] == expected


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("it", "Draghi parla al Paese. Gli Stati membri e gli Stati Uniti tacciono.",
     ["Draghi", "Stati Uniti"]),
    ("fr", "Macron réforme l'Etat. Les Etats membres et les Etats-Unis aussi.",
     ["Macron", "Etats-Unis"]),
])
def test_the_state_capitalised_is_no_name(language, text, expected):
    """Italian "il Paese" and French "l'Etat", capitalised out of respect, were entities (in 80
    training articles: Paese 46, Stati 14; Etat 14, Etats 6)."""
    detector = E.MentionDetector({}, {"it": ["gli"], "fr": ["les"]})
    assert [text[s:e] for s, e in detector.detect(text, language)] == expected


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("it", "Seul e la Corea del Sud. Ha vinto Fratelli d’Italia, disse il Ministero "
           "dell’Interno. Parla Meloni dei Fratelli. Meloni.",
     ["Seul", "Corea del Sud", "Fratelli d’Italia", "Ministero dell’Interno", "Meloni",
      "Fratelli", "Meloni"]),
    ("fr", "Selon l'Organisation des Nations unies, la Côte d'Ivoire et le Petit Prince "
           "d’Antoine de Saint-Exupéry. Vu d'Europe, Macron.",
     ["Organisation des Nations unies", "Côte d'Ivoire", "Petit Prince",
      "Antoine de Saint-Exupéry", "Europe", "Macron"]),
])
def test_names_joined_by_a_lower_case_connector_are_whole(model, language, text, expected):
    """"Corea del Sud", "Fratelli d’Italia", "Organisation des Nations unies" were cut at the
    lower-case "del", "d’", "des"; a person after the connector (Meloni dei Fratelli,
    Petit Prince d’Antoine de Saint-Exupéry) or an opening word (Vu d'Europe) is not joined."""
    assert [text[s:e] for s, e in model.detector.detect(text, language)] == expected


def test_german_names_written_with_an_article_are_names():
    """The rule that a capitalised word after an article is a common noun dropped the names that
    German writes with one: in 80 German training articles, Türkei 21 times, SoZ 19, Donbass
    15, Kreml 11, Krim 8, and the Linke, the Grünen, the Bundestag; not "im Grünen"."""
    text = ("Erdogan sprach in der Türkei über die Schweiz und den Niederlanden. Die Linke und "
            "die Grünen kritisierten, wie der Spiegel berichtet, den Bundestag und die "
            "Bundeswehr. Der Kreml schweigt, seit dem Zusammenbruch der UdSSR. Der Krieg in "
            "der Ostukraine und auf der Krim geht weiter. Wir wandern im Grünen.")
    detector = E.MentionDetector({}, {})
    assert [text[s:e] for s, e in detector.detect(text, "de")] == [
        "Erdogan", "Türkei", "Schweiz", "Niederlanden", "Linke", "Grünen", "Spiegel",
        "Bundestag", "Bundeswehr", "Kreml", "UdSSR", "Ostukraine", "Krim"]


def test_a_training_name_after_a_german_article_is_a_name():
    """"Das Pentagon", "dem Scholz": a name the training articles know was a common noun after
    an article (Pentagon 3 times, Putin 3 in 80 German training articles)."""
    text = "Das Pentagon schweigt. Man muss nur dem Scholz vertrauen, sagt die Regierung."
    detector = E.MentionDetector({"en": ["pentagon", "scholz"]}, {})
    assert [text[s:e] for s, e in detector.detect(text, "de")] == ["Pentagon", "Scholz"]


def test_a_german_place_before_von_is_a_name_of_its_own():
    """"des Kosovo von Serbien", "der NATO von Russland" were one name."""
    text = "Die Abtrennung des Kosovo von Serbien und die Forderungen der NATO von Russland."
    detector = E.MentionDetector({}, {})
    assert [text[s:e] for s, e in detector.detect(text, "de")] == [
        "Kosovo", "Serbien", "NATO", "Russland"]


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("it", "Come ha ricordato, infatti, Ursula von der Leyen, presidente della Commissione.",
     ["Ursula von der Leyen", "Commissione"]),
    ("fr", "Ainsi, le 22 octobre 2021, Ursula von der Leyen avait déclaré que l’UE ne financerait "
           "pas de murs. Biden, Trudeau, Macron, von der Leyen.",
     ["Ursula von der Leyen", "UE", "Biden", "Trudeau", "Macron", "von der Leyen"]),
    ("pl", 'W wywiadzie dla "Dziennika Gazety Prawnej" Ursula von der Leyen oceniła, że '
           "nowelizacja jest krokiem naprzód.",
     ["Dziennika Gazety Prawnej", "Ursula von der Leyen"]),
])
def test_a_surname_with_two_particles_is_whole_in_french_italian_and_polish(language, text,
                                                                             expected):
    """"Ursula von der Leyen" was two half-names, "Ursula" and "Leyen" (in 80 training articles
    of each: Italian 7 mentions, French 5, Polish 4), as it was in German."""
    detector = E.MentionDetector({"en": ["von der leyen"]}, {})
    found = [text[s:e] for s, e in detector.detect(text, language)]
    assert found == expected
    leyen = [g for g in E.group_mentions(found, language) if "Leyen" in g.name]
    assert [(g.name, len(g.indices)) for g in leyen] == [
        ("Ursula von der Leyen", 2 if language == "fr" else 1)]


def test_german_surnames_with_two_particles_are_found():
    """"von der Leyen" was never a name: the run stopped at "Ursula", and "Leyen" after "der"
    was a common noun; "Von der Leyen" opening a sentence lost both particles."""
    text = ("Kommissionspräsidentin Ursula von der Leyen reist nach Kiew. Von der Leyen will "
            "helfen, sagte ein Sprecher von der Leyens. Alexander Van der Bellen schweigt, "
            "Friedrich von der Schulenburg nicht. Waffen von der Frontlinie fehlen.")
    detector = E.MentionDetector({}, {})
    found = [text[s:e] for s, e in detector.detect(text, "de")]
    assert found == ["Kommissionspräsidentin Ursula von der Leyen", "Kiew", "Von der Leyen",
                     "von der Leyens", "Alexander Van der Bellen",
                     "Friedrich von der Schulenburg"]
    groups = E.group_mentions(found, "de")
    assert [len(g.indices) for g in groups if "Leyen" in g.name] == [3]


_RUSSIAN_ARTICLE = (
    "Владимир Зеленский снова попросил у Запада оружие. В Кремле заявили, что Зеленского "
    "никто не слушает. Песков добавил, что с Зеленским говорить не о чем, а о Зеленском в "
    "Москве давно не вспоминают. По словам Пескова, Байдену придётся объяснить, почему "
    "Путин прав. Встреча с Путиным не планируется, сказал Дмитрий Песков.")
_BULGARIAN_ARTICLE = (
    "Володимир Зеленски отново поиска оръжие. Журналисти попитаха Зеленския за войната. "
    "Зеленски говори и с Байдън, а Зеленская посети Пловдив.")


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("ru", _RUSSIAN_ARTICLE, {"Владимир Зеленский": 4, "Дмитрий Песков": 3, "Путин": 2}),
    ("bg", _BULGARIAN_ARTICLE, {"Володимир Зеленски": 3, "Зеленская": 1}),
])
def test_case_forms_of_one_name_are_one_entity(model, language, text, expected):
    """simplemma's lemmas mangle surnames ("Зеленского" -> "зеленскто", "Песков" -> "песок",
    "Путина" stays), so one person was four entities in a Russian article, shown in oblique
    cases; the wife ("Зеленская") stays apart from the president."""
    spans = model.detector.detect(text, language)
    names = [text[s:e] for s, e in spans]
    groups = E.group_mentions(names, language, model.detector.names_anywhere())
    sizes = {g.name: len(g.indices) for g in groups}
    assert {name: sizes.get(name) for name in expected} == expected


def test_case_forms_group_without_mangling_the_role_features():
    """The role model was trained on `normalise_name`'s keys, so they stay as they were; the
    groups join on stems, shown in the nominative the article writes, else as written."""
    assert [E.normalise_name(n, "ru") for n in ["Зеленского", "Песков", "Путина"]] == [
        "зеленскто", "песок", "путина"]
    groups = E.group_mentions(["Зеленского", "Зеленским", "Зеленском", "Байдену", "Байдена",
                               "Нигерия", "Нигер", "РАН", "Ранее", "Западной Украины",
                               "Украины", "Москве", "Москва"], "ru")
    assert [(g.name, g.indices) for g in groups] == [
        ("Зеленского", [0, 1, 2]), ("Байдена", [3, 4]), ("Нигерия", [5]), ("Нигер", [6]),
        ("РАН", [7]), ("Ранее", [8]), ("Западной Украины", [9]), ("Ukraine", [10]),
        ("Москва", [11, 12])]
