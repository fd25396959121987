"""Polish rules of entity mention detection: which of a name's case forms to show ("Polska"
over "Polski", "Polaków" -> "Polacy", "Morza Czarnego" -> "Morze Czarne") and the countries
whose genitive is their people's singular ("z Niemiec")."""

from __future__ import annotations

from collections import Counter

from persuasion_lens.models.entity_text import normalise_name
from persuasion_lens.text.lemmas import lemmatize

# Polish nouns of a people (Polak, Ukrainiec, Rosjanin, Europejczyk): simplemma gives the
# singular, but the plural is what articles write ("Polacy", "Polaków"), so it is shown
_POLISH_PEOPLE_PLURALS = (("anin", "anie"), ("iec", "cy"), ("ak", "acy"), ("yk", "ycy"))
_POLISH_PLURAL_ENDINGS = ("cy", "ców", "com", "cami", "cach", "ków", "kom", "kami", "kach",
                          "anie", "an", "anów", "anom", "anami", "anach")
# plurals ("Darczyńców", "Demokraci" are no "Darczyńca", "Demokrata") and adjectives
# ("Północnej"), which the dictionary form would change in number or gender
_POLISH_PLURAL_CASE_ENDINGS = ("ów", "om", "ami", "ach", "ci", "cy", "owie", "owi",
                               "ej", "ych", "ich", "ego", "emu", "ym", "im")


# countries named in the plural whose genitive is their people's singular ("z Niemiec", "rząd
# Włoch"; "Niemiec", "Włoch" is also a German, an Italian): in the articles, the country
_POLISH_COUNTRY_GENITIVES = {"Niemiec": "Niemcy", "Włoch": "Włochy"}
# "Bracia Polacy", "Bracia z Włoch": a plural whose singular is another word ("brat")
_POLISH_BROTHERS = frozenset(["Bracia", "Braci", "Braciom", "Braćmi", "Braciach"])


def polish_country_of_genitive(surface: str) -> str:
    """"Niemiec" -> "Niemcy": the country a genitive names, which groups and shows as the
    country; other surfaces as they are."""
    return _POLISH_COUNTRY_GENITIVES.get(surface, surface)


def polish_display_name(written: Counter[str], key: str) -> str:
    """The most frequent surface that is its own dictionary form and the group's key
    ("Polska" over "Polski", its genitive); else a people's noun in the nominative plural
    ("Polaków" -> "Polacy"); else a noun and its adjectives in the nominative ("Morza
    Czarnego" -> "Morze Czarne"); else the dictionary form, capitalised as the name is
    ("Sejmu" -> "Sejm", "Unii" -> "Unia")."""
    counts: Counter[str] = Counter()
    for surface, count in written.items():
        counts[polish_country_of_genitive(surface)] += count
    nominative = [s for s in counts
                  if " " not in s and _polish_lemma(s) == s and normalise_name(s, "pl") == key
                  and not (s.endswith(("i", "y")) and s[:-1] + "a" in counts)]
    if nominative:
        return max(nominative, key=lambda s: (counts[s], len(s)))
    surface = max(counts, key=lambda s: (counts[s], len(s)))
    plural = _polish_people_plural(surface)
    if plural:
        return plural
    if surface in _POLISH_BROTHERS:
        return "Bracia"
    if _polish_personal_plural(surface):
        return surface
    phrase = _polish_phrase_nominative(surface) or _polish_man_in_the_genitive(surface)
    if phrase:
        return phrase
    if (surface.isalpha() and not surface.isupper()
            and not surface.endswith(_POLISH_PLURAL_CASE_ENDINGS)):
        lemma = _polish_lemma(surface)
        # a noun's lemma, not a verb's ("Buczę", the town, is no form of "buczyć")
        if (lemma[:3].lower() == surface[:3].lower() and not lemma.endswith("ć")
                and not lemma.endswith(("y", "i"))):  # an adjective ("Wyborcza" -> "wyborczy")
            return lemma[:1].upper() + lemma[1:]
    return _polish_base_form(surface)


# villages in -ów that the dictionary takes the genitive or locative of a better-known name
# for ("Kosowa", "Serbowie", "Czechowie" -> "Kosów", "Serbów", "Czechów")
_POLISH_NAMES_TAKEN_FOR_VILLAGES = {"Kosów": "Kosowo", "Serbów": "Serb", "Czechów": "Czech"}


def _polish_lemma(word: str) -> str:
    """The dictionary form of a Polish word, less the dictionary's slips on names: a name's
    word in -o is its own (no case of a Polish noun but the vocative ends so, of an adjective
    only -ego: "Benito", "Mario", not "Benita", "Maria"); a feminine's accusative or
    instrumental is no neuter's ("Szwedkę" -> "Szwedka", not "Szwedko"); a common noun in the
    nominative stays ("Budowa", not "Budowo"); and a village in -ów is the name the news mean
    ("Kosowa" -> "Kosowo")."""
    lemma = lemmatize(word, "pl")
    # a name's word (the dictionary keeps its capital), not an adjective's genitive
    if word.endswith("o") and not word.endswith("ego") and lemma[:1].isupper():
        return word
    if lemma != word and lemma in _POLISH_NAMES_TAKEN_FOR_VILLAGES:
        return _POLISH_NAMES_TAKEN_FOR_VILLAGES[lemma]
    if lemma.endswith("o") and lemma[:-1] == word[:-1]:
        if word.endswith(("ę", "ą")):
            return word[:-1] + "a"
        if word.endswith("a") and lemmatize(word.lower(), "pl") == word.lower():
            return word
    return lemma


def _polish_base_form(name: str) -> str:
    """Each word of the name in its dictionary form where the dictionary keeps the name's
    capitals ("Polsce" -> "Polska"); as written where a word has no such form."""
    words = name.split()
    if not words or len(words) > 3:
        return name
    lemmas = [_polish_lemma(word) for word in words]
    if not all(lemma[:1].isupper() and lemma.isalpha() for lemma in lemmas):
        return name
    return " ".join(lemmas)


def _polish_man_in_the_genitive(surface: str) -> str | None:
    """"Ronalda Reagana" -> "Ronald Reagan", "Tomasza Lisa" -> "Tomasz Lis", "Andrzeja Dudy"
    -> "Andrzej Duda", "Tomasza Grodzkiego" -> "Tomasz Grodzki": a man's first name and surname
    in the genitive, told by the first name: a word in -a whose dictionary form is another word
    ("Ronaldo", "Tomasz") while the word less its -a is a name the dictionary knows ("Ronald");
    not a woman's name in the nominative ("Anna Moskwa", "Dominika Lasota"), its own form. The
    dictionary mistakes surnames ("Lisa", "Grodzkie"), so the surname loses its ending by rule."""
    from simplemma import is_known

    words = surface.split()
    if len(words) != 2 or not all(w.isalpha() and w[:1].isupper() for w in words):
        return None
    first, surname = words
    stem = first[:-1]
    if not (first.endswith("a") and lemmatize(first, "pl") != first
            and lemmatize(stem, "pl") == stem and is_known(stem, "pl")):
        return None
    nominative = _polish_masculine_surname(surname)
    return f"{stem} {nominative}" if nominative else None


def _polish_masculine_surname(genitive: str) -> str | None:
    """A man's surname from its genitive: "Reagana" -> "Reagan", "Grodzkiego" -> "Grodzki",
    "Witkacego" -> "Witkacy", "Dudy" -> "Duda", "Hołowni" -> "Hołownia"."""
    if genitive.endswith("iego"):
        return genitive[:-3]
    if genitive.endswith("ego"):
        return genitive[:-3] + "y"
    if genitive.endswith("a"):
        return genitive[:-1]
    if genitive.endswith("y"):
        return genitive[:-1] + "a"
    if genitive.endswith("i"):
        return genitive + "a"
    return None


# the nominative plural of nouns of persons ("Serbowie", "Grecy", "Szwedzi", "Holendrzy",
# "Norwedzy", "Latynosi", "Sowieci", "Rumuni"), whose singular the dictionary gives
_POLISH_PERSONAL_PLURAL_ENDINGS = ("owie", "cy", "zi", "rzy", "dzy", "si", "ci", "ni")
_POLISH_PLACE_ENDINGS = ("a", "o", "ś", "ź", "ć", "ń", "ów")


def _polish_personal_plural(surface: str) -> bool:
    """Whether a word is a nominative plural of a masculine noun of persons, which is shown as
    written: its lemma, a capitalised noun, begins as it does and the word ends as such plurals
    do; no place's case ("Bośni", "Białorusi", "Rzeszowie": lemmas in -a, a soft consonant,
    -ów, or a neuter's -o: "Kosowie")."""
    lemma = _polish_lemma(surface)
    return (lemma != surface and lemma[:1].isupper() and not lemma.endswith(_POLISH_PLACE_ENDINGS)
            and lemma[:3] == surface[:3] and surface.endswith(_POLISH_PERSONAL_PLURAL_ENDINGS))


def _polish_people_plural(surface: str) -> str | None:
    """"Ukraińców" -> "Ukraińcy": the nominative plural of a people's noun in the plural."""
    if " " in surface or not surface.endswith(_POLISH_PLURAL_ENDINGS):
        return None
    lemma = _polish_lemma(surface)
    if not lemma[:1].isupper() or lemma == surface:
        return None
    for singular, plural in _POLISH_PEOPLE_PLURALS:
        if lemma.endswith(singular):
            stem = lemma[:-len(singular)]
            if singular == "iec" and stem.endswith("n"):  # Ukrainiec -> Ukraińcy
                stem = stem[:-1] + "ń"
            return stem + plural
    return None


# the endings of an adjective in the singular by its noun's gender: of the oblique cases
# ("Czarnego", "Europejskiej", "Bałtyckim"), then of the nominative
_POLISH_ADJECTIVE_OBLIQUE = {"m": ("ego", "emu", "ym", "im"), "n": ("ego", "emu", "ym", "im"),
                             "f": ("ej", "ą")}
_POLISH_ADJECTIVE_NOMINATIVE = {"m": ("y", "i"), "n": ("e",), "f": ("a",)}


def _polish_phrase_nominative(surface: str) -> str | None:
    """"Morza Czarnego" -> "Morze Czarne", "Komisji Europejskiej" -> "Komisja Europejska",
    "Nowym Jorku" -> "Nowy Jork": one noun in its dictionary form, the adjectives agreeing
    with its gender (the dictionary gives them in the masculine: "Morze Czarny"). None where
    the words are no such phrase in an oblique case of the singular: two nouns ("Nagrody
    Nobla"), a name already in the nominative ("Silvio Berlusconi", "Osetia Południowa"), a
    plural ("Braćmi Włoskimi"), an acronym or numeral ("III Rzeszy"), or an adjective whose
    ending does not fit the noun the dictionary gives ("Benito Mussoliniego")."""
    words = surface.split()
    if not 2 <= len(words) <= 3 or not all(
            w.isalpha() and w[:1].isupper() and w[1:].islower() for w in words):
        return None
    lemmas = [_polish_lemma(w) for w in words]
    if any(lemma[:3].lower() != w[:3].lower() for w, lemma in zip(words, lemmas, strict=True)):
        return None
    adjectives = [lemma.lower().endswith(("y", "i")) for lemma in lemmas]
    if adjectives.count(False) != 1:
        return None
    noun = adjectives.index(False)
    if words[noun].endswith("o") and words[noun] == lemmas[noun]:  # "Benito Mussoliniego"
        return None
    gender = _polish_gender(lemmas[noun])
    inflected = [w.lower() for w, adjective in zip(words, adjectives, strict=True) if adjective]
    oblique, nominative = _POLISH_ADJECTIVE_OBLIQUE[gender], _POLISH_ADJECTIVE_NOMINATIVE[gender]
    if not any(w.endswith(oblique) for w in inflected) or not all(
            w.endswith(oblique + nominative) for w in inflected):
        return None
    shown = [_polish_adjective(lemma.lower(), gender) if adjective else lemma.lower()
             for lemma, adjective in zip(lemmas, adjectives, strict=True)]
    return " ".join(w[:1] + form[1:] for w, form in zip(words, shown, strict=True))


def _polish_gender(noun: str) -> str:
    """A noun's gender by its dictionary form's ending: -a feminine, -o, -e, -um, -ę neuter,
    else masculine."""
    if noun.endswith("a"):
        return "f"
    return "n" if noun.endswith(("o", "e", "um", "ę")) else "m"


def _polish_adjective(masculine: str, gender: str) -> str:
    """"czarny" -> "czarna", "czarne"; "bałtycki" -> "bałtycka"; "zachodni" -> "zachodnia"."""
    if gender == "m":
        return masculine
    stem, ending = masculine[:-1], masculine[-1]
    soft = ending == "i" and not stem.endswith(("k", "g"))
    if gender == "f":
        return stem + ("ia" if soft else "a")
    return stem + ("ie" if ending == "i" else "e")
