"""The three article genres of SemEval-2023 Task 3, subtask 1 (our own definitions)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Genre:
    """The kind of article: what it is mainly trying to do."""

    name: str  # exact label string from the data
    label: str  # human-readable
    definition: str


GENRES: list[Genre] = [
    Genre(
        "opinion",
        "Opinion",
        "Argues for a point of view: the writer's own judgements, interpretations and "
        "recommendations are at the centre, as in editorials, columns and commentary.",
    ),
    Genre(
        "reporting",
        "Reporting",
        "Mainly informs readers about events and facts, attributing claims to sources rather "
        "than pressing the writer's own view.",
    ),
    Genre(
        "satire",
        "Satire",
        "Mocks people, institutions or ideas through humour, irony, parody or absurd "
        "exaggeration, often imitating the style of real news.",
    ),
]

GENRE_NAMES: list[str] = [g.name for g in GENRES]
