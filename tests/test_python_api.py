"""The Python API as a notebook user drives it: documents analysed more than once, a document's
own language, an HTML page's source given as text, a result saved as JSON and read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from persuasion_lens import Analyzer, ArticleResult, analyze, analyze_file, default_analyzer
from persuasion_lens.text import Document
from persuasion_lens.text.languages import UnknownLanguageError
from persuasion_lens.text.reading import InputError

FRENCH = ("Les élites corrompues nous trahissent encore\n"
          "Ces traîtres de Bruxelles mentent sans cesse au peuple français et se moquent de nos "
          "souffrances. Ils détruisent notre pays, nos usines et nos familles, et tout le monde "
          "le sait. Réveillez-vous avant qu'il ne soit trop tard : demain, ils prendront tout ce "
          "qui vous reste.\n")

PAGE = """<!DOCTYPE html>
<html><head><title>Opinion</title><script>var tracking = "corrupt elite";</script></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>The elite betrayed us</h1>
<p>The corrupt elite has betrayed every honest worker in this country, and they laugh at us
while they do it.</p>
<p>Wake up before it is too late: they will take everything you have left.</p></article>
</body></html>
"""


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])  # CRLF: the models read a composed copy
def test_documents_analysed_again_start_afresh(project_example: Path, line_end: str) -> None:
    """The analyzer wrote the language it settled into the caller's documents, so a notebook
    cell run again without `lang` (or with another) kept the language of the run before: an
    English article analysed as German, `language_detected` false, no warning."""
    text = project_example.read_text(encoding="utf-8").replace("\n", line_end)
    documents = [Document.from_text(text), Document.from_text(FRENCH)]
    analyzer = default_analyzer()
    first = [result.to_dict() for result in analyzer.analyze_documents(documents)]
    as_german = analyzer.analyze_documents(documents, lang="de")
    assert [result.language for result in as_german] == ["de", "de"]
    again = [result.to_dict() for result in analyzer.analyze_documents(documents)]
    assert [result["language"] for result in again] == ["en", "fr"]
    assert all(result["language_detected"] for result in again)
    assert again == first
    assert [document.language for document in documents] == [None, None]
    assert [document.metadata for document in documents] == [{}, {}]


def test_a_documents_own_language_is_taken_as_given() -> None:
    """Document.from_text(text, "FR") went to the models as 'FR', which none is trained for: the
    multilingual fallback analysed the text, with a warning that no model knows 'FR'."""
    given = analyze(FRENCH, lang="fr").to_dict()
    for spelling in ("fr", "FR", "French", "français"):
        result = default_analyzer().analyze_documents([Document.from_text(FRENCH, spelling)])[0]
        assert result.language == "fr" and not result.language_detected
        assert result.to_dict() == given, spelling


def test_a_documents_unknown_language_is_a_clear_error() -> None:
    documents = [Document.from_text(FRENCH), Document.from_text(FRENCH, language="xx")]
    with pytest.raises(UnknownLanguageError, match="document 2 of 2: 'xx' is not a known"):
        default_analyzer().analyze_documents(documents)
    documents[1].language = 5  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"document 2 of 2: Document\.language is a language code"):
        default_analyzer().analyze_documents(documents)


def test_an_html_page_given_as_text_is_read_as_its_article(tmp_path: Path) -> None:
    """analyze(requests.get(url).text) analysed the page's markup and script as words, while
    the same page on stdin, in the web app or as a file was reduced to its article."""
    result = analyze(PAGE)
    paragraphs = [paragraph.text for paragraph in result.paragraphs]
    assert paragraphs[0] == "The elite betrayed us"
    assert not any("<" in text or "tracking" in text or "Home" in text for text in paragraphs)
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    from_file = analyze_file(page).to_dict()
    assert {**result.to_dict(), "source": None, "id": None} == {
        **from_file, "source": None, "id": None}


def _without_localisation(data: dict) -> dict:
    """A result's dict with its spans' localisation left out: it is worked out again from the
    confidences, which the JSON rounds to four decimals."""
    copy = json.loads(json.dumps(data))
    for paragraph in copy["paragraphs"]:
        for span in paragraph["spans"]:
            span.pop("localisation")
    return copy


def test_a_result_comes_back_from_its_json(project_example: Path) -> None:
    """A result saved as JSON could only be read back through the web app's module (FastAPI
    and all); ArticleResult.from_json / from_dict give the result, narratives included."""
    analyzer = Analyzer.load(narratives=True)
    result = analyzer.analyze_text(project_example.read_text(encoding="utf-8"))
    assert result.extra["entities"]
    saved = result.to_json()
    again = ArticleResult.from_json(saved)
    assert _without_localisation(again.to_dict()) == _without_localisation(result.to_dict())
    assert ArticleResult.from_dict(json.loads(saved)).to_json() == again.to_json()
    for paragraph, read in zip(result.paragraphs, again.paragraphs, strict=True):
        for span, read_span in zip(paragraph.spans, read.spans, strict=True):
            assert read.localisation(read_span) == pytest.approx(paragraph.localisation(span),
                                                                 abs=1e-3)


def test_a_result_that_is_not_one_is_a_clear_error() -> None:
    for text in ("{not json", "[1, 2]", '{"paragraphs": [{"index": 0}]}', b"\xff\xfe"):
        with pytest.raises(InputError, match="the analysis result is"):
            ArticleResult.from_json(text)
    with pytest.raises(InputError, match="unknown technique 'Bogus'"):
        ArticleResult.from_dict({"paragraphs": [{"index": 0, "start": 0, "end": 1, "text": "x",
                                                 "techniques": [{"technique": "Bogus",
                                                                 "confidence": 1}]}]})


def test_a_model_folder_given_as_a_path_loads_and_another_type_is_refused() -> None:
    """`Analyzer.load(model_path=...)` was typed `str`; a `Path` worked only by chance of
    `Path(model_path)`, and a number failed deep in `os.fspath`."""
    from persuasion_lens.models.registry import TOKEN_ENSEMBLE_DIR as TECHNIQUES_DIR

    by_path = Analyzer.load(model_path=TECHNIQUES_DIR, spans=False, article_labels=False)
    by_name = Analyzer.load(model_path=str(TECHNIQUES_DIR), spans=False, article_labels=False)
    assert (by_path.analyze_text(FRENCH).to_dict()["paragraphs"]
            == by_name.analyze_text(FRENCH).to_dict()["paragraphs"])
    with pytest.raises(TypeError, match=r"folder's name .* not int"):
        Analyzer.load(model_path=5)
