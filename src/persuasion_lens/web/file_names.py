"""File names in and out of the web app: the name of an uploaded file, as a multipart form part
gives it, and the name a downloaded report is saved under."""

from __future__ import annotations

import re
import unicodedata
from contextlib import aclosing
from pathlib import PurePath
from urllib.parse import quote, unquote_to_bytes

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

# RFC 5987 (RFC 8187): filename*=UTF-8''%D1%81%D1%82.txt, the language tag mostly empty.
_EXTENDED_FILE_NAME = re.compile(
    r";\s*filename\*\s*=\s*\"?([A-Za-z0-9_-]+)'[^']*'([^\s;\"]*)", re.IGNORECASE
)
_EXTENDED_CHARSETS = {"utf-8": "utf-8", "iso-8859-1": "latin-1"}

# A form upload writes the file name's '"', CR and LF as %22, %0D and %0A and escapes nothing
# else (the HTML standard's multipart encoding, which browsers, httpx and curl follow); the
# line breaks become spaces, so that a name stays one line.
_ESCAPED_IN_FILE_NAMES = re.compile("%22|%0D|%0A")
_UNESCAPED = {"%22": '"', "%0D": " ", "%0A": " "}
# A name with any other escape (%20, %25, %C3%A9) was percent-encoded as a whole, as the names of
# files saved from a URL are (no browser writes one): its %22 is literal too.
_OTHER_ESCAPE = re.compile("%(?!22|0D|0A)[0-9A-Fa-f]{2}")

DOWNLOAD_STEM_LENGTH = 80


def extended_file_name(disposition: bytes | None) -> str | None:
    """The file name of a part's RFC 5987 `filename*` parameter, decoded; None when the part has
    none or it does not decode."""
    found = _EXTENDED_FILE_NAME.search((disposition or b"").decode("latin-1"))
    if found is None:
        return None
    codec = _EXTENDED_CHARSETS.get(found.group(1).lower())
    if codec is None:
        return None
    try:
        return unquote_to_bytes(found.group(2)).decode(codec)
    except UnicodeDecodeError:
        return None


def form_file_name(filename: str) -> str:
    """A plain `filename` parameter as the file is named: the HTML standard's escapes undone,
    unless the name is percent-encoded as a whole. (A browser sends `a"b.txt` and `a%22b.txt`
    alike; the page therefore sends the name in a `source` field too.)"""
    if _OTHER_ESCAPE.search(filename):
        return filename
    return _ESCAPED_IN_FILE_NAMES.sub(lambda m: _UNESCAPED[m.group()], filename)


def uploaded_file_name(filename: str | None) -> str:
    """The name of an uploaded file as the user sees it: without folders."""
    return PurePath(filename or "").name or "upload"


class UploadParser(MultiPartParser):
    """Starlette's multipart parser, which also takes a part named only by `filename*` as a file
    and gives each file its name as the user sees it (`UploadFile.filename`).

    RFC 7578 has forms name files with `filename` alone, but some clients send `filename*` too,
    or only it; where both are there, `filename*` is the exact name (RFC 6266 prefers it), and
    `filename` a fallback, often reduced to ASCII."""

    def on_headers_finished(self) -> None:
        part = getattr(self, "_current_part", None)  # Starlette's own; absent, parse as it does
        if part is None:
            super().on_headers_finished()
            return
        extended = extended_file_name(part.content_disposition)
        if extended is not None and part.content_disposition is not None:
            part.content_disposition += b'; filename=""'  # so that Starlette takes a file
        super().on_headers_finished()
        if part.file is not None:
            part.file.filename = (extended if extended is not None
                                  else form_file_name(part.file.filename or ""))


async def read_form(request: Request, *, max_files: int, max_fields: int,
                    max_part_size: int) -> FormData:
    """The request's form, files named by `UploadParser`; the caller closes it."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "multipart/form-data":
        return await request.form(max_files=max_files, max_fields=max_fields,
                                  max_part_size=max_part_size)
    try:
        async with aclosing(request.stream()) as stream:
            parser = UploadParser(request.headers, stream, max_files=max_files,
                                  max_fields=max_fields, max_part_size=max_part_size)
            return await parser.parse()
    except MultiPartException as error:
        raise HTTPException(400, error.message) from None


def report_disposition(source: str | None) -> str:
    """The Content-Disposition of the report of `source`: its name in `filename*` (RFC 6266)
    where it is not ASCII, with an ASCII `filename` for clients that do not read that."""
    name = f"{download_stem(source)}-report.html"
    fallback = f"{download_stem(source, ascii_only=True)}-report.html"
    if name == fallback:
        return f'attachment; filename="{fallback}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def download_stem(source: str | None, ascii_only: bool = False) -> str:
    """The article's name, without folders and suffix, as a download name begins: letters,
    digits, marks, '.', '_' and '-' (runs of anything else one '-'), or "persuasion-lens".
    `ascii_only` drops accents (Déclaration: Declaration) and every other letter."""
    stem = unicodedata.normalize("NFC", PurePath(source).stem if source else "")
    if ascii_only:
        stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    words = "".join(c if _kept_in_download_names(c) else " " for c in stem).split()
    stem = "-".join(words).strip("-.")[:DOWNLOAD_STEM_LENGTH]
    return stem or "persuasion-lens"


def _kept_in_download_names(character: str) -> bool:
    return character in "._-" or unicodedata.category(character)[0] in "LNM"
