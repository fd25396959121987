"""Entity mentions and the roles an article gives them (SemEval-2025 Task 10, subtask 1).

Three parts, all small and language-independent:

* `mention_features`: the words of a mention and of its context (nearest words left and right
  with their positions, a window of words, the sentence, character 4-grams of the name), as
  prefixed string features for a linear model.
* `MentionDetector`: finds mentions when none are given: a gazetteer of the annotated training
  mentions (lower case, matched case-sensitively on word boundaries, so outside Hindi it finds
  the names written in lower case; docs/narratives.md says why) plus runs of capitalised words
  that are not common words of the language.
* `group_mentions`: merges mentions of the same entity (lower case, lemmas via simplemma,
  possessives, a few aliases such as US / USA / United States, a surname alone after the full
  name) so that the report says "United States: Antagonist (Instigator) in 4 mentions".
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse as sp
from scipy.special import expit

from persuasion_lens.taxonomy.roles import GEOPOLITICAL_BLOCS
from persuasion_lens.text.documents import line_break
from persuasion_lens.text.lemmas import lemmatize

# words: letters, digits and the combining marks of Devanagari (which \w alone splits on)
TOKEN = re.compile(r"[\w\u0900-\u097F]+(?:[-'’][\w\u0900-\u097F]+)*")
_SENTENCE_STOP = re.compile(r"[.!?।]\s|\n")
WINDOW = 8
SENTENCE_CHARS = False  # character 4-grams of the sentence's words (morphology, spelling)

ALIASES: dict[str, str] = {
    "us": "United States", "u.s": "United States", "u.s.": "United States",
    "usa": "United States", "u.s.a": "United States", "u.s.a.": "United States",
    "united states": "United States", "united states of america": "United States",
    "the united states": "United States", "america": "United States",
    "сша": "United States", "сащ": "United States", "eua": "United States",
    "estados unidos": "United States", "अमेरिका": "United States",
    "dprk": "DPRK", "north korea": "DPRK", "кндр": "DPRK", "северная корея": "DPRK",
    "uk": "United Kingdom", "britain": "United Kingdom", "great britain": "United Kingdom",
    "united kingdom": "United Kingdom",
    "eu": "European Union", "european union": "European Union", "ес": "European Union",
    "евросоюз": "European Union", "ue": "European Union", "união europeia": "European Union",
    "нато": "NATO", "otan": "NATO", "nato": "NATO",
    "russian federation": "Russia", "россия": "Russia", "русия": "Russia", "rússia": "Russia",
    "рф": "Russia", "रूस": "Russia",
    "украина": "Ukraine", "украйна": "Ukraine", "ucrânia": "Ukraine", "यूक्रेन": "Ukraine",
    "the west": "the West", "west": "the West", "запад": "the West", "ocidente": "the West",
    "запада": "the West",
    # lemma forms (simplemma's, as `normalise_name` looks them up) of inflected names
    "российский федерация": "Russia", "руски федерация": "Russia", "federação russa": "Russia",
    "federação russo": "Russia", "соединённый штат": "United States",
    "соединенный штат": "United States", "соединить штат": "United States",
    "съединен щат": "United States", "съединен американски щат": "United States",
    "estado unido": "United States", "северный корея": "DPRK", "северен корея": "DPRK",
    "coreia do norte": "DPRK", "европейский союз": "European Union",
    "европейски съюз": "European Union", "união europeu": "European Union",
    # French, German, Italian and Polish (no narratives data): as written, then lemma forms
    "états-unis": "United States", "etats-unis": "United States", "états-unir": "United States",
    "amérique": "United States", "vereinigte staaten": "United States",
    "vereinigten staaten": "United States", "vereinigen staat": "United States",
    "amerika": "United States", "stati uniti": "United States",
    "stany zjednoczone": "United States",
    "stan zjednoczyć": "United States", "ameryka": "United States",
    "russie": "Russia", "fédération de russie": "Russia", "russland": "Russia",
    "russlands": "Russia", "russische föderation": "Russia", "russisch föderation": "Russia",
    "federazione russa": "Russia", "federazione russo": "Russia", "rosja": "Russia",
    "federacja rosyjska": "Russia", "federacja rosyjski": "Russia",
    "ucraina": "Ukraine", "ukraina": "Ukraine",
    "corée du nord": "DPRK", "nordkorea": "DPRK", "corea del nord": "DPRK",
    "korea północna": "DPRK", "korea północny": "DPRK",
    "union européenne": "European Union", "union européen": "European Union",
    "europäische union": "European Union", "europäisch union": "European Union",
    "unione europea": "European Union", "unione europeo": "European Union",
    "unia europejska": "European Union", "unia europejski": "European Union",
    "occident": "the West", "westen": "the West", "occidente": "the West", "zachód": "the West",
    "royaume-uni": "United Kingdom", "grande-bretagne": "United Kingdom",
    "großbritannien": "United Kingdom", "vereinigtes königreich": "United Kingdom",
    "vereinigt königreich": "United Kingdom", "vereinigen königreich": "United Kingdom",
    "regno unito": "United Kingdom", "regno unire": "United Kingdom",
    "gran bretagna": "United Kingdom", "wielka brytania": "United Kingdom",
    "wielki brytania": "United Kingdom",
}

_ALIASED_KEYS = frozenset(name.lower() for name in ALIASES.values())  # their grouping keys


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence (or line) around text[start:end]."""
    left = 0
    for match in _SENTENCE_STOP.finditer(text, max(0, start - 600), start):
        left = match.end()
    right_match = _SENTENCE_STOP.search(text, end)
    right = right_match.start() + 1 if right_match else len(text)
    return left, min(right, len(text))


def mention_features(text: str, start: int, end: int, language: str | None,
                     stance: Sequence[str] = ()) -> list[str]:
    """Features of one mention; `stance` holds the document's most likely narratives, which
    say whose side the article takes (alone, and crossed with the entity's name)."""
    features: list[str] = []
    name = text[start:end].lower()
    name_tokens = tokens(name)
    features.append("E:" + " ".join(name_tokens))
    features.extend("e:" + t for t in name_tokens)
    padded = f" {name} "
    features.extend("c:" + padded[i:i + 4] for i in range(max(1, len(padded) - 3)))
    left = tokens(text[max(0, start - 300):start])[-WINDOW:]
    right = tokens(text[end:end + 300])[:WINDOW]
    features.extend(f"l{i}:{t}" for i, t in enumerate(reversed(left[-3:])))
    features.extend(f"r{i}:{t}" for i, t in enumerate(right[:3]))
    features.extend("L:" + t for t in left)
    features.extend("R:" + t for t in right)
    if len(left) >= 2:
        features.append(f"lb:{left[-2]}_{left[-1]}")
    if len(right) >= 2:
        features.append(f"rb:{right[0]}_{right[1]}")
    a, b = sentence_bounds(text, start, end)
    sentence = [*tokens(text[a:start]), "<m>", *tokens(text[end:b])]
    features.extend("S:" + t for t in sentence)
    features.extend(f"S2:{x}_{y}" for x, y in itertools.pairwise(sentence))
    if SENTENCE_CHARS:
        for word in sentence:
            padded_word = f"<{word}>"
            features.extend("C:" + padded_word[i:i + 4] for i in range(len(padded_word) - 3))
    features.append(f"lang:{language or '?'}")
    if stance:
        key = normalise_name(text[start:end], language)
        for label in stance:
            features.append("T:" + label)
            features.append(f"ET:{key}|{label}")
    # the rows of all mentions are kept for the salience model; most of their strings recur
    # (a long text has tens of thousands of mentions, about 300 features each)
    return [sys.intern(f) for f in features]


class SparseFeaturizer:
    """String features -> sublinear tf-idf rows, L2-normalised (vocabulary and idf stored)."""

    def __init__(self, vocabulary: list[str], idf: np.ndarray):
        self.vocabulary = list(vocabulary)
        self.index = {f: i for i, f in enumerate(self.vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float64)

    @classmethod
    def fit(cls, rows: Sequence[Iterable[str]], min_df: int = 2,
            max_features: int | None = None) -> SparseFeaturizer:
        df: Counter[str] = Counter()
        for row in rows:
            df.update(set(row))
        kept = [(f, n) for f, n in df.items() if n >= min_df]
        kept.sort(key=lambda item: (-item[1], item[0]))
        if max_features:
            kept = kept[:max_features]
        n_docs = max(1, len(rows))
        vocabulary = [f for f, _ in kept]
        idf = np.array([np.log((1 + n_docs) / (1 + n)) + 1 for _, n in kept])
        return cls(vocabulary, idf)

    def transform(self, rows: Sequence[Iterable[str]]) -> sp.csr_matrix:
        indptr, indices, counts = [0], [], []
        lookup = self.index.get
        for row in rows:
            found = Counter(i for i in map(lookup, row) if i is not None)
            indices.extend(found)
            counts.extend(found.values())
            indptr.append(len(indices))
        values = 1 + np.log(np.array(counts, dtype=np.float64))  # sublinear tf
        matrix = sp.csr_matrix(
            (values, np.array(indices, dtype=np.int64), indptr),
            shape=(len(rows), len(self.vocabulary)),
        )
        return _normalise(matrix @ sp.diags(self.idf))


def _normalise(matrix: sp.spmatrix) -> sp.csr_matrix:
    matrix = sp.csr_matrix(matrix)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1 / norms) @ matrix)


# -- grouping -----------------------------------------------------------------------------------


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


LEMMATISED_LANGUAGES = frozenset({"ru", "bg", "pt", "en", "de", "fr", "it", "pl", "hi"})


def normalise_name(name: str, language: str | None = None) -> str:
    """A grouping key: lower case, no possessive, aliases resolved, lemmas where possible."""
    clean = name.strip().strip("\"'«»“”„()[]").strip()
    clean = re.sub(r"(?:'s|’s|'|’)$", "", clean)
    lowered = " ".join(clean.lower().split())
    if lowered.startswith("the ") and lowered[4:] in ALIASES:
        lowered = lowered[4:]
    if lowered in ALIASES:
        return ALIASES[lowered].lower()
    words = tokens(lowered)
    if language in LEMMATISED_LANGUAGES and words:
        lemmas = [lemmatize(w, language) for w in words]
        joined = " ".join(lemmas).lower()
        if joined in ALIASES:
            return ALIASES[joined].lower()
        words = [w.lower() for w in lemmas]
    key = " ".join(words) or lowered
    return _strip_accents(key) if language not in {"hi"} else key


def bloc_of(name: str, language: str | None = None) -> str | None:
    """The geopolitical side a name belongs to (taxonomy.roles.GEOPOLITICAL_BLOCS), if any: a
    stem must start a word of the name or of its grouping key ("nato" is not in "senator")."""
    lowered = " " + " ".join(tokens(normalise_name(name, language) + " " + name))
    for bloc, stems in GEOPOLITICAL_BLOCS.items():
        if any(" " + stem in lowered for stem in stems):
            return bloc
    return None


def display_name(surfaces: Sequence[str], key: str, language: str | None = None) -> str:
    for canonical in set(ALIASES.values()):
        if canonical.lower() == key:
            return canonical
    counts = Counter(re.sub(r"(?:'s|’s)$", "", s.strip()) for s in surfaces)
    # the most frequent surface form, longer ones first on ties; in German, among equals, not
    # a genitive joined to the name ("Selenskyj", not "Selenskyjs")
    genitive = (lambda s: normalise_name(s, language) != key) if language == "de" else (
        lambda s: False)
    if language == "pl":
        return _polish_display_name(counts, key)
    return base_form(max(counts, key=lambda s: (counts[s], not genitive(s), len(s))), language)


# Polish nouns of a people (Polak, Ukrainiec, Rosjanin, Europejczyk): simplemma gives the
# singular, but the plural is what articles write ("Polacy", "Polaków"), so it is shown
_POLISH_PEOPLE_PLURALS = (("anin", "anie"), ("iec", "cy"), ("ak", "acy"), ("yk", "ycy"))
_POLISH_PLURAL_ENDINGS = ("cy", "ców", "com", "cami", "cach", "ków", "kom", "kami", "kach",
                          "anie", "an", "anów", "anom", "anami", "anach")
# plurals ("Darczyńców", "Demokraci" are no "Darczyńca", "Demokrata") and adjectives
# ("Północnej"), which the dictionary form would change in number or gender
_POLISH_PLURAL_CASE_ENDINGS = ("ów", "om", "ami", "ach", "ci", "cy", "owie", "owi",
                               "ej", "ych", "ich", "ego", "emu", "ym", "im")


def _polish_display_name(counts: Counter[str], key: str) -> str:
    """The most frequent surface that is its own dictionary form and the group's key
    ("Polska" over "Polski", its genitive); else a people's noun in the nominative plural
    ("Polaków" -> "Polacy"); else the dictionary form, capitalised as the name is ("Sejmu" ->
    "Sejm", "Unii" -> "Unia")."""
    nominative = [s for s in counts
                  if " " not in s and lemmatize(s, "pl") == s and normalise_name(s, "pl") == key
                  and not (s.endswith(("i", "y")) and s[:-1] + "a" in counts)]
    if nominative:
        return max(nominative, key=lambda s: (counts[s], len(s)))
    surface = max(counts, key=lambda s: (counts[s], len(s)))
    plural = _polish_people_plural(surface)
    if plural:
        return plural
    if (surface.isalpha() and not surface.isupper()
            and not surface.endswith(_POLISH_PLURAL_CASE_ENDINGS)):
        lemma = lemmatize(surface, "pl")
        # a noun's lemma, not a verb's ("Buczę", the town, is no form of "buczyć")
        if (lemma[:3].lower() == surface[:3].lower() and not lemma.endswith("ć")
                and not lemma.endswith(("y", "i"))):  # an adjective ("Wyborcza" -> "wyborczy")
            return lemma[:1].upper() + lemma[1:]
    return base_form(surface, "pl")


def _polish_people_plural(surface: str) -> str | None:
    """"Ukraińców" -> "Ukraińcy": the nominative plural of a people's noun in the plural."""
    if " " in surface or not surface.endswith(_POLISH_PLURAL_ENDINGS):
        return None
    lemma = lemmatize(surface, "pl")
    if not lemma[:1].isupper() or lemma == surface:
        return None
    for singular, plural in _POLISH_PEOPLE_PLURALS:
        if lemma.endswith(singular):
            stem = lemma[:-len(singular)]
            if singular == "iec" and stem.endswith("n"):  # Ukrainiec -> Ukraińcy
                stem = stem[:-1] + "ń"
            return stem + plural
    return None


def base_form(name: str, language: str | None) -> str:
    """The name with each word in its dictionary form where the dictionary keeps names' capitals
    (Германии -> Германия, Polsce -> Polska); as written where any word has no such form."""
    words = name.split()
    if language not in _INFLECTED_NAMES or not words or len(words) > 3:
        return name
    lemmas = [lemmatize(word, language) for word in words]
    if not all(lemma[:1].isupper() and lemma.isalpha() for lemma in lemmas):
        return name
    return " ".join(lemmas)


@dataclass
class MentionGroup:
    key: str
    name: str
    indices: list[int] = field(default_factory=list)


def group_mentions(names: Sequence[str], language: str | None) -> list[MentionGroup]:
    """Group mention strings of one document; returns groups in order of first mention."""
    keys = [normalise_name(n, language) for n in names]
    multi = {k for k in keys if 1 < len(k.split()) <= 3 and "-" not in k
             and not set(k.split()) & {"of", "de", "do", "da", "the", "and"}}
    # a surname alone joins the one full name that ends with it ("Putin" -> "Vladimir Putin")
    full_names_ending: dict[str, list[str]] = {}
    for full in multi:
        full_names_ending.setdefault(full.split()[-1], []).append(full)
    merged: dict[str, str] = {}
    for key in set(keys):
        if len(key.split()) == 1:
            owners = full_names_ending.get(key, [])
            if len(owners) == 1:
                merged[key] = owners[0]
    if language == "de":
        _join_german_genitives(set(keys), full_names_ending, merged)
    if language in _FIRST_NAME_LANGUAGES:
        _join_first_names(names, keys, merged, language)
    groups: dict[str, MentionGroup] = {}
    for index, key in enumerate(keys):
        key = merged.get(key, key)
        group = groups.setdefault(key, MentionGroup(key, ""))
        group.indices.append(index)
    for group in groups.values():
        group.name = display_name([names[i] for i in group.indices], group.key, language)
    return _merge_same_names(list(groups.values()))


def _join_german_genitives(keys: set[str], full_names_ending: dict[str, list[str]],
                           merged: dict[str, str]) -> None:
    """German adds -s to a name it makes a genitive ("Putins Kalkül"): "putins" joins the group
    of "putin" where the document names it so, alone or as the end of one full name."""
    for key in keys:
        stem = key[:-1]
        if len(key.split()) != 1 or not key.endswith("s") or len(stem) < 3:
            continue
        owners = full_names_ending.get(stem, [])
        if stem in keys or len(owners) == 1:
            merged[key] = merged.get(stem, stem if stem in keys else owners[0])


_FIRST_NAME_LANGUAGES = frozenset({"de", "fr", "it", "pl"})


def _join_first_names(names: Sequence[str], keys: Sequence[str], merged: dict[str, str],
                      language: str) -> None:
    """A first name alone joins the one full name of two or three words that starts with it
    and comes before it in the text ("Marine Le Pen" ... "Marine"). Not a country or city
    opening a longer name ("France" ... "France Info", "Italia Viva"): the full name's last
    word may not be a common word, and the text must name the whole before the part."""
    first_place: dict[str, int] = {}
    for index, key in enumerate(keys):
        first_place.setdefault(key, index)
    starting: dict[str, list[str]] = {}
    for full in first_place:
        words = full.split()
        if 2 <= len(words) <= 3 and "-" not in full:
            starting.setdefault(words[0], []).append(full)
    for key, owners in starting.items():
        if key not in first_place or key in merged or key in _ALIASED_KEYS or len(owners) != 1:
            continue
        full = owners[0]
        if first_place[full] < first_place[key] and _reads_as_a_person(
                names[first_place[key]], names[first_place[full]], language):
            merged[key] = merged.get(full, full)


_NAME_PARTICLES = frozenset(["le", "la", "de", "di", "da", "del", "du", "van", "von", "der"])
# written in lower case in names ("Charles de Gaulle"); Italian "di", "da" so join a place
# ("Brasile di Bolsonaro")
_LOWER_CASE_NAME_PARTICLES = frozenset(["de", "van", "von", "der"])


def _reads_as_a_person(first_name: str, full_name: str, language: str) -> bool:
    """Whether "Marine" and "Marine Le Pen" read as a first name and a person's full name: no
    acronym ("RN Tanguy", "TVP Info"), words written as names are (not "GmbH"), a surname that
    is no common word ("Italia Viva"), and a third word only after a particle ("Le Pen", "Di
    Maio", "de Gaulle"; "Palermo Leoluca Orlando" is a place before a name)."""
    words = full_name.split()
    if first_name.isupper() or not all(w[1:] == w[1:].lower() for w in words):
        return False
    if len(words) == 3 and not (words[1].lower() in _NAME_PARTICLES and (
            words[1][0].isupper() or words[1] in _LOWER_CASE_NAME_PARTICLES)):
        return False
    return not _lemma_is_lower_case(words[-1], language)


def _merge_same_names(groups: list[MentionGroup]) -> list[MentionGroup]:
    """One group per name shown. The lemma of a lower-cased word can differ from that of the
    capitalised one that gives the name shown ("киев" -> "кий" but "Киева" -> "Киев", "путина"
    is a fishing season), and a reader takes two rows of one name for one entity; such groups
    join the first, keeping its key. Mention features use `normalise_name`, not the groups,
    so the mentions' roles stay as they were."""
    by_name: dict[str, MentionGroup] = {}
    for group in groups:
        first = by_name.setdefault(group.name, group)
        if first is not group:
            first.indices = sorted(first.indices + group.indices)
    return list(by_name.values())


_PRONOUNS = {"us", "we", "i", "it", "he", "she", "they", "you", "our", "his", "her", "their"}
_MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday",
}

# -- mention detection --------------------------------------------------------------------------

_CAPITALISED = re.compile(
    r"(?<![\w])(?:[A-ZА-ЯЁЇІЄҐ](?:[\w'’-]|\.(?=\w))*)(?:[^\S\n]+(?:(?:of|de|da|do|dos|das|the|von|"
    r"van|der|di|du|la|le)[^\S\n]+)?[A-ZА-ЯЁЇІЄҐ][\w'’-]*)*"
)


# A title alone is no name: "Mr" of "Mr. Putin" (the full stop ends the capitalised run), or
# "President" of "Hello, President"; before a name it stays part of it ("Mr Biden").
_TITLES_ALONE = frozenset({
    "mr", "mrs", "ms", "mx", "dr", "prof", "sr", "sra", "srta", "jr", "mme", "mlle", "hr", "fr",
    "sig", "sigra", "dott", "president", "président", "presidente", "präsident", "prezydent",
    "президент", "премьер"})
# Titles that open a name: a capitalised run holding one after its first word is two names
# ("Herr Scholz Frau Merkel").
_TITLES_OPENING_A_NAME = frozenset({
    "mr", "mrs", "ms", "dr", "herr", "frau", "mme", "mlle", "madame", "monsieur", "sig",
    "sigra", "signor", "signora", "pan", "pani"})
# Headlines are written in Title Case in English; elsewhere a line of many capitals is a German
# sentence of nouns or a list of names, whose capitals do say "name".
_TITLE_CASE_LANGUAGES = frozenset({"en", "*"})

_SENTENCE_OPENERS = set(".!?:;\"“”«»„(—–-•*")
_HEADLINE_MIN_WORDS = 4
_HEADLINE_CAPITALISED = 0.75


def _starts_sentence(text: str, position: int) -> bool:
    """Whether text[position] opens a sentence, a line, a quotation or a parenthesis."""
    before = text[max(0, position - 20):position].rstrip(" \t")
    return not before or before.endswith(("\n", "\r")) or before[-1] in _SENTENCE_OPENERS


def _split_at_titles(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The run text[start:end] cut before every title that opens a name, except its first word."""
    cuts = [m.start() for m in re.finditer(r"\S+", text[start:end])
            if m.start() > 0 and m.group().lower().rstrip(".") in _TITLES_OPENING_A_NAME]
    bounds = [start, *(start + cut for cut in cuts), end]
    return [(a, a + len(text[a:b].rstrip())) for a, b in itertools.pairwise(bounds)]


def _headline_lines(text: str) -> list[tuple[int, int]]:
    """Lines written in Title Case (most words capitalised), such as headlines."""
    lines, offset = [], 0
    for line in text.split(line_break(text)):
        words = re.findall(r"[^\W\d_][\w'’-]*", line)
        if len(words) >= _HEADLINE_MIN_WORDS and sum(
                w[0].isupper() for w in words) >= _HEADLINE_CAPITALISED * len(words):
            lines.append((offset, offset + len(line)))
        offset += len(line) + 1
    return lines


# simplemma's dictionaries that keep the capital of names (Polsce -> Polska, Ceny -> cena); those
# of bg, pt and hi are lower case throughout, so a lower-case lemma says nothing there
_CASED_DICTIONARIES = {"en", "de", "fr", "it", "pl", "ru"}
_INFLECTED_NAMES = {"de", "pl", "ru"}  # of those, the languages that decline names
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
_GERMAN_CALENDAR = frozenset(_GERMAN_CALENDAR_WORDS.split())
# the aliased places (not "Westen", "Occident": also a direction), which German writes with an
# article and French and Italian with a lower-case adjective
_ALIASED_PLACES = _ALIASED_KEYS - {"the west"}


def _german_common_noun(text: str, start: int, word: str) -> bool:
    """A capitalised German word that is a common noun or not a noun at all: one whose lemma
    is lower case ("Trotzdem", "Wer"), or one after a determiner or an inflected adjective.
    An acronym (die USA, der NATO) or a country of the war's sides (die Ukraine) is a name
    whatever precedes it."""
    if word.isupper() or normalise_name(word, "de") in _ALIASED_PLACES:
        return False
    if _lemma_is_lower_case(word, "de"):
        return True
    if len(word) >= 7 and word.lower().endswith(_GERMAN_ABSTRACT_NOUN_ENDINGS):
        return True
    if _german_plural_or_dative(word):
        return True
    if _NUMBER_BEFORE.search(text, max(0, start - 30), start):  # "56 Prozent", "2022 Ende"
        return True
    previous = _PREVIOUS_WORD.search(text, max(0, start - 40), start)
    if previous is None:
        return False
    before = previous.group(1)
    if before.lower() in _GERMAN_DETERMINERS:  # "Die" or "Ein" opening the sentence too
        return True
    return before[0].islower() and _german_inflected_adjective(before)


_SPACES_IN_RUN = re.compile(r"[^\S\n]*")


def _without_first_words(text: str, start: int, words: list[str], count: int
                         ) -> tuple[int, list[str]]:
    """A capitalised run at `start` less its first `count` words: where the rest begins in
    the text, and its words (the words of a run are parted by spaces, never a line break)."""
    for word in words[:count]:
        start = _SPACES_IN_RUN.match(text, start + len(word)).end()
    return start, words[count:]


def _without_german_noun_before_genitive(text: str, start: int, words: list[str]
                                        ) -> tuple[int, list[str]]:
    """"der Sprecher der NATO", "die Vorwürfe der USA": a common noun and the article that
    joins it to a name are no part of the name."""
    while len(words) > 2 and words[1] in ("der", "des", "von") and _german_common_noun(
            text, start, words[0]):
        start, words = _without_first_words(text, start, words, 2)
    return start, words


def _without_german_measure_words(text: str, start: int, words: list[str]
                                  ) -> tuple[int, list[str]]:
    """"18 Milliarden Dollar", "7 Millionen Menschen": after a number, a run's measure words are
    no name."""
    if not _NUMBER_BEFORE.search(text, max(0, start - 30), start):
        return start, words
    while words and words[0] in _GERMAN_MEASURE_WORDS:
        start, words = _without_first_words(text, start, words, 1)
    return start, words


# languages whose names the aliases cover with no narratives data to measure them on, so that
# finding more of their names changes no measured number
_ALIASES_WITHOUT_DATA = frozenset({"de", "fr", "it", "pl"})
_NEXT_WORD = re.compile(r"[^\S\n]+([^\W\d_]+)")


def _is_alias(words: list[str], language: str) -> bool:
    """Whether the words name one of the aliased countries or unions ("Europäische Union")."""
    return normalise_name(" ".join(words), language) in _ALIASED_PLACES


def _with_alias_adjective(text: str, end: int, words: list[str], language: str
                          ) -> tuple[int, list[str]]:
    """"Union européenne", "Unione europea": a lower-case adjective after the capitalised word
    belongs to the name where together they are an aliased name."""
    following = _NEXT_WORD.match(text, end)
    if following and _is_alias([*words, following.group(1)], language):
        return following.end(), [*words, following.group(1)]
    return end, words


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
_INSTITUTION_NOUNS = {"fr": frozenset(_FRENCH_INSTITUTION_NOUNS.split()),
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


def _with_institution_adjectives(text: str, end: int, words: list[str], language: str
                                 ) -> tuple[int, list[str]]:
    """"Assemblée nationale", "Fonds monétaire international": up to two lower-case adjectives
    after a run that ends with an institution's noun belong to its name."""
    if not words or words[-1] not in _INSTITUTION_NOUNS[language]:
        return end, words
    return _with_adjectives(text, end, words, language)


def _with_adjectives(text: str, end: int, words: list[str], language: str
                     ) -> tuple[int, list[str]]:
    """The run with up to two lower-case adjectives that follow it."""
    for _ in range(2):
        following = _NEXT_WORD.match(text, end)
        if not following or not _is_adjective(following.group(1), language) or (
                following.end() < len(text) and text[following.end()] in "-'’"):
            break
        end, words = following.end(), [*words, following.group(1)]
    return end, words


# "Corea del Sud", "Fratelli d’Italia", "Organisation des Nations unies": the capitalised run
# (shared by all languages) stops at a lower-case "del", "des" or "d’"
_CONNECTED_NAME_LANGUAGES = frozenset({"fr", "it"})
_NAME_CONNECTORS = frozenset(
    ["del", "della", "delle", "dei", "degli", "dello", "des", "du", "de"])
_CONNECTOR_AHEAD = re.compile(
    r"[^\S\n]+(?:(del|della|delle|dei|degli|dello|des)[^\S\n]+|(d|dell)['’])(?=[A-Z])")
_COMPASS_POINTS = frozenset(["Nord", "Sud", "Est", "Ovest", "Ouest"])


def _with_connected_name(text: str, end: int, words: list[str], language: str
                         ) -> tuple[int, list[str]]:
    """"Corea del Sud", "Fratelli d’Italia": a run joined to the next capitalised run by a
    lower-case "del", "des" or "d’" is one name where its last word is a common word (the noun
    of a name: Fratelli, Organisation, Ministero) or the next run is a point of the compass;
    not "Meloni dei Fratelli". After an institution's noun the name keeps its adjectives
    ("Organisation des Nations unies")."""
    connector = _CONNECTOR_AHEAD.match(text, end)
    if not 0 < len(words) <= 2 or not words[0][:1].isupper() or connector is None:
        return end, words
    following = _CAPITALISED.match(text, connector.end())
    if following is None:
        return end, words
    next_words = following.group().rstrip(".'’-").split()
    # a run that goes on ("Petit Prince d’Antoine de Saint-Exupéry") or is long ("Banca
    # d’Inghilterra Andrew Bailey") holds another name
    if len(next_words) > 2 or not all(w[:1].isupper() for w in next_words):
        return end, words
    if not (_lemma_is_lower_case(words[-1], language) or next_words[0] in _COMPASS_POINTS):
        return end, words
    if connector.group(1):
        joined = [*words, connector.group(1), *next_words]
    else:
        joined = [*words, connector.group(2) + "’" + next_words[0], *next_words[1:]]
    new_end = connector.end() + len(" ".join(next_words))
    if text[connector.end():new_end].split() != next_words:
        return end, words
    if words[0] in _INSTITUTION_NOUNS[language]:
        return _with_adjectives(text, new_end, joined, language)
    return new_end, joined


def _opens_connected_name(words: list[str]) -> bool:
    """Whether the run is a name that a connector joins ("Organisation des Nations unies"),
    whose first word, a common word, is no word to drop."""
    return (len(words) > 2 and words[1] in _NAME_CONNECTORS) or (len(words) > 1 and (
        words[1].startswith(("d’", "d'", "dell’", "dell'"))))


def _opens_institution(words: list[str], language: str) -> bool:
    """Whether the words begin with an institution's noun and its adjective ("Commission
    européenne" opening a sentence), which are a name though the noun is a common word."""
    return (language in _INSTITUTION_NOUNS and len(words) > 1
            and words[0] in _INSTITUTION_NOUNS[language] and words[1][:1].islower())


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
_SENTENCE_ADVERBS = {language: frozenset(words.split())
                     for language, words in _SENTENCE_ADVERB_WORDS.items()}
# The country or the state, capitalised out of respect ("il Paese", "l'Etat"): a common noun
# that the training texts write capitalised as often as not, so no list knew it
_STATE_NOUN_WORDS = {"fr": "etat etats état états", "it": "paese paesi stato stati"}
_STATE_NOUNS = {language: frozenset(words.split())
                for language, words in _STATE_NOUN_WORDS.items()}
# "Peut-on", "S'agit-il", "Souvenez-vous": a French verb with its pronoun after a hyphen
_FRENCH_INVERTED_PRONOUN = re.compile(
    r"\w-(?:t-)?(?:je|tu|il|elle|on|nous|vous|ils|elles|ce|moi|toi|le|la|les|lui|leur|en|y)$")


def _is_sentence_adverb(text: str, start: int, word: str, language: str) -> bool:
    """Whether a capitalised French, Italian or Polish word is an adverb, an interjection or a
    verb with its pronoun; an Italian adverb in -mente (Fortunatamente) where it opens a
    sentence."""
    if word.lower() in _SENTENCE_ADVERBS.get(language, ()):
        return True
    if language == "fr":
        return bool(_FRENCH_INVERTED_PRONOUN.search(word))
    return (language == "it" and len(word) >= 9 and word.endswith("mente")
            and _starts_sentence(text, start))


def _without_opening_adverb(text: str, start: int, words: list[str], language: str
                            ) -> tuple[int, list[str]]:
    """"Ecco Salvini", "Souvenez-vous de Poutine": an adverb or verb opening a sentence, and the
    lower-case words joining it to a name, are no part of the name."""
    if len(words) < 2 or not _is_sentence_adverb(text, start, words[0], language):
        return start, words
    first = 1
    while first < len(words) and words[first][:1].islower():
        first += 1
    return _without_first_words(text, start, words, first)


def _german_genitive_before_noun(words: _TextWords, run: list[str],
                                 names: frozenset[str]) -> bool:
    """"Putins Kalkül", "Russlands Krieg": a name in the genitive before the noun it governs,
    told by the text naming it without the -s too, or by the name being one of the training
    names `names` (so "Hans Müller" stays whole)."""
    if len(run) != 2 or not run[0].endswith("s") or len(run[0]) < 4:
        return False
    stem = run[0][:-1]
    return (words.written(stem) or stem.lower() in names
            or normalise_name(run[0], "de") in _ALIASED_PLACES)


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


def _without_umlauts(word: str) -> str:
    return word.translate(_UMLAUTS)


_UMLAUTS = str.maketrans("äöüÄÖÜ", "aouAOU")


def _lemma_is_lower_case(word: str, language: str) -> bool:
    """Whether the dictionary knows the word and its lemma is written in lower case."""
    from simplemma import is_known

    lemma = lemmatize(word, language)
    return lemma[:1].islower() and (is_known(word, language) or is_known(lemma, language))


def _dictionary_word(words: _TextWords, start: int, word: str, language: str) -> bool:
    """Whether a capitalised word that is no known name is a common word by the dictionary."""
    if language == "de" and _german_common_noun(words.text, start, word):
        return True
    return _starts_sentence(words.text, start) and _lower_case_word(words, word, language)


# "L'Ukraine", "D'Italia", "Dell'Europa" opening a sentence: the article is no part of the name
_ELIDED_ARTICLE = re.compile(r"(?:[LDld]|[Dd]ell|[Aa]ll|[Nn]ell|[Ss]ull|[Dd]all|[Qq]u)['’](?=\w)")
_TOKEN = re.compile(r"[\w-]+")
_WORD_GOES_ON = re.compile(r"[\w-]")


class _TextWords:
    """Where a text writes each of its words, gathered in one pass: the dictionary checks ask
    it once per capitalised word, and searching the whole text each time took minutes for a
    book-length text (about 5 minutes for 0.9 MB)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._token_at: dict[str, list[int]] = {}
        for match in _TOKEN.finditer(text):
            self._token_at.setdefault(match.group(), []).append(match.start())
        self._only_opens_sentences: dict[str, bool] = {}

    def places(self, word: str) -> list[int]:
        """Where the text writes `word` (exactly so) as a whole word."""
        if _TOKEN.fullmatch(word):
            return self._token_at.get(word, [])
        first = _TOKEN.match(word)
        if first is None:  # begins with punctuation: seldom, searched for
            return [m.start() for m in re.finditer(
                rf"(?<![\w-]){re.escape(word)}(?![\w-])", self.text)]
        # "U.S": its first piece is a whole word wherever the text writes it whole
        return [place for place in self._token_at.get(first.group(), [])
                if self.text.startswith(word, place)
                and not _WORD_GOES_ON.match(self.text, place + len(word))]

    def written(self, word: str) -> bool:
        """Whether the text has `word` as a whole word, exactly so written."""
        return bool(self.places(word))

    def only_opens_sentences(self, word: str) -> bool:
        """Whether every place where the text writes the capitalised `word` opens a sentence."""
        if word not in self._only_opens_sentences:
            self._only_opens_sentences[word] = all(
                _starts_sentence(self.text, place) for place in self.places(word))
        return self._only_opens_sentences[word]


def _lower_case_word(words: _TextWords, word: str, language: str) -> bool:
    """A sentence-initial word that is a lower-case word: written so elsewhere in the text, or
    a dictionary word with a lower-case lemma that the text never capitalises inside a sentence
    ("Sensible for whom?", "Ceny paliw", "Tymczasem")."""
    if words.written(word.lower()):
        return True
    return _lemma_is_lower_case(word, language) and words.only_opens_sentences(word)


@dataclass
class MentionDetector:
    """Gazetteer of training mentions plus capitalised runs that are not common words."""

    gazetteer: dict[str, list[str]]  # language (or "*") -> lower-cased names
    common_words: dict[str, list[str]]  # language -> capitalised words that are not names
    _patterns: dict[str, re.Pattern] = field(default_factory=dict, repr=False)
    _names_anywhere: frozenset[str] | None = field(default=None, repr=False)

    def _pattern(self, language: str) -> re.Pattern | None:
        if language not in self._patterns:
            names = set(self.gazetteer.get("*", [])) | set(self.gazetteer.get(language, []))
            names = {n for n in names if len(n) >= 2 and n.lower() not in _PRONOUNS}
            if not names:
                return None
            ordered = sorted(names, key=len, reverse=True)
            body = "|".join(re.escape(n) for n in ordered)
            self._patterns[language] = re.compile(
                rf"(?<![\w\u0900-\u097F])(?:{body})(?![\w\u0900-\u097F])"
            )
        return self._patterns[language]

    def detect(self, text: str, language: str | None) -> list[tuple[int, int]]:
        """Mentions in text order. Where a named-entity library covers the language (natasha
        for Russian, when installed) its entities come first and ours fill the gaps."""
        ours = self._detect_by_rules(text, language)
        library = library_entities(text, language)
        if library is None:
            return ours
        taken = sorted(library)
        return sorted(taken + [(s, e) for s, e in ours if not _overlaps_any(taken, s, e)])

    def _detect_by_rules(self, text: str, language: str | None) -> list[tuple[int, int]]:
        language = language or "*"
        spans: list[tuple[int, int]] = []
        pattern = self._pattern(language)
        if pattern is not None:
            spans.extend((m.start(), m.end()) for m in pattern.finditer(text))
        common = (set(self.common_words.get(language, [])) | set(self.common_words.get("*", []))
                  | _MONTHS | (_GERMAN_CALENDAR if language == "de" else set()))
        headlines = _headline_lines(text) if language in _TITLE_CASE_LANGUAGES else []
        known = self.known_names(language)
        text_words: _TextWords | None = None  # built at the first word that needs it
        for match in _CAPITALISED.finditer(text):
            start, end = match.start(), match.end()
            if _inside_any(headlines, start):
                continue  # Title Case: every word is capitalised, so capitals say nothing
            surface = re.sub(r"(?:'s|’s)$", "", text[start:end]).rstrip(".'’-")
            end = start + len(surface)
            if language in ("fr", "it"):
                elided = _ELIDED_ARTICLE.match(surface)
                if elided:
                    start += elided.end()
                    surface = surface[elided.end():]
            words = surface.split()
            # a common word is capitalised at the start of a sentence; inside one (City Hall)
            # its capital says that it belongs to the name
            opens_sentence = _starts_sentence(text, start)
            if language in _ALIASES_WITHOUT_DATA:
                end, words = _with_alias_adjective(text, end, words, language)
            # not at a sentence's start, where the common word may be no noun of a name
            # ("Vu d'Europe", "Lors du G7"), save an institution's ("Organisation des ...")
            connected = language in _CONNECTED_NAME_LANGUAGES and bool(words) and (
                not opens_sentence or words[0] in _INSTITUTION_NOUNS[language])
            if connected:
                end, words = _with_connected_name(text, end, words, language)
                connected = _opens_connected_name(words)
            if language in _INSTITUTION_NOUNS:
                end, words = _with_institution_adjectives(text, end, words, language)
            if opens_sentence and language in _SENTENCE_ADVERBS:
                start, words = _without_opening_adverb(text, start, words, language)
            while words and (opens_sentence or len(words) == 1) and (
                    words[0].lower() in common
                    or (language == "de" and len(words) > 1 and opens_sentence
                        and _lemma_is_lower_case(words[0], "de"))) and not (
                    language in _ALIASES_WITHOUT_DATA and _is_alias(words, language)
                    ) and not _opens_institution(words, language) and not connected:
                start, words = _without_first_words(text, start, words, 1)
            if language == "de":
                start, words = _without_german_noun_before_genitive(text, start, words)
                start, words = _without_german_measure_words(text, start, words)
                text_words = text_words or _TextWords(text)
                if _german_genitive_before_noun(text_words, words, self.names_anywhere()):
                    words = words[:1]
                    end = start + len(words[0])
            if not words or len(surface) < 2:
                continue
            if len(words) == 1 and (words[0].lower() in common
                                    or words[0].lower().rstrip(".") in _TITLES_ALONE
                                    or _is_sentence_adverb(text, start, words[0], language)
                                    or words[0].lower() in _STATE_NOUNS.get(language, ())):
                continue
            if (len(words) == 1 and language in _CASED_DICTIONARIES
                    and words[0].lower() not in known):
                text_words = text_words or _TextWords(text)
                if _dictionary_word(text_words, start, words[0], language):
                    continue
            spans.extend(_split_at_titles(text, start, end))
        return _without_overlaps(spans)

    def names_anywhere(self) -> frozenset[str]:
        """Lower-cased names that played a role in the training articles of any language."""
        if self._names_anywhere is None:
            self._names_anywhere = frozenset().union(*self.gazetteer.values())
        return self._names_anywhere

    def known_names(self, language: str | None) -> frozenset[str]:
        """Lower-cased names that played a role in the training articles of the language."""
        return frozenset(self.gazetteer.get(language or "*", [])) | frozenset(
            self.gazetteer.get("*", []))

    def to_dict(self) -> dict:
        return {"gazetteer": self.gazetteer, "common_words": self.common_words}

    @classmethod
    def from_dict(cls, data: dict) -> MentionDetector:
        return cls(dict(data["gazetteer"]), dict(data["common_words"]))


# -- named-entity libraries that work offline ---------------------------------------------------


@functools.lru_cache(maxsize=1)
def _natasha() -> tuple[Any, Any] | None:
    """natasha's segmenter and news NER tagger (models inside the package), or None when the
    `ner` extra is not installed."""
    try:
        from natasha import NewsEmbedding, NewsNERTagger, Segmenter
    except ImportError:
        return None
    return Segmenter(), NewsNERTagger(NewsEmbedding())


def library_entities(text: str, language: str | None) -> list[tuple[int, int]] | None:
    """Entity spans from an offline NER library for the language, or None where none is
    installed: natasha (persons, places, organisations) for Russian."""
    if language != "ru":
        return None
    pipeline = _natasha()
    if pipeline is None:
        return None
    from natasha import Doc

    segmenter, tagger = pipeline
    document = Doc(text)
    document.segment(segmenter)
    document.tag_ner(tagger)
    return _without_overlaps([(span.start, span.stop) for span in document.spans
                              if span.stop > span.start])


def _without_overlaps(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Keep the longest of overlapping spans (earliest first on ties), in text order."""
    chosen: list[tuple[int, int]] = []  # disjoint, in text order
    for start, end in sorted(set(spans), key=lambda s: (-(s[1] - s[0]), s[0])):
        if not _overlaps_any(chosen, start, end):
            bisect.insort(chosen, (start, end))
    return chosen


def _overlaps_any(disjoint: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) overlaps one of `disjoint`, sorted spans that do not overlap each
    other. Of those starting before `end`, the last one also ends last, so it is the only one
    to check (a bisection, where a scan of all of them made long texts quadratic)."""
    before = bisect.bisect_left(disjoint, (end,))
    return before > 0 and disjoint[before - 1][1] > start


def _inside_any(disjoint: Sequence[tuple[int, int]], position: int) -> bool:
    """Whether `position` lies in one of `disjoint` (sorted, non-overlapping [start, end))."""
    before = bisect.bisect_right(disjoint, (position, float("inf")))
    return before > 0 and disjoint[before - 1][0] <= position < disjoint[before - 1][1]


def common_capitalised_words(texts: Sequence[str], names: Iterable[str],
                             limit: int = 8000) -> list[str]:
    """Words that appear capitalised but are mostly written in lower case (or start sentences)."""
    lower_counts: Counter[str] = Counter()
    capital_counts: Counter[str] = Counter()
    for text in texts:
        for word in re.findall(r"[\w'’-]+", text):
            if word[:1].isupper():
                capital_counts[word.lower()] += 1
            elif word[:1].islower():
                lower_counts[word] += 1
    protected = {n.lower() for n in names if len(tokens(n)) == 1}
    common = [
        w for w, n in capital_counts.items()
        if w not in protected and lower_counts[w] >= max(2, n)
    ]
    common.sort(key=lambda w: -lower_counts[w])
    return common[:limit]


# -- salience: which of the entities found does the article give a role? ----------------------

_SALIENCE_MENTIONS = 10  # the features of an entity come from its first ten mentions


# stance features (T:, ET:) are left out: salience is decided before, and apart from, stance
_NOT_SALIENCE_FEATURES = ("S2:", "lang:", "T:", "ET:")


def entity_features(text: str, spans: Sequence[tuple[int, int]], indices: Sequence[int],
                    language: str | None, known_names: frozenset[str],
                    mention_rows: Sequence[Sequence[str]] | None = None) -> list[str]:
    """Features of one entity (a group of mentions): the mention features of its first
    mentions (without sentence word pairs or stance), how often and how early it is mentioned,
    and whether its name played a role in the training articles. `mention_rows`, the
    `mention_features` of all the spans when already computed, saves computing them again."""
    features: set[str] = set()
    for i in indices[:_SALIENCE_MENTIONS]:
        start, end = spans[i]
        row = mention_rows[i] if mention_rows is not None else mention_features(
            text, start, end, language)
        features.update(f for f in row if not f.startswith(_NOT_SALIENCE_FEATURES))
    first = spans[indices[0]][0] / max(1, len(text))
    features.add(f"n:{min(len(indices), 6)}")
    features.add(f"first:{int(first * 5)}")
    features.add(f"lang:{language or '?'}")
    if any(text[spans[i][0]:spans[i][1]].lower() in known_names for i in indices):
        features.add("known")
    return sorted(features)


@dataclass
class SalienceModel:
    """Probability that the article gives an entity a role (that annotators would mark it),
    from a logistic regression over `entity_features`; `cut` decides which entities are shown
    as the article's main actors."""

    featurizer: SparseFeaturizer
    coef: np.ndarray  # (n_features,)
    bias: float
    cut: float

    def scores(self, text: str, spans: Sequence[tuple[int, int]],
               groups: Sequence[MentionGroup], language: str | None,
               known_names: frozenset[str],
               mention_rows: Sequence[Sequence[str]] | None = None) -> np.ndarray:
        rows = [entity_features(text, spans, g.indices, language, known_names, mention_rows)
                for g in groups]
        return self.probabilities(rows)

    def probabilities(self, rows: Sequence[Sequence[str]]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        z = np.asarray(self.featurizer.transform(rows) @ self.coef).ravel() + self.bias
        return expit(z)
