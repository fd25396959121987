"""Typed analysis results and their JSON form (the contract of `plens analyze --format json`).

Extend, never break: new keys may be added; existing keys keep their meaning.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from persuasion_lens.models.coverage import RARE_PER_THOUSAND
from persuasion_lens.taxonomy import TECHNIQUE_NAMES, technique
from persuasion_lens.text.languages import language_name

SCHEMA_VERSION = "1.0"

# A span is "loosely placed" when the span model's mean word probability inside it (its
# localisation: the span's confidence over its paragraph's confidence in the technique) is
# below this. On the validation split only .12-.19 of such a span lies inside a gold span of its
# technique, against .29-.53 above it (docs/spans.md): the technique is somewhere around there,
# but these exact words are a guess.
LOOSE_PLACEMENT = 0.2
LOOSE_PLACEMENT_MEANING = ("the technique is likely in the paragraph, but the model is unsure "
                           "which words carry it")


@dataclass
class TechniqueHit:
    technique: str
    category: str
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "technique": self.technique,
            "category": self.category,
            "confidence": round(float(self.confidence), 4),
        }


@dataclass
class SpanHit:
    """A character range (offsets into the original input) carrying one technique."""

    start: int
    end: int
    text: str
    technique: str
    category: str
    confidence: float
    explanation: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "technique": self.technique,
            "category": self.category,
            "confidence": round(float(self.confidence), 4),
            "explanation": self.explanation,
        }


@dataclass
class ParagraphResult:
    index: int
    start: int
    end: int
    text: str
    techniques: list[TechniqueHit] = field(default_factory=list)
    spans: list[SpanHit] = field(default_factory=list)

    def localisation(self, span: SpanHit) -> float | None:
        """How tightly the span model placed the span's words (0-1); None when its technique
        is not among the paragraph's."""
        confidence = next((t.confidence for t in self.techniques
                           if t.technique == span.technique), 0.0)
        if confidence <= 0:
            return None
        return min(1.0, span.confidence / confidence)

    def loosely_placed(self, span: SpanHit) -> bool:
        localisation = self.localisation(span)
        return localisation is not None and localisation < LOOSE_PLACEMENT

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "techniques": [t.to_dict() for t in self.techniques],
            "spans": [self._span_dict(s) for s in self.spans],
        }

    def _span_dict(self, span: SpanHit) -> dict[str, Any]:
        localisation = self.localisation(span)
        return {
            **span.to_dict(),
            "localisation": None if localisation is None else round(localisation, 4),
            "loosely_placed": self.loosely_placed(span),
        }


@dataclass
class LabelScore:
    """An article-level label (genre, frame, narrative) with its probability."""

    label: str
    probability: float

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "probability": round(float(self.probability), 4)}


@dataclass
class ArticleResult:
    language: str
    paragraphs: list[ParagraphResult]
    source: str | None = None
    doc_id: str | None = None
    language_detected: bool = True
    warnings: list[str] = field(default_factory=list)
    genre: LabelScore | None = None
    genre_probabilities: list[LabelScore] = field(default_factory=list)
    frames: list[LabelScore] = field(default_factory=list)
    model_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # techniques the detector practically never reports in this language (models/coverage.py):
    # their absence says little; None when not measured for this model and language
    rarely_reported: list[str] | None = None

    def rarely_reported_note(self) -> str | None:
        """One sentence naming the techniques this model practically never reports in the
        article's language, for the reports; None when there are none or it is not known."""
        if not self.rarely_reported:
            return None
        found = set(self.technique_counts())
        absent = [name for name in self.rarely_reported if name not in found]
        present = [name for name in self.rarely_reported if name in found]
        language = language_name(self.language)
        note = (f"Rarely reported by this model in {language} ({len(self.rarely_reported)} of "
                f"{len(TECHNIQUE_NAMES)} techniques; under {RARE_PER_THOUSAND:g} in 1,000 test "
                "paragraphs), so their absence says little")
        if absent:
            note += ": " + _labels(absent) + ("" if not present else
                                             f" (found here all the same: {_labels(present)})")
        else:
            note += "; this article has all of them"
        return note + "."

    def technique_counts(self) -> dict[str, int]:
        """Paragraphs per technique, most frequent first."""
        return self._count(lambda hit: hit.technique)

    def category_counts(self) -> dict[str, int]:
        """Technique uses per category, most frequent first."""
        return self._count(lambda hit: hit.category)

    def _count(self, key: Callable[[TechniqueHit], str]) -> dict[str, int]:
        counts = Counter(key(hit) for paragraph in self.paragraphs for hit in paragraph.techniques)
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "source": self.source,
            "id": self.doc_id,
            "language": self.language,
            "language_detected": self.language_detected,
            "model_version": self.model_version,
            "warnings": list(self.warnings),
            "summary": {
                "paragraphs": len(self.paragraphs),
                "paragraphs_with_techniques": sum(1 for p in self.paragraphs if p.techniques),
                "techniques": self.technique_counts(),
                "categories": self.category_counts(),
            },
            "paragraphs": [p.to_dict() for p in self.paragraphs],
        }
        if self.genre is not None:
            data["genre"] = {
                **self.genre.to_dict(),
                "probabilities": {
                    g.label: round(g.probability, 4) for g in self.genre_probabilities
                },
            }
        if self.frames or self.genre is not None:
            data["frames"] = [f.to_dict() for f in self.frames]
        if self.rarely_reported is not None:
            data["rarely_reported"] = list(self.rarely_reported)
        data.update(self.extra)
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


def _labels(names: list[str]) -> str:
    return "; ".join(technique(name).label.lower() for name in names)
