"""Reading articles from files, folders and stdin, with encoding detection.

Every failure a user can cause (missing path, empty or binary file, undecodable bytes, a file
too large) is raised as `InputError` with a one-line message; callers turn it into an error
line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import re
import stat
import sys
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

from persuasion_lens.text.documents import Document
from persuasion_lens.text.wording import size_text

MAX_INPUT_BYTES = 20_000_000  # decimal, so that the messages' "20 MB" is exact
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
ARTICLE_SUFFIXES = {".txt", ".md", *HTML_SUFFIXES}


class InputError(ValueError):
    """Input that cannot be analysed; the message is meant for the user as it is."""


# NUL (PostgreSQL cannot store it) and lone surrogates ("\ud800" in JSON: UTF-8 cannot encode
# them), replaced one character for one so that offsets stay as they were
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def replace_unstorable(text: str) -> str:
    """The text with every character that cannot be stored replaced by U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)


def decode_bytes(data: bytes, name: str = "input") -> str:
    """Decode bytes of unknown encoding into text.

    UTF-8 (with or without BOM) is tried first since it is by far the most common and can be
    recognised reliably; anything else goes to charset-normalizer.
    """
    if not data.strip():
        raise InputError(f"{name}: the input is empty")
    _check_not_office_document(data, name)
    if b"\x00" in data[:8192] and not _looks_like_utf16(data):
        raise InputError(f"{name}: this looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return _decode_legacy(data, name)
    except InputError:
        damaged = _damaged_utf8(data)
        if damaged is None:
            raise
        return damaged


# Formats people hand over for "an article" that are not text: their signatures, and what to say.
_DOCUMENT_SIGNATURES = (
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (Word .docx, OpenDocument .odt and e-books are ZIP files)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office document (.doc)"),
    (b"{\\rtf", "an RTF document"),
)


def _check_not_office_document(data: bytes, name: str) -> None:
    """A PDF, Word, OpenDocument or RTF file is refused with a hint: read as text it would be
    analysed as markup and compressed streams (a small PDF even decodes as "Portuguese")."""
    head = data[:1024].lstrip()
    for signature, what in _DOCUMENT_SIGNATURES:
        if head.startswith(signature):
            raise InputError(f"{name}: {what}; persuasion-lens reads plain text, Markdown and "
                             "HTML, so save or export the article as text first")


def missing_path_error(raw: str) -> InputError:
    """The error for a path that does not exist; a web address gets a hint, since nothing is
    downloaded."""
    if re.match(r"(?i)^(https?|ftp)://", raw):
        return InputError(f"{raw}: persuasion-lens works offline and does not download pages; "
                          "save the page (HTML is fine) and name the file")
    return InputError(f"{raw}: no such file or directory")


def _damaged_utf8(data: bytes) -> str | None:
    """UTF-8 text with a few stray bytes (a truncated copy, a bad paste) that no legacy code
    page explains: the text, with U+FFFD for each bad byte; None when it is not that."""
    text = data.decode("utf-8-sig", errors="replace")
    if text.count("\ufffd") > max(8, len(text) // 1000) or _too_many_control_characters(text):
        return None
    return text


def _decode_legacy(data: bytes, name: str) -> str:
    """Pick the most plausible decoding among charset-normalizer's candidates.

    On short texts charset-normalizer often ranks a rare code page (cp1250 for a Latin-1
    French text, ISO-8859-5 for Windows-1251) first; the decoding that yields ordinary letters
    for the languages we read, with no case changes inside words, is the right one.
    """
    text, _ = most_plausible_decoding(data, name)
    return text


def most_plausible_decoding(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding) of the most plausible legacy decoding; `InputError` (naming `name`)
    when none is plausible or the bytes look binary."""
    from charset_normalizer import from_bytes

    candidates = [(str(match), match.encoding) for match in from_bytes(data)]
    if not candidates:
        raise InputError(f"{name}: could not work out the text encoding (is it a binary file?)")
    text, encoding = min(candidates, key=_ranking)
    if _implausibility(text) > 0:
        # on a few bytes charset-normalizer may offer only a multi-byte Asian code page (a
        # short KOI8-R text came out as Shift-JIS katakana): weigh the common code pages too
        text, encoding = min([*candidates, *_single_byte_decodings(data)], key=_ranking)
    if _too_many_control_characters(text):
        raise InputError(f"{name}: this looks like a binary file, not text")
    return text, encoding


def guess_file_encoding(path: Path, sample_bytes: int = 1 << 16) -> str:
    """The encoding to open a large text file (a CSV corpus) with, judged from its start as
    single articles are: UTF-8 (with or without BOM), UTF-16 with a BOM, else the most
    plausible legacy code page."""
    with path.open("rb") as handle:
        sample = handle.read(sample_bytes)
    if _looks_like_utf16(sample):
        return "utf-16"
    try:
        sample.decode("utf-8-sig")
        return "utf-8-sig"
    except UnicodeDecodeError as error:
        if len(sample) == sample_bytes and error.start >= len(sample) - 3:
            return "utf-8-sig"  # the sample cut a character in two
    if not sample.strip():
        return "utf-8-sig"
    return most_plausible_decoding(sample, path.name)[1]


_COMMON_ENCODINGS = [
    "utf_16",
    "utf_32",
    "cp1252",
    "cp1251",
    "cp1250",
    "iso8859_2",
    "koi8_r",
    "iso8859_15",
    "latin_1",
    "cp1253",
    "iso8859_7",
    "iso8859_5",
    "mac_cyrillic",
]
_PLAUSIBLE_LETTERS = set(
    "".join(chr(c) for c in range(0xC0, 0x100) if c not in (0xD7, 0xF7))
    + "ąćęłńóśźżĄĆĘŁŃÓŚŹŻœŒčšžČŠŽ"
    + "".join(chr(c) for c in range(0x410, 0x450))
    + "ЁёіїєґІЇЄҐ"
    + "".join(chr(c) for c in range(0x386, 0x3CF))
    + "".join(chr(c) for c in range(0x10D0, 0x10FB))
    + "“”„«»–—…’‘•€°§©®²³½·"
)
_CASE_CHANGE_INSIDE_WORD = re.compile(r"[a-zа-яё][A-ZА-ЯЁ]")
# a Cyrillic letter beside a Latin one inside a word ("Heizungslьge": cp1251 read for cp1252)
_SCRIPT_CHANGE_INSIDE_WORD = re.compile(r"[a-zA-Z\u00C0-\u017F][\u0400-\u04FF]"
                                        r"|[\u0400-\u04FF][a-zA-Z\u00C0-\u017F]")


def _single_byte_decodings(data: bytes) -> list[tuple[str, str]]:
    """(text, encoding) for each common single-byte code page that decodes the bytes."""
    decodings = []
    for encoding in _COMMON_ENCODINGS:
        if encoding.startswith("utf"):
            continue
        try:
            decodings.append((data.decode(encoding), encoding))
        except UnicodeDecodeError:
            continue
    return decodings


def _ranking(candidate: tuple[str, str]) -> tuple[int, int, int]:
    """Fewest odd characters, then a text in a language we read, then the commoner code page."""
    text, encoding = candidate
    return (_implausibility(text), 0 if _in_supported_language(text) else 1,
            _preference(encoding))


def _in_supported_language(text: str) -> bool:
    from persuasion_lens.text.languages import SUPPORTED_LANGUAGES, detect_language

    return detect_language(text[:2000]) in SUPPORTED_LANGUAGES


def _implausibility(text: str) -> int:
    sample = text[:20000]
    odd = sum(1 for ch in sample if not (ch.isascii() or ch in _PLAUSIBLE_LETTERS))
    return (odd + len(_CASE_CHANGE_INSIDE_WORD.findall(sample))
            + len(_SCRIPT_CHANGE_INSIDE_WORD.findall(sample)))


def _preference(encoding: str) -> int:
    return _COMMON_ENCODINGS.index(encoding) if encoding in _COMMON_ENCODINGS else 99


def _looks_like_utf16(data: bytes) -> bool:
    return data[:2] in (b"\xff\xfe", b"\xfe\xff")


def utf16_without_mark(data: bytes) -> str | None:
    """The text of UTF-16 bytes saved without a byte-order mark (some Windows tools and
    `iconv -t UTF-16LE` write it so), or None when the bytes are not such text.

    Such a file is told by its zero bytes: the ASCII characters every line has (tabs, digits,
    spaces, line breaks) leave one in every other byte, and never in the bytes between."""
    if len(data) < 2 or len(data) % 2:
        return None
    for encoding, high, low in (("utf-16-le", data[1::2], data[0::2]),
                                ("utf-16-be", data[0::2], data[1::2])):
        if b"\x00" in low or high.count(0) * 10 < len(high):
            continue
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:  # a lone surrogate: not UTF-16 after all
            continue
        if not _too_many_control_characters(text):
            return text
    return None


def _too_many_control_characters(text: str) -> bool:
    sample = text[:10000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    return controls > max(5, len(sample) // 100)


def html_to_text(html: str) -> str:
    """The article text of an HTML page (trafilatura), one paragraph per line, its headline
    first; a page without an article body (only menus, links, a footer) is an `InputError`."""
    import trafilatura

    # parsed once for trafilatura's readings (extract copies a tree it is given; the title is
    # only read from it) and once for ours
    tree = trafilatura.load_html(html)
    if tree is None:
        raise InputError("no article text could be found in the HTML page")
    text = trafilatura.extract(tree, include_comments=False, include_tables=False)
    precise = trafilatura.extract(tree, include_comments=False, include_tables=False,
                                  favor_precision=True)
    page = _parsed_page(html)
    if not text or not text.strip() or not _has_article_body(page, precise):
        raise _no_article_error(page)
    return _headline_first(text, _page_headline(tree, page), precise or "")


def _no_article_error(page) -> InputError:
    """The error for a page without an article; a frameset's says where its text is (the
    frames are files of their own, which a saved page keeps beside it)."""
    frames = [] if page is None else [frame.get("src") for frame in page.iter("frame")
                                      if frame.get("src")]
    if frames:
        return InputError("the HTML page is a frameset, whose text is in the files of its "
                          f"frames ({', '.join(frames[:5])}); name the article's frame file")
    return InputError("no article text could be found in the HTML page")


def _parsed_page(html: str):
    """The page as lxml reads it (None for one of nothing but blanks or comments)."""
    import lxml.etree
    import lxml.html

    try:
        return lxml.html.document_fromstring(html.encode("utf-8", errors="replace"),
                                             parser=lxml.html.HTMLParser(encoding="utf-8"))
    except (lxml.etree.ParserError, ValueError):
        return None


def _has_article_body(page, precise: str | None) -> bool:
    """Whether trafilatura finds an article body when it favours precision (`precise`), and
    the page has some words besides its links and navigation. Trafilatura's default
    extraction, which gives the text, falls back to every word on the page when it finds no
    article: a page of menus came out as its menu words (and on a small page, precision does
    not help)."""
    return bool(precise and precise.strip()) and _enough_words(_text_besides_navigation(page))


def _page_headline(tree, page) -> str | None:
    """The article's headline: trafilatura's metadata title (og:title, the h1, the <title>
    less the site's name; read from trafilatura's `tree`) when the `page` shows it as an h1
    or declares it as og:title, so that a site name or a section's name is never taken for a
    headline."""
    title = " ".join(_metadata_title(tree).split())
    if not title or page is None:
        return None
    shown = [" ".join(h1.text_content().split()) for h1 in page.iter("h1")]
    declared = [" ".join((meta.get("content") or "").split())
                for meta in page.xpath("//meta[@property='og:title' or @name='og:title']")]
    return title if title in shown + declared else None


def _metadata_title(tree) -> str:
    """The title trafilatura's `extract_metadata` gives the page, found by the same steps
    (meta tags, og:title first; then JSON-LD; then the h1, the title-like headings, the
    <title> less the site's name), without the searches for the date (htmldate), author,
    licence and categories that we do not use: 0.06 ms a page instead of 1.8 ms."""
    try:
        from trafilatura.metadata import examine_meta, extract_meta_json, extract_title
    except ImportError:  # a trafilatura that arranges its module otherwise
        import trafilatura

        metadata = trafilatura.extract_metadata(tree)
        return (metadata.title if metadata else None) or ""
    metadata = examine_meta(tree)
    with suppress(Exception):  # as in trafilatura: its JSON-LD reader has bugs
        metadata = extract_meta_json(tree, metadata)
    metadata.title = metadata.title or extract_title(tree)
    metadata.clean_and_trim()  # entities, control characters and length, as trafilatura
    return metadata.title or ""


def _headline_first(text: str, headline: str | None, precise: str) -> str:
    """The text with the headline as its first line, as in the SemEval articles.

    On a small page trafilatura's default extraction keeps what comes before the article
    (a "Home" link, a cookie notice), which then read as the title: those lines go when its
    precise extraction drops them too (a kicker it keeps stays). A headline outside the
    extracted text (an h1 above the article element) is put first."""
    if not headline:
        return text
    lines = text.split("\n")
    at = next((i for i, line in enumerate(lines) if " ".join(line.split()) == headline), None)
    if at is None:
        return f"{headline}\n{text}"
    article_lines = {line.strip() for line in precise.split("\n")}
    if any(line.strip() in article_lines for line in lines[:at] if line.strip()):
        return text
    return "\n".join(lines[at:])


# what a page says besides its article: links, menus, the site's header and footer, controls
_NAVIGATION_TAGS = ("a", "nav", "menu", "header", "footer", "button", "select")
_NAVIGATION_ROLES = ("navigation", "menu", "menubar", "banner", "contentinfo", "button")
_NOT_SHOWN_TAGS = ("head", "script", "style", "noscript", "template")
MIN_ARTICLE_WORDS = 5
_CHARACTERS_PER_WORD = 6


def _text_besides_navigation(page) -> str:
    """The page's visible text, less that of its links, navigation and controls (read from a
    copy: `page` is left as it is)."""
    from copy import deepcopy

    if page is None:  # nothing but blanks or comments
        return ""
    page = deepcopy(page)
    roles = " or ".join(f"@role='{role}'" for role in _NAVIGATION_ROLES)
    dropped = page.xpath(" | ".join(f"//{tag}" for tag in _NAVIGATION_TAGS + _NOT_SHOWN_TAGS)
                         + f" | //*[{roles}]")
    for element in dropped:
        if element.getparent() is not None:  # the root element cannot be dropped
            element.drop_tree()  # keeps the text that follows it
    return page.text_content()


def _enough_words(text: str) -> bool:
    """A handful of words, or as many letters as they have (for scripts without spaces)."""
    words = text.split()
    return (len(words) >= MIN_ARTICLE_WORDS
            or len("".join(words)) >= MIN_ARTICLE_WORDS * _CHARACTERS_PER_WORD)


def read_bounded(handle: BinaryIO, name: str, max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """At most `max_bytes` from a binary stream; more is an error. Reading stops at the limit,
    so an endless stream (`yes | plens analyze -`, /dev/zero) cannot fill the memory."""
    data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(f"{name}: the input is larger than the limit of "
                         f"{size_text(max_bytes)} (split it into articles)")
    return data


def too_large(name: str, size: int, max_bytes: int, what: str = "input") -> InputError:
    """The error for an input of `size` bytes over the limit."""
    return InputError(f"{name}: the {what} is {size_text(size)}; the limit is "
                      f"{size_text(max_bytes)} (split it into articles)")


def text_from_bytes(data: bytes, name: str, max_bytes: int = MAX_INPUT_BYTES,
                    html: bool = False) -> str:
    """Decode raw input; HTML pages (or, with `html`, any text with markup) are reduced to
    their article text. `name` heads the error messages."""
    if len(data) > max_bytes:
        raise too_large(name, len(data), max_bytes)
    return article_text(decode_bytes(data, name), name, html)


def article_text(text: str, name: str | None = None, html: bool = False) -> str:
    """The text as it is or, for an HTML page (declared by `html` or the file name's suffix,
    and holding markup, or beginning as a page does), its article text; `name` heads the
    error message."""
    declared = html and _MARKUP.search(text) is not None
    if not declared and not _is_html(name, text):
        return text
    try:
        return html_to_text(text)
    except InputError as error:
        raise InputError(f"{name}: {error}" if name else str(error)) from None


# a tag, a comment or a doctype: what any HTML page has and plain text hardly ever does
_MARKUP = re.compile(r"<(?:[a-z][a-z0-9-]*[\s/>]|/[a-z][a-z0-9-]*\s*>|!--|!doctype)",
                     re.IGNORECASE)


# what may come before a page's doctype or <html>: blanks, an XML declaration (XHTML) and
# comments (browsers write "<!-- saved from url=... -->" there)
_PAGE_PROLOGUE = re.compile(r"(?:\s+|<\?xml[^>]*\?>|<!--.*?-->)*", re.DOTALL)


def _is_html(name: str | None, text: str) -> bool:
    """Whether to read the text as a page: its name ends in .html/.htm/.xhtml and it holds
    some markup (a plain-text article saved under that name is read as text), or it begins as
    a page does."""
    if name and Path(name).suffix.lower() in HTML_SUFFIXES:
        return _MARKUP.search(text) is not None
    head = text[:10000]
    start = _PAGE_PROLOGUE.match(head).end()
    return head[start:start + 14].lower().startswith(("<!doctype html", "<html"))


def check_not_empty(path: str | Path) -> None:
    """An empty path ('') is an error: `Path('')` is the current folder, which nobody means."""
    if isinstance(path, str) and not path:
        raise InputError("the path is empty")


def check_regular_file(path: Path, name: str) -> None:
    """A named pipe (FIFO) or socket is an error: opening it waits for a writer, for ever when
    none comes (stdin is read with `-`). A device is read up to the size limit (/dev/zero)."""
    mode = path.stat().st_mode
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        raise InputError(f"{name}: not a regular file")


def read_document(path: str | Path, max_bytes: int = MAX_INPUT_BYTES) -> Document:
    """Read one article file (`-` for stdin)."""
    check_not_empty(path)
    if str(path) == "-":
        data = read_bounded(sys.stdin.buffer, "stdin", max_bytes)
        return Document.from_text(text_from_bytes(data, "stdin", max_bytes), source="-")
    file_path = Path(path)
    if not file_path.exists():
        raise missing_path_error(str(path))
    if file_path.is_dir():
        raise InputError(f"{path}: is a directory")
    check_regular_file(file_path, str(path))
    try:
        size = file_path.stat().st_size
        if size > max_bytes:
            raise too_large(str(path), size, max_bytes, "file")
        with file_path.open("rb") as handle:
            data = read_bounded(handle, str(path), max_bytes)
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror or error})") from None
    text = text_from_bytes(data, str(path), max_bytes)
    return Document.from_text(text, doc_id=file_path.stem, source=str(file_path))


def expand_paths(paths: list[str]) -> list[str]:
    """Files named directly, plus the article files inside named folders and their
    subfolders (sorted), as `plens batch` reads a folder."""
    expanded: list[str] = []
    for raw in paths:
        check_not_empty(raw)
        path = Path(raw)
        if raw != "-" and path.is_dir():
            found = sorted(
                str(child)
                for child in path.rglob("*")
                if child.is_file() and child.suffix.lower() in ARTICLE_SUFFIXES
            )
            if not found:
                raise InputError(f"{raw}: the folder holds no .txt, .md or .html articles")
            expanded.extend(found)
        else:
            expanded.append(raw)
    return expanded


def read_documents(paths: list[str], max_bytes: int = MAX_INPUT_BYTES) -> Iterator[Document]:
    for path in expand_paths(paths):
        yield read_document(path, max_bytes)
