"""Language codes and language detection (lingua).

The product speaks ISO 639-1 codes (`de`, `pl`); the SemEval-2023 folders use `ge` and `po`,
which are accepted as aliases wherever a user types a language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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


# a language tag with a region or script (`en-US`, `de_AT`, `sr-Latn-RS`), as feeds and
# content systems give it: its language is its first part
_TAG_WITH_SUBTAGS = re.compile(r"([a-z]{2})(?:[-_][a-z0-9]{1,8})+")


# the supported languages' own names, as a feed in that language may give them
_NATIVE_NAMES = {"english": "en", "français": "fr", "francais": "fr", "deutsch": "de",
                 "italiano": "it", "polski": "pl", "русский": "ru"}


def normalise_language_code(code: str) -> str:
    """Turn a user-typed code (`en`, `EN`, `ge`, `po`, `de`, `en-US`, `pt_BR`) or language name
    (`English`, `german`: lingua's English names, and the supported languages' own, `Deutsch`,
    `Русский`) into ISO 639-1; anything else (`xx`) is an error, so it never reaches the
    stored results."""
    lowered = code.strip().lower()
    if lowered in SEMEVAL_TO_ISO:
        return SEMEVAL_TO_ISO[lowered]
    if lowered in known_language_codes():
        return lowered
    tagged = _TAG_WITH_SUBTAGS.fullmatch(lowered)
    if tagged and tagged.group(1) in known_language_codes():
        return tagged.group(1)
    named = _code_of_name(lowered)
    if named:
        return named
    raise UnknownLanguageError(
        f"'{code}' is not a known language code; use a two-letter code such as en, de or ru, "
        "or a name such as English")


def _code_of_name(lowered: str) -> str | None:
    """The ISO 639-1 code of a language name in lower case (`german`), None for no name."""
    if lowered in _NATIVE_NAMES:
        return _NATIVE_NAMES[lowered]
    return _codes_by_english_name().get(lowered)


@lru_cache(maxsize=1)
def _codes_by_english_name() -> dict[str, str]:
    """{'german': 'de', ...} for every language lingua knows."""
    from lingua import Language

    return {language.name.lower(): language.iso_code_639_1.name.lower()
            for language in Language.all()}


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


# Below this many words lingua's low-accuracy mode (letter trigrams) is easily led astray by a
# few names or loanwords ("The Bundestag voted for the Heizungsgesetz ..." read German), so the
# words themselves are looked up in simplemma's dictionaries: cut from SemEval articles, 5-word
# texts were right 91.5% of the time before, 96.9% after, 10-word ones 97.9% and 99.3%
# (benchmarks/short_text_language.py; README, "Language detection").
SHORT_TEXT_WORDS = 20
# lingua's best few languages are the candidates ...
SHORT_TEXT_CANDIDATES = 5
# ... and those with a dictionary here are scored by the share of their words it knows, lingua's
# confidence making up a tenth of the score (it breaks ties). They are the languages the span
# model lemmatises but Greek (whose script lingua tells apart already), so analysing a text loads
# the same dictionaries; more (Swedish, Danish, Czech, Romanian, all) measured no better on
# the benchmark (which has no texts in those), and dropping Polish's, the largest, cost Polish.
DICTIONARY_LANGUAGES = frozenset(
    {"en", "fr", "de", "it", "pl", "ru", "es", "pt", "nl", "bg", "uk"})
LINGUA_SHARE = 0.1
# lingua's choice stands, the other candidates' dictionaries unread, where its own knows this
# share of the words: as right as reading them all, with 1.1-1.5 dictionaries read a text, not 3
# (each takes 0.1-1.6 s and 1-46 MB to load the first time)
CONFIRMED = 0.9
# lingua's choice of a language without a dictionary here stands unless a candidate with one
# knows at least this share of the words
PLAINLY_KNOWN = 0.5
# Two languages scored this close fit a short text about equally well (their dictionaries know
# the same words but one or so): the first is right about 3 times in 4, against 99 in 100 beyond.
CLOSE_SCORES = 0.1
# A capitalised word is mostly a name, known to no dictionary or to the wrong one; they are left
# out unless they are nearly all the words (a title in title case or capitals).
_LOWERCASE_ENOUGH = 0.2
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class LanguageGuess:
    """A text's language (ISO 639-1, None when it cannot be told) and, for a short text that
    another language fits about as well, that language."""

    language: str | None
    close_second: str | None = None


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when it cannot be told (only the first
    few thousand characters are read)."""
    return guess_language(text).language


def guess_language(text: str) -> LanguageGuess:
    """The text's language, as `detect_language`, with the runner-up when a short text fits it
    about as well."""
    sample = _sample(text)
    if not any(ch.isalpha() for ch in sample):
        return LanguageGuess(None)
    if len(sample.split(maxsplit=SHORT_TEXT_WORDS)) < SHORT_TEXT_WORDS:
        return _guess_short_text(sample)
    language = _detector().detect_language_of(sample)
    return LanguageGuess(None if language is None else _code(language))


def _guess_short_text(sample: str) -> LanguageGuess:
    confidences = _detector().compute_language_confidence_values(sample)[:SHORT_TEXT_CANDIDATES]
    if not confidences or confidences[0].value == 0:
        return LanguageGuess(None)
    lingua_choice = _code(confidences[0].language)
    words = _words_to_look_up(sample)
    if not words or (lingua_choice in DICTIONARY_LANGUAGES
                     and _known_share(words, lingua_choice) >= CONFIRMED):
        return LanguageGuess(lingua_choice)
    scores = sorted(_dictionary_scores(confidences, words), reverse=True)
    if not scores:
        return LanguageGuess(lingua_choice)
    best_score, best, best_known = scores[0]
    if lingua_choice not in DICTIONARY_LANGUAGES and best_known < PLAINLY_KNOWN:
        return LanguageGuess(lingua_choice)
    close = [code for score, code, _ in scores[1:] if best_score - score < CLOSE_SCORES]
    return LanguageGuess(best, close[0] if close else None)


def _dictionary_scores(confidences, words: list[str]) -> list[tuple[float, str, float]]:
    """(score, language, share of the words known) for the candidates with a dictionary that
    come close to the best: one that could not even if it knew every word is left out, its
    dictionary not loaded."""
    scores: list[tuple[float, str, float]] = []
    for confidence in confidences:  # most confident first
        code = _code(confidence.language)
        if code not in DICTIONARY_LANGUAGES:
            continue
        at_most = LINGUA_SHARE * confidence.value + (1 - LINGUA_SHARE)
        if scores and max(scores)[0] - at_most >= CLOSE_SCORES:
            break
        known = _known_share(words, code)
        scores.append((LINGUA_SHARE * confidence.value + (1 - LINGUA_SHARE) * known, code, known))
    return scores


def _words_to_look_up(sample: str) -> list[str]:
    words = _WORD.findall(sample)
    lowercase = [word for word in words if not word[:1].isupper()]
    return lowercase if lowercase and len(lowercase) >= _LOWERCASE_ENOUGH * len(words) else words


def _known_share(words: list[str], language: str) -> float:
    from persuasion_lens.text.lemmas import is_known_word

    return sum(is_known_word(word, language) for word in words) / len(words)


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
