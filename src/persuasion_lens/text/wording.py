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


def two_decimals(value: float) -> str:
    """A probability or confidence as every report writes it: the value at the four decimals
    the JSON carries and the corpus database stores, then rounded to two, halves up ('1.00'
    for 0.995, '0.13' for 0.125, '0.01' for 0.005). Python's f"{x:.2f}" of the number itself
    wrote 0.995 as 0.99 (its binary value is a little below) and 0.99500004 as 1.00, while the
    web page, given 0.995, wrote 0.99; the page's script rounds the same way (decimals())."""
    ten_thousandths = round(abs(round(value, 4)) * 10_000)
    hundredths = (ten_thousandths + 50) // 100
    sign = "-" if value < 0 and hundredths else ""
    return f"{sign}{hundredths // 100}.{hundredths % 100:02d}"
