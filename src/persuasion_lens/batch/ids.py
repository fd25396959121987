"""Ids of input files that are unique within a run and stable across runs.

A file's id is its name without suffix (in a folder given: its path inside the folder). When
two different files of one run would get the same id (`a/x.txt` and `b/x.txt`, or `x.txt` and
`x.html`), each of them takes as many of its parent folders as tell them apart (`a/x`, `b/x`),
and its suffix where only the suffix does (`x.txt`, `x.html`). The ids depend only on which
files the run names, not on their order or on how their paths are typed, so the same command
gives the same ids each time.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path


def candidate_ids(path: str, natural: str, keep_suffix: bool = False) -> list[str]:
    """The ids `path` may take, shortest first: `natural` (its id alone), then longer tails of
    its absolute path, each without and then with its suffix (only with, if `keep_suffix`)."""
    names = Path(path).parts[1:]  # the root ("/") is no part of an id
    if not names:
        return [natural]
    plain = [*names[:-1], Path(names[-1]).stem]
    candidates = [natural]
    for length in range(len(Path(natural).parts), len(names) + 1):
        tails = ["/".join(names[-length:])]
        if not keep_suffix:
            tails.insert(0, "/".join(plain[-length:]))
        candidates.extend(tail for tail in tails if tail not in candidates)
    return candidates


def unique_ids(files: Iterable[tuple[str, str]], keep_suffix: bool = False) -> dict[str, str]:
    """{absolute path: id} of each file (absolute path, natural id): its natural id unless
    another file of the run has it too. A file named twice (the same absolute path, or a link
    to it with the same natural id) is one file with one id, that of its first naming."""
    naturals: dict[str, str] = {}
    for path, natural in files:
        naturals.setdefault(path, natural)
    aliases = _aliases(naturals)
    ids = _settled({path: natural for path, natural in naturals.items() if path not in aliases},
                   keep_suffix)
    return {path: ids[aliases.get(path, path)] for path in naturals}


def _aliases(naturals: dict[str, str]) -> dict[str, str]:
    """{path: the first-named path of the same file} for the links among files that share a
    natural id (only those are resolved: a folder of thousands of files costs nothing)."""
    by_natural: dict[str, list[str]] = defaultdict(list)
    for path, natural in naturals.items():
        by_natural[natural].append(path)
    aliases: dict[str, str] = {}
    for paths in by_natural.values():
        first_of: dict[str, str] = {}
        for path in paths if len(paths) > 1 else ():
            first = first_of.setdefault(os.path.realpath(path), path)
            if first != path:
                aliases[path] = first
    return aliases


def _settled(naturals: dict[str, str], keep_suffix: bool) -> dict[str, str]:
    """Each file's id: while some files share one, each of them takes its next candidate (the
    whole absolute path, the last, is unique, so this ends)."""
    ids = dict(naturals)
    options: dict[str, list[str]] = {}
    while True:
        by_id: dict[str, list[str]] = defaultdict(list)
        for path, identifier in ids.items():
            by_id[identifier].append(path)
        moved = False
        for paths in (paths for paths in by_id.values() if len(paths) > 1):
            for path in paths:
                candidates = options.setdefault(
                    path, candidate_ids(path, naturals[path], keep_suffix))
                position = candidates.index(ids[path])
                if position + 1 < len(candidates):
                    ids[path] = candidates[position + 1]
                    moved = True
        if not moved:
            return ids
