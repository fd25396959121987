"""`plens stats`: the corpus's numbers in the terminal, from the data of `storage.queries.stats()`
(the data the HTML report and the web page chart), in the report's words."""

from __future__ import annotations

from typing import Any

from rich.columns import Columns
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from persuasion_lens.reporting.corpus_report import (
    LANGUAGE_SHARES_NOTE,
    NARRATIVES_SHOWN,
    NARRATIVES_TITLE,
    OUTLET_SHARES_NOTE,
    ROLES_NOTE,
    ROLES_TITLE,
    SIDES_TITLE,
    entity_counts_text,
    entity_role_rows,
    entity_spellings_text,
    filters_text,
    narratives_intro,
    sides_note,
    totals_items,
    why_no_chart,
)
from persuasion_lens.taxonomy import CATEGORY_NAMES, category, technique

BAR_WIDTH = 12
SPARKS = "▁▂▃▄▅▆▇█"
NO_PARAGRAPHS = " "  # a period in which no article was published: a gap, as in the chart
NARRATIVES_PER_OUTLET = 3


def print_corpus_stats(data: dict[str, Any], out: Console) -> None:
    """Totals, techniques, who uses what (outlets, languages), when (over time) and the
    narratives of `stats()`'s `data`."""
    out.print(Text("Corpus statistics", style="bold").append(
        f" · filters: {filters_text(data.get('filters') or {})}", style="dim"))
    out.print(Columns([f"{label} [bold]{value}[/]" for label, value in totals_items(data)],
                      padding=(0, 3)), highlight=False)
    for section in (_techniques, _over_time, _by_outlet, _by_language):
        out.print()
        out.print(section(data))
    out.print()
    _print_narratives(data.get("narratives") or {}, out)


def _heading(title: str, note: str = "") -> Text:
    text = Text(title, style="bold")
    if note:
        text.append(f"  {note}", style="dim")
    return text


def _table() -> Table:
    return Table(box=None, pad_edge=False, show_edge=False)


def _none(title: str, why: str) -> Text:
    return _heading(title).append(f"\n{why}", style="dim italic")


def _bar(value: float, most: float, colour: str) -> Text:
    return Text("█" * round(BAR_WIDTH * value / most) if most else "", style=colour)


def _label(name: str) -> str:
    try:
        return technique(name).label
    except KeyError:
        return name


def _techniques(data: dict[str, Any]) -> RenderableType:
    """Paragraphs using each technique (the analysis gives a paragraph a technique once), the
    most used first."""
    title = "Techniques"
    rows = [row for row in data["by_technique"] if row["count"]]
    if not rows:
        return _none(title, why_no_chart(data))
    table = _table()
    for header in ("Technique", "Category", "Paragraphs", "Share"):
        table.add_column(header, justify="right" if header in ("Paragraphs", "Share") else "left")
    table.add_column("", no_wrap=True, overflow="crop", min_width=BAR_WIDTH)
    most = rows[0]["count"]
    for row in rows:
        colour = category(row["category"]).terminal_colour
        table.add_row(_label(row["technique"]), Text(row["category"], style=colour),
                      f"{row['count']:,}", _percent(row["count"] / max(data["paragraphs"], 1)),
                      _bar(row["count"], most, colour))
    return Group(_heading(title, "share of the paragraphs using each technique"), table)


def _percent(share: float) -> str:
    return f"{share:.0%}"


def _categories(rows: list[dict[str, Any]]) -> list[str]:
    """The categories any row uses, in the taxonomy's order."""
    used = {name for row in rows for name in row["share_by_category"]}
    return [name for name in CATEGORY_NAMES if name in used]


def _shares_table(rows: list[dict[str, Any]], key: str, title: str, note: str) -> RenderableType:
    """Per outlet or language: articles, paragraphs, the share using any technique and each
    category."""
    table = _table()
    table.add_column(key.capitalize())
    for header in ("Articles", "Paragraphs", "Any technique"):
        table.add_column(header, justify="right")
    names = _categories(rows)
    for name in names:
        table.add_column(Text(name, style=category(name).terminal_colour), justify="right")
    for row in rows:
        table.add_row(str(row[key]), f"{row['articles']:,}", f"{row['paragraphs']:,}",
                      _percent(row["share_with_techniques"]),
                      *(_percent(row["share_by_category"].get(name, 0)) for name in names))
    return Group(_heading(title, note), table)


def _by_outlet(data: dict[str, Any]) -> RenderableType:
    title = "Techniques by outlet"
    if not data["by_outlet"] or not data["techniques"]:
        return _none(title, why_no_chart(data, "names its outlet", bool(data["by_outlet"])))
    return _shares_table(data["by_outlet"], "outlet", title, OUTLET_SHARES_NOTE)


def _by_language(data: dict[str, Any]) -> RenderableType:
    title = "Techniques by language"
    if not data["by_language"] or not data["techniques"]:
        return _none(title, why_no_chart(data))
    return _shares_table(data["by_language"], "language", title, LANGUAGE_SHARES_NOTE)


def sparkline(values: list[float | None], most: float) -> str:
    """One character a period, its height the value against `most`; None (no paragraphs that
    period) is a gap."""
    return "".join(
        NO_PARAGRAPHS if value is None else
        SPARKS[min(len(SPARKS) - 1, int(value / most * len(SPARKS)))] if most else SPARKS[0]
        for value in values)


def _over_time(data: dict[str, Any]) -> RenderableType:
    """A row a category (or the technique filtered on): its share of each period's paragraphs
    as a sparkline on one scale for all rows, and its highest share; above them, the
    paragraphs each period holds."""
    over_time = data["over_time"]
    periods = over_time["periods"]
    title = "Techniques over time"
    if not periods or not data["techniques"]:
        return _none(title, why_no_chart(data, "has a publication date", bool(periods)))
    unit = over_time["unit"]
    span = f"by {unit}, {periods[0]['period']} to {periods[-1]['period']}"
    table = _table()
    for header, justify in (("", "left"), (f"one character a {unit}", "left"),
                            ("Highest", "right"), (unit.capitalize(), "left")):
        table.add_column(header, justify=justify, no_wrap=header != "")
    counts = [period["paragraphs"] for period in periods]
    busiest = max(range(len(periods)), key=lambda n: counts[n])
    table.add_row("paragraphs", sparkline([float(n) for n in counts], max(counts)),
                  f"{counts[busiest]:,}", periods[busiest]["period"], style="dim")
    shares = {name: [period["share_by_category"].get(name, 0.0) if period["paragraphs"]
                     else None for period in periods] for name in _categories(periods)}
    most = max((value or 0.0 for values in shares.values() for value in values), default=0.0)
    for name, values in shares.items():
        peak = max(range(len(values)), key=lambda n: values[n] or 0.0)
        colour = category(name).terminal_colour
        label = _label(data["filters"]["technique"]) if data["filters"].get("technique") else name
        table.add_row(Text(label, style=colour), Text(sparkline(values, most), style=colour),
                      _percent(values[peak] or 0.0), periods[peak]["period"])
    return Group(_heading(title, f"share of paragraphs using each category, {span}"), table)


def _print_narratives(narratives: dict[str, Any], out: Console) -> None:
    """The narratives, the outlets carrying them, the sides taken and the entities' roles by
    outlet, or the one line saying why there are none."""
    title = f"{NARRATIVES_TITLE} (experimental)"
    if not narratives.get("articles"):
        out.print(_none(title, narratives.get("message") or "No narratives are stored."))
        return
    out.print(_heading(title))
    out.print(Text(narratives_intro(narratives["articles"]), style="dim"))
    table = _table()
    for header in ("Narrative", "Articles", "Share"):
        table.add_column(header, justify="left" if header == "Narrative" else "right")
    for row in narratives["by_narrative"][:NARRATIVES_SHOWN]:
        table.add_row(row["narrative"], f"{row['articles']:,}", _percent(row["share"]))
    out.print(table)
    for section in (_narratives_by_outlet, _sides, _entity_roles):
        shown = section(narratives)
        if shown is not None:
            out.print()
            out.print(shown)


def _narratives_by_outlet(narratives: dict[str, Any]) -> RenderableType | None:
    if not narratives["by_outlet"]:
        return None
    table = _table()
    for header in ("Outlet", "Articles", "Narratives"):
        table.add_column(header, justify="right" if header == "Articles" else "left")
    for row in narratives["by_outlet"]:
        leading = list(row["by_narrative"].items())[:NARRATIVES_PER_OUTLET]
        more = len(row["by_narrative"]) - len(leading)
        table.add_row(str(row["outlet"]), f"{row['articles']:,}",
                      "; ".join(f"{label} {n}" for label, n in leading)
                      + (f"; {more:,} more" if more else ""))
    return Group(_heading("Narratives by outlet",
                          "the most frequent, with the articles carrying each"), table)


def _sides(narratives: dict[str, Any]) -> RenderableType | None:
    from persuasion_lens.taxonomy.roles import OPPOSING_SIDE, RUSSIAN_SIDE

    if not narratives.get("sides"):
        return None
    table = _table()
    for header in ("Outlet", "Articles", RUSSIAN_SIDE, OPPOSING_SIDE):
        table.add_column(header, justify="left" if header == "Outlet" else "right")
    for row in narratives["sides"]:
        table.add_row(str(row["outlet"]), f"{row['articles']:,}",
                      f"{row['russian_side']:,} ({row['stated_russian_side']:,} stated)",
                      f"{row['opposing_side']:,} ({row['stated_opposing_side']:,} stated)")
    return Group(_heading(f"{SIDES_TITLE} (experimental)", sides_note()), table)


def _entity_roles(narratives: dict[str, Any]) -> RenderableType:
    from persuasion_lens.storage.narrative_queries import roles_text

    title = f"{ROLES_TITLE} (experimental)"
    if not narratives.get("entities"):
        return _none(title, "No entities were found in these articles.")
    table = _table()
    for header in ("Entity", "Outlet", "Main role (articles)"):
        table.add_column(header)
    for entity in narratives["entities"]:
        outlets = entity_role_rows(entity)
        labels = [Text(entity["entity"], style="bold"),
                  *(Text(line, style="dim") for line in (entity_counts_text(entity),
                                                         entity_spellings_text(entity)) if line)]
        for number in range(max(len(outlets), len(labels))):
            outlet, roles = outlets[number] if number < len(outlets) else ("", {})
            table.add_row(labels[number] if number < len(labels) else "", outlet,
                          roles_text(roles))
    return Group(_heading(title, ROLES_NOTE), table)
