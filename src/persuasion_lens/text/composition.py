"""The text the models read: composed Unicode (NFC) with LF line ends, and offsets back to
the text as the user gave it.

A text can spell "ö" as one character or as "o" plus a combining diaeresis (NFD: macOS file
names, text copied from some PDFs and sites, Russian "й" as "и" + breve). The models learnt
composed words, and the tokenisers split a word at a combining mark, so decomposed text is
analysed in its composed form. Windows (CRLF) and classic Mac (CR) line ends are read as LF,
so that one article gets one analysis whatever its line ends. Every offset in the result still
points into the original.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from persuasion_lens.text.documents import Document, line_break


@dataclass(frozen=True)
class Composition:
    """The composed, LF-ended form of a text, and for each of its characters the range of the
    original text it was made from (a base character and the combining marks that follow it,
    or a CR LF)."""

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
    """The composed, LF-ended form of `text` with its offsets; None when the text is that
    already (nearly every text: the checks are passes in C)."""
    composed = unicodedata.is_normalized("NFC", text)
    if composed and "\r" not in text:
        return None
    lone_cr_ends_lines = line_break(text) == "\r"  # lines as the document splits them
    if composed:
        return _with_lf_line_ends(text, "\r" if lone_cr_ends_lines else "\r\n")
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    start = 0
    while start < len(text):
        end = _cluster_end(text, start)
        piece = _read_line_end(text[start:end], lone_cr_ends_lines)
        piece = unicodedata.normalize("NFC", piece)
        pieces.append(piece)
        starts.extend([start] * len(piece))
        ends.extend([end] * len(piece))
        start = end
    return Composition("".join(pieces), len(text), starts, ends)


def _with_lf_line_ends(text: str, line_end: str) -> Composition:
    """A composed text whose only change is `line_end` read as LF (the fast path: Windows
    files are common, and the character-by-character path costs a few ms an article)."""
    starts: list[int] = []
    ends: list[int] = []
    start = 0
    lines = text.split(line_end)
    for number, line in enumerate(lines):
        starts.extend(range(start, start + len(line)))
        ends.extend(range(start + 1, start + len(line) + 1))
        start += len(line)
        if number < len(lines) - 1:
            starts.append(start)
            ends.append(start + len(line_end))
            start += len(line_end)
    return Composition("\n".join(lines), len(text), starts, ends)


def _cluster_end(text: str, start: int) -> int:
    """Where the cluster starting at `start` ends: a character (CR LF counting as one) and the
    combining marks that follow it."""
    end = start + 1
    if text[start] == "\r" and text.startswith("\n", end):
        end += 1
    while end < len(text) and unicodedata.combining(text[end]):
        end += 1
    return end


def _read_line_end(cluster: str, lone_cr_ends_lines: bool) -> str:
    if cluster.startswith("\r\n"):
        return "\n" + cluster[2:]
    if cluster.startswith("\r") and lone_cr_ends_lines:
        return "\n" + cluster[1:]
    return cluster


def composed_document(document: Document) -> tuple[Document, Composition | None]:
    """The document the models should read, and the composition that maps its offsets back
    (None, and the document itself, when it is composed and LF-ended already)."""
    composition = compose(document.text)
    if composition is None:
        return document, None
    model_view = Document.from_text(composition.text, document.language, document.doc_id,
                                    document.source)
    model_view.metadata = dict(document.metadata)
    return model_view, composition
