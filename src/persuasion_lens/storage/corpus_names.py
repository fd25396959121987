"""One name for a person or place however the corpus's articles write it ("Путин", "Poutine",
"Präsident Wladimir Putin" -> "Vladimir Putin"), for the corpus's entity tables only.

The names stored per article (`entities.entity`) stay as the detector wrote them, and nothing
here is read by the narrative and role models (they group mentions with
`models.entity_text.normalise_name`). The people and places, their spellings and the titles
written before them are data, in `corpus_names_table`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from itertools import product

from persuasion_lens.storage.corpus_names_table import PEOPLE, PLACES, TITLES

_NOT_IN_WORDS = re.compile(r"[^\w\u0900-\u097F]+")  # Devanagari's marks are not \w
_POSSESSIVE = re.compile(r"['’]s$")
_DEVANAGARI = re.compile(r"[\u0900-\u097F]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_CYRILLIC_CONSONANT = re.compile(r"[бвгджзклмнпрстфхцчшщ]$")
_LATIN_CONSONANT = re.compile(r"[b-df-hj-np-tv-zł]$")


def name_words(name: str) -> list[str]:
    """The words of a name as compared: lower case, no accents (й is и, ё is е), no possessive,
    hyphens and dots parting words ("US-Präsident" -> us, prasident)."""
    text = _POSSESSIVE.sub("", name.strip().casefold())
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return [word for word in _NOT_IN_WORDS.split(text) if word]


def word_forms(word: str) -> set[str]:
    """`word` (as `name_words` gives it) and its case forms: Russian, Bulgarian and Ukrainian
    endings for Cyrillic words, Polish endings and the German genitive -s for Latin ones
    (more forms than any one language has: only listed names are looked up)."""
    if _DEVANAGARI.search(word) or len(word) < 2:
        return {word}
    if _CYRILLIC.search(word):
        return {word} | _cyrillic_forms(word)
    return {word} | _latin_forms(word)


def _cyrillic_forms(word: str) -> set[str]:
    if word.endswith(("ии", "ыи", "ои")):  # -ий, -ый, -ой: declined as adjectives
        return {word[:-2] + end for end in ("ого", "ому", "им", "ым", "ом", "ем", "его", "ему")}
    if word.endswith(("еи", "аи", "ь")):  # Сергей, Николай, Кремль
        return {word[:-1] + end for end in ("я", "ю", "ем", "е", "и", "ью")}
    if word.endswith("а"):
        return {word[:-1] + end for end in ("ы", "и", "е", "у", "ои", "ою")}
    if word.endswith("я"):
        return {word[:-1] + end for end in ("и", "е", "ю", "еи")}
    if _CYRILLIC_CONSONANT.search(word):
        return {word + end for end in ("а", "у", "ом", "ым", "е", "ов")}
    return set()


def _latin_forms(word: str) -> set[str]:
    forms = {word + "s"}
    if word.endswith(("ski", "cki")):
        forms |= {word + end for end in ("ego", "emu", "m")}
    elif word.endswith("ny"):
        forms |= {word[:-1] + end for end in ("ego", "emu", "ym")}
    elif word.endswith("a"):
        forms |= {word[:-1] + end for end in ("y", "i", "e", "ie")}
    elif _LATIN_CONSONANT.search(word):
        forms |= {word + end for end in ("a", "owi", "em", "ie", "u")}
    return forms


@cache
def _lookup() -> tuple[dict[str, frozenset[str]], dict[tuple[str, ...], str], frozenset[str]]:
    """(case form -> the listed words it may be, listed name's words -> shown name, title
    words in all their forms)."""
    bases: dict[str, set[str]] = {}
    listed: dict[tuple[str, ...], str] = {}
    for shown, spellings in (*PEOPLE.items(), *PLACES.items()):
        for spelling in (shown, *spellings):
            words = tuple(name_words(spelling))
            listed.setdefault(words, shown)
            for word in words:
                for form in word_forms(word):
                    bases.setdefault(form, set()).add(word)
    titles = {form for title in TITLES for word in name_words(title) for form in word_forms(word)}
    return ({form: frozenset(words) for form, words in bases.items()}, listed,
            frozenset(titles))


def corpus_name(name: str) -> str | None:
    """The name a listed person or place is shown under (English) when `name` is one of its
    spellings, in any case form and after any titles; None for names not listed."""
    words = name_words(name)
    titles = _lookup()[2]
    for start in range(len(words)):
        if start and not (len(words[start - 1]) == 1 or words[start - 1] in titles):
            return None
        shown = _listed_name(words[start:])
        if shown is not None:
            return shown
    return None


def _listed_name(words: list[str]) -> str | None:
    bases, listed, _ = _lookup()
    candidates = [bases.get(word) for word in words]
    if not all(candidates):
        return None
    for spelling in product(*candidates):
        if spelling in listed:
            return listed[spelling]
    return None


def corpus_names(stored: list[str] | set[str]) -> dict[str, str]:
    """{stored name: shown name} for the stored names of listed people and places that are not
    already written as shown."""
    found = {name: corpus_name(name) for name in stored}
    return {name: shown for name, shown in found.items() if shown is not None and shown != name}
