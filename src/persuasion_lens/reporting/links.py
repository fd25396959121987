"""Links to an article's source, made from untrusted corpus data."""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

LINKABLE_SCHEMES = ("http", "https")


def linkable_url(url: str | None) -> str | None:
    """The URL when it may be a link (http or https), else None: a feed's `url` column is
    untrusted, and a `javascript:` URL would run in the page of whoever opens a shared report."""
    if not url:
        return None
    candidate = url.strip()
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in LINKABLE_SCHEMES or not parts.netloc:
        return None
    return candidate


def source_link(url: str | None, text: str = "source") -> str:
    """An HTML link to the article's source, or "" when the URL may not be a link."""
    if not url or linkable_url(url) is None:
        return ""
    return address_link(url, text)


def address_link(url: str, text: str | None = None) -> str:
    """`text` (the address itself by default) as a link to the address where it may be one,
    opened without telling it where the reader came from; as plain text otherwise."""
    shown = escape(text if text is not None else url.strip())
    linkable = linkable_url(url)
    if linkable is None:
        return shown
    return f"<a href='{escape(linkable)}' rel='noopener noreferrer'>{shown}</a>"
