"""Language codes and language detection (lingua).

The product speaks ISO 639-1 codes (`de`, `pl`); the SemEval-2023 folders use `ge` and `po`,
which are accepted as aliases wherever a user types a language.
"""

from __future__ import annotations

from functools import lru_cache

SUPPORTED_LANGUAGES: dict[str, str] = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "pl": "Polish",
    "ru": "Russian",
}

SEMEVAL_TO_ISO = {
    "en": "en",
    "fr": "fr",
    "ge": "de",
    "it": "it",
    "po": "pl",
    "ru": "ru",
    "es": "es",
    "gr": "el",
    "ka": "ka",
}
ISO_TO_SEMEVAL = {iso: semeval for semeval, iso in SEMEVAL_TO_ISO.items()}

# Languages the detector chooses among: the supported ones plus frequent neighbours, so that an
# unsupported article is recognised as such instead of being forced into a supported language.
_DETECTABLE = [
    "ENGLISH",
    "FRENCH",
    "GERMAN",
    "ITALIAN",
    "POLISH",
    "RUSSIAN",
    "SPANISH",
    "PORTUGUESE",
    "DUTCH",
    "UKRAINIAN",
    "BULGARIAN",
    "GREEK",
    "GEORGIAN",
    "CZECH",
    "SWEDISH",
    "TURKISH",
    "ARABIC",
    "CHINESE",
    "JAPANESE",
    "HINDI",
    "ROMANIAN",
    "HUNGARIAN",
    "FINNISH",
    "DANISH",
]


class UnknownLanguageError(ValueError):
    """A language code that is not a language we know of."""


@lru_cache(maxsize=1)
def known_language_codes() -> frozenset[str]:
    """The ISO 639-1 codes of the languages lingua knows, ours and the SemEval data's."""
    from lingua import IsoCode639_1

    codes = {name.lower() for name in dir(IsoCode639_1) if len(name) == 2 and name.isupper()}
    return frozenset(codes | set(SUPPORTED_LANGUAGES) | set(SEMEVAL_TO_ISO.values()))


def language_name(code: str | None) -> str:
    """'English' for 'en'; languages without a model too ('Spanish' for 'es'), from lingua's
    list; the code itself when it is none of those."""
    if not code:
        return "unknown"
    if code in SUPPORTED_LANGUAGES:
        return SUPPORTED_LANGUAGES[code]
    from lingua import IsoCode639_1, Language

    iso = getattr(IsoCode639_1, code.upper(), None)
    if iso is None or len(code) != 2:
        return code
    return Language.from_iso_code_639_1(iso).name.title()


def normalise_language_code(code: str) -> str:
    """Turn a user-typed code (`en`, `EN`, `ge`, `po`, `de`) into ISO 639-1; a code that is no
    known language (`xx`) is an error, so it never reaches the stored results."""
    lowered = code.strip().lower()
    if lowered in SEMEVAL_TO_ISO:
        return SEMEVAL_TO_ISO[lowered]
    if lowered in known_language_codes():
        return lowered
    raise UnknownLanguageError(
        f"'{code}' is not a known language code; use a two-letter code such as en, de or ru")


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in _DETECTABLE]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def _sample(text: str) -> str:
    """The first few thousand characters: plenty for an article, and fast on huge inputs."""
    # lingua encodes the text; a lone surrogate (from a broken source) would raise there
    return text[:5000].encode("utf-8", "replace").decode("utf-8")


def _code(language) -> str:
    return language.iso_code_639_1.name.lower()


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when it cannot be told (only the first
    few thousand characters are read)."""
    sample = _sample(text)
    if not any(ch.isalpha() for ch in sample):
        return None
    language = _detector().detect_language_of(sample)
    return None if language is None else _code(language)


# From this many words a confident detection is all but never wrong: cut to 20 words, none of
# 900 SemEval paragraphs (150 per language) was read as another supported language with a
# confidence of 0.9 or more; cut to 12 words, 4 were.
MISMATCH_MIN_WORDS = 20
MISMATCH_MIN_CONFIDENCE = 0.9
# A text whose paragraphs in the given language hold this share of its words is mixed, not
# mislabelled (below it, they are quotes, or short lines such as bylines misread).
MIXED_SHARE = 0.1


def plainly_other_language(text: str, given: str) -> str | None:
    """The supported language the text plainly is when it is not `given` (a language code),
    else None. Short texts, and mixed ones (paragraphs in `given` holding a tenth of the
    words), never count: the hint must not cry wolf."""
    sample = _sample(text)
    words = len(sample.split())
    if words < MISMATCH_MIN_WORDS:
        return None
    best = _detector().compute_language_confidence_values(sample)[0]
    found = _code(best.language)
    if (found == given or found not in SUPPORTED_LANGUAGES
            or best.value < MISMATCH_MIN_CONFIDENCE):
        return None
    in_given = sum(len(line.split()) for line in sample.splitlines()
                   if line.strip() and detect_language(line) == given)
    return None if in_given >= MIXED_SHARE * words else found


def other_language_warning(found: str, given: str, said_by: str = "--lang says") -> str:
    """The one-line warning for a text that `plainly_other_language` found to be `found`
    although `given` was given (`said_by`: "--lang says", "its lang column says")."""
    return (f"the text looks {language_name(found)}, not {language_name(given)} as {said_by}; "
            f"analysed as {language_name(given)} all the same")
