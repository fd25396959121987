"""Lemmas from simplemma, read from its compressed dictionaries instead of unpacked ones.

simplemma's default keeps each language's dictionary as a Python dict: about 400 MB of memory for
Polish alone. Its stream dictionaries look words up in the compressed form (about 50 MB for
Polish, the same lemmas; a lookup is slower, which the lemmatizer's word cache mostly hides).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

# simplemma keeps 8 dictionaries by default and drops the oldest for a ninth: one that is read
# again is rebuilt (1-3 s for Polish, German, Finnish). The languages lemmatised and those whose
# words language detection looks up (text/languages.py) are 13 together; each is kept.
_DICTIONARIES_KEPT = 24


@functools.lru_cache(maxsize=1)
def _dictionaries() -> Any:
    from simplemma.strategies.dictionaries.stream_dictionary_factory import (
        StreamDictionaryFactory,
    )

    return StreamDictionaryFactory(cache_max_size=_DICTIONARIES_KEPT)


@functools.lru_cache(maxsize=1)
def _lookup() -> Any:
    from simplemma.strategies.dictionary_lookup import DictionaryLookupStrategy

    return DictionaryLookupStrategy(_dictionaries())


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


def is_known_word(word: str, language: str) -> bool:
    """Whether the word is in simplemma's dictionary of the language, as it is or with its first
    letter's case turned (a plain look-up: no rules guess a lemma for an unknown word)."""
    return _lookup().get_lemma(word, language) is not None


def lemmatize(word: str, language: str) -> str:
    """The word's lemma in the language (simplemma's two-letter code); the word itself when
    simplemma has no dictionary for the language."""
    try:
        return _lemmatizer().lemmatize(word, lang=language)
    except (ValueError, KeyError):
        return word
