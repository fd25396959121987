"""Lemmas from simplemma, read from its compressed dictionaries instead of unpacked ones.

simplemma's default keeps each language's dictionary as a Python dict: about 400 MB of memory for
Polish alone. Its stream dictionaries look words up in the compressed form (about 50 MB for
Polish, the same lemmas; a lookup is slower, which the lemmatizer's word cache mostly hides).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any


@functools.lru_cache(maxsize=1)
def _dictionaries() -> Any:
    from simplemma.strategies.dictionaries.stream_dictionary_factory import (
        StreamDictionaryFactory,
    )

    return StreamDictionaryFactory()


@functools.lru_cache(maxsize=1)
def _lemmatizer() -> Any:
    import simplemma
    from simplemma.strategies import DefaultStrategy

    strategy = DefaultStrategy(dictionary_factory=_dictionaries())
    return simplemma.Lemmatizer(lemmatization_strategy=strategy)


def load_dictionaries(languages: Iterable[str]) -> list[str]:
    """Load the dictionaries of these languages now instead of at their first word (up to a few
    seconds each: Polish, Russian); returns the languages simplemma has a dictionary for."""
    loaded = []
    for language in sorted(set(languages)):
        try:
            _dictionaries().get_dictionary(language)
        except (ValueError, KeyError):
            continue
        loaded.append(language)
    return loaded


def lemmatize(word: str, language: str) -> str:
    """The word's lemma in the language (simplemma's two-letter code); the word itself when
    simplemma has no dictionary for the language."""
    try:
        return _lemmatizer().lemmatize(word, lang=language)
    except (ValueError, KeyError):
        return word
