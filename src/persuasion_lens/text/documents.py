"""Documents, paragraphs and sentences with character offsets into the original text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A sentence ends at ., ! or ? (optionally followed by closing quotes or brackets) and whitespace.
_SENTENCE_END = re.compile(r"""(?<=[.!?…])["'»”’)\]]*\s+""")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    """One non-empty line of the input, as in the SemEval data.

    `start`/`end` are offsets into the document text (end exclusive); `line` is the 1-based line
    number in the input, which the SemEval formats use.
    """

    index: int
    line: int
    start: int
    end: int
    text: str

    def sentences(self) -> list[Sentence]:
        return [
            Sentence(self.start + s.start, self.start + s.end, s.text)
            for s in split_sentences(self.text)
        ]


@dataclass
class Document:
    """A decoded article: its text, paragraphs and (once known) language."""

    text: str
    paragraphs: list[Paragraph]
    language: str | None = None
    doc_id: str | None = None
    source: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_text(
        cls,
        text: str,
        language: str | None = None,
        doc_id: str | None = None,
        source: str | None = None,
    ) -> Document:
        """A document from decoded text: one paragraph per non-blank line, the first the title.

        For bytes or files of unknown encoding use `persuasion_lens.text.read_document(path)`.
        """
        if not isinstance(text, str):
            raise TypeError(f"Document.from_text() takes the article's text as a str, not "
                            f"{type(text).__name__}; for a file use read_document(path)")
        return cls(text, split_paragraphs(text), language, doc_id, source)

    @property
    def title(self) -> str:
        """The first paragraph, which is the title in SemEval articles."""
        return self.paragraphs[0].text if self.paragraphs else ""


def line_break(text: str) -> str:
    """What ends the text's lines: LF (a CR before it, as in Windows files, is left to
    strip), or CR alone in a file without LF (classic Mac OS, some exports), which read at
    LF would be one paragraph."""
    return "\r" if "\n" not in text and "\r" in text else "\n"


def split_paragraphs(text: str) -> list[Paragraph]:
    """Split on line breaks (`line_break`); every line with non-blank content becomes a
    paragraph.

    Offsets exclude surrounding whitespace (including a trailing carriage return), so
    `text[p.start:p.end] == p.text` always holds.
    """
    paragraphs: list[Paragraph] = []
    position = 0
    for line_number, line in enumerate(text.split(line_break(text)), start=1):
        stripped = line.strip()
        if stripped:
            start = position + (len(line) - len(line.lstrip()))
            paragraphs.append(
                Paragraph(len(paragraphs), line_number, start, start + len(stripped), stripped)
            )
        position += len(line) + 1
    return paragraphs


def split_sentences(text: str) -> list[Sentence]:
    """Split a paragraph into sentences with offsets relative to the paragraph."""
    sentences: list[Sentence] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() < len(text) and text[match.end()].islower():
            continue  # “Really!” he said.
        _append_sentence(sentences, text, start, match.start())
        start = match.end()
    _append_sentence(sentences, text, start, len(text))
    return sentences


def _append_sentence(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        offset = start + (len(chunk) - len(chunk.lstrip()))
        sentences.append(Sentence(offset, offset + len(stripped), stripped))
