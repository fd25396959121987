"""Text layer: decoding input, detecting its language, splitting it into paragraphs.

Every paragraph and sentence keeps character offsets into the original (decoded) text,
so anything found later can be pointed at exactly.
"""

from persuasion_lens.text.documents import (
    Document,
    Paragraph,
    Sentence,
    split_paragraphs,
    split_sentences,
)
from persuasion_lens.text.languages import (
    SUPPORTED_LANGUAGES,
    detect_language,
    normalise_language_code,
)
from persuasion_lens.text.reading import InputError, decode_bytes, read_document, read_documents

__all__ = [
    "SUPPORTED_LANGUAGES",
    "Document",
    "InputError",
    "Paragraph",
    "Sentence",
    "decode_bytes",
    "detect_language",
    "normalise_language_code",
    "read_document",
    "read_documents",
    "split_paragraphs",
    "split_sentences",
]
