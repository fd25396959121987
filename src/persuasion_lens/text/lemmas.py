"""Lemmas from simplemma, read from its compressed dictionaries instead of unpacked ones.

simplemma's default keeps each language's dictionary as a Python dict: about 400 MB of memory for
Polish alone. Its stream dictionaries look words up in the compressed form (about 50 MB for
Polish, the same lemmas; a lookup is slower, which the lemmatizer's word cache mostly hides).
"""

from __future__ import annotations

import functools
from typing import Any


@functools.lru_cache(maxsize=1)
def _lemmatizer() -> Any:
    import simplemma
    from simplemma.strategies import DefaultStrategy
    from simplemma.strategies.dictionaries.stream_dictionary_factory import (
        StreamDictionaryFactory,
    )

    strategy = DefaultStrategy(dictionary_factory=StreamDictionaryFactory())
    return simplemma.Lemmatizer(lemmatization_strategy=strategy)


def lemmatize(word: str, language: str) -> str:
    """The word's lemma in the language (simplemma's two-letter code); the word itself when
    simplemma has no dictionary for the language."""
    try:
        return _lemmatizer().lemmatize(word, lang=language)
    except (ValueError, KeyError):
        return word
