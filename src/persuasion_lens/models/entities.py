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
  Russian and Bulgarian case forms by stem (`entity_case_forms`),
  possessives, a few aliases such as US / USA / United States, a surname alone after the full
  name) so that the report says "United States: Antagonist (Instigator) in 4 mentions".

The rules that only German, French, Italian and Polish need are in one module per language
group: `entity_rules_german` (common nouns, genitives), `entity_rules_romance` (elided articles,
institutions' adjectives), `entity_rules_polish` (display names), with what several share in
`entity_language_rules`; the text primitives all share (aliases, `normalise_name`, sentence
starts) in `entity_text`.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse as sp
from scipy.special import expit

from persuasion_lens.models.entity_case_forms import (
    CASE_FORM_LANGUAGES,
    join_case_forms,
    name_stem,
    nominative_rank,
)
from persuasion_lens.models.entity_language_rules import (
    ALIASES_WITHOUT_DATA,
    SENTENCE_ADVERBS,
    is_alias,
    is_roman_numeral,
    is_sentence_adverb,
    with_alias_adjective,
    without_opening_adverb,
)
from persuasion_lens.models.entity_rules_german import (
    GERMAN_CALENDAR,
    german_common_noun,
    german_genitive_before_noun,
    german_place_before_von,
    german_surface_without_genitive,
    join_german_genitives,
    join_particle_surnames,
    particle_surnames,
    with_particle_surname,
    without_german_measure_words,
    without_german_noun_before_genitive,
    without_german_opening_preposition,
)
from persuasion_lens.models.entity_rules_polish import (
    polish_country_of_genitive,
    polish_display_name,
)
from persuasion_lens.models.entity_rules_romance import (
    CONNECTED_NAME_LANGUAGES,
    ELIDED_ARTICLE,
    INSTITUTION_NOUNS,
    STATE_NOUNS,
    opens_connected_name,
    opens_institution,
    with_connected_name,
    with_institution_adjectives,
    without_lower_case_words,
)
from persuasion_lens.models.entity_text import (
    ALIASED_KEYS,
    ALIASES,
    CAPITALISED,
    TextWords,
    base_form,
    lemma_is_lower_case,
    normalise_name,
    starts_sentence,
    tokens,
    without_first_words,
)
from persuasion_lens.models.entity_text import (
    LEMMATISED_LANGUAGES as LEMMATISED_LANGUAGES,  # the pipeline reads it from here
)
from persuasion_lens.taxonomy.roles import GEOPOLITICAL_BLOCS
from persuasion_lens.text.documents import line_break
from persuasion_lens.text.lemmas import is_known_word

_SENTENCE_STOP = re.compile(r"[.!?।]\s|\n")
WINDOW = 8
SENTENCE_CHARS = False  # character 4-grams of the sentence's words (morphology, spelling)


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
    if language == "de":
        surfaces = [german_surface_without_genitive(s.strip(), key) for s in surfaces]
    counts = Counter(re.sub(r"(?:'s|’s)$", "", s.strip()) for s in surfaces)
    # the most frequent surface form, longer ones first on ties; in German, among equals, not
    # a genitive joined to the name ("Selenskyj", not "Selenskyjs")
    genitive = (lambda s: normalise_name(s, language) != key) if language == "de" else (
        lambda s: False)
    if language == "pl":
        return polish_display_name(counts, key)
    if language in CASE_FORM_LANGUAGES:
        return _cyrillic_display_name(counts, language)
    return base_form(max(counts, key=lambda s: (counts[s], not genitive(s), len(s))), language)


def _cyrillic_display_name(counts: Counter[str], language: str) -> str:
    """The name in the nominative where the article writes it ("Зеленский" among "Зеленского",
    "Зеленским"), else the most frequent; each surface in its dictionary form where that has
    the surface's stem or the dictionary knows its words ("Вашингтоне" -> "Вашингтон", "Китая"
    -> "Китай"; simplemma guesses at others: "Зеленского" -> "Зеленскто")."""
    shown = {surface: _dictionary_form(surface, language) for surface in counts}
    best = max(counts, key=lambda s: (nominative_rank(shown[s], language), counts[s], len(s)))
    return shown[best]


def _dictionary_form(surface: str, language: str) -> str:
    dictionary_form = base_form(surface, language)
    if name_stem(dictionary_form) == name_stem(surface) or all(
            is_known_word(word, language) for word in surface.split()):
        return dictionary_form
    return surface


@dataclass
class MentionGroup:
    key: str
    name: str
    indices: list[int] = field(default_factory=list)


def group_mentions(names: Sequence[str], language: str | None,
                   known_names: frozenset[str] = frozenset()) -> list[MentionGroup]:
    """Group mention strings of one document; returns groups in order of first mention.
    `known_names`, lower-cased names of the training articles, tell a German genitive whose
    name the document never writes alone ("Putins" -> "Putin")."""
    keys = [normalise_name(polish_country_of_genitive(n) if language == "pl" else n, language)
            for n in names]
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
        join_german_genitives(set(keys), full_names_ending, merged, known_names)
    if language in _PARTICLE_SURNAME_LANGUAGES:
        join_particle_surnames(set(keys), merged)
    if language in _FIRST_NAME_LANGUAGES:
        _join_first_names(names, keys, merged, language)
    if language in CASE_FORM_LANGUAGES:
        join_case_forms(names, keys, merged, ALIASED_KEYS)
    groups: dict[str, MentionGroup] = {}
    for index, key in enumerate(keys):
        key = merged.get(key, key)
        group = groups.setdefault(key, MentionGroup(key, ""))
        group.indices.append(index)
    for group in groups.values():
        group.name = display_name([names[i] for i in group.indices], group.key, language)
    return _merge_same_names(list(groups.values()))


_FIRST_NAME_LANGUAGES = frozenset({"de", "fr", "it", "pl"})
# "Ursula von der Leyen": the languages whose capitalised runs keep a surname with two particles
_PARTICLE_SURNAME_LANGUAGES = frozenset({"de", "fr", "it", "pl"})


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
        if key not in first_place or key in merged or key in ALIASED_KEYS or len(owners) != 1:
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
    return not lemma_is_lower_case(words[-1], language)


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

_HEADLINE_MIN_WORDS = 4
_HEADLINE_CAPITALISED = 0.75


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


def _dictionary_word(words: TextWords, start: int, word: str, language: str,
                     names: frozenset[str]) -> bool:
    """Whether a capitalised word that is no known name is a common word by the dictionary."""
    if language == "de" and german_common_noun(words.text, start, word, names):
        return True
    return starts_sentence(words.text, start) and _lower_case_word(words, word, language)


def _lower_case_word(words: TextWords, word: str, language: str) -> bool:
    """A sentence-initial word that is a lower-case word: written so elsewhere in the text, or
    a dictionary word with a lower-case lemma that the text never capitalises inside a sentence
    ("Sensible for whom?", "Ceny paliw", "Tymczasem")."""
    if words.written(word.lower()):
        return True
    return lemma_is_lower_case(word, language) and words.only_opens_sentences(word)


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
                  | _MONTHS | (GERMAN_CALENDAR if language == "de" else set()))
        headlines = _headline_lines(text) if language in _TITLE_CASE_LANGUAGES else []
        known = self.known_names(language)
        text_words: TextWords | None = None  # built at the first word that needs it
        surnames: frozenset[str] | None = None  # surnames with particles, likewise
        for match in CAPITALISED.finditer(text):
            start, end = match.start(), match.end()
            if _inside_any(headlines, start):
                continue  # Title Case: every word is capitalised, so capitals say nothing
            surface = re.sub(r"(?:'s|’s)$", "", text[start:end]).rstrip(".'’-")
            end = start + len(surface)
            if language in ("fr", "it"):
                elided = ELIDED_ARTICLE.match(surface)
                if elided:
                    start += elided.end()
                    surface = surface[elided.end():]
            words = surface.split()
            if language in ("fr", "it"):
                start, words = without_lower_case_words(text, start, words)
            # a common word is capitalised at the start of a sentence; inside one (City Hall)
            # its capital says that it belongs to the name
            opens_sentence = starts_sentence(text, start)
            if language in ALIASES_WITHOUT_DATA:
                end, words = with_alias_adjective(text, end, words, language)
            # not at a sentence's start, where the common word may be no noun of a name
            # ("Vu d'Europe", "Lors du G7"), save an institution's ("Organisation des ...")
            connected = language in CONNECTED_NAME_LANGUAGES and bool(words) and (
                not opens_sentence or words[0] in INSTITUTION_NOUNS[language])
            if connected:
                end, words = with_connected_name(text, end, words, language)
                connected = opens_connected_name(words)
            if language in INSTITUTION_NOUNS:
                end, words = with_institution_adjectives(text, end, words, language)
            if opens_sentence and language in SENTENCE_ADVERBS:
                start, words = without_opening_adverb(text, start, words, language)
            while words and (opens_sentence or len(words) == 1) and (
                    words[0].lower() in common
                    or (language == "de" and len(words) > 1 and opens_sentence
                        and lemma_is_lower_case(words[0], "de"))) and not (
                    language in ALIASES_WITHOUT_DATA and is_alias(words, language)
                    ) and not opens_institution(words, language) and not connected:
                start, words = without_first_words(text, start, words, 1)
            if language == "de":
                start, words = without_german_opening_preposition(text, start, words)
                start, words = without_german_noun_before_genitive(
                    text, start, words, self.names_anywhere())
                start, words = without_german_measure_words(text, start, words)
                if german_place_before_von(words):
                    spans.append((start, start + len(words[0])))
                    start, words = without_first_words(text, start, words, 2)
                text_words = text_words or TextWords(text)
                if german_genitive_before_noun(text_words, words, self.names_anywhere()):
                    words = words[:1]
                    end = start + len(words[0])
            if language in _PARTICLE_SURNAME_LANGUAGES:
                if surnames is None:
                    surnames = particle_surnames(text, self.names_anywhere(), language)
                start, end, words = with_particle_surname(
                    text, start, end, words, surnames, language)
            if not words or len(surface) < 2:
                continue
            if len(words) == 1 and (words[0].lower() in common
                                    or words[0].lower().rstrip(".") in _TITLES_ALONE
                                    or is_sentence_adverb(text, start, words[0], language)
                                    or is_roman_numeral(words[0], language)
                                    or words[0].lower() in STATE_NOUNS.get(language, ())):
                continue
            if (len(words) == 1 and language in _CASED_DICTIONARIES
                    and words[0].lower() not in known):
                text_words = text_words or TextWords(text)
                if _dictionary_word(text_words, start, words[0], language,
                                    self.names_anywhere()):
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
