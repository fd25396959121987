"""Cut a paragraph into segments by span boundaries, for highlighting overlapping spans."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from persuasion_lens.pipeline.results import ParagraphResult, SpanHit


@dataclass(frozen=True)
class Segment:
    start: int  # offsets into the original document text
    end: int
    text: str
    spans: tuple[SpanHit, ...]  # spans covering this segment, shortest first

    @property
    def innermost(self) -> SpanHit | None:
        return self.spans[0] if self.spans else None


def segments(paragraph: ParagraphResult) -> list[Segment]:
    """Split the paragraph at every span start and end; each piece knows which spans cover it."""
    cuts = {paragraph.start, paragraph.end}
    for span in paragraph.spans:
        cuts.add(max(paragraph.start, min(span.start, paragraph.end)))
        cuts.add(max(paragraph.start, min(span.end, paragraph.end)))
    ordered = sorted(cuts)
    pieces: list[Segment] = []
    for start, end in itertools.pairwise(ordered):
        covering = tuple(
            sorted(
                (s for s in paragraph.spans if s.start <= start and s.end >= end),
                key=lambda s: (s.end - s.start, -s.confidence),
            )
        )
        text = paragraph.text[start - paragraph.start : end - paragraph.start]
        pieces.append(Segment(start, end, text, covering))
    return pieces
