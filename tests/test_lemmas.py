"""Lemmas from simplemma's compressed dictionaries (text.lemmas)."""

from __future__ import annotations

import simplemma

from persuasion_lens.text.lemmas import lemmatize

WORDS = {
    "pl": ["kłamstwa", "zdrajców", "narodu", "Warszawie", "xyzzyq"],
    "ru": ["предателей", "страны", "Москве", "лгут"],
    "en": ["lies", "traitors", "was", "running"],
}


def test_the_lemmas_are_simplemmas_own() -> None:
    for language, words in WORDS.items():
        for word in words:
            assert lemmatize(word, language) == simplemma.lemmatize(word, lang=language)


def test_the_stream_dictionaries_actually_lemmatize() -> None:
    assert lemmatize("zdrajców", "pl") == "zdrajca"
    assert lemmatize("traitors", "en") == "traitor"


def test_a_language_simplemma_lacks_leaves_the_word_as_it_is() -> None:
    assert lemmatize("words", "xx") == "words"
