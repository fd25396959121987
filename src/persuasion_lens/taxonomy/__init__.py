"""What persuasion-lens looks for: persuasion techniques (grouped into six categories),
framing dimensions and article genres, as used in SemEval-2023 Task 3.

Names are the exact label strings of the training data; labels, definitions, cues and
examples are our own plain-English wording for analysts and media-literacy teachers.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from persuasion_lens.taxonomy.frames import FRAME_NAMES, FRAMES, Frame
from persuasion_lens.taxonomy.genres import GENRE_NAMES, GENRES, Genre
from persuasion_lens.taxonomy.techniques import (
    CATEGORIES,
    CATEGORY_NAMES,
    TECHNIQUE_NAMES,
    TECHNIQUES,
    Category,
    Technique,
    category,
    category_of,
    resolve_category,
    resolve_technique,
    technique,
    technique_name_in_data,
    techniques_in,
)

__all__ = [
    "CATEGORIES",
    "CATEGORY_NAMES",
    "FRAMES",
    "FRAME_NAMES",
    "GENRES",
    "GENRE_NAMES",
    "TECHNIQUES",
    "TECHNIQUE_NAMES",
    "Category",
    "Frame",
    "Genre",
    "Technique",
    "category",
    "category_of",
    "resolve_category",
    "resolve_technique",
    "taxonomy_as_dict",
    "technique",
    "technique_name_in_data",
    "techniques_in",
]


def taxonomy_as_dict() -> dict[str, list[dict[str, Any]]]:
    """The whole taxonomy as plain JSON-serialisable data (for the HTTP API)."""
    return {
        "categories": [asdict(c) for c in CATEGORIES],
        "techniques": [asdict(t) for t in TECHNIQUES],
        "frames": [asdict(f) for f in FRAMES],
        "genres": [asdict(g) for g in GENRES],
    }
