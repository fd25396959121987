"""Small pieces of English for the messages and reports."""

from __future__ import annotations


def counted(count: int, noun: str) -> str:
    """'1 word', '2 words', '1,200 paragraphs' (nouns with a plain plural in s)."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def size_text(size: int) -> str:
    """A size in bytes as the messages write it, in decimal units: '999 bytes', '67 kB',
    '0.1 MB', '20 MB', '20.5 MB' (the web page's script writes it the same way)."""
    if size < 1000:
        return f"{size:,} bytes"
    if size < 100_000:
        return f"{size / 1e3:.0f} kB"
    return f"{size / 1e6:.1f}".removesuffix(".0") + " MB"
