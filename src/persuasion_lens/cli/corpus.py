"""Corpus mode: `plens batch`, `plens search`, `plens report`, `plens export`."""

from __future__ import annotations

import functools
import json
import os
import re
import unicodedata
from collections.abc import Iterator
from enum import Enum
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from persuasion_lens.cli.common import (
    CORPUS_PANEL,
    OTHER_MODELS,
    app,
    console,
    error_console,
    fail,
    user_errors_are_one_line,
    warn,
)
from persuasion_lens.cli.output_checks import named_descriptor, names_stdout
from persuasion_lens.text.languages import language_name
from persuasion_lens.text.wording import counted, two_decimals

DB_HELP = "Database URL: sqlite:///FILE.db (default plens.db) or postgresql://user:pw@host/db."
DEFAULT_DB = "sqlite:///plens.db"

DB_OPTION = typer.Option(DEFAULT_DB, "--db", envvar="PLENS_DB", help=DB_HELP)
TECHNIQUE_OPTION = typer.Option(None, "--technique", "-t", help="Only this technique.")
CATEGORY_OPTION = typer.Option(None, "--category", "-c", help="Only this category.")
OUTLET_OPTION = typer.Option(None, "--outlet", help="Only articles from this outlet (any case "
                              "and spacing); \"(no outlet)\": those stored without one.")
LANG_OPTION = typer.Option(None, "--lang", "-l", help="Only articles in this language.")
SINCE_OPTION = typer.Option(None, "--since", help="Published on or after (YYYY-MM-DD).")
UNTIL_OPTION = typer.Option(None, "--until", help="Published on or before (YYYY-MM-DD).")
NARRATIVE_OPTION = typer.Option(
    None, "--narrative", help="Only articles with a narrative or subnarrative containing this "
    "(any case), e.g. 'URW: Blaming the war on others'. Needs a batch run with --narratives.")


def max_workers() -> int:
    """The most workers a local cluster may have: 8 per CPU core."""
    return (os.cpu_count() or 1) * 8


def open_corpus(db_url: str, must_exist: bool = True):
    from persuasion_lens.storage import open_database

    return open_database(db_url, must_exist=must_exist)


def corpus_filters(technique, category, outlet, lang, since, until, narrative=None):
    from persuasion_lens.storage.queries import Filters

    filters = Filters.from_user(technique, category, outlet, lang, since, until, narrative)
    if filters.since and filters.until and filters.since > filters.until:
        fail(f"--since {filters.since} is after --until {filters.until}: nothing can match")
    return filters


def check_new_database_url(db: str) -> None:
    """`plens batch` creates a database only from a URL: a bare name (`--db bogus`) that is no
    database file yet is refused, with the URL it may have meant (it became a SQLite file
    called bogus)."""
    db = db.strip()
    if db and "://" not in db and not Path(db).expanduser().is_file():
        name = db if Path(db).suffix else f"{db}.db"
        fail(f"--db {db} is not a database URL: for a new SQLite database give "
             f"sqlite:///{name} (or postgresql://user:pw@host/db)")


def _no_articles_message(inputs: list[str]) -> str:
    """Why the inputs hold no article: empty folders are named as such."""
    folders = [raw for raw in inputs if Path(raw).is_dir()]
    if folders and len(folders) == len(inputs):
        held = "the folder holds" if len(folders) == 1 else "the folders hold"
        return f"{', '.join(folders)}: {held} no .txt, .md or .html articles"
    return "the inputs hold no articles (an empty file?)"


def warn_if_no_narratives(database, narrative: str | None) -> None:
    """A --narrative filter on a database without narratives matches nothing: say why (as
    /corpus/api/narratives does), not only that nothing matched."""
    from persuasion_lens.storage.narrative_queries import NO_NARRATIVES, narratives_stored

    if narrative and narrative.strip() and not narratives_stored(database):  # spaces: no filter
        warn(f"--narrative {narrative!r} matches nothing: {NO_NARRATIVES}")


# --- batch -----------------------------------------------------------------------------------


@app.command(rich_help_panel=CORPUS_PANEL)
@user_errors_are_one_line
def batch(
    inputs: list[str] = typer.Argument(..., help="Folders of .txt, .md or .html articles, or JSON "
                                       "Lines, CSV or Parquet files with a text column."),
    db: str = DB_OPTION,
    text_column: str = typer.Option("text", "--text-column", help="Column with the article text."),
    id_column: str = typer.Option("id", "--id-column"),
    title_column: str = typer.Option("title", "--title-column"),
    outlet_column: str = typer.Option("outlet", "--outlet-column"),
    url_column: str = typer.Option("url", "--url-column"),
    published_column: str = typer.Option("published", "--published-column"),
    lang_column: str = typer.Option("lang", "--lang-column"),
    lang: str | None = typer.Option(None, "--lang", "-l", help="Language of articles whose "
                                    "row gives none (detected when left out)."),
    model: str | None = typer.Option(None, "--model", help="Folder of a technique model, "
                                     f"{OTHER_MODELS}."),
    no_spans: bool = typer.Option(False, "--no-spans", help="Skip span detection."),
    narratives: bool = typer.Option(False, "--narratives", help="Also store narratives, the "
                                    "roles given to people and countries and the side taken "
                                    "(experimental); "
                                    "added to articles already stored without them."),
    dask: str | None = typer.Option(None, "--dask", help="'local' for a Dask LocalCluster, or "
                                    "a scheduler address such as tcp://scheduler:8786."),
    workers: int | None = typer.Option(None, "--workers", help="Workers of --dask local: 1 "
                                       f"to 8 per CPU core ({max_workers()} here; 2 if left "
                                       "out)."),
    wait_for_workers: float | None = typer.Option(
        None, "--wait-for-workers", min=0, metavar="SECONDS",
        help="With --dask ADDRESS: how long to wait for a worker when the scheduler has none, "
        "at the start or later in the run (60 if left out)."),
    batch_size: int = typer.Option(32, "--batch-size", min=1, max=10000,
                                   help="Articles per task and per database transaction."),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
    analyzer_factory: str | None = typer.Option(
        None, "--analyzer-factory", hidden=True,
        help="module:function returning an Analyzer (plugins and tests)."),
) -> None:
    """Analyse many articles and store the results (re-running resumes; nothing is stored twice).

    With --narratives, articles already stored without narratives get them added.
    """
    from persuasion_lens.batch.readers import ColumnNames, check_inputs, count_inputs
    from persuasion_lens.batch.runner import (
        ANALYSING,
        AnalyzerSpec,
        BatchStopped,
        make_executor,
        run_batch,
    )
    from persuasion_lens.text.languages import normalise_language_code

    dask = check_dask_options(dask, workers, wait_for_workers)
    check_new_database_url(db)
    check_inputs(inputs)
    if lang:
        lang = normalise_language_code(lang)
    columns = ColumnNames(text=text_column, id=id_column, title=title_column,
                          outlet=outlet_column, url=url_column, published=published_column,
                          lang=lang_column)
    total = count_inputs(inputs, columns)
    if total == 0:
        fail(_no_articles_message(inputs))
    created = _new_sqlite_file(db)
    database = open_corpus(db, must_exist=False)
    if dask and model and Path(model).expanduser().is_dir():
        model = str(Path(model).expanduser().resolve())  # the workers' own folder may differ
    spec = AnalyzerSpec(model_path=model, spans=not no_spans, factory=analyzer_factory,
                        narratives=narratives)
    executor = make_executor(spec, dask, workers, wait_for_workers)
    bar = _progress_bar(progress)
    summary = None
    try:
        with bar:
            # started when the analysis starts, so its time and rate leave the loading out
            task = bar.add_task("loading", total=total, start=False, worked=0)

            def advance(n: int) -> None:
                bar.update(task, advance=n)

            def worked(n: int) -> None:  # analysed or given narratives: what the rate counts
                bar.update(task, worked=bar.tasks[task].fields["worked"] + n)

            def status(what: str) -> None:
                if what == ANALYSING:
                    bar.start_task(task)
                bar.update(task, description=what)

            summary = run_batch(inputs, database, spec, columns, executor=executor,
                                batch_size=batch_size, lang=lang, progress=advance,
                                status=status, worked=worked)
            # the bar ends on the run's rate, as the summary says it (not on the last 30 s)
            bar.update(task, rate=summary.rate)
    except KeyboardInterrupt as interrupted:
        error_console.print(_interrupted_text(getattr(interrupted, "summary", None)),
                            highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None
    except BatchStopped as stopped:
        error_console.print(f"[red]error:[/] {escape(stopped.reason)}; "
                            f"{_stopped_text(stopped.summary)}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    finally:
        if summary is None and created is not None:
            _remove_if_nothing_stored(database, created)
        database.dispose()
    _print_summary(summary, database.url)
    if summary.failed:
        raise typer.Exit(1)


def _new_sqlite_file(db_url: str) -> Path | None:
    """The SQLite file that opening `db_url` will create, or None (it exists, or is no file)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from persuasion_lens.storage.database import normalise_url

    try:
        url = make_url(normalise_url(db_url))
    except ArgumentError:
        return None
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    path = Path(url.database).expanduser()
    return None if path.exists() else path


def _remove_if_nothing_stored(database, path: Path) -> None:
    """A run that stopped before storing an article or a failure leaves no empty database file
    behind that it created (a scheduler that was not there left plens.db)."""
    from persuasion_lens.storage.queries import corpus_state

    try:
        state = corpus_state(database)
    except Exception:  # nothing readable: leave the file as it is
        return
    articles_stored, failures_recorded = state[0], state[4]
    if articles_stored == 0 and failures_recorded == 0:
        database.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def check_dask_options(dask: str | None, workers: int | None,
                       wait_for_workers: float | None) -> str | None:
    """--dask, and the options that go with it, make sense together: one line otherwise. The
    scheduler's address is checked before anything is opened or connected to."""
    from persuasion_lens.batch.executors import ADDRESS_EXAMPLE, scheduler_address

    if dask is not None and dask.strip() != "local":
        try:
            dask = scheduler_address(dask)
        except ValueError as error:
            fail(f"--dask {dask}: {error}; give 'local' or a scheduler address such as "
                 f"{ADDRESS_EXAMPLE}")
    if workers is not None:
        if dask is None or dask.strip() != "local":
            where = ("a scheduler's workers are started with it: dask worker ADDRESS "
                     "--nworkers N" if dask else "without --dask the analysis runs in this "
                     "process")
            fail(f"--workers is the number of workers --dask local starts; {where}")
        check_workers(workers)
    if wait_for_workers is not None and dask is None:
        fail("--wait-for-workers goes with --dask ADDRESS (a scheduler's workers)")
    if wait_for_workers is not None and wait_for_workers != wait_for_workers:  # nan
        fail("--wait-for-workers must be a number of seconds (inf: wait for ever), not nan")
    return dask.strip() if dask is not None else None


def check_workers(workers: int) -> None:
    """--workers out of 1..max_workers() is one line (a huge number hung starting them)."""
    if not 1 <= workers <= max_workers():
        fail(f"--workers must be 1 to {max_workers()} (8 per CPU core), not {workers}")


def _stored_text(summary) -> str:
    """'this run analysed and stored 12 articles, skipped 3 (already stored), 0 failed; '"""
    if summary is None:
        return ""
    done = [f"analysed and stored {counted(summary.analysed, 'article')}"]
    if summary.narratives:
        done.append(f"added narratives to {summary.narratives_added:,}")
    done.append(f"skipped {summary.skipped:,} (already stored)")
    if summary.metadata_updated:
        done.append(f"updated the metadata of {summary.metadata_updated:,} of them")
    done.append(f"{summary.failed:,} failed")
    return f"this run {', '.join(done)}; "


def _stopped_text(summary) -> str:
    """After a run stopped short: what it stored, and how to go on."""
    return (f"{_stored_text(summary)}everything committed so far is kept; run the same command "
            "again to resume")


def _interrupted_text(summary) -> str:
    """What an interrupted run says: what it stored (when it got that far), and how to go on."""
    return f"interrupted: {_stopped_text(summary)}"


def _progress_bar(enabled: bool):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    class RateColumn(ProgressColumn):
        """The articles analysed (or given narratives) per second since the analysis started,
        as the summary counts them (articles found stored are no part of it), and at the end
        the summary's own."""

        def render(self, task):
            if "rate" in task.fields:  # the run ended
                speed = task.fields["rate"]
                shown = rate_text(speed) if speed else "none analysed"
            else:
                elapsed = task.elapsed
                speed = task.fields.get("worked", 0) / elapsed if elapsed else 0
                shown = rate_text(speed) if speed else "– articles/s"
            return Text(shown, style="cyan")

    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        RateColumn(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=error_console, disable=not enabled, transient=False,
    )


def _first_few(shown: list[str], total: int) -> str:
    """'a1, a2 and 3 more': the first ids the summary keeps, and how many it leaves out."""
    more = total - len(shown)
    return ", ".join(shown) + (f" and {more:,} more" if more else "")


def _print_summary(summary, db_url: str) -> None:
    from sqlalchemy.engine import make_url

    table = Table(title="Batch summary", show_header=False, title_justify="left")
    table.add_row("analysed", f"{summary.analysed:,}")
    if summary.narratives:
        table.add_row("narratives added (already stored)", f"{summary.narratives_added:,}")
    table.add_row("skipped (already stored)", f"{summary.skipped:,}")
    if summary.metadata_updated:
        table.add_row("  of them, metadata updated", f"{summary.metadata_updated:,}")
    table.add_row("failed", f"[red]{summary.failed:,}[/]" if summary.failed else "0")
    loaded = (f"models and lemma dictionaries ({', '.join(summary.lemma_languages)})"
              if summary.lemma_languages else "models")
    table.add_row("time", f"{summary.seconds:,.1f} s (loading {loaded}: "
                  f"{summary.startup_seconds:,.1f} s)")
    table.add_row("rate", f"{rate_text(summary.rate)} (analysis, loading left out)"
                  if summary.worked else "– (nothing analysed)")
    table.add_row("model", summary.model_version or "–")
    table.add_row("narratives", "stored (experimental)" if summary.narratives
                  else "off (--narratives stores them)")
    table.add_row("database", make_url(db_url).render_as_string(hide_password=True))
    console.print(table)
    if summary.new_versions:
        warn(f"{summary.new_versions:,} article(s) stored whose id was stored before with "
             "another text (an edited article?): "
             f"{_first_few(summary.new_version_ids, summary.new_versions)}; "
             "both versions are kept and counted")
    if summary.metadata_updated:
        error_console.print(
            f"{summary.metadata_updated:,} stored article(s) updated in place, their input now "
            "giving another title, outlet, url or published date: "
            f"{escape(_first_few(summary.metadata_updated_ids, summary.metadata_updated))} "
            "(not analysed again: their text is the same)", highlight=False, soft_wrap=True)
    if summary.short_rows:
        warn(f"{summary.short_rows:,} CSV row(s) with fewer fields than the header, the "
             "missing ones read as empty: "
             f"{_first_few(summary.short_row_places, summary.short_rows)} "
             "(each stored article's warnings say so)")
    if summary.other_language:
        warn(f"{summary.other_language:,} article(s) plainly in another language than their "
             "lang column or --lang says: "
             f"{_first_few(summary.other_language_ids, summary.other_language)}; "
             "analysed as given all the same (each one's warnings say so)")
    if summary.untrained_language:
        languages = ", ".join(f"{language_name(code)} {count:,}" for code, count
                              in sorted(summary.untrained_languages.items(),
                                        key=lambda item: (-item[1], item[0])))
        warn(f"{summary.untrained_language:,} article(s) in a language the technique model was "
             f"not trained on ({languages}): analysed all the same, less reliably (each one's "
             "warnings say so)")
    for failure in summary.failures:
        where = _failure_place(failure.source, failure.location)
        error_console.print(f"[red]failed:[/] {escape(where)}: {escape(failure.reason)}",
                            highlight=False, soft_wrap=True)
    if summary.failed > len(summary.failures):
        error_console.print(f"... and {summary.failed - len(summary.failures)} more "
                            "(see the failures table)", soft_wrap=True)


def _failure_place(source: str, location: str) -> str:
    """Where a failure is: the file, and the line (JSON Lines), row (CSV, Parquet: numbered as
    a spreadsheet shows the table, which the message says) or file in a folder."""
    if not location:
        return source
    if location.startswith("row "):
        location += " (the header is row 1)"
    return f"{source}, {location}"


# --- search ----------------------------------------------------------------------------------


class SearchFormat(str, Enum):
    text = "text"
    json = "json"


SEARCH_PAGE = 500  # matches read, and printed as one table, at a time


@app.command(rich_help_panel=CORPUS_PANEL)
@user_errors_are_one_line
def search(
    query: str = typer.Argument(..., help='Words to find (all must occur); "a phrase"; prefix*.'),
    db: str = DB_OPTION,
    technique: str | None = TECHNIQUE_OPTION,
    category: str | None = CATEGORY_OPTION,
    outlet: str | None = OUTLET_OPTION,
    lang: str | None = LANG_OPTION,
    since: str | None = SINCE_OPTION,
    until: str | None = UNTIL_OPTION,
    narrative: str | None = NARRATIVE_OPTION,
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="Show this many matches."),
    offset: int = typer.Option(0, "--offset", min=0,
                               help="Skip this many matches first (the next page)."),
    show_all: bool = typer.Option(False, "--all",
                                  help="Show every match after --offset (instead of --limit)."),
    output_format: SearchFormat = typer.Option(SearchFormat.text, "--format", "-f"),
) -> None:
    """Find stored paragraphs by their words, with the techniques detected in them.

    JSON is one object: the matches under "results", "total" how many there are in all."""
    from persuasion_lens.storage.queries import (
        match_pattern,
        no_words_notice,
        ranks_by_relevance,
    )

    filters = corpus_filters(technique, category, outlet, lang, since, until, narrative)
    if notice := no_words_notice(query):
        warn(notice)
    wanted = None if show_all else limit
    database = open_corpus(db)
    try:
        warn_if_no_narratives(database, narrative)
        pages = _search_pages(database, query, filters, offset, wanted)
        if output_format == SearchFormat.json:
            rows = [row for page in pages for row in page]
            total = _match_total(database, query, filters, offset, wanted, len(rows))
            typer.echo(json.dumps(
                {"query": query, "filters": filters.to_dict(), "count": len(rows),
                 "offset": offset, "total": total, "notice": notice, "results": rows},
                ensure_ascii=False, indent=2, default=str))
            return
        shown = 0
        print_page = _print_search if _as_tables(wanted) else _print_search_lines
        for page in pages:
            print_page(page, match_pattern(query), first_number=offset + shown + 1)
            shown += len(page)
        total = _match_total(database, query, filters, offset, wanted, shown)
        ranked = ranks_by_relevance(database, query)
    finally:
        database.dispose()
    _print_search_footer(offset, shown, total, ranked)


def _search_pages(database, query: str, filters, offset: int,
                  limit: int | None) -> Iterator[list[dict]]:
    """The matches from `offset` on, `limit` of them (every one for None), a page at a time,
    so that a long listing is printed as it is read."""
    from persuasion_lens.storage.queries import search as run_search

    while limit is None or limit > 0:
        size = SEARCH_PAGE if limit is None else min(SEARCH_PAGE, limit)
        rows = run_search(database, query, filters, size, offset)
        if rows:
            yield rows
        if len(rows) < size:
            return
        offset += size
        limit = None if limit is None else limit - size


def _match_total(database, query: str, filters, offset: int, limit: int | None,
                 found: int) -> int:
    """How many paragraphs match in all (counted only when the listing stopped short of it)."""
    from persuasion_lens.storage.queries import count_matches

    reached_the_end = (limit is None or found < limit) and (found or not offset)
    return offset + found if reached_the_end else count_matches(database, query, filters)


def _print_search_footer(offset: int, shown: int, total: int, ranked: bool = True) -> None:
    from persuasion_lens.storage.queries import IN_STORED_ORDER

    if not shown:
        console.print("no matching paragraphs" + (
            f" after the first {offset:,} (there {'is' if total == 1 else 'are'} {total:,})"
            if offset else ""))
        return
    if total <= offset + shown and not offset:
        return
    matches = (f"matches {offset + 1:,}–{offset + shown:,}" if offset else
               f"the best {shown:,}" if ranked else f"the first {shown:,}")
    order = "" if ranked else f", {IN_STORED_ORDER}"
    more = (f" (--offset {offset + shown} shows the next, --all every one)"
            if total > offset + shown else "")
    console.print(f"showing {matches} of {total:,} matching paragraphs{order}{more}",
                  style="dim")


def _as_tables(limit: int | None) -> bool:
    """Whether matches are printed as a table: for a terminal, up to a page of them. A table
    a page took 88 s for 39,668 paragraphs, lines take seconds."""
    return console.is_terminal and limit is not None and limit <= SEARCH_PAGE


def _print_search_lines(rows: list[dict], pattern: re.Pattern[str] | None,
                        first_number: int = 1) -> None:
    """The matches as lines: the article, the paragraph whole and the techniques, one each;
    styled for a terminal, else plain text, which Rich would only slow down."""
    matches = [_match_parts(row, number) for number, row in enumerate(rows, start=first_number)]
    if not console.is_terminal:
        typer.echo("\n".join("".join(part for part, _ in parts) for parts in matches))
        return
    page = Text("\n").join(_styled_match(parts, pattern) for parts in matches)
    console.print(page, soft_wrap=True, highlight=False)  # a page at once: much the quickest


PARAGRAPH_PART = 4  # the paragraph's place among a match's parts


def _match_parts(row: dict, number: int) -> list[tuple[str, str]]:
    """A match's three lines as (text, style) parts."""
    details = "".join(f" · {detail}" for detail in _article_details(row))
    paragraph = unicodedata.normalize("NFC", row["text"])  # as search matches it
    parts = [(f"{number}. ", "dim"), (_article_name(row), "bold"), (f"{details}\n", "dim"),
             ("   ", ""), (paragraph, ""), ("\n   ", "")]
    for index, hit in enumerate(row["techniques"]):
        label, colour = _technique_label(hit["technique"], hit["category"])
        parts += [(" · " if index else "", "dim"), (f"{label} ", colour),
                  (two_decimals(hit["confidence"]), "dim")]
    if not row["techniques"]:
        parts.append(("no technique detected", "dim"))
    parts.append(("\n", ""))
    return parts


def _styled_match(parts: list[tuple[str, str]], pattern: re.Pattern[str] | None) -> Text:
    text = Text.assemble(*parts)
    if pattern is not None:
        start = sum(len(part) for part, _ in parts[:PARAGRAPH_PART])
        for found in pattern.finditer(parts[PARAGRAPH_PART][0]):
            text.stylize("bold black on yellow", start + found.start(), start + found.end())
    return text


@functools.cache
def _technique_label(name: str, category: str) -> tuple[str, str]:
    """A technique's label and its category's colour."""
    from persuasion_lens.taxonomy import category as category_info
    from persuasion_lens.taxonomy import technique as technique_info

    return technique_info(name).label, category_info(category).terminal_colour


def _article_name(row: dict) -> str:
    return row["title"] or row["external_id"] or f"article {row['article_id']}"


def _article_details(row: dict) -> list[str]:
    """Outlet, date, language and the paragraph's place, those that are known."""
    known = [str(v) for v in (row["outlet"], row["published"], row["language"]) if v]
    return [*known, f"¶{row['paragraph_index'] + 1}"]


def _print_search(rows: list[dict], pattern: re.Pattern[str] | None,
                  first_number: int = 1) -> None:
    from persuasion_lens.taxonomy import category as category_info
    from persuasion_lens.taxonomy import technique as technique_info

    table = Table(show_lines=True, expand=True)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("Article", ratio=2)
    table.add_column("Paragraph", ratio=5)
    table.add_column("Techniques", ratio=2)
    for number, row in enumerate(rows, start=first_number):
        article = Text(_article_name(row), style="bold")
        *details, place = _article_details(row)
        article.append(f"\n{' · '.join(details)}\n{place}", style="dim")
        paragraph = Text(unicodedata.normalize("NFC", row["text"]))  # as search matches it
        if pattern is not None:
            paragraph.highlight_regex(pattern, style="bold black on yellow")
        techniques = Text()
        for hit in row["techniques"]:
            colour = category_info(hit["category"]).terminal_colour
            techniques.append(f"{technique_info(hit['technique']).label} ", style=colour)
            techniques.append(f"{two_decimals(hit['confidence'])}\n", style="dim")
        table.add_row(str(number), article, paragraph, techniques or Text("–", style="dim"))
    console.print(table)


# --- report and export -----------------------------------------------------------------------


@app.command(rich_help_panel=CORPUS_PANEL)
@user_errors_are_one_line
def report(
    output: Path = typer.Option(..., "--output", "-o", help="The HTML file to write."),
    db: str = DB_OPTION,
    technique: str | None = TECHNIQUE_OPTION,
    category: str | None = CATEGORY_OPTION,
    outlet: str | None = OUTLET_OPTION,
    lang: str | None = LANG_OPTION,
    since: str | None = SINCE_OPTION,
    until: str | None = UNTIL_OPTION,
    narrative: str | None = NARRATIVE_OPTION,
    top: int = typer.Option(20, "--top", min=1, max=500, help="Articles in the densest list."),
) -> None:
    """Write an HTML report with charts about the stored corpus."""
    from persuasion_lens.reporting.corpus_report import write_corpus_report

    filters = corpus_filters(technique, category, outlet, lang, since, until, narrative)
    if names_stdout(output):
        fail("-o -: the report cannot go to standard output, as its article pages are written "
             "in a folder beside it: give a file name, such as report.html")
    check_output_file(output, (".html", ".htm"), "the report is an HTML page", db=db)
    database = open_corpus(db)
    try:
        warn_if_no_narratives(database, narrative)
        folder, pages, data = write_corpus_report(database, output, filters, top=top)
    finally:
        database.dispose()
    pages_written = f" and {counted(pages, 'article page')} in {folder}" if pages else ""
    console.print(f"wrote {output}{pages_written}", soft_wrap=True)
    if not data["articles"]:
        warn("nothing matched: the report has no articles (check the filters)")
        return
    _print_narrative_summary(data["narratives"])


def check_output_file(output: Path, suffixes: tuple[str, ...], what: str,
                      name: str = "report", db: str | None = None) -> None:
    """Before anything is written: an error for a folder given as the file (`name` and the
    first of `suffixes` suggest one in it), a missing folder to write it in or the SQLite
    database `db` itself (or a file SQLite keeps beside it), a warning for a name whose suffix
    is not one of `suffixes`."""
    if output.is_dir():
        fail(f"{output} is a folder: give the file to write, such as "
             f"{output / (name + suffixes[0])}")
    if not output.parent.is_dir():
        fail(f"{output.parent}: no such folder")
    if db is not None:
        _check_not_the_database(output, db, output.with_suffix(suffixes[0]).name)
    names_a_file = output.is_file() or not output.exists()  # not /dev/stdout or a pipe
    if names_a_file and output.suffix.lower() not in suffixes:
        warn(f"{output}: {what}, whatever the file is called")


def _check_not_the_database(output: Path, db: str, suggestion: str) -> None:
    """Writing over the database being read would destroy the corpus (and fail halfway)."""
    from persuasion_lens.storage.database import sqlite_files

    files = sqlite_files(db)
    if files and output.resolve() in files:
        what_it_is = ("the database this reads" if output.resolve() == files[0]
                      else "a file SQLite keeps beside the database this reads")
        fail(f"{output} is {what_it_is} ({db}); writing it would destroy the corpus: give "
             f"another file, such as {suggestion}")


def _print_narrative_summary(data: dict, shown: int = 5) -> None:
    """The leading narratives, entities and sides taken in a few lines, or how to get them."""
    from persuasion_lens.storage.narrative_queries import roles_text
    from persuasion_lens.taxonomy.roles import OPPOSING_SIDE, RUSSIAN_SIDE

    if not data["articles"]:
        console.print(data["message"], style="dim", highlight=False)
        return
    articles = counted(data["articles"], "article")
    console.print(f"narratives (experimental) in {articles}: " + "; ".join(
        f"{row['narrative']} {row['articles']}" for row in data["by_narrative"][:shown]),
        highlight=False)
    for entity in data["entities"][:shown]:
        console.print(f"  {entity['entity']}: {roles_text(entity['roles'])}", highlight=False)
    sides = data.get("sides") or []
    if sides:
        russian = sum(row["russian_side"] for row in sides)
        opposing = sum(row["opposing_side"] for row in sides)
        console.print(f"side taken in the Russia–Ukraine war (outlets shown in the report): "
                      f"{russian:,} lean to {RUSSIAN_SIDE}, {opposing:,} to {OPPOSING_SIDE}",
                      highlight=False)


def rate_text(articles_per_second: float) -> str:
    """'12.3 articles/s', or seconds per article for long ones ('36 s per article', not
    '0.0 articles/s')."""
    if 0 < articles_per_second < 0.1:
        return f"{1 / articles_per_second:,.0f} s per article"
    return f"{articles_per_second:,.1f} articles/s"


class ExportFormat(str, Enum):
    csv = "csv"
    parquet = "parquet"
    jsonl = "jsonl"


_EXPORT_SUFFIXES = {".parquet": ExportFormat.parquet, ".pq": ExportFormat.parquet,
                    ".csv": ExportFormat.csv, ".jsonl": ExportFormat.jsonl,
                    ".ndjson": ExportFormat.jsonl}
_EXPORT_WHAT = {ExportFormat.parquet: "the export is a Parquet file",
                ExportFormat.csv: "the export is a CSV file",
                ExportFormat.jsonl: "the export is JSON Lines"}


def _export_suffixes(output_format: ExportFormat) -> tuple[str, ...]:
    return tuple(suffix for suffix, kind in _EXPORT_SUFFIXES.items() if kind == output_format)


@app.command(rich_help_panel=CORPUS_PANEL)
@user_errors_are_one_line
def export(
    output: Path = typer.Option(..., "--output", "-o", help="The file to write ('-': standard "
                                "output, with --format)."),
    output_format: ExportFormat | None = typer.Option(
        None, "--format", "-f",
        help="csv (UTF-8; a file has a byte-order mark, for Excel) or parquet (a row per "
        "paragraph), jsonl (an article per line, nested); default: from the file name."),
    db: str = DB_OPTION,
    technique: str | None = TECHNIQUE_OPTION,
    category: str | None = CATEGORY_OPTION,
    outlet: str | None = OUTLET_OPTION,
    lang: str | None = LANG_OPTION,
    since: str | None = SINCE_OPTION,
    until: str | None = UNTIL_OPTION,
    narrative: str | None = NARRATIVE_OPTION,
) -> None:
    """Export the results: a row per paragraph (CSV, Parquet) or an article per line (JSONL)."""
    filters = corpus_filters(technique, category, outlet, lang, since, until, narrative)
    if names_stdout(output) or named_descriptor(output) is not None:
        _export_to_stream(output, output_format, filters, db, narrative)
        return
    if output_format is None and not output.is_dir():
        output_format = _EXPORT_SUFFIXES.get(output.suffix.lower())
        if output_format is None:
            fail("give --format csv, parquet or jsonl (or name the file .csv, .parquet or "
                 ".jsonl)")
    output_format = output_format or ExportFormat.csv  # a folder: the check below says so
    check_output_file(output, _export_suffixes(output_format), _EXPORT_WHAT[output_format],
                      name="export", db=db)
    rows = _write_export(output, output_format, filters, db, narrative,
                         to_a_file=output.is_file() or not output.exists())
    # into a named pipe, the line would be read as part of the data
    said_on = console if output.is_file() else error_console
    said_on.print(f"wrote {rows:,} {_export_unit(output_format)} to {output}", soft_wrap=True)


def _export_to_stream(output: Path, output_format: ExportFormat | None, filters, db: str,
                      narrative: str | None) -> None:
    """`-o -` (standard output) or `-o /dev/stdout`, `/dev/fd/3`: the export written through
    the open descriptor (CSV without the byte-order mark meant for Excel), the closing line on
    stderr; Parquet only into a file or a pipe, never the terminal."""
    import sys

    descriptor = 1 if names_stdout(output) else named_descriptor(output)
    where = "standard output" if names_stdout(output) else str(output)
    if output_format is None:
        stream = "standard output" if descriptor == 1 else f"file descriptor {descriptor}"
        fail(f"-o {output} writes to {stream}: give --format csv, jsonl or parquet")
    if not _is_open(descriptor):
        fail(f"{output}: file descriptor {descriptor} is not open")
    if output_format == ExportFormat.parquet and os.isatty(descriptor):
        fail(f"-o {output}: Parquet is binary, not for the terminal: pipe or redirect standard "
             "output, or give a file name, such as export.parquet")
    sys.stdout.flush()
    if descriptor == 1:
        rows = _write_export(sys.stdout.buffer, output_format, filters, db, narrative)
        sys.stdout.flush()
    else:
        with os.fdopen(os.dup(descriptor), "wb") as stream:
            rows = _write_export(stream, output_format, filters, db, narrative)
    error_console.print(f"wrote {rows:,} {_export_unit(output_format)} to {where}",
                        soft_wrap=True)


def _is_open(descriptor: int) -> bool:
    try:
        os.fstat(descriptor)
    except OSError:
        return False
    return True


def _export_unit(output_format: ExportFormat) -> str:
    return "articles" if output_format == ExportFormat.jsonl else "paragraphs"


def _write_export(output, output_format: ExportFormat, filters, db: str,
                  narrative: str | None, to_a_file: bool = False) -> int:
    """Write the export to `output` (a path or a binary stream); returns the rows written."""
    from persuasion_lens.storage.export import write_csv, write_jsonl, write_parquet

    database = open_corpus(db)
    try:
        warn_if_no_narratives(database, narrative)
        writer = {ExportFormat.parquet: write_parquet, ExportFormat.csv: write_csv,
                  ExportFormat.jsonl: write_jsonl}[output_format]
        rows = writer(database, output, filters)
    finally:
        database.dispose()
    if not rows:
        warn(f"nothing matched: {_empty_export_text(output_format, to_a_file)}")
    return rows


def _empty_export_text(output_format: ExportFormat, to_a_file: bool) -> str:
    """What an export of no rows holds, said of a file or of a stream (`-o -`, a pipe)."""
    if output_format == ExportFormat.jsonl:
        return "the file is empty" if to_a_file else "no lines were written"
    if output_format == ExportFormat.csv:
        return "the file holds only the header" if to_a_file else "only the header was written"
    return ("the file holds the columns and no rows" if to_a_file
            else "Parquet data of the columns and no rows was written")
