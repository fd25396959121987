"""Reader for the SemEval-2025 Task 10 data (narratives and entity roles).

Layout (see the data README): `<data>/semeval2025-task10/<LANG>/raw-documents/<DOC>.txt`,
`subtask-1-annotations.txt` (entity roles, end offsets inclusive), `subtask-2-annotations.txt`
(narratives and subnarratives), `splits/<LANG>-validation-documents.txt`, `taxonomy/`.

The offsets of subtask 1 were not all computed on the text as stored: some count a line break
as two characters (CRLF), some count UTF-16 code units (emoji), a few are off by a handful of
characters. `resolve_mention` maps every annotation onto the stored text so that
``text[start:end] == entity`` (end exclusive) always holds for the mentions returned here.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from persuasion_lens.data import semeval2023
from persuasion_lens.text.documents import Document, split_paragraphs

TASK_FOLDER = "semeval2025-task10"
LANGUAGES = ["bg", "en", "hi", "pt", "ru"]

OTHER = "Other"
MAIN_ROLES = ["Protagonist", "Antagonist", "Innocent"]
FINE_ROLES: dict[str, list[str]] = {
    "Protagonist": ["Guardian", "Martyr", "Peacemaker", "Rebel", "Underdog", "Virtuous"],
    "Antagonist": [
        "Instigator", "Conspirator", "Tyrant", "Foreign Adversary", "Traitor", "Spy", "Saboteur",
        "Corrupt", "Incompetent", "Terrorist", "Deceiver", "Bigot",
    ],
    "Innocent": ["Forgotten", "Exploited", "Victim", "Scapegoat"],
}
FINE_TO_MAIN = {fine: main for main, fines in FINE_ROLES.items() for fine in fines}
DOMAINS = ["CC", "URW"]


@dataclass(frozen=True)
class GoldMention:
    """An annotated entity mention; `end` is exclusive (converted from the data's inclusive end)."""

    entity: str
    start: int
    end: int
    main_role: str
    fine_roles: tuple[str, ...]


@dataclass
class NarrativeArticle:
    doc_id: str
    language: str  # ISO code, lower case
    document: Document
    split: str  # "train" or "validation"
    domain: str | None  # "CC", "URW" or None when neither the name nor the labels say
    narratives: list[str] | None = None  # None when the document has no subtask-2 line
    subnarratives: list[str] | None = None
    mentions: list[GoldMention] = field(default_factory=list)
    has_roles: bool = False  # the document appears in subtask-1-annotations.txt


def data_root(data_dir: str | os.PathLike | None = None) -> Path:
    """The folder holding `semeval2025-task10/` (accepts that folder itself too)."""
    return semeval2023.data_root(data_dir, TASK_FOLDER)


def read_text(path: Path) -> str:
    """A document (or taxonomy file) exactly as stored, so that offsets stay valid: UTF-8 (a
    byte-order mark kept, as it always was), else UTF-16 with its mark or a legacy code page
    (as annotation files are read), else UTF-8 with its bad bytes replaced."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return semeval2023.decode_data_bytes(raw, path, other_encodings=True)
    except semeval2023.DataError:
        return raw.decode("utf-8", errors="replace")


def parse_subtask2_line(line: str) -> tuple[str, list[str], list[str]]:
    """`<DOC>\\t<narrative>;...\\t<subnarrative>;...` -> (doc, narratives, subnarratives)."""
    parts = line.rstrip("\r\n").split("\t")
    if len(parts) < 2:
        raise ValueError(f"not a subtask-2 line (needs DOC<TAB>narratives<TAB>subnarratives): "
                         f"{line.strip()[:80]!r}")
    narratives = _split_labels(parts[1])
    subnarratives = _split_labels(parts[2]) if len(parts) > 2 else []
    return parts[0].strip(), narratives, subnarratives


def _split_labels(field_text: str) -> list[str]:
    labels: list[str] = []
    for label in field_text.split(";"):
        label = label.strip()
        if label and label not in labels:
            labels.append(label)
    return labels or [OTHER]


def parse_subtask1_line(line: str) -> tuple[str, str, int, int, str, tuple[str, ...]]:
    """`<DOC>\\t<entity>\\t<start>\\t<end>\\t<main>[\\t<fine>...]`; end inclusive, as stored."""
    parts = line.rstrip("\r\n").split("\t")
    if len(parts) < 4:
        raise ValueError(f"not a subtask-1 line (needs DOC, entity, start, end): "
                         f"{line.strip()[:80]!r}")
    try:
        start, end = int(parts[2]), int(parts[3])
    except ValueError as error:
        raise ValueError(f"offsets must be integers: {line.strip()[:80]!r}") from error
    if start < 0 or start > end:
        raise ValueError(f"offsets {start}-{end} are not a span of the document (a start from 0 "
                         f"up to the end, inclusive): {line.strip()[:80]!r}")
    main = parts[4].strip() if len(parts) > 4 else ""
    fines = tuple(p.strip() for p in parts[5:] if p.strip())
    return parts[0].strip(), parts[1], start, end, main, fines


Subtask1Row = tuple[str, str, int, int, str, tuple[str, ...]]


def read_subtask1_lines(path: Path, bad: semeval2023.BadLines | None = None
                        ) -> list[tuple[int, Subtask1Row]]:
    """(line number, parsed line) of each non-blank line; UTF-8 or UTF-16 with its mark (a
    byte-order mark is no part of the first document id). A bad line is counted in `bad`
    when given, else an error naming the file and line."""
    rows: list[tuple[int, Subtask1Row]] = []
    for number, line in enumerate(semeval2023.read_data_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((number, parse_subtask1_line(line)))
        except ValueError as error:
            if bad is None:
                raise ValueError(f"{path}:{number}: {error}") from None
            bad.add(number, str(error))
    return rows


def read_subtask1_file(path: Path, bad: semeval2023.BadLines | None = None
                       ) -> dict[str, list[tuple[str, int, int, str, tuple[str, ...]]]]:
    """Mentions per document as stored (end inclusive); blank lines are skipped, bad ones
    counted in `bad` when given (else an error)."""
    result: dict[str, list[tuple[str, int, int, str, tuple[str, ...]]]] = {}
    for _, (doc, entity, start, end, main, fines) in read_subtask1_lines(path, bad):
        result.setdefault(doc, []).append((entity, start, end, main, fines))
    return result


def _utf16_to_index(text: str, units: int) -> int:
    count = 0
    for index, char in enumerate(text):
        if count >= units:
            return index
        count += 2 if ord(char) > 0xFFFF else 1
    return len(text)


def _crlf_to_index(text: str, position: int) -> int:
    count = 0
    for index, char in enumerate(text):
        if count >= position:
            return index
        count += 2 if char == "\n" else 1
    return len(text)


def resolve_mention(text: str, entity: str, start: int, end_inclusive: int,
                    window: int = 60) -> tuple[int, int] | None:
    """Map an annotated mention onto `text`; returns (start, end exclusive) or None."""
    if not entity:
        return None
    length = len(entity)
    candidates = [start, _crlf_to_index(text, start), _utf16_to_index(text, start)]
    for candidate in candidates:
        if text[candidate:candidate + length] == entity:
            return candidate, candidate + length
    # nearest occurrence of the entity text around the stored offset
    best: int | None = None
    for match in re.finditer(re.escape(entity), text):
        if best is None or abs(match.start() - start) < abs(best - start):
            best = match.start()
    if best is not None and abs(best - start) <= max(window, start // 10):
        return best, best + length
    del end_inclusive  # kept in the signature for clarity; the entity text decides the end
    return None


def within(text: str, start: int) -> bool:
    """Whether a stored start offset can point into `text` (offsets counted with CRLF line
    breaks or in UTF-16 units run past the text's length by at most a line break or an emoji
    each, plus the few characters `resolve_mention` looks around)."""
    return 0 <= start <= len(text) + text.count("\n") + sum(
        1 for char in text if ord(char) > 0xFFFF) + 60


def domain_of(doc_id: str, narratives: list[str] | None = None) -> str | None:
    upper = doc_id.upper()
    if "_CC_" in upper or "-CC-" in upper:
        return "CC"
    if any(tag in upper for tag in ("_URW_", "-URW-", "_UA_")):
        return "URW"
    for label in narratives or []:
        if label.startswith("CC:"):
            return "CC"
        if label.startswith("URW:"):
            return "URW"
    return None


def split_file(root: Path, language: str) -> Path:
    """The file listing the language's validation documents."""
    return root / TASK_FOLDER / "splits" / f"{language.upper()}-validation-documents.txt"


def validation_ids(root: Path, language: str) -> set[str]:
    path = split_file(root, language)
    if not path.exists():
        return set()
    return {line.strip() for line in semeval2023.read_data_text(path).splitlines()
            if line.strip()}


def load_taxonomy(data_dir: str | os.PathLike | None = None) -> tuple[list[str], list[str]]:
    """(narratives, subnarratives) of the task, `Other` included, sorted."""
    folder = data_root(data_dir) / TASK_FOLDER / "taxonomy"
    narratives = {line.strip() for line in read_text(folder / "subtask2_narratives.txt")
                  .splitlines() if line.strip()}
    subs = {line.strip() for line in read_text(folder / "subtask2_subnarratives.txt")
            .splitlines() if line.strip()}
    full = folder / "subnarratives-full.csv"
    if full.exists():
        for line in read_text(full).splitlines()[1:]:
            line = line.strip().strip('"').strip()
            if line:
                subs.add(line)
    narratives.add(OTHER)
    subs.add(OTHER)
    return sorted(narratives), sorted(subs)


def parent_narrative(subnarrative: str) -> str:
    """`URW: Praise of Russia: Praise of Russian military might` -> `URW: Praise of Russia`."""
    if subnarrative == OTHER:
        return OTHER
    head, _, _ = subnarrative.rpartition(": ")
    return head or subnarrative


def load_articles(data_dir: str | os.PathLike | None = None,
                  languages: list[str] | None = None) -> list[NarrativeArticle]:
    """All annotated documents (subtask 1 or 2) of the given languages (default: those the
    data folder holds), with their split. Unusable lines are warned about once per file."""
    root = data_root(data_dir)
    articles: list[NarrativeArticle] = []
    for language in _languages_to_load(root, languages):
        articles.extend(_load_language(root, language))
    return articles


def _languages_to_load(root: Path, languages: list[str] | None) -> list[str]:
    if languages is not None:
        for language in languages:
            if not (root / TASK_FOLDER / language.upper()).is_dir():
                raise semeval2023.DataError(f"no {language} narrative data under "
                                            f"{root / TASK_FOLDER / language.upper()}")
        return list(languages)
    present = [code for code in LANGUAGES if (root / TASK_FOLDER / code.upper()).is_dir()]
    if not present:
        names = ", ".join(code.upper() for code in LANGUAGES)
        raise semeval2023.DataError(f"no language folder ({names}) under {root / TASK_FOLDER}")
    return present


def _read_subtask2(path: Path) -> dict[str, tuple[list[str], list[str]]]:
    labels: dict[str, tuple[list[str], list[str]]] = {}
    if not path.exists():
        return labels
    bad = semeval2023.BadLines(path, "line", "not of the form DOC<TAB>narratives<TAB>subnarratives")
    for number, line in enumerate(semeval2023.read_data_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc, narratives, subs = parse_subtask2_line(line)
        except ValueError:
            bad.add(number, repr(line.strip()[:60]))
            continue
        labels[doc] = (narratives, subs)
    bad.report()
    return labels


def _gold_mentions(text: str, rows, bad) -> list[GoldMention]:
    """The stored mentions of one document mapped onto its text; unknown roles and mentions not
    found in the text are counted in `bad`."""
    mentions = []
    for entity, start, end, main, fines in rows:
        if main not in MAIN_ROLES:
            bad.add(None, f"unknown role {main!r} of {entity!r}")
            continue
        span = resolve_mention(text, entity, start, end) if within(text, start) else None
        if span is None:
            bad.add(None, f"{entity!r} not found at {start}-{end}")
            continue
        mentions.append(GoldMention(entity, span[0], span[1], main, fines))
    return mentions


def _load_language(root: Path, language: str) -> list[NarrativeArticle]:
    folder = root / TASK_FOLDER / language.upper()
    held_out = validation_ids(root, language)
    labels = _read_subtask2(folder / "subtask-2-annotations.txt")
    st1 = folder / "subtask-1-annotations.txt"
    unparsed = semeval2023.BadLines(st1, "line", "not a subtask-1 mention")
    raw_mentions = read_subtask1_file(st1, unparsed) if st1.exists() else {}
    unparsed.report()
    bad = semeval2023.BadLines(st1, "mention", "with an unknown role or not found in its document")
    missing = semeval2023.BadLines(folder / "raw-documents", "annotated document", "with no file")
    articles = []
    for doc_id in sorted(set(labels) | set(raw_mentions)):
        path = folder / "raw-documents" / doc_id
        if not path.exists():
            missing.add(None, doc_id)
            continue
        text = read_text(path)
        narratives, subs = labels.get(doc_id, (None, None))
        articles.append(NarrativeArticle(
            doc_id=doc_id,
            language=language.lower(),
            document=Document(text, split_paragraphs(text), language.lower(), doc_id, str(path)),
            split="validation" if doc_id in held_out else "train",
            domain=domain_of(doc_id, narratives),
            narratives=narratives,
            subnarratives=subs,
            mentions=_gold_mentions(text, raw_mentions.get(doc_id, []), bad),
            has_roles=doc_id in raw_mentions,
        ))
    bad.report()
    missing.report()
    return articles
