"""German rules of entity mention detection: which capitalised words are no names (common
nouns, plurals, measure and calendar words, an opening preposition), which names German writes
with an article ("die Türkei", "der Kreml"), surnames with particles ("von der Leyen"), and how
genitives in -s ("Putins") group and are shown."""

from __future__ import annotations

import re

from persuasion_lens.models.entity_text import (
    ALIASED_PLACES,
    TextWords,
    lemma_is_lower_case,
    normalise_name,
    without_first_words,
)
from persuasion_lens.text.lemmas import lemmatize

# German capitalises every noun: one after an article, a possessive or a quantifier is a common
# noun ("ihr Eigenheim", "den Bürgern"), as one after an inflected adjective ("wenigen Jahren")
_GERMAN_DETERMINER_WORDS = (
    "der die das den dem des ein eine einer einem einen eines kein keine keiner keinem keinen "
    "keines mein meine meinem meinen meiner meines dein deine deinem deinen deiner deines sein "
    "seine seinem seinen seiner seines ihr ihre ihrem ihren ihrer ihres unser unsere unserem "
    "unseren unserer unseres euer eure eurem euren eurer eures dieser diese dieses diesem diesen "
    "jeder jede jedes jedem jeden jener jene jenes jenem jenen welcher welche welches welchem "
    "welchen alle allen aller viele vielen vieler wenige wenigen weniger einige einigen "
    "mehrere mehreren manche manchen solche solchen im am zum zur vom beim ins ans")
_GERMAN_DETERMINERS = frozenset(_GERMAN_DETERMINER_WORDS.split())
_GERMAN_ADJECTIVE_ENDINGS = ("e", "en", "em", "er", "es")
_PREVIOUS_WORD = re.compile(r"([^\W\d_]+)[^\S\n]+$")
# endings of abstract and verbal nouns (Unfähigkeit, Freiheit, Regierung, Imperialismus), which
# no name of a person, place or country has
_GERMAN_ABSTRACT_NOUN_ENDINGS = ("keit", "heit", "ung", "ungen", "ismus", "tät", "täten")
_NUMBER_BEFORE = re.compile(r"\d[\d.,]*%?[^\S\n]+$")
_GERMAN_MEASURE_WORD_LIST = (
    "Prozent Promille Tausend Millionen Milliarden Billionen Dollar Euro Rubel Franken Pfund "
    "Menschen Personen Jahre Jahren Monate Monaten Wochen Tage Tagen Stunden Minuten Tonnen "
    "Kilometer Meter Grad Mal")
_GERMAN_MEASURE_WORDS = frozenset(_GERMAN_MEASURE_WORD_LIST.split())
_GERMAN_CALENDAR_WORDS = (
    "januar jänner februar märz april mai juni juli august september oktober november dezember "
    "montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag")
GERMAN_CALENDAR = frozenset(_GERMAN_CALENDAR_WORDS.split())
_GERMAN_PREPOSITION_WORDS = (
    "an auf aus bei bis durch für gegen hinter in mit nach neben ohne seit über um unter von vor "
    "während wegen zu zwischen laut gemäß trotz dank angesichts aufgrund zufolge")
_GERMAN_PREPOSITIONS = frozenset(_GERMAN_PREPOSITION_WORDS.split())
# prepositions that the dictionary also knows as nouns ("der Laut") or that it lacks, so that
# the lower-case-lemma rule keeps them: "Laut der Zeitung", "… Laut COP26"; no "Von", "Zu",
# which open names ("Von der Leyen")
_GERMAN_OPENING_PREPOSITIONS = frozenset(
    ["Laut", "Gemäß", "Wegen", "Trotz", "Dank", "Angesichts", "Aufgrund", "Zufolge", "Seit"])
# nouns that German puts after a preposition with no article in set phrases ("von Anfang an",
# "zu Ende", "in Frage", "vor Ort", "seit Beginn der Pandemie")
_GERMAN_SET_PHRASE_NOUN_WORDS = (
    "Anfang Ende Beginn Frage Recht Kauf Ort Blick Grundlage Basis Druck Zukunft Kontrolle "
    "Gefahr Auftrag Hause Umlauf Boden Sicht Distanz Richtung Sachen Form Lasten Bezug "
    "Hinblick Ausnahme Nachfrage Aussage Verweis Einladung Panik Wort Gehör Hilfe Angst Zeit")
_GERMAN_SET_PHRASE_NOUNS = frozenset(_GERMAN_SET_PHRASE_NOUN_WORDS.split())
# names that German writes with an article ("in der Türkei", "den Niederlanden", "im Iran", "der
# Kreml", "im Bundestag"): countries, regions, seas, and institutions that are one of a kind;
# lower case, as written (the genitive's -s or -es aside)
_GERMAN_NAME_WITH_ARTICLE_WORDS = (
    "türkei schweiz slowakei tschechei mongolei niederlande niederlanden krim iran irak jemen "
    "sudan libanon kongo tschad kosovo vatikan oman senegal philippinen malediven donbass "
    "donbas kaukasus balkan baltikum arktis antarktis karibik sahara sahel westjordanland "
    "gazastreifen golanhöhen toskana lombardei normandie bretagne provence pfalz lausitz "
    "elsass ruhrgebiet ahrtal ostsee nordsee bodensee gardasee chiemsee adria ägäis "
    "mittelmeer bundestag bundesrat bundeswehr bundesrepublik bundesverfassungsgericht "
    "bundesgerichtshof bundesbank bundesliga kreml pentagon élysée elysée taliban hamas "
    "hisbollah")
_GERMAN_NAMES_WITH_ARTICLE = frozenset(_GERMAN_NAME_WITH_ARTICLE_WORDS.split())
# parties and media whose names are also common words ("die Linke", "die Grünen", "der
# Spiegel"): names only right after a definite article, not "Linke Politiker", "im Grünen"
_GERMAN_NAMES_ALSO_COMMON_WORDS = frozenset(
    ["linke", "linken", "grüne", "grünen", "union", "spiegel", "spiegels", "focus"])
_GERMAN_DEFINITE_ARTICLES = frozenset(["der", "die", "das", "den", "dem", "des"])
# a region of a named place ("der Ostukraine", "im Nordirak")
_GERMAN_COMPASS_PREFIX = re.compile(r"(?:Nord|Süd|Ost|West)(?:ost|west)?(?=[A-ZÄÖÜ]?[a-zäöü])")


def german_common_noun(text: str, start: int, word: str,
                       names: frozenset[str] = frozenset()) -> bool:
    """A capitalised German word that is a common noun or not a noun at all: one whose lemma
    is lower case ("Trotzdem", "Wer"), a plural, one after a determiner or an inflected
    adjective, or a set phrase's noun after a preposition ("von Anfang an"). An acronym (die
    USA, der NATO) or a country of the war's sides (die Ukraine) is a name whatever precedes
    it, as is a name that German writes with an article (der Kreml, die Türkei, die Grünen);
    `names`, lower-cased names the training articles know, are no bare plurals ("Hitler") and
    are names after an article ("das Pentagon")."""
    if _german_name_with_article(text, start, word, names):
        return False
    if lemma_is_lower_case(word, "de"):
        return True
    if len(word) >= 7 and word.lower().endswith(_GERMAN_ABSTRACT_NOUN_ENDINGS):
        return True
    if _german_plural_or_dative(word) or (
            word.lower() not in names and _german_bare_plural(text, word)):
        return True
    if _NUMBER_BEFORE.search(text, max(0, start - 30), start):  # "56 Prozent", "2022 Ende"
        return True
    previous = _PREVIOUS_WORD.search(text, max(0, start - 40), start)
    if previous is None:
        return False
    before = previous.group(1)
    if before.lower() in _GERMAN_DETERMINERS:  # "Die" or "Ein" opening the sentence too
        return word.lower() not in names
    if before.lower() in _GERMAN_PREPOSITIONS and word in _GERMAN_SET_PHRASE_NOUNS:
        return True
    return before[0].islower() and _german_inflected_adjective(before)


def _german_name_with_article(text: str, start: int, word: str, names: frozenset[str]) -> bool:
    """Whether a capitalised German word is a name whatever article or adjective precedes it:
    an acronym (USA, UdSSR, SoZ), a country of the war's sides, a name that German writes with
    an article or a region of one or of a training name ("Ostukraine", "Osteuropa"), or a
    party's or a paper's name that is also a common word, right after a definite article ("die
    Grünen")."""
    if word.isupper() or _german_mixed_case_acronym(word):
        return True
    if _german_place_or_institution(word):
        return True
    region = _GERMAN_COMPASS_PREFIX.match(word)
    place = word[region.end():].capitalize() if region else ""
    if place and (_german_place_or_institution(place) or place.lower() in names):
        return True
    previous = _PREVIOUS_WORD.search(text, max(0, start - 40), start)
    return (word.lower() in _GERMAN_NAMES_ALSO_COMMON_WORDS and previous is not None
            and previous.group(1).lower() in _GERMAN_DEFINITE_ARTICLES)


def _german_mixed_case_acronym(word: str) -> bool:
    """"UdSSR", "AfD", "SoZ", "YouTube": a capital after the first letter; not an acronym's
    plural ("CEOs", "NGOs"), a compound ("EU-Gipfel") nor words joined by a full stop."""
    plural = word.endswith("s") and word[:-1].isupper()
    return word.isalpha() and not plural and any(c.isupper() for c in word[1:])


def _german_place_or_institution(word: str) -> bool:
    """An aliased country, or a name that German writes with an article, perhaps in the
    genitive ("des Irans", "des Kremls")."""
    if normalise_name(word, "de") in ALIASED_PLACES:
        return True
    lowered = word.lower()
    return any(form in _GERMAN_NAMES_WITH_ARTICLE
               for form in (lowered, lowered.removesuffix("s"), lowered.removesuffix("es")))


def without_german_noun_before_genitive(text: str, start: int, words: list[str],
                                        names: frozenset[str] = frozenset()
                                        ) -> tuple[int, list[str]]:
    """"der Sprecher der NATO", "die Vorwürfe der USA": a common noun and the article that
    joins it to a name are no part of the name."""
    while len(words) > 2 and words[1] in ("der", "des", "von") and german_common_noun(
            text, start, words[0], names):
        start, words = without_first_words(text, start, words, 2)
    return start, words


def german_place_before_von(words: list[str]) -> bool:
    """"die Abtrennung des Kosovo von Serbien": a place joined by "von" to the next name is a
    name of its own; "von" in one name follows a first name ("Richard von Weizsäcker")."""
    return len(words) > 2 and words[1] == "von" and _german_place_or_institution(words[0])


# "Ursula von der Leyen", "Alexander Van der Bellen": a surname after two particles, which the
# capitalised runs (one particle at most) leave out
_GERMAN_PARTICLES = r"(?:[Vv]on|[Vv]an)[^\S\n]+(?:der|den|dem|de)"
_GERMAN_PARTICLE_SURNAME = re.compile(
    rf"(?<![\w-])(?:([A-ZÄÖÜ][\w-]*)[^\S\n]+)?"
    rf"({_GERMAN_PARTICLES}[^\S\n]+([A-ZÄÖÜ][a-zäöüß]+))(?![\w'’-])")
_PARTICLES_BEFORE = re.compile(rf"(?<![\w-]){_GERMAN_PARTICLES}[^\S\n]+$")
_PARTICLE_SURNAME_AFTER = re.compile(
    rf"[^\S\n]+({_GERMAN_PARTICLES}[^\S\n]+[A-ZÄÖÜ][\w'’-]*)")


def particle_surnames(text: str, names: frozenset[str], language: str = "de"
                      ) -> frozenset[str]:
    """The surnames with particles that the text names, lower case ("von der leyen"): those
    that the training articles know; in German also a Dutch "van der" (no German preposition),
    and a surname that the dictionary does not know after a capitalised word that is no common
    noun nor place ("Friedrich von der Schulenburg"; not "Waffen von der Frontlinie", "Türkei
    von den EU-Staaten")."""
    surnames = set()
    for match in _GERMAN_PARTICLE_SURNAME.finditer(text):
        key = " ".join(match.group(2).lower().split())
        if _known_particle_surname(key, names) or (
                language == "de" and _german_particle_surname(text, match, key, names)):
            surnames.add(key)
    return frozenset(surnames)


def _german_particle_surname(text: str, match: re.Match, key: str, names: frozenset[str]
                             ) -> bool:
    from simplemma import is_known

    first, surname = match.group(1), match.group(3)
    return key.startswith("van") or bool(
        first and not german_common_noun(text, match.start(1), first, names)
        and not _german_place_or_institution(first) and not is_known(surname, "de"))


def _known_particle_surname(key: str, names: frozenset[str]) -> bool:
    """Whether the training names hold the surname, alone or ending a full name."""
    stem = key.removesuffix("s")  # "von der Leyens", the genitive
    return bool({key, stem} & names) or any(
        name.endswith((" " + key, " " + stem)) for name in names)


def with_particle_surname(text: str, start: int, end: int, words: list[str],
                          surnames: frozenset[str], language: str = "de"
                          ) -> tuple[int, int, list[str]]:
    """"von der Leyen", "Von der Leyen" opening a sentence, "Ursula von der Leyen": the
    particles before a surname that the text names so, and a surname with its particles after
    a first name (in German, no common noun), belong to the name."""
    if not words or not surnames:
        return start, end, words
    particles = _PARTICLES_BEFORE.search(text, max(0, start - 12), start)
    if particles and _is_particle_surname(f"{particles.group()}{words[0]}", surnames):
        start, words = particles.start(), [*particles.group().split(), *words]
    following = _PARTICLE_SURNAME_AFTER.match(text, end)
    if following and _is_particle_surname(following.group(1), surnames) and not (
            language == "de" and german_common_noun(text, end - len(words[-1]), words[-1])):
        end, words = following.end(), [*words, *following.group(1).split()]
    return start, end, words


def _is_particle_surname(written: str, surnames: frozenset[str]) -> bool:
    key = " ".join(written.lower().split())
    return key in surnames or key.removesuffix("s") in surnames


def without_german_measure_words(text: str, start: int, words: list[str]
                                 ) -> tuple[int, list[str]]:
    """"18 Milliarden Dollar", "7 Millionen Menschen": after a number, a run's measure words are
    no name."""
    if not _NUMBER_BEFORE.search(text, max(0, start - 30), start):
        return start, words
    while words and words[0] in _GERMAN_MEASURE_WORDS:
        start, words = without_first_words(text, start, words, 1)
    return start, words


def german_genitive_before_noun(words: TextWords, run: list[str],
                                names: frozenset[str]) -> bool:
    """"Putins Kalkül", "Russlands Krieg": a name in the genitive before the noun it governs,
    told by the text naming it without the -s too, or by the name being one of the training
    names `names` (so "Hans Müller" stays whole)."""
    if len(run) != 2 or not run[0].endswith("s") or len(run[0]) < 4:
        return False
    stem = run[0][:-1]
    return (words.written(stem) or stem.lower() in names
            or normalise_name(run[0], "de") in ALIASED_PLACES)


def _german_inflected_adjective(word: str) -> bool:
    """Whether a lower-case word is an inflected adjective (wenigen, teuren, höchste); an
    inflected verb (sagte, betonten) has a lemma in -n, the infinitive."""
    lemma = lemmatize(word, "de")
    if lemma == word or not lemma.islower() or not word.endswith(_GERMAN_ADJECTIVE_ENDINGS):
        return False
    return word[len(lemma):] in _GERMAN_ADJECTIVE_ENDINGS or not lemma.endswith("n")


def _german_plural_or_dative(word: str) -> bool:
    """A noun in the plural or the dative plural (Wärmepumpen, Bürgern, Jahren): names are
    seldom inflected so, save the genitive -s, which this leaves alone."""
    lemma = lemmatize(word, "de")
    if lemma == word or not lemma[:1].isupper():
        return False
    if word.startswith(lemma):
        return word[len(lemma):] in ("n", "en", "e", "er", "ern")
    # a plural that takes an umlaut (Pläne, Länder, Mütter, Städten)
    plain, plain_lemma = _without_umlauts(word), _without_umlauts(lemma)
    return (plain != word and plain.startswith(plain_lemma)
            and plain[len(plain_lemma):] in ("", "n", "en", "e", "er", "ern"))


def _german_bare_plural(text: str, word: str) -> bool:
    """A plural with no article whose singular is the same word ("Kritiker warnen",
    "Wissenschaftler": a noun in -er whose dative plural in -ern the dictionary knows, which
    "Twitter", "Daimler" or "Hannover" have not) or the adjective's noun less its -r
    ("Jugendliche", "Abgeordnete"). Many surnames are such nouns too (Müller, Fischer), so not
    a word that the text writes after another capitalised word ("Hans Müller")."""
    from simplemma import is_known

    if len(word) < 6 or not is_known(word, "de"):
        return False
    lemma = lemmatize(word, "de")
    agent_noun = (lemma == word and word.endswith("er") and is_known(word + "n", "de")
                  and lemmatize(word + "n", "de") == word)
    adjective_noun = lemma == word + "r" and word.endswith("e")
    return (agent_noun or adjective_noun) and not _after_a_capitalised_word(text, word)


def _after_a_capitalised_word(text: str, word: str) -> bool:
    """Whether the text writes `word` after a capitalised word that is no determiner."""
    return any(match.group(1).lower() not in _GERMAN_DETERMINERS for match in re.finditer(
        rf"(?<![\w-])([A-ZÄÖÜ][\w-]*)[^\S\n]+{re.escape(word)}(?![\w-])", text))


def without_german_opening_preposition(text: str, start: int, words: list[str]
                                       ) -> tuple[int, list[str]]:
    """"Laut der Zeitung", "Laut COP26": a preposition opening a run, and the lower-case words
    joining it to a name, are no part of the name."""
    if not words or words[0] not in _GERMAN_OPENING_PREPOSITIONS:
        return start, words
    first = 1
    while first < len(words) and words[first][:1].islower():
        first += 1
    return without_first_words(text, start, words, first)


def _without_umlauts(word: str) -> str:
    return word.translate(_UMLAUTS)


_UMLAUTS = str.maketrans("äöüÄÖÜ", "aouAOU")


def join_german_genitives(keys: set[str], full_names_ending: dict[str, list[str]],
                          merged: dict[str, str], names: frozenset[str] = frozenset()
                          ) -> None:
    """German adds -s to a name it makes a genitive ("Putins Kalkül"): "putins" joins the group
    of "putin" where the document names it so, alone or as the end of one full name, or
    becomes "putin" where the document never writes the name without the -s but the training
    articles know it (`names`, lower case)."""
    for key in keys:
        stem = key[:-1]
        if len(key.split()) != 1 or not key.endswith("s") or len(stem) < 3:
            continue
        owners = full_names_ending.get(stem, [])
        if stem in keys or len(owners) == 1:
            merged[key] = merged.get(stem, stem if stem in keys else owners[0])
        elif stem in names:
            merged[key] = stem


_PARTICLE_SURNAME_KEY = re.compile(r"(?:von|van) (?:der|den|dem|de) \S+")


def join_particle_surnames(keys: set[str], merged: dict[str, str]) -> None:
    """"von der Leyen" joins the one full name that ends with it ("Ursula von der Leyen"), as
    a surname of one word does, and its genitive "von der Leyens" joins it too."""
    for key in keys:
        if key in merged or not _PARTICLE_SURNAME_KEY.fullmatch(key):
            continue
        stem = key[:-1] if key.endswith("s") and key[:-1] in keys else key
        owners = [full for full in keys if full.endswith(" " + stem)]
        if len(owners) == 1:
            merged[key] = merged.get(owners[0], owners[0])
        elif stem != key:
            merged[key] = merged.get(stem, stem)


def german_surface_without_genitive(surface: str, key: str) -> str:
    """"Putins" -> "Putin" in the group of "putin" or "wladimir putin": the name shown is never
    the genitive, which German makes by adding -s."""
    if " " in surface or not surface.endswith("s") or len(surface) < 4:
        return surface
    stem = normalise_name(surface[:-1], "de")
    if normalise_name(surface, "de") != key and (stem == key or key.endswith(" " + stem)):
        return surface[:-1]
    return surface
