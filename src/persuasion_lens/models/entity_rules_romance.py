"""French and Italian rules of entity mention detection: elided articles ("L'Ukraine"),
institutions' names with lower-case adjectives ("Commission européenne") and connectors
("Corea del Sud"), and the state nouns capitalised out of respect ("il Paese")."""

from __future__ import annotations

import re

from persuasion_lens.models.entity_language_rules import NEXT_WORD
from persuasion_lens.models.entity_text import (
    CAPITALISED,
    lemma_is_lower_case,
    without_first_words,
)
from persuasion_lens.text.lemmas import lemmatize

# "L'Ukraine", "D'Italia", "Dell'Europa" opening a sentence: the article is no part of the name
ELIDED_ARTICLE = re.compile(r"(?:[LDld]|[Dd]ell|[Aa]ll|[Nn]ell|[Ss]ull|[Dd]all|[Qq]u)['’](?=\w)")


def without_lower_case_words(text: str, start: int, words: list[str]) -> tuple[int, list[str]]:
    """"L’économie", "L’avocat de Hunter Biden", "L’arrivo di Putin": the capital of an elided
    article opening a sentence is no name's, so the lower-case words after it that open the
    run are no part of one."""
    first = 0
    while first < len(words) and words[first][:1].islower():
        first += 1
    return without_first_words(text, start, words, first)


# French and Italian write an institution's name as a capitalised noun and lower-case adjectives
# ("Assemblée nationale", "Commission européenne", "Seconde Guerre mondiale", "Consiglio
# europeo"), so the capitalised run ended at the noun
_FRENCH_INSTITUTION_NOUNS = (
    "Assemblée Commission Cour Conseil Union Parlement Rassemblement Organisation Alliance "
    "Agence Institut Banque Fonds Front Parti Mouvement Guerre République Etat État Convention "
    "Chambre Garde Réserve Armée Église Eglise Conférence Comité Tribunal Sénat")
_ITALIAN_INSTITUTION_NOUNS = (
    "Commissione Consiglio Parlamento Assemblea Organizzazione Unione Corte Camera Banca Fondo "
    "Guerra Repubblica Armata Carta Associazione Movimento Partito Stato Agenzia Istituto "
    "Chiesa Alleanza Conferenza Comitato Senato Tribunale")
INSTITUTION_NOUNS = {"fr": frozenset(_FRENCH_INSTITUTION_NOUNS.split()),
                      "it": frozenset(_ITALIAN_INSTITUTION_NOUNS.split())}
_ADJECTIVE_ENDINGS = {
    "fr": ("al", "ale", "ales", "aux", "ique", "iques", "ien", "ienne", "éen", "éenne", "ain",
           "aine", "ais", "aise", "ois", "oise", "aire", "el", "elle", "enne", "if", "ive"),
    "it": ("ale", "ali", "ea", "eo", "ee", "ica", "ico", "ici", "iche", "ese", "esi",
           "ana", "ano", "ani", "ane", "are", "ari"),
}
_ADJECTIVE_WORDS = "suprême suprema supremo unies unis unite uniti rouge rossa rosso"
_ADJECTIVES = frozenset(_ADJECTIVE_WORDS.split())
_NOT_ADJECTIVE_WORDS = "demain mais jamais désormais tel telle quel quelle"
_NOT_ADJECTIVES = frozenset(_NOT_ADJECTIVE_WORDS.split())


def _is_adjective(word: str, language: str) -> bool:
    """Whether a lower-case French or Italian word reads as an adjective (by its ending); not
    an Italian verb ("abbiano", "crea": the lemma is an infinitive)."""
    if not word[:1].islower() or word in _NOT_ADJECTIVES:
        return False
    if language == "it" and lemmatize(word, "it").endswith(("are", "ere", "ire")) and not (
            word.endswith(("are", "ari"))):
        return False
    return word in _ADJECTIVES or word.endswith(_ADJECTIVE_ENDINGS[language])


def with_institution_adjectives(text: str, end: int, words: list[str], language: str
                                ) -> tuple[int, list[str]]:
    """"Assemblée nationale", "Fonds monétaire international": up to two lower-case adjectives
    after a run that ends with an institution's noun belong to its name."""
    if not words or words[-1] not in INSTITUTION_NOUNS[language]:
        return end, words
    return _with_adjectives(text, end, words, language)


def _with_adjectives(text: str, end: int, words: list[str], language: str
                     ) -> tuple[int, list[str]]:
    """The run with up to two lower-case adjectives that follow it."""
    for _ in range(2):
        following = NEXT_WORD.match(text, end)
        if not following or not _is_adjective(following.group(1), language) or (
                following.end() < len(text) and text[following.end()] in "-'’"):
            break
        end, words = following.end(), [*words, following.group(1)]
    return end, words


# "Corea del Sud", "Fratelli d’Italia", "Organisation des Nations unies": the capitalised run
# (shared by all languages) stops at a lower-case "del", "des" or "d’"
CONNECTED_NAME_LANGUAGES = frozenset({"fr", "it"})
_NAME_CONNECTORS = frozenset(
    ["del", "della", "delle", "dei", "degli", "dello", "des", "du", "de"])
_CONNECTOR_AHEAD = re.compile(
    r"[^\S\n]+(?:(del|della|delle|dei|degli|dello|des)[^\S\n]+|(d|dell)['’])(?=[A-Z])")
_COMPASS_POINTS = frozenset(["Nord", "Sud", "Est", "Ovest", "Ouest"])


def with_connected_name(text: str, end: int, words: list[str], language: str
                        ) -> tuple[int, list[str]]:
    """"Corea del Sud", "Fratelli d’Italia": a run joined to the next capitalised run by a
    lower-case "del", "des" or "d’" is one name where its last word is a common word (the noun
    of a name: Fratelli, Organisation, Ministero) or the next run is a point of the compass;
    not "Meloni dei Fratelli". After an institution's noun the name keeps its adjectives
    ("Organisation des Nations unies")."""
    connector = _CONNECTOR_AHEAD.match(text, end)
    if not 0 < len(words) <= 2 or not words[0][:1].isupper() or connector is None:
        return end, words
    following = CAPITALISED.match(text, connector.end())
    if following is None:
        return end, words
    next_words = following.group().rstrip(".'’-").split()
    # a run that goes on ("Petit Prince d’Antoine de Saint-Exupéry") or is long ("Banca
    # d’Inghilterra Andrew Bailey") holds another name
    if len(next_words) > 2 or not all(w[:1].isupper() for w in next_words):
        return end, words
    if not (lemma_is_lower_case(words[-1], language) or next_words[0] in _COMPASS_POINTS):
        return end, words
    if connector.group(1):
        joined = [*words, connector.group(1), *next_words]
    else:
        joined = [*words, connector.group(2) + "’" + next_words[0], *next_words[1:]]
    new_end = connector.end() + len(" ".join(next_words))
    if text[connector.end():new_end].split() != next_words:
        return end, words
    if words[0] in INSTITUTION_NOUNS[language]:
        return _with_adjectives(text, new_end, joined, language)
    return new_end, joined


def opens_connected_name(words: list[str]) -> bool:
    """Whether the run is a name that a connector joins ("Organisation des Nations unies"),
    whose first word, a common word, is no word to drop."""
    return (len(words) > 2 and words[1] in _NAME_CONNECTORS) or (len(words) > 1 and (
        words[1].startswith(("d’", "d'", "dell’", "dell'"))))


def opens_institution(words: list[str], language: str) -> bool:
    """Whether the words begin with an institution's noun and its adjective ("Commission
    européenne" opening a sentence), which are a name though the noun is a common word."""
    return (language in INSTITUTION_NOUNS and len(words) > 1
            and words[0] in INSTITUTION_NOUNS[language] and words[1][:1].islower())


# The country or the state, capitalised out of respect ("il Paese", "l'Etat"): a common noun
# that the training texts write capitalised as often as not, so no list knew it
_STATE_NOUN_WORDS = {"fr": "etat etats état états", "it": "paese paesi stato stati"}
STATE_NOUNS = {language: frozenset(words.split())
                for language, words in _STATE_NOUN_WORDS.items()}
