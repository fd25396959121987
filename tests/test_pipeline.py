"""End-to-end analysis with the shipped models: API, JSON contract, reports, SemEval format."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from html_pages import report_tips
from typer.testing import CliRunner

from persuasion_lens import analyze, analyze_file
from persuasion_lens.cli import app
from persuasion_lens.taxonomy import TECHNIQUE_NAMES, category_of
from persuasion_lens.text.reading import InputError

runner = CliRunner()


@pytest.fixture(scope="module")
def example_result(project_example):
    return analyze_file(project_example)


def test_json_contract(example_result, project_example):
    data = json.loads(example_result.to_json())
    text = project_example.read_text(encoding="utf-8")
    assert data["schema_version"]
    assert data["language"] == "en"
    assert len(data["paragraphs"]) == 10
    for paragraph in data["paragraphs"]:
        assert text[paragraph["start"] : paragraph["end"]] == paragraph["text"]
        for hit in paragraph["techniques"]:
            assert hit["technique"] in TECHNIQUE_NAMES
            assert hit["category"] == category_of(hit["technique"])
            assert 0.0 <= hit["confidence"] <= 1.0
        for span in paragraph.get("spans", []):
            assert text[span["start"] : span["end"]] == span["text"]


def test_example_shows_its_obvious_techniques(example_result):
    found = set(example_result.technique_counts())
    # the project example was written to contain these unmistakably
    assert {"Loaded_Language", "Name_Calling-Labeling"} & found
    assert sum(1 for p in example_result.paragraphs if p.techniques) >= 4


def test_seed_example_is_full_of_techniques(seed_example):
    result = analyze_file(seed_example)
    counts = result.technique_counts()
    assert result.language == "en"
    assert counts.get("Loaded_Language", 0) >= 3
    assert sum(counts.values()) >= 10


def test_api_text_and_explicit_language():
    result = analyze(
        "Titre\nCes traîtres corrompus ont vendu notre pays, quelle honte !", lang="fr"
    )
    assert result.language == "fr"
    assert not result.language_detected
    assert len(result.paragraphs) == 2


def test_api_rejects_empty_text():
    with pytest.raises(InputError):
        analyze("   \n  ")


def test_html_page_is_self_contained(tmp_path, project_example):
    page = tmp_path / "page.html"
    result = runner.invoke(app, ["analyze", str(project_example), "-f", "html", "-o", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert "<mark" in html or "class='tag'" in html
    assert not re.search(r"(src|href)=['\"]https?://", html)
    # pasted text has no file name: the page is headed by its title line, not "Article"
    from persuasion_lens.reporting.html import render_html

    pasted = analyze("The Bridge Scandal\nThe corrupt council lies again to everyone.",
                     lang="en")
    assert "<h1 lang='en'>The Bridge Scandal</h1>" in render_html([pasted])


RUSSIAN = (
    "Власти снова обещают, что всё будет хорошо.\n"
    "Эти бездарные чиновники разрушают нашу великую страну, и только слепой этого не видит.\n"
    "Каждый честный гражданин знает: либо мы остановим их сейчас, либо потеряем всё навсегда.\n"
)


def test_html_page_marks_the_article_with_its_language(tmp_path):
    """The page said lang='en' of everything, so a Russian article was read out, hyphenated
    and shaped as English; the page's own words (header, technique tags) stay English."""
    from persuasion_lens.reporting.html import render_html

    article = tmp_path / "ru.txt"
    article.write_text(RUSSIAN, encoding="utf-8")
    page = tmp_path / "ru.html"
    result = runner.invoke(app, ["analyze", str(article), "-f", "html", "-o", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html><html lang='en'>")
    assert "<article lang='ru'><header class='article' lang='en'><h1>" in html  # a file name
    assert "<div class='tags' lang='en'>" in html and "<div class='tags'>" not in html
    # pasted text is headed by its first line, in its own language
    assert "<h1 lang='ru'>Власти снова обещают" in render_html([analyze(RUSSIAN)])


def test_html_page_shows_numbers_as_the_terminal_does(example_result):
    """The terminal said "opinion (0.98)" and "Loaded language 0.38", the page "opinion (98%)"
    and "Loaded language 38%", and it listed frames without their probabilities."""
    from io import StringIO

    from rich.console import Console

    from persuasion_lens.reporting.html import render_html
    from persuasion_lens.reporting.terminal import print_report
    from persuasion_lens.taxonomy import technique
    from persuasion_lens.text.wording import two_decimals

    out = StringIO()
    print_report(Console(file=out, width=400, color_system=None), example_result)
    terminal = out.getvalue()
    page = render_html([example_result])
    genre, frames = example_result.genre, example_result.frames
    assert genre is not None and frames
    shown = [f"{genre.label} ({two_decimals(genre.probability)})"] + [
        f"{frame.label.replace('_', ' ')} ({two_decimals(frame.probability)})" for frame in frames]
    hits = [hit for p in example_result.paragraphs for hit in p.techniques]
    shown += [f"{technique(hit.technique).label} {two_decimals(hit.confidence)}" for hit in hits]
    for words in shown:
        assert words in terminal and words in page, words
    text = re.sub(r"<(style|script)>.*?</\1>", "", page, flags=re.DOTALL)
    text = re.sub(r"<div class='warn'[^>]*>.*?</div>", "", text)  # warnings may quote a share
    assert not re.search(r"\d%", text)
    tips = report_tips(page)
    assert tips and all(re.fullmatch(r"[01]\.\d\d", s["confidence"]) for t in tips for s in t)


def test_terminal_report(project_example):
    result = runner.invoke(app, ["analyze", str(project_example), "--all"])
    assert result.exit_code == 0, result.output
    assert "Techniques by category" in result.output
    assert "Manipulative wording" in result.output
    assert "¶10" in result.output


def test_semeval_st3_format(tmp_path, data_dir):
    source = data_dir / "semeval2023-task3"
    articles = tmp_path / "articles"
    articles.mkdir()
    picked = []
    for language in ("en", "ru", "ge"):
        ids = (source / "splits" / f"{language}-validation-articles.txt").read_text().split()
        path = source / language / "train-articles-subtask-3" / f"article{ids[0]}.txt"
        shutil.copy(path, articles / path.name)
        picked.append(path)
    output = tmp_path / "pred.txt"
    result = runner.invoke(app, ["semeval", "st3", str(articles), "-o", str(output)])
    assert result.exit_code == 0, result.output
    lines = output.read_text(encoding="utf-8").splitlines()
    expected = sum(
        1
        for path in picked
        for line in path.read_text(encoding="utf-8").split("\n")
        if line.strip()
    )
    assert len(lines) == expected
    for line in lines:
        article_id, number, labels = line.split("\t")
        assert article_id.isdigit() and int(number) >= 1
        assert all(label in TECHNIQUE_NAMES for label in labels.split(",") if label)


def test_narratives_and_roles_on_request(seed_example):
    result = runner.invoke(app, ["analyze", str(seed_example), "--narratives", "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["narratives"], "at least one narrative (possibly Other) is always decided"
    entities = {entity["entity"] for entity in data["entities"]}
    assert "Russia" in entities
    assert set(data["side_taken"]) >= {"favours", "against", "probability", "is_clear"}
    text = seed_example.read_text(encoding="utf-8")
    for entity in data["entities"]:
        for mention in entity["mentions"]:
            assert text[mention["start"] : mention["end"]] == mention["text"]
    plain = json.loads(runner.invoke(app, ["analyze", str(seed_example), "-f", "json"]).output)
    assert "narratives" not in plain


def test_all_lists_every_name_found_in_the_terminal(seed_example):
    short = runner.invoke(app, ["analyze", str(seed_example), "--narratives"],
                          terminal_width=200)
    full = runner.invoke(app, ["analyze", str(seed_example), "--narratives", "--all", "--summary"],
                         terminal_width=200)
    assert short.exit_code == 0 and full.exit_code == 0, short.output + full.output
    assert "--all or --format json lists them all" in short.output
    assert "More names found" not in short.output
    japan = [line for line in full.output.splitlines() if line.strip().startswith("Japan ")]
    assert len(japan) == 1 and "minor" in japan[0] and "Antagonist" in japan[0]
    data = json.loads(runner.invoke(app, ["analyze", str(seed_example), "--narratives",
                                          "-f", "json"]).output)
    for entity in data["minor_entities"]:
        assert any(line.strip().startswith(entity["entity"] + " ")
                   for line in full.output.splitlines()), entity["entity"]


def _paragraph_with_a_tight_and_a_loose_span():
    from persuasion_lens.pipeline.results import ParagraphResult, SpanHit, TechniqueHit

    text = "They are traitors, and everything they touch turns to ruin for all of us."
    loaded, naming = "Loaded_Language", "Name_Calling-Labeling"
    return ParagraphResult(
        0, 0, len(text), text,
        [TechniqueHit(naming, category_of(naming), 0.8),
         TechniqueHit(loaded, category_of(loaded), 0.5)],
        [SpanHit(9, 17, "traitors", naming, category_of(naming), 0.6),
         SpanHit(19, 73, text[19:73], loaded, category_of(loaded), 0.05)])


def test_loosely_placed_spans_by_hand():
    from persuasion_lens.pipeline.results import SpanHit

    paragraph = _paragraph_with_a_tight_and_a_loose_span()
    tight, loose = paragraph.spans
    assert paragraph.localisation(tight) == pytest.approx(0.75)
    assert paragraph.localisation(loose) == pytest.approx(0.1)
    assert not paragraph.loosely_placed(tight) and paragraph.loosely_placed(loose)
    stray = SpanHit(0, 4, "They", "Slogans", category_of("Slogans"), 0.3)
    assert paragraph.localisation(stray) is None and not paragraph.loosely_placed(stray)
    spans = paragraph.to_dict()["spans"]
    assert [(s["localisation"], s["loosely_placed"]) for s in spans] == [(0.75, False),
                                                                         (0.1, True)]


def test_reports_mark_loosely_placed_spans():
    from io import StringIO

    from rich.console import Console

    from persuasion_lens.pipeline.results import ArticleResult
    from persuasion_lens.reporting.html import render_html
    from persuasion_lens.reporting.terminal import LOOSE_NOTE, print_report

    result = ArticleResult("en", [_paragraph_with_a_tight_and_a_loose_span()])
    out = StringIO()
    print_report(Console(file=out, width=200, color_system=None), result)
    lines = out.getvalue().splitlines()
    assert any("“traitors”" in line and "loosely" not in line for line in lines)
    assert any("loosely placed: “and everything" in line for line in lines)
    assert LOOSE_NOTE[:40] in out.getvalue()
    page = render_html([result])
    assert len(re.findall(r"class='hl c\d loose'", page)) == 1 and "Loosely placed:" in page


@pytest.mark.parametrize("value", [None, b"Some bytes.", ["a list"], 5])
def test_api_refuses_what_is_not_text_with_a_clear_type_error(value):
    with pytest.raises(TypeError, match="analyze\\(\\) takes the article's text as a str"):
        analyze(value)
    with pytest.raises(TypeError, match="analyze_file\\(\\) takes a path"):
        analyze_file(value if value is not None else 3.5)


@pytest.mark.parametrize("value", ["a text", None, [None], [b"bytes"]])
def test_analyze_documents_refuses_what_is_not_documents(value):
    from persuasion_lens import default_analyzer

    with pytest.raises(TypeError, match="takes a list of Document objects"):
        default_analyzer().analyze_documents(value)
    assert default_analyzer().analyze_documents([]) == []


def test_a_bad_document_in_a_list_is_named_by_its_position():
    from persuasion_lens import default_analyzer
    from persuasion_lens.text import Document

    documents = [Document.from_text("Title\nThe reckless government lied."),
                 Document.from_text("  \n")]
    with pytest.raises(InputError, match=r"^document 2 of 2: input: the text has no paragraphs"):
        default_analyzer().analyze_documents(documents)
    with pytest.raises(InputError, match=r"^input: the text has no paragraphs"):
        default_analyzer().analyze_documents(documents[1:])


@pytest.mark.parametrize("value", [None, b"Some bytes.", 5])
def test_documents_are_made_from_text_only(value):
    from persuasion_lens.text import Document

    with pytest.raises(TypeError, match=r"Document\.from_text\(\) takes the article's text"):
        Document.from_text(value)


def test_an_empty_model_path_says_so():
    from persuasion_lens import Analyzer

    with pytest.raises(ValueError, match="the model path is empty"):
        Analyzer.load(model_path=" ")


def test_the_public_functions_type_hints_resolve():
    import typing

    import persuasion_lens

    for function in (persuasion_lens.analyze, persuasion_lens.analyze_file,
                     persuasion_lens.default_analyzer):
        hints = typing.get_type_hints(function)
        assert hints["return"] in (persuasion_lens.ArticleResult, persuasion_lens.Analyzer)


def test_short_texts_say_what_their_readings_are_worth(example_result):
    guessed = analyze("Les élites corrompues mentent.")
    assert any("guessed from only 4 words" in w for w in guessed.warnings)
    assert any("a short text (4 words)" in w for w in guessed.warnings)
    given = analyze("Les élites corrompues mentent.", lang="fr")
    assert given.language == "fr" and not any("guessed" in w for w in given.warnings)
    assert any("a short text" in w for w in given.warnings)
    assert not any("guessed" in w or "short text" in w for w in example_result.warnings)
    one = analyze("Corrupt!", lang="en")
    assert any("a short text (1 word)" in w for w in one.warnings)
    terminal = runner.invoke(app, ["analyze", "-", "--lang", "en"],
                             input="A plain sentence about the weather today.\n")
    assert "1 paragraph without detected techniques is hidden" in " ".join(
        terminal.output.split())


def test_a_short_english_text_with_german_names_is_analysed_as_english():
    """15 English words with a few German names were read as German, and the German models
    analysed them; the words themselves now decide."""
    text = ("The Bundestag voted for the Heizungsgesetz after weeks of bitter wrangling in the "
            "Ampel coalition.")
    result = analyze(text)
    assert result.language == "en" and result.language_detected
    assert not any("language" in w for w in result.warnings)
    printed = runner.invoke(app, ["analyze", "-", "--format", "json"], input=text + "\n")
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output)["language"] == "en"


def test_a_short_text_that_reads_about_as_well_in_another_language_is_said_to_be_unsure():
    result = analyze("Olaf Scholz und Robert Habeck defended the Wärmepumpe plan before the "
                     "Bundesrat.")
    assert result.language == "en"
    assert ("the language ('en') is unsure: the text reads about as well as German ('de'); "
            "give the language (--lang; lang= in the API) to be sure") in result.warnings
    given = analyze("Olaf Scholz und Robert Habeck defended the Wärmepumpe plan before the "
                    "Bundesrat.", lang="en")
    assert not any("unsure" in w for w in given.warnings)


def test_api_takes_text_with_a_lone_surrogate_and_refuses_a_lang_that_is_not_text():
    """A lone surrogate (text decoded with 'surrogateescape', a broken JSON source) made
    language detection raise UnicodeEncodeError; it becomes U+FFFD, one for one."""
    text = "Title\ud800\nThe corrupt elites lie to the nation again."
    result = analyze(text)
    assert result.paragraphs[0].text == "Title\ufffd"
    assert result.paragraphs[1].start == text.index("The")
    json.loads(result.to_json())
    with pytest.raises(TypeError, match="language code"):
        analyze("The corrupt elites lie.", lang=1)


def _folder_with_an_empty_and_a_binary_article(folder, good_article):
    folder.mkdir()
    (folder / "article997.txt").write_text("", encoding="utf-8")
    shutil.copy(good_article, folder / "article998.txt")
    (folder / "article999.txt").write_bytes(bytes(range(256)) * 12)
    return folder


def test_semeval_folder_with_an_empty_and_a_binary_article_skips_them(tmp_path, project_example):
    folder = _folder_with_an_empty_and_a_binary_article(tmp_path / "articles", project_example)
    out = tmp_path / "pred.txt"
    result = runner.invoke(app, ["semeval", "st3", str(folder), "-o", str(out)])
    assert result.exit_code == 1, result.output  # as `plens analyze` when an input is skipped
    said = " ".join(result.output.split())
    assert "article997.txt: the article is empty" in said and "article999.txt" in said
    assert "language(s) unknown" not in said  # was the only word on the empty article
    ids = {line.split("\t")[0] for line in out.read_text(encoding="utf-8").splitlines()}
    assert ids == {"998"}


@pytest.mark.parametrize("command", ["st1", "st2", "spans", "narratives", "roles"])
def test_every_semeval_command_writes_the_good_files_and_exits_1_for_skipped_ones(
        tmp_path, project_example, command):
    """They used to warn and exit 0, so that a script could not tell that files were missing."""
    folder = _folder_with_an_empty_and_a_binary_article(tmp_path / "articles", project_example)
    out = tmp_path / "pred.txt"
    result = runner.invoke(app, ["semeval", command, str(folder), "-o", str(out), "--lang", "en"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert "Traceback" not in result.output
    skipped = [line for line in lines if line.startswith("warning: skipped: ")]
    assert len(skipped) == 2 and "article997.txt" in skipped[0] and "article999.txt" in skipped[1]
    assert lines[-1] == "warning: 2 of 3 files were skipped; the predictions leave them out"
    assert "998" in out.read_text(encoding="utf-8")


def test_languages_without_a_model_are_named_not_coded():
    from persuasion_lens.text.languages import language_name

    assert [language_name(c) for c in ("en", "es", "ka", "xx")] == [
        "English", "Spanish", "Georgian", "xx"]
    text = ("Titular\nLos políticos corruptos mienten otra vez a todo el pueblo español, "
            "que ya no cree ni una palabra de lo que dicen en la televisión.")
    result = runner.invoke(app, ["analyze", "-"], input=text)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "Language Spanish (detected)" in said and "in 'es'" not in said


def test_the_shipped_model_warns_about_languages_outside_its_six(analyzer):
    text = "Titre\nLes politiciens corrompus mentent encore une fois au peuple tout entier."
    warned = {language: any("no model is trained" in warning
                            for warning in analyzer.analyze_text(text, lang=language).warnings)
              for language in ("fr", "es")}
    assert warned == {"fr": False, "es": True}


def test_texts_under_the_genre_length_say_an_unsure_genre_is_unsure(project_example):
    # a 110-word French rail-strike report came out satire .63 with no word of doubt; on the
    # validation articles cut to 150-300 words genres read below 0.9 are right 53-64% of the time
    report = ("Grève à la SNCF : un train sur deux circulera jeudi\n"
              + "La SNCF a annoncé mercredi que seul un TGV sur deux circulera jeudi en raison "
              "du mouvement de grève lancé par plusieurs syndicats de cheminots.\n" * 5)
    short = analyze(report, lang="fr")
    assert short.genre.probability < 0.9
    assert any("the genre is unsure in a text of " in w for w in short.warnings)
    longer = analyze(report + "Les voyageurs peuvent échanger leurs billets sans frais.\n" * 40,
                     lang="fr")
    assert not any("genre is unsure" in w for w in longer.warnings)
    # 261 words read as opinion at 0.98: genres read so surely were right 94% of the time
    sure = analyze_file(project_example)
    assert sure.genre.probability >= 0.9 and not any("genre" in w for w in sure.warnings)
    from persuasion_lens.pipeline.analyzer import _unsure_genre_warning
    from persuasion_lens.text import Document

    sure.genre.label = "satire"  # short satire, even read surely, was right 33-73% of the time
    assert _unsure_genre_warning(Document.from_text(project_example.read_text()), sure)
