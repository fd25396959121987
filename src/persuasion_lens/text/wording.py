"""Small pieces of English for the messages and reports."""

from __future__ import annotations


def counted(count: int, noun: str) -> str:
    """'1 word', '2 words', '1,200 paragraphs' (nouns with a plain plural in s)."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
