from __future__ import annotations

import pytest

from persuasion_lens.text.documents import Document, split_paragraphs, split_sentences
from persuasion_lens.text.languages import detect_language, normalise_language_code
from persuasion_lens.text.reading import (
    InputError,
    decode_bytes,
    expand_paths,
    read_document,
    text_from_bytes,
)

SAMPLES = {
    "en": "The government announced a new plan for the railways on Monday, promising more trains.",
    "fr": "Le gouvernement a annoncé lundi un nouveau plan pour les chemins de fer du pays.",
    "de": "Die Regierung hat am Montag einen neuen Plan für die Eisenbahn des Landes vorgestellt.",
    "it": "Il governo ha annunciato lunedì un nuovo piano per le ferrovie del paese.",
    "pl": "Rząd ogłosił w poniedziałek nowy plan dla kolei, obiecując szybsze pociągi.",
    "ru": "Правительство в понедельник объявило о новом плане развития железных дорог страны.",
}


def test_paragraph_offsets_point_into_the_original_text():
    text = "Title line\r\n\r\n  First paragraph.  \r\nSecond one\n\n\nThird"
    paragraphs = split_paragraphs(text)
    assert [p.text for p in paragraphs] == ["Title line", "First paragraph.", "Second one", "Third"]
    assert [p.line for p in paragraphs] == [1, 3, 4, 7]
    for p in paragraphs:
        assert text[p.start : p.end] == p.text


def test_sentences_keep_offsets():
    paragraph = split_paragraphs("x\nIs it normal? Nobody knows. “Really!” he said.")[1]
    sentences = paragraph.sentences()
    assert [s.text for s in sentences] == ["Is it normal?", "Nobody knows.", "“Really!” he said."]
    text = "x\nIs it normal? Nobody knows. “Really!” he said."
    assert all(text[s.start : s.end] == s.text for s in sentences)
    assert split_sentences("") == []


def test_document_title_is_first_paragraph():
    assert Document.from_text("\nHeadline\nBody").title == "Headline"


@pytest.mark.parametrize("encoding", ["latin-1", "cp1251", "utf-16", "koi8_r", "cp1250"])
def test_legacy_encodings_are_decoded(encoding):
    text = {
        "latin-1": "Le café était fermé, déjà très tôt le matin à Besançon.",
        "cp1251": "Правительство объявило о новом плане развития железных дорог.",
        "utf-16": "Zażółć gęślą jaźń, powiedział minister w poniedziałek.",
        "koi8_r": "Министр заявил, что поезда будут ходить чаще и быстрее.",
        "cp1250": "Zażółć gęślą jaźń, powiedział minister w poniedziałek rano.",
    }[encoding]
    assert decode_bytes(text.encode(encoding)) == text


@pytest.mark.parametrize(("text", "encoding"), [
    ("Заголовок\nЗапад снова лицемерит и врёт нам всем каждый день.\n", "koi8_r"),
    ("Die Heizungslüge der Bundesregierung", "cp1252"),
    ("Zwykli ludzie, którzy codziennie dojeżdżają do pracy", "iso8859_2"),
])
def test_short_legacy_texts_are_decoded(text, encoding):
    # charset-normalizer offered only Shift-JIS for the KOI8-R lines (read as Japanese)
    assert decode_bytes(text.encode(encoding)) == text


def test_empty_and_binary_inputs_are_refused():
    with pytest.raises(InputError, match="empty"):
        decode_bytes(b"  \n\t ")
    with pytest.raises(InputError, match="binary"):
        decode_bytes(bytes(range(256)) * 40)


def test_html_is_reduced_to_article_text():
    html = (
        "<html><head><title>t</title></head><body><nav>Menu Home About</nav><article>"
        "<h1>Storm hits the coast</h1><p>"
        + "The storm flooded the harbour overnight. " * 8
        + "</p><p>"
        + "Residents were evacuated by the coast guard. " * 8
        + "</p></article></body></html>"
    )
    text = text_from_bytes(html.encode(), "page.html")
    assert "storm flooded the harbour" in text
    assert "<p>" not in text


def test_read_document_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_document(tmp_path / "missing.txt")
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * (11 * 1024 * 1024))
    with pytest.raises(InputError, match="limit"):
        read_document(big)
    empty_dir = tmp_path / "empty_dir"
    empty_dir.mkdir()
    with pytest.raises(InputError, match=r"no \.txt"):
        expand_paths([str(empty_dir)])


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_language_detection(language):
    assert detect_language(SAMPLES[language]) == language


def test_language_codes():
    assert normalise_language_code("GE") == "de"
    assert normalise_language_code("po") == "pl"
    assert normalise_language_code("ru") == "ru"
    with pytest.raises(ValueError):
        normalise_language_code("english")
    assert detect_language("12345 !!! ---") is None


def test_utf8_with_a_few_stray_bytes_is_read_with_replacement_characters():
    russian = ("Достаточно лжи от коррумпированных элит, предатели! " * 40).encode("utf-8")
    damaged = russian[:500] + b"\xff\xfe\x80" + russian[500:]
    text = decode_bytes(damaged, "damaged.txt")
    assert text.count("\ufffd") == 3
    assert text.replace("\ufffd", "") == russian.decode("utf-8")
    latin1 = ("Nobody in this town is surprised any more. " * 30 + "Café.").encode("latin-1")
    assert decode_bytes(latin1, "latin1.txt").endswith("Café.")  # still a legacy code page
