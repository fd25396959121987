"""Decomposed Unicode (a letter followed by combining marks, as macOS and some PDFs and sites
write it) is analysed as its composed form, with every offset still pointing into the text as
given."""
from __future__ import annotations

import json
import unicodedata

import pytest
from typer.testing import CliRunner

from persuasion_lens.cli import app
from persuasion_lens.text.composition import compose

GERMAN = (
    "Größenwahn und Gier: Wie die Regierung Ihr Geld verschwendet\n\n"
    "Die Bürger sind empört über diese skandalöse Verschwendung. Ministerin Müller hat völlig "
    "versagt, während Familien in Köln und München kämpfen müssen.\n\n"
    "Weiß denn niemand, dass die Zukunft unserer Kinder auf dem Spiel steht? Größenwahn!\n"
)
RUSSIAN = (
    "Киевский режим снова лжёт всему миру\n\n"
    "Зеленский и его западные покровители из Вашингтона готовы воевать до последнего "
    "украинца, а Европа платит за этот безумный спектакль своей экономикой.\n\n"
    "Россия не отступит: наши солдаты защищают Донбасс от неонацистов, и никакие санкции "
    "этого не изменят. Неужели кто-то ещё верит сказкам американской пропаганды?\n"
)


def _ranges(data) -> list[dict]:
    """Every {start, end, text} range of an analysis's JSON."""
    found = []
    if isinstance(data, dict):
        if {"start", "end", "text"} <= data.keys():
            found.append(data)
        for value in data.values():
            found.extend(_ranges(value))
    elif isinstance(data, list):
        for item in data:
            found.extend(_ranges(item))
    return found


def _composed(data):
    """The analysis's JSON with every text in composed form."""
    if isinstance(data, dict):
        return {key: _composed(value) for key, value in data.items()
                if key not in ("start", "end", "source")}
    if isinstance(data, list):
        return [_composed(item) for item in data]
    return unicodedata.normalize("NFC", data) if isinstance(data, str) else data


def test_a_composed_text_is_left_alone():
    assert compose(GERMAN) is None


def test_each_composed_character_maps_back_to_the_characters_it_was_made_of():
    text = "e\u0301te\u0301 a\u0300 Ko\u0308ln \u212b \u0438\u0306o\u0323\u0302!"
    composition = compose(text)
    assert composition.text == unicodedata.normalize("NFC", text)
    assert composition.text == "été à Köln Å йộ!"
    for start in range(len(composition.text) + 1):
        for end in range(start, len(composition.text) + 1):
            begin, finish = composition.original_range(start, end)
            assert unicodedata.normalize("NFC", text[begin:finish]) == \
                composition.text[start:end]


@pytest.mark.parametrize("text", [GERMAN, RUSSIAN], ids=["de", "ru"])
def test_decomposed_text_gets_the_composed_texts_analysis_with_its_own_offsets(
        narrative_analyzer, text):
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text
    composed = narrative_analyzer.analyze_text(text).to_dict()
    given = narrative_analyzer.analyze_text(decomposed).to_dict()
    ranges = _ranges(given)
    assert any(r["text"] != unicodedata.normalize("NFC", r["text"]) for r in ranges)
    for found in ranges:
        assert decomposed[found["start"]:found["end"]] == found["text"]
    assert _composed(given) == _composed(composed)
    assert given["paragraphs"][1]["spans"] or given["paragraphs"][2]["spans"]


def test_the_command_line_gives_offsets_into_a_decomposed_file(tmp_path):
    path = tmp_path / "nfd.txt"
    decomposed = unicodedata.normalize("NFD", GERMAN)
    path.write_text(decomposed, encoding="utf-8")
    result = CliRunner().invoke(app, ["analyze", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    spans = [span for paragraph in data["paragraphs"] for span in paragraph["spans"]]
    assert spans
    for found in _ranges(data):
        assert decomposed[found["start"]:found["end"]] == found["text"]
    assert all(not unicodedata.combining(decomposed[span["start"]]) for span in spans)


def test_windows_and_classic_mac_line_ends_map_back_to_their_characters():
    text = "Titel\r\nZweite Zeile mit Ko\u0308ln\r\n\r\nEnde\rmitten"
    composition = compose(text)
    assert composition.text == "Titel\nZweite Zeile mit Köln\n\nEnde\rmitten"  # a CR in LF text
    line = composition.text.index("Zweite")
    assert composition.original_range(line - 1, line) == (5, 7)  # the LF is the CR LF
    assert compose("eins\rzwei\r").text == "eins\nzwei\n"


@pytest.mark.parametrize("line_end", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_one_article_gets_one_analysis_whatever_its_line_ends(narrative_analyzer, project_example,
                                                             line_end):
    text = project_example.read_text(encoding="utf-8")
    assert "\r" not in text
    other = text.replace("\n", line_end)
    with_lf = narrative_analyzer.analyze_text(text).to_dict()
    given = narrative_analyzer.analyze_text(other).to_dict()
    for found in _ranges(given):
        assert other[found["start"]:found["end"]] == found["text"]
    assert _composed(given) == _composed(with_lf)
    assert given["genre"] == with_lf["genre"] and given["frames"] == with_lf["frames"]
