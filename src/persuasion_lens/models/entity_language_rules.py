"""Language rules of entity mention detection that several of German, French, Italian and
Polish share: the aliases they cover without data, an alias's lower-case adjective ("Union
européenne"), adverbs and interjections opening a sentence, and Roman numerals. The rules of one
language group are beside it: `entity_rules_german`, `entity_rules_romance` (French and
Italian) and `entity_rules_polish`; `entities.MentionDetector` applies them by language."""

from __future__ import annotations

import re

from persuasion_lens.models.entity_text import (
    ALIASED_PLACES,
    normalise_name,
    starts_sentence,
    without_first_words,
)

# languages whose names the aliases cover with no narratives data to measure them on, so that
# finding more of their names changes no measured number
ALIASES_WITHOUT_DATA = frozenset({"de", "fr", "it", "pl"})
NEXT_WORD = re.compile(r"[^\S\n]+([^\W\d_]+)")


def is_alias(words: list[str], language: str) -> bool:
    """Whether the words name one of the aliased countries or unions ("Europäische Union")."""
    return normalise_name(" ".join(words), language) in ALIASED_PLACES


def with_alias_adjective(text: str, end: int, words: list[str], language: str
                         ) -> tuple[int, list[str]]:
    """"Union européenne", "Unione europea": a lower-case adjective after the capitalised word
    belongs to the name where together they are an aliased name."""
    following = NEXT_WORD.match(text, end)
    if following and is_alias([*words, following.group(1)], language):
        return following.end(), [*words, following.group(1)]
    return end, words


# Adverbs and interjections that open French, Italian and Polish sentences ("Certes,",
# "Inoltre,", "Stąd"): simplemma's dictionaries lack them and, as they mostly open sentences,
# the training texts seldom write them in lower case, so neither list knew them
_SENTENCE_ADVERB_WORDS = {
    "fr": "certes eh oh ah bah hé hein vraiment premièrement deuxièmement normalement "
          "habituellement malheureusement heureusement rétrospectivement évidemment",
    "it": "ecco inoltre purtroppo insomma pertanto finora beninteso viceversa parimenti neppure "
          "nemmeno figuriamoci macché eh oh lungi",
    "pl": "stąd niegdyś jakkolwiek niezupełnie uff dokąd cóż coż",
}
SENTENCE_ADVERBS = {language: frozenset(words.split())
                     for language, words in _SENTENCE_ADVERB_WORDS.items()}
# The country or the state, capitalised out of respect ("il Paese", "l'Etat"): a common noun
# "Peut-on", "S'agit-il", "Souvenez-vous": a French verb with its pronoun after a hyphen
_FRENCH_INVERTED_PRONOUN = re.compile(
    r"\w-(?:t-)?(?:je|tu|il|elle|on|nous|vous|ils|elles|ce|moi|toi|le|la|les|lui|leur|en|y)$")


def is_sentence_adverb(text: str, start: int, word: str, language: str) -> bool:
    """Whether a capitalised French, Italian or Polish word is an adverb, an interjection or a
    verb with its pronoun; an Italian adverb in -mente (Fortunatamente) where it opens a
    sentence."""
    if word.lower() in SENTENCE_ADVERBS.get(language, ()):
        return True
    if language == "fr":
        return bool(_FRENCH_INVERTED_PRONOUN.search(word))
    return (language == "it" and len(word) >= 9 and word.endswith("mente")
            and starts_sentence(text, start))


def without_opening_adverb(text: str, start: int, words: list[str], language: str
                           ) -> tuple[int, list[str]]:
    """"Ecco Salvini", "Souvenez-vous de Poutine": an adverb or verb opening a sentence, and the
    lower-case words joining it to a name, are no part of the name."""
    if len(words) < 2 or not is_sentence_adverb(text, start, words[0], language):
        return start, words
    first = 1
    while first < len(words) and words[first][:1].islower():
        first += 1
    return without_first_words(text, start, words, first)


# "po II wojnie światowej", "del XXI secolo": a Roman numeral alone is a number, no name (before
# a name it stays: "III Rzesza", "Jean-Paul II"); only I, V and X, as "CDI", "LCI" are acronyms
_ROMAN_NUMERAL = re.compile(r"(?=[IVX])X{0,3}(?:IX|IV|V?I{0,3})")
_ROMAN_NUMERAL_LANGUAGES = frozenset({"fr", "it", "pl"})


def is_roman_numeral(word: str, language: str) -> bool:
    """Whether a French, Italian or Polish word is a Roman numeral of I, V and X."""
    return language in _ROMAN_NUMERAL_LANGUAGES and bool(_ROMAN_NUMERAL.fullmatch(word))
