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
from persuasion_lens.taxonomy import TECHNIQUE_NAMES, category_of, technique
from persuasion_lens.taxonomy.roles import SideReading
from persuasion_lens.text.languages import language_name
from persuasion_lens.text.reading import InputError

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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArticleResult:
        """The result back from its `to_dict()` form; `InputError` when it is malformed."""
        return result_from_dict(data)

    @classmethod
    def from_json(cls, text: str | bytes) -> ArticleResult:
        """The result back from its `to_json()` form (`plens analyze --format json`, a line of
        `--format jsonl`, the web API's answer); `InputError` when it is not one."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise InputError(f"the analysis result is not JSON ({error})") from None
        if not isinstance(data, dict):
            raise InputError("the analysis result is not a JSON object")
        return result_from_dict(data)


def _labels(names: list[str]) -> str:
    return "; ".join(technique(name).label.lower() for name in names)


def result_from_dict(data: dict[str, Any]) -> ArticleResult:
    """Rebuild an `ArticleResult` from its JSON form (as produced by `to_dict`).

    Categories are looked up from the technique names rather than trusted; unknown techniques
    and malformed entries are an `InputError`.
    """
    try:
        paragraphs = [_paragraph_from_dict(p) for p in data["paragraphs"]]
        genre = None
        genre_probabilities: list[LabelScore] = []
        if isinstance(data.get("genre"), dict):
            genre = LabelScore(str(data["genre"]["label"]), float(data["genre"]["probability"]))
            genre_probabilities = [
                LabelScore(str(label), float(probability))
                for label, probability in (data["genre"].get("probabilities") or {}).items()
            ]
        frames = [
            LabelScore(str(f["label"]), float(f["probability"])) for f in data.get("frames") or []
        ]
        language = str(data.get("language") or "en")
        warnings = [str(w) for w in data.get("warnings") or []]
        source = data.get("source")
        doc_id = data.get("id")
        extra = _narratives_from_dict(data)
        rarely = data.get("rarely_reported")
        rarely_reported = (None if rarely is None
                           else [str(name) for name in rarely if str(name) in TECHNIQUE_NAMES])
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise InputError(
            f"the analysis result is malformed ({type(error).__name__}: {error})"
        ) from None
    return ArticleResult(
        language=language,
        paragraphs=paragraphs,
        source=None if source is None else str(source),
        doc_id=None if doc_id is None else str(doc_id),
        language_detected=bool(data.get("language_detected", True)),
        warnings=warnings,
        genre=genre,
        genre_probabilities=genre_probabilities,
        frames=frames,
        model_version=str(data.get("model_version") or ""),
        extra=extra,
        rarely_reported=rarely_reported,
    )


def _narratives_from_dict(data: dict[str, Any]) -> dict[str, Any]:
    """The narratives, subnarratives and entity roles of a posted result (checked, rebuilt)."""
    extra: dict[str, Any] = {}
    for key in ("narratives", "subnarratives", "narrative_candidates"):
        if data.get(key) is not None:
            extra[key] = [{"label": str(n["label"]), "probability": float(n["probability"])}
                          for n in data[key]]
    for key in ("entities", "minor_entities"):
        if data.get(key) is not None:
            extra[key] = [_entity_from_dict(e) for e in data[key]]
    if data.get("side_taken") is not None:
        # rebuilt from the one number it rests on, so the labels are ours, not the poster's
        russian_side = float(data["side_taken"]["russian_side_probability"])
        if not 0.0 <= russian_side <= 1.0:
            raise ValueError(f"side_taken probability {russian_side} is not in [0, 1]")
        extra["side_taken"] = SideReading(russian_side).to_dict()
    elif "side_taken" in data:
        extra["side_taken"] = None  # narratives read, and no side found
    return extra


def _entity_from_dict(e: dict[str, Any]) -> dict[str, Any]:
    return {
        "entity": str(e["entity"]),
        "main_role": str(e["main_role"]),
        "main_role_probability": float(e.get("main_role_probability") or 0.0),
        "fine_roles": [{"label": str(f["label"]), "probability": float(f["probability"])}
                       for f in e.get("fine_roles") or []],
        "salience": None if e.get("salience") is None else float(e["salience"]),
        "role_is_clear": bool(e.get("role_is_clear", True)),
        "at_odds_with_side": bool(e.get("at_odds_with_side", False)),
        "main_role_probabilities": {str(r): float(p) for r, p in
                                    (e.get("main_role_probabilities") or {}).items()},
        "mentions": [{"start": int(m["start"]), "end": int(m["end"]), "text": str(m["text"])}
                     for m in e.get("mentions") or []],
    }


def _technique_name(value: Any) -> str:
    if value not in TECHNIQUE_NAMES:
        raise ValueError(f"unknown technique {value!r}")
    return str(value)


def _paragraph_from_dict(p: dict[str, Any]) -> ParagraphResult:
    techniques = []
    for t in p.get("techniques") or []:
        name = _technique_name(t["technique"])
        techniques.append(TechniqueHit(name, category_of(name), float(t["confidence"])))
    spans = []
    for s in p.get("spans") or []:
        name = _technique_name(s["technique"])
        spans.append(SpanHit(int(s["start"]), int(s["end"]), str(s["text"]), name,
                             category_of(name), float(s["confidence"]),
                             str(s.get("explanation") or "")))
    return ParagraphResult(int(p["index"]), int(p["start"]), int(p["end"]), str(p["text"]),
                           techniques, spans)
