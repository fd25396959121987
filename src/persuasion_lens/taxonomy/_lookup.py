"""Shared helper for forgiving name look-ups (case, separators, unique prefixes)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping


def normalise(text: str) -> str:
    """Lower-case, treat `_`, `-`, `/` and `,` as spaces and collapse whitespace."""
    return " ".join(re.sub(r"[_\-/,]+", " ", text.casefold()).split())


def resolve(
    user_text: str,
    keys: Mapping[str, Iterable[str]],
    kind: str,
) -> str:
    """Map free text onto one canonical name.

    `keys` maps each canonical name to the spellings that should find it (the name itself,
    its human label, aliases). Tries, in order: an exact match, a unique prefix of a
    spelling, a unique prefix of any word sequence inside a spelling ("fear" finds
    "appeal to fear prejudice"). Raises ValueError listing the valid names otherwise.
    """
    query = normalise(user_text)
    spellings = {name: {normalise(k) for k in (name, *extra)} for name, extra in keys.items()}
    if query:
        exact = [n for n, forms in spellings.items() if query in forms]
        if len(exact) == 1:
            return exact[0]
        prefix = [n for n, forms in spellings.items() if any(f.startswith(query) for f in forms)]
        if len(prefix) == 1:
            return prefix[0]
        if not prefix:
            inner = [
                n for n, forms in spellings.items() if any(f" {query}" in f" {f}" for f in forms)
            ]
            if len(inner) == 1:
                return inner[0]
            prefix = inner
        if len(prefix) > 1:
            raise ValueError(f"{user_text!r} is ambiguous: it could be any of {', '.join(prefix)}")
    raise ValueError(f"unknown {kind} {user_text!r}; valid {kind} names are: {', '.join(keys)}")
