"""Case forms of Russian, Bulgarian and Ukrainian names: which mentions are one name in another
case ("Зеленского", "Зеленским", "Зеленский") and which of them to show.

simplemma's lemmas, which `normalise_name` gives as grouping keys (and which the role model's
features were trained on, so they stay as they are), mangle surnames it does not know
("Зеленского" -> "зеленскто", "Песков" -> "песок") and miss others ("Байдену"), so one person
was several entities. Here a name's stem is its written form less a nominal or adjectival case
ending; `entities.group_mentions` joins the groups whose stems are the same.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

CASE_FORM_LANGUAGES = frozenset({"ru", "bg", "uk"})

# longest first; "й" of "Сергей", "Китай" goes alone so that "Сергея", "Китая" keep the stem
_ENDING_WORDS = ("ого его ому ему ыми ими ами ями "
                 "ый ий ой ая яя ую юю ое ее ые ие ым им ом ем ых их ою ею ью ам ям ах ях ът ят "
                 "ові еві а я у ю е ы и і о ь й")
_ENDINGS = sorted(_ENDING_WORDS.split(), key=len, reverse=True)
# "ия" only ends an adjective's forms (Bulgarian "Зеленския", "Зеленският"); the "и" of a
# noun in -ия stays in its stem, so "Нигерия" is no "Нигер", "Колумбия" no "Колумб"
_ADJECTIVE_ENDINGS_AFTER_СК = ("ият", "ия")
# "Сергей", "Китай" end in "й"; "Венгрией", "Польшей" in the instrumental's "ей"
_VOWEL_BEFORE_Й = re.compile(r"(?:[аоуыэюяиі]|(?<![ижшчщц])е)й$")
# after -ск, -цк the ending tells a noun ("Покровск", "Покровска") from an adjective, whose
# genders are other people or places ("Зеленский", "Зеленская"; the village "Покровское")
_ADJECTIVE_GENDERS = {
    **dict.fromkeys(("ий", "ый", "ого", "ому", "им", "ым", "ом", "и", "ия", "ият", "ие", "ые", "их",
                     "ых", "ими", "ыми"), "ий"),  # the plural ("Зеленских") with the masculine
    **dict.fromkeys(("ая", "яя", "ую", "юю", "ой", "ою"), "ая"),
    **dict.fromkeys(("ое", "ее"), "ое")}
_ADJECTIVE_STEM = re.compile(r"(?:ск|цк|зк)$")
# how surely an ending is a nominative: 3 for "Путин", "Кремль", "Зеленский"; 2 where it may
# also be a genitive ("Москва" but "Путина"); 1 where it is mostly another case but some
# names end so ("Моди", "Канье", "Горовой"); else 0
_NOMINATIVE_ENDINGS = {"": 3, "ь": 3, "ий": 3, "ый": 3, "й": 3, "а": 2, "я": 2, "о": 2,
                       "ая": 2, "яя": 2, "е": 1, "и": 1, "ы": 1, "ые": 1, "ие": 1, "ой": 1}
_BULGARIAN_NOMINATIVE_ENDINGS = {**_NOMINATIVE_ENDINGS, "ия": 1, "ият": 1}
_MIN_STEM = 3
_CYRILLIC_WORD = re.compile(r"[а-яёіїєґ]+(?:-[а-яёіїєґ]+)*", re.IGNORECASE)


def _split_ending(word: str) -> tuple[str, str]:
    """A Cyrillic word as stem and lower-case case ending ("Зеленского" -> "Зеленск", "ого");
    the ending is empty where none leaves a stem of three letters."""
    if _VOWEL_BEFORE_Й.search(word) and not word.endswith(("ий", "ый", "ой")):
        return word[:-1], "й"
    for ending in _ADJECTIVE_ENDINGS_AFTER_СК:
        if word.endswith(ending) and _ADJECTIVE_STEM.search(word[:-len(ending)]):
            return word[:-len(ending)], ending
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[:-len(ending)], ending
    return word, ""


def _word_stem(word: str) -> str:
    """A word's stem in lower case; an acronym's, with an ending or none, in capitals ("РАН"
    and "КАБа" -> "РАН", "КАБ"; "Ранее" -> "ран")."""
    parts = []
    for part in word.replace("ё", "е").replace("Ё", "Е").split("-"):
        stem, ending = _split_ending(part)
        if _ADJECTIVE_STEM.search(stem):
            stem += _ADJECTIVE_GENDERS.get(ending, "")
        parts.append(stem if sum(c.isupper() for c in stem) > 1 else stem.lower())
    return "-".join(parts)


def name_stem(name: str) -> str | None:
    """The stems of a name's words ("Владимира Зеленского" -> "владимир зеленск"), or None
    where a word is not written in Cyrillic letters."""
    words = name.split()
    if not words or not all(_CYRILLIC_WORD.fullmatch(w) for w in words):
        return None
    return " ".join(_word_stem(w) for w in words)


def join_case_forms(names: Sequence[str], keys: Sequence[str], merged: dict[str, str],
                    protected: frozenset[str] = frozenset()) -> None:
    """Join in `merged` (key -> key of the group joined) the groups whose mentions have one
    stem ("Зеленского", "Зеленским"), and a surname alone, in any case, to the one full name
    of two or three words that ends with it ("Зеленского" -> "Владимир Зеленский"). Groups of
    an alias (`protected`: "russia", "the west") keep their key."""
    group_of = [merged.get(key, key) for key in keys]
    stems = [name_stem(name.strip().strip("\"'«»“”„()[]").strip()) for name in names]
    targets = _stem_targets(stems, group_of, protected)
    first_group: dict[str, str] = {}  # group stem -> the first group with a mention of it
    parent = {group: group for group in group_of}
    for group, stem in zip(group_of, stems, strict=True):
        if stem is not None:
            _union(parent, group, first_group.setdefault(targets[stem], group), protected)
    for key in set(keys):
        root = _find(parent, merged.get(key, key))
        if root != key:
            merged[key] = root


def _stem_targets(stems: Sequence[str | None], groups: Sequence[str],
                  protected: frozenset[str]) -> dict[str, str]:
    """Each stem's group stem: a one-word stem that ends one full name of two or three words
    goes to that name (not an alias's: "Украину" is no "Западную Украину"; nor a hyphenated
    name's, as `group_mentions` has it); every other stem stays its own."""
    full_names: dict[str, set[str]] = {}
    for stem, group in zip(stems, groups, strict=True):
        if stem and 2 <= len(stem.split()) <= 3 and "-" not in stem and group not in protected:
            full_names.setdefault(stem.split()[-1], set()).add(stem)
    targets = {}
    for stem, group in zip(stems, groups, strict=True):
        if stem is None:
            continue
        owners = full_names.get(stem, set()) if " " not in stem and group not in protected else ()
        targets[stem] = next(iter(owners)) if len(owners) == 1 else stem
    return targets


def _find(parent: dict[str, str], group: str) -> str:
    while parent[group] != group:
        parent[group] = parent[parent[group]]
        group = parent[group]
    return group


def _union(parent: dict[str, str], a: str, b: str, protected: frozenset[str]) -> None:
    """Join the sets of a and b under b's root, or under a's where only a's root is an alias."""
    root_a, root_b = _find(parent, a), _find(parent, b)
    if root_a == root_b:
        return
    if root_a in protected and root_b not in protected:
        root_a, root_b = root_b, root_a
    parent[root_a] = root_b


def nominative_rank(surface: str, language: str | None) -> int:
    """How surely a name is written in the nominative: that of its least sure word
    (`_NOMINATIVE_ENDINGS`), -1 where a word is not Cyrillic."""
    words = surface.split()
    if not words or not all(_CYRILLIC_WORD.fullmatch(w) for w in words):
        return -1
    table = _BULGARIAN_NOMINATIVE_ENDINGS if language == "bg" else _NOMINATIVE_ENDINGS
    ranks = [_word_rank(word, table) for word in words if not (word.isupper() and len(word) > 1)]
    return min(ranks, default=3)


def _word_rank(word: str, table: dict[str, int]) -> int:
    stem, ending = _split_ending(word.replace("ё", "е").split("-")[-1])
    if table is _BULGARIAN_NOMINATIVE_ENDINGS and ending == "и" and _ADJECTIVE_STEM.search(stem):
        return 3  # "Зеленски"
    return table.get(ending, 0)
