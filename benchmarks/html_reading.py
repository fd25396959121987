"""Milliseconds per page of reading HTML articles (`html_to_text`), and what each page gave.

No news site's pages can be stored with the repository, so the pages are SemEval-2023
training articles (their first line the headline) put into eight page layouts that place the
headline as news sites do: an h1 and a <title> with the site's name after it, an og:title
that differs from the <title>, an og:title and no h1, twitter:title and a headline h1 beside a
logo h1, a JSON-LD headline, an h1 with markup and entities in it, a <title> alone, and no
title anywhere. Folders of real pages (`--pages`, e.g. /usr/share/doc) are added, those up to
`--max-kb` (1,000 KB: Node.js's 8 MB all.html alone would take most of the time), and timed
as a group of their own.

Each page's text is written (one JSON line per page) with `--texts`, so that two checkouts
can be compared:

    PYTHONPATH=OLD/src python benchmarks/html_reading.py --texts old.jsonl
    PYTHONPATH=NEW/src python benchmarks/html_reading.py --texts new.jsonl
    cmp old.jsonl new.jsonl

The time is the CPU time of this process (the wall clock on a shared machine counts the
others' work too), the best of `--repeats` passes over all pages (after one warm-up
pass that is not counted).
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _articles import DEFAULT_DATA

LANGUAGES = ("en", "fr", "ge", "it", "po", "ru")
SITE = "The Harbour Herald"
NAVIGATION = ('<header><a class="logo" href="/">{site}</a><nav><ul>'
              '<li><a href="/news">News</a></li><li><a href="/politics">Politics</a></li>'
              '<li><a href="/sport">Sport</a></li></ul></nav></header>')
FOOTER = '<footer><a href="/about">About us</a> <a href="/privacy">Privacy</a></footer>'


def _paragraphs(body: list[str]) -> str:
    return "\n".join(f"<p>{html.escape(paragraph, quote=False)}</p>" for paragraph in body)


def _page(head: str, article: str) -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8">{head}</head><body>'
            f"{NAVIGATION.format(site=SITE)}<main><article>{article}</article></main>"
            f"{FOOTER}</body></html>")


def layouts(title: str, body: list[str]) -> dict[str, str]:
    """The article as each layout's page, by layout name."""
    text, escaped = _paragraphs(body), html.escape(title)
    return {
        "title-suffix": _page(f"<title>{escaped} | {SITE}</title>",
                              f"<h1>{escaped}</h1>{text}"),
        "og-differs": _page(f'<title>{SITE} – World news</title>'
                            f'<meta property="og:title" content="{escaped}">',
                            f"<h1>{escaped}</h1>{text}"),
        "og-no-h1": _page(f"<title>{escaped} - {SITE}</title>"
                          f'<meta property="og:title" content="{escaped}">', text),
        "twitter-two-h1": (
            _page(f'<title>{SITE}</title><meta name="twitter:title" content="{escaped}">',
                  f'<h1 class="article-title">{escaped}</h1>{text}')
            .replace('<a class="logo" href="/">', '<h1 class="logo"><a href="/">', 1)
            .replace(f"{SITE}</a><nav>", f"{SITE}</a></h1><nav>", 1)),
        "json-ld": _page(f"<title>{escaped} · {SITE}</title>"
                         '<script type="application/ld+json">'
                         + json.dumps({"@context": "https://schema.org",
                                       "@type": "NewsArticle", "headline": title})
                         + "</script>", f"<h1>{escaped}</h1>{text}"),
        "h1-markup": _page(f'<title>{escaped}</title>'
                           f'<meta property="og:title" content="  {escaped} &amp; more ">',
                           f"<h1><span>{escaped}</span>\n <em>&amp; more</em></h1>{text}"),
        "title-only": _page(f"<title>{escaped}</title>", text),
        "no-title": _page("", text),
    }


def semeval_pages(data_dir: Path, per_language: int) -> dict[str, str]:
    """name -> page, for the first `per_language` training articles of each language."""
    pages = {}
    for language in LANGUAGES:
        folder = data_dir / "semeval2023-task3" / language / "train-articles-subtask-3"
        for path in sorted(folder.glob("*.txt"))[:per_language]:
            lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
            title, *body = [line for line in lines if line]
            for layout, page in layouts(title, body).items():
                pages[f"{language}/{path.stem}/{layout}"] = page
    return pages


def folder_pages(folders: list[Path], max_kb: int) -> dict[str, str]:
    """name -> page, for every .html/.htm file of at most `max_kb` in the folders."""
    return {str(path): path.read_text(encoding="utf-8", errors="replace")
            for folder in folders for path in sorted(folder.rglob("*.htm*"))
            if path.is_file() and path.stat().st_size <= max_kb * 1000}


def read_page(page: str) -> str:
    from persuasion_lens.text.reading import InputError, html_to_text

    try:
        return html_to_text(page)
    except InputError as error:
        return f"InputError: {error}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--per-language", type=int, default=5)
    parser.add_argument("--pages", type=Path, action="append", default=[],
                        help="a folder of real .html pages to add (repeatable)")
    parser.add_argument("--max-kb", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--texts", type=Path, help="write each page's text here (JSON lines)")
    args = parser.parse_args()

    groups = {"article layouts": semeval_pages(args.data_dir, args.per_language),
              "folder pages": folder_pages(args.pages, args.max_kb)}
    texts = {}
    for group, pages in groups.items():
        if not pages:
            continue
        texts.update({name: read_page(page) for name, page in pages.items()})  # warm-up
        passes = [_seconds(pages) for _ in range(args.repeats)]
        print(f"{group}, {len(pages)} pages: {1000 * min(passes) / len(pages):.2f} ms a page "
              f"(best of {args.repeats}; passes "
              + ", ".join(f"{1000 * p / len(pages):.2f}" for p in passes) + ")")
    if args.texts:
        args.texts.write_text("".join(json.dumps({"page": name, "text": text},
                                                 ensure_ascii=False) + "\n"
                                      for name, text in texts.items()), encoding="utf-8")


def _seconds(pages: dict[str, str]) -> float:
    began = time.process_time()
    for page in pages.values():
        read_page(page)
    return time.process_time() - began


if __name__ == "__main__":
    main()
