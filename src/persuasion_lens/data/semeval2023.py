"""Reader for the SemEval-2023 Task 3 data (genre, framing, persuasion techniques).

Layout (see the data README): `<data>/semeval2023-task3/<lang>/train-articles-subtask-N/`,
label files beside them, validation article ids in `splits/<lang>-validation-articles.txt`.
Languages are returned as ISO codes (`de`, `pl`), folder names use `ge`, `po`.
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from persuasion_lens.taxonomy.frames import FRAME_NAMES
from persuasion_lens.taxonomy.genres import GENRE_NAMES
from persuasion_lens.taxonomy.techniques import technique_name_in_data
from persuasion_lens.text.documents import Document, split_paragraphs
from persuasion_lens.text.languages import ISO_TO_SEMEVAL, SEMEVAL_TO_ISO
from persuasion_lens.text.reading import InputError, most_plausible_decoding, utf16_without_mark
from persuasion_lens.text.wording import counted

TASK_FOLDER = "semeval2023-task3"
TRAINING_LANGUAGES = ["en", "fr", "de", "it", "pl", "ru"]
DEFAULT_DATA_DIR = Path("../shared/data")


def print_warning(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


# where the readers report lines they skip (one warning per file) and the code page they read
# a file in that is not UTF-8; the CLI may replace it
report_skipped: Callable[[str], None] = print_warning


class DataError(ValueError):
    """Training data that cannot be read; the message names the file (and line)."""


class BadLines:
    """Counts the unusable lines of one file, to warn once with the first example."""

    def __init__(self, path: Path, noun: str = "unusable line", detail: str = "") -> None:
        self.path, self.noun, self.detail = path, noun, detail
        self.count, self.first = 0, ""

    def add(self, number: int | None, reason: str) -> None:
        self.count += 1
        if not self.first:
            self.first = reason if number is None else f"line {number}: {reason}"

    def report(self) -> None:
        if self.count:
            detail = f" {self.detail}" if self.detail else ""
            report_skipped(f"{self.path}: skipped {counted(self.count, self.noun)}{detail} "
                           f"(first: {self.first})")


def read_data_text(path: Path) -> str:
    """A data file as text: UTF-8 (a byte-order mark dropped), UTF-16 with its mark, or a
    legacy code page (entity names of an annotation file saved as cp1251 or Latin-1), judged
    as articles are and said in a warning.

    Line breaks are kept as stored, so offsets stay valid. Raises DataError naming the file."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise DataError(f"{path} is a folder, not a data file") from None
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as error:
        raise DataError(f"{path}: cannot read ({error.strerror or error})") from None
    return decode_data_bytes(raw, path, other_encodings=True)


def decode_data_bytes(raw: bytes, path: Path, other_encodings: bool = False) -> str:
    """UTF-8 or UTF-16 (with its mark or without), and with `other_encodings` a legacy code
    page (see `read_data_text`); else DataError naming the file (and the line of a bad byte)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise DataError(f"{path}: not a text file (broken UTF-16)") from None
    if b"\x00" in raw and (unmarked := utf16_without_mark(raw)) is not None:
        return unmarked
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        legacy = _legacy_text(raw, path) if other_encodings else None
        if legacy is None:
            line = raw[:error.start].count(b"\n") + 1
            raise DataError(f"{path}:{line}: not a text file (not UTF-8 at byte {error.start})"
                            ) from None
        text = legacy
    if "\x00" in text:
        if len(raw) % 2 and utf16_without_mark(raw[:-1]) is not None:
            raise DataError(f"{path}: UTF-16 text cut off in the middle of a character (an odd "
                            "number of bytes)")
        line = text[:text.index("\x00")].count("\n") + 1
        raise DataError(f"{path}:{line}: not a text file (NUL bytes)")
    return text


def _legacy_text(raw: bytes, path: Path) -> str | None:
    """The text of a file saved in a legacy code page, with a warning naming it; None for
    UTF-8 with a few bad bytes (guessing a code page would garble its other letters: the
    error's line and byte say what to fix) and for bytes that are no text."""
    if b"\x00" in raw:
        return None
    as_utf8 = raw.decode("utf-8", errors="replace")
    bad = as_utf8.count("\ufffd")
    if sum(1 for char in as_utf8 if not char.isascii()) - bad >= bad:
        return None
    try:
        text, encoding = most_plausible_decoding(raw, str(path))
    except InputError:
        return None
    report_skipped(f"{path}: not UTF-8; read as {encoding}")
    return text


@dataclass(frozen=True)
class GoldSpan:
    technique: str
    start: int
    end: int


@dataclass
class LabelledArticle:
    """One training article with whatever labels exist for it."""

    article_id: str
    language: str
    document: Document
    split: str  # "train" or "validation"
    paragraph_labels: list[frozenset[str]] | None = None  # aligned with document.paragraphs
    spans: list[GoldSpan] = field(default_factory=list)
    genre: str | None = None
    frames: list[str] | None = None


def data_root(data_dir: str | os.PathLike | None = None, task_folder: str = TASK_FOLDER) -> Path:
    """The folder holding `task_folder` (accepts that folder itself too).

    Defaults to $PLENS_DATA, else ../shared/data.
    """
    base = Path(data_dir) if data_dir else Path(os.environ.get("PLENS_DATA", DEFAULT_DATA_DIR))
    if (base / task_folder).is_dir():
        return base
    if base.name == task_folder and base.is_dir():
        return base.parent
    raise FileNotFoundError(
        f"{base}: no {task_folder}/ folder here; pass --data-dir pointing at the training data"
    )


def language_folder(root: Path, language: str, wanted: str | None = "train-labels-subtask-3.txt"
                    ) -> Path:
    """`<root>/semeval2023-task3/<lang>`; DataError when it is missing or lacks `wanted`."""
    folder = root / TASK_FOLDER / ISO_TO_SEMEVAL[language]
    if not folder.is_dir() or (wanted is not None and not (folder / wanted).exists()):
        raise DataError(f"no {language} training data under {folder} (pass --languages)")
    return folder


def split_file(root: Path, language: str) -> Path:
    """The file listing the language's validation article ids."""
    return root / TASK_FOLDER / "splits" / f"{ISO_TO_SEMEVAL[language]}-validation-articles.txt"


def validation_ids(root: Path, language: str, known: Iterable[str] | None = None) -> set[str]:
    """Validation article ids; ids not in `known` (when given) are warned about."""
    path = split_file(root, language)
    if not path.exists():
        raise DataError(f"{path}: no such split file (the {language} validation article ids)")
    lines = read_data_text(path).splitlines()
    ids = {line.strip() for line in lines if line.strip()}
    if known is not None:
        unknown = BadLines(path, "validation id", "of no labelled article")
        known_ids = set(known)
        for number, line in enumerate(lines, start=1):
            if line.strip() and line.strip() not in known_ids:
                unknown.add(number, repr(line.strip()[:40]))
        unknown.report()
    return ids


def read_article_text(path: Path) -> str:
    # the bytes are decoded as they are, carriage returns kept, so span offsets stay valid
    return read_data_text(path)


def _article_path(candidates: Iterable[Path], missing: BadLines, article_id: str
                  ) -> Path | None:
    """The first existing article file; a missing one (or a dangling link) is counted."""
    path = _first_existing(candidates)
    if path is None:
        missing.add(None, f"article{article_id}.txt")
    return path


def _require_articles(articles: list, language: str, folder: Path) -> None:
    if not any(a.language == language for a in articles):
        raise DataError(f"no labelled {language} articles under {folder}")


def load_technique_articles(
    data_dir: str | os.PathLike | None = None, languages: list[str] | None = None
) -> list[LabelledArticle]:
    """Subtask-3 articles with paragraph labels and character spans."""
    root = data_root(data_dir)
    articles: list[LabelledArticle] = []
    for language in _asked(languages):
        folder = language_folder(root, language)
        line_labels = _read_line_labels(folder / "train-labels-subtask-3.txt")
        held_out = validation_ids(root, language, line_labels)
        missing = BadLines(folder / "train-articles-subtask-3", "labelled article", "with no file")
        # one warning for the whole folder: a technique misnamed throughout gave one per file
        bad_spans = BadLines(folder / "train-labels-subtask-3-spans", "unusable span line")
        for article_id in sorted(line_labels):
            path = _article_path(
                [folder / "train-articles-subtask-3" / f"article{article_id}.txt"], missing,
                article_id)
            if path is None:
                continue
            text = read_article_text(path)
            document = Document(text, split_paragraphs(text), language, article_id, str(path))
            labels = [
                frozenset(line_labels[article_id].get(p.line, ())) for p in document.paragraphs
            ]
            spans = _read_spans(
                folder
                / "train-labels-subtask-3-spans"
                / f"article{article_id}-labels-subtask-3.txt",
                bad_spans,
                len(text),
            )
            split = "validation" if article_id in held_out else "train"
            articles.append(LabelledArticle(article_id, language, document, split, labels, spans))
        bad_spans.report()
        missing.report()
        _require_articles(articles, language, folder)
        _require_some_spans(articles, bad_spans)
    return articles


def _require_some_spans(articles: list[LabelledArticle], bad_spans: BadLines) -> None:
    """Span files of which no line could be used (every technique misnamed, say) are an error:
    spans trained or scored on them would be nothing."""
    if bad_spans.count and not any(a.spans for a in articles):
        raise DataError(f"{bad_spans.path}: none of its {counted(bad_spans.count, 'span line')} "
                        f"is usable (first: {bad_spans.first})")


def not_scored(articles: Iterable[LabelledArticle], language: str,
               data_dir: str | os.PathLike | None = None, needs_train: bool = True) -> str:
    """Why `language` cannot be scored on the validation split, in one line ("" when it can):
    its split file lists none of its labelled articles (a score of no articles would read as
    perfect), or, when the evaluation fits on the train split, all of them."""
    mine = [a for a in articles if a.language == language]
    validation = sum(1 for a in mine if a.split == "validation")
    if mine and validation and (validation < len(mine) or not needs_train):
        return ""
    split = split_file(data_root(data_dir), language)
    labelled = counted(len(mine), "labelled article")
    if not validation:
        return f"{language}: not scored: {split} lists none of its {labelled} as validation"
    return (f"{language}: not scored: {split} lists all of its {labelled} as validation, "
            "leaving none to fit on")


def _asked(languages: list[str] | None) -> list[str]:
    """The languages to load: all six when None; an empty list is a mistake."""
    if languages is None:
        return list(TRAINING_LANGUAGES)
    if not languages:
        raise DataError("no languages given: name at least one, e.g. --languages en")
    return list(languages)


def load_article_level(
    data_dir: str | os.PathLike | None = None, languages: list[str] | None = None
) -> list[LabelledArticle]:
    """Subtask-1/2 articles with genre and frames (either may be None where unlabelled)."""
    root = data_root(data_dir)
    articles: list[LabelledArticle] = []
    for language in _asked(languages):
        folder = language_folder(root, language, None)
        genres = _read_two_column(folder / "train-labels-subtask-1.txt", GENRE_NAMES, "genre")
        frames = _read_two_column(folder / "train-labels-subtask-2.txt", FRAME_NAMES, "frame")
        held_out = validation_ids(root, language)
        missing = BadLines(folder, "labelled article", "with no file")
        for article_id in sorted(set(genres) | set(frames)):
            path = _article_path(
                (folder / f"train-articles-subtask-{n}" / f"article{article_id}.txt"
                 for n in (1, 2, 3)), missing, article_id)
            if path is None:
                continue
            text = read_article_text(path)
            document = Document(text, split_paragraphs(text), language, article_id, str(path))
            frame_field = frames.get(article_id)
            articles.append(
                LabelledArticle(
                    article_id,
                    language,
                    document,
                    "validation" if article_id in held_out else "train",
                    genre=genres.get(article_id) or None,
                    frames=[f for f in frame_field.split(",") if f]
                    if frame_field is not None
                    else None,
                )
            )
        missing.report()
        _require_articles(articles, language, folder)
    return articles


def load_unlabelled_test(
    data_dir: str | os.PathLike | None = None,
) -> dict[str, list[tuple[str, int, str]]]:
    """The official unlabelled test paragraphs: language -> [(article id, line, text)]."""
    root = data_root(data_dir)
    result: dict[str, list[tuple[str, int, str]]] = {}
    for template in sorted((root / TASK_FOLDER / "test-unlabelled").glob("*.template")):
        rows = []
        for line in template.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t", 2)
            if len(parts) == 3 and parts[1].isdigit():
                rows.append((parts[0], int(parts[1]), parts[2]))
        result[SEMEVAL_TO_ISO.get(template.stem, template.stem)] = rows
    return result


def _first_existing(paths) -> Path | None:
    return next((p for p in paths if p.exists()), None)


def _read_line_labels(path: Path) -> dict[str, dict[int, list[str]]]:
    """`ID<TAB>LINE<TAB>technique,...`; techniques may be spelled as `technique_name_in_data`
    allows. Bad lines and unknown techniques are warned about; a file whose every technique
    is unknown is a DataError (see `_require_some_known`)."""
    labels: dict[str, dict[int, list[str]]] = defaultdict(dict)
    bad = BadLines(path, "line", "not of the form ID<TAB>LINE<TAB>techniques")
    unknown = BadLines(path, "unknown technique")
    known_count = 0
    for number, line in enumerate(read_data_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].strip().isdigit() or not parts[1].strip().isdigit():
            bad.add(number, repr(line[:60]))
            continue
        field_ = parts[2] if len(parts) > 2 else ""
        names = []
        for spelling in (t.strip() for t in field_.split(",") if t.strip()):
            name = technique_name_in_data(spelling)
            if name is None:
                unknown.add(number, repr(spelling[:60]))
            else:
                names.append(name)
        known_count += len(names)
        labels[parts[0].strip()][int(parts[1])] = names
    bad.report()
    unknown.report()
    if not labels:
        raise DataError(f"{path}: no labelled paragraphs in this file")
    _require_some_known(path, unknown, known_count, "technique")
    return labels


def _require_some_known(path: Path, unknown: BadLines, known_count: int, what: str) -> None:
    """A file whose labels are all unknown is an error, not an empty gold standard: what was
    trained or scored on it would have learnt or measured nothing."""
    if unknown.count and not known_count:
        raise DataError(f"{path}: none of its {counted(unknown.count, what + ' label')} is a known "
                        f"{what} (first: {unknown.first})")


def _read_spans(path: Path, bad: BadLines, text_length: int | None = None) -> list[GoldSpan]:
    """`ID<TAB>technique<TAB>start<TAB>end`; bad lines are skipped and counted in `bad` (which
    the caller reports once for the folder), each named by its file and line. Techniques may
    be spelled as `technique_name_in_data` allows."""
    if not path.exists():
        return []
    spans = []
    for number, line in enumerate(read_data_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        reason = _span_problem(parts, text_length)
        if reason:
            bad.add(None, f"{path.name} line {number}: {reason}")
            continue
        spans.append(GoldSpan(technique_name_in_data(parts[1]) or "", int(parts[2]),
                              int(parts[3])))
    return spans


def _span_problem(parts: list[str], text_length: int | None) -> str:
    """Why a span line cannot be used ("" when it can)."""
    if len(parts) < 4:
        return "not ID<TAB>technique<TAB>start<TAB>end"
    if technique_name_in_data(parts[1]) is None:
        return f"unknown technique {parts[1].strip()[:60]!r}"
    start, end = parts[2].strip(), parts[3].strip()
    if not (start.isdigit() and end.isdigit()):
        return f"offsets must be whole numbers, not {start[:20]!r} and {end[:20]!r}"
    if int(start) > int(end) or (text_length is not None and int(end) > text_length):
        return f"offsets {start}-{end} outside the article ({text_length} characters)"
    return ""


def _read_two_column(path: Path, known: list[str], what: str) -> dict[str, str]:
    """`ID<TAB>value[,value...]` (subtask 1: a genre; 2: frames); unknown values are dropped
    with a warning, and a file of only unknown values is a DataError."""
    values: dict[str, str] = {}
    known_count = 0
    if not path.exists():
        return values
    unknown = BadLines(path, f"unknown {what}")
    bad = BadLines(path, "line", "not of the form ID<TAB>labels")
    for number, line in enumerate(read_data_text(path).splitlines(), start=1):
        parts = line.split("\t")
        if not line.strip():
            continue
        if not parts[0].strip().isdigit():
            bad.add(number, repr(line[:60]))
            continue
        field_ = parts[1].strip() if len(parts) > 1 else ""
        labels = [v.strip() for v in field_.split(",") if v.strip()]
        for label in labels:
            if label not in known:
                unknown.add(number, repr(label[:60]))
        kept = [v for v in labels if v in known]
        known_count += len(kept)
        values[parts[0].strip()] = ",".join(kept)
    bad.report()
    unknown.report()
    _require_some_known(path, unknown, known_count, what)
    return values
