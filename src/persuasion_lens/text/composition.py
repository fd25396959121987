"""Composed Unicode (NFC) for the models, with offsets back to the text as the user gave it.

A text can spell "ö" as one character or as "o" plus a combining diaeresis (NFD: macOS file
names, text copied from some PDFs and sites, Russian "й" as "и" + breve). The models learnt
composed words, and the tokenisers split a word at a combining mark, so decomposed text is
analysed in its composed form; every offset in the result still points into the original.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from persuasion_lens.text.documents import Document


@dataclass(frozen=True)
class Composition:
    """The NFC form of a text, and for each of its characters the range of the original text
    it was composed from (a base character and the combining marks that follow it)."""

    text: str
    original_length: int
    starts: list[int]
    ends: list[int]

    def original_range(self, start: int, end: int) -> tuple[int, int]:
        """The original range of the composed range `start:end`."""
        begin = self.starts[start] if start < len(self.starts) else self.original_length
        if end <= start:
            return begin, begin
        return begin, self.ends[min(end, len(self.ends)) - 1]


def compose(text: str) -> Composition | None:
    """The composed form of `text` with its offsets; None when it is composed already (nearly
    every text: the check is one pass in C)."""
    if unicodedata.is_normalized("NFC", text):
        return None
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    cluster_start = 0
    for position in range(1, len(text) + 1):
        if position < len(text) and unicodedata.combining(text[position]):
            continue
        cluster = unicodedata.normalize("NFC", text[cluster_start:position])
        pieces.append(cluster)
        starts.extend([cluster_start] * len(cluster))
        ends.extend([position] * len(cluster))
        cluster_start = position
    return Composition("".join(pieces), len(text), starts, ends)


def composed_document(document: Document) -> tuple[Document, Composition | None]:
    """The document the models should read, and the composition that maps its offsets back
    (None, and the document itself, when it is composed already)."""
    composition = compose(document.text)
    if composition is None:
        return document, None
    model_view = Document.from_text(composition.text, document.language, document.doc_id,
                                    document.source)
    model_view.metadata = dict(document.metadata)
    return model_view, composition
