"""`plens report`: a self-contained HTML report about a stored corpus, with one analysis page
per listed article in a folder beside it (`<report>_files/article-<id>.html`)."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from persuasion_lens.reporting import corpus_charts
from persuasion_lens.reporting.html import render_html
from persuasion_lens.reporting.links import address_link, source_link
from persuasion_lens.storage.database import Database
from persuasion_lens.storage.queries import MAX_PHRASE_CHARACTERS, Filters, load_article, stats
from persuasion_lens.taxonomy import technique
from persuasion_lens.text.wording import counted

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d1d1f;
background:#fafafa}
main{max-width:980px;margin:0 auto;padding:24px}
section{background:#fff;border:1px solid #ddd;border-radius:8px;padding:14px 20px;margin:16px 0}
h1{font-size:1.5rem} h2{font-size:1.15rem;margin:4px 0 10px}
.totals span{display:inline-block;margin-right:22px}.totals b{font-size:1.2rem;display:block}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f3f3f3}
.none{color:#666;font-style:italic}
.filters{color:#555}
svg{max-width:100%;height:auto}
.chart{overflow-x:auto}
footer{color:#666;font-size:.8rem;margin:20px 0}
"""


OUTLET_SHARES_NOTE = "Share of each outlet's paragraphs using each category."
LANGUAGE_SHARES_NOTE = "Share of paragraphs using each category, per language."
NARRATIVES_TITLE = "Narratives and entity roles"
SIDES_TITLE = "Side taken in the Russia–Ukraine war"
ROLES_TITLE = "Roles given to people and countries"
ROLES_NOTE = ("The main role each article gives the entity (one count per article), in all and "
              "by outlet; the entities found in the most articles first. A person or place "
              "written in several languages is one row, under its English name.")
SPELLINGS_SHOWN = 6  # stored spellings named under a merged entity
ALL_OUTLETS = "all outlets"
NARRATIVES_SHOWN = 15  # rows of the narrative table


def filters_text(filters: dict[str, Any]) -> str:
    """'technique: Loaded_Language, lang: en', or 'none'."""
    return ", ".join(f"{k}: {v}" for k, v in filters.items()) or "none"


def totals_items(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of the corpus's totals, as the report and `plens stats` head them."""
    share = data["paragraphs_with_techniques"] / data["paragraphs"] if data["paragraphs"] else 0
    return [("Articles", f"{data['articles']:,}"), ("Paragraphs", f"{data['paragraphs']:,}"),
            ("Paragraphs with techniques",
             f"{data['paragraphs_with_techniques']:,} ({share:.0%})"),
            ("Detections", f"{data['techniques']:,}"), ("Failed inputs", f"{data['failures']:,}")]


def narratives_intro(analysed: int) -> str:
    return (f"{counted(analysed, 'article')} {'was' if analysed == 1 else 'were'} analysed "
            "with the narrative model. Narratives and roles are model predictions that miss "
            "their quality bar (see docs/narratives.md): read them as leads, not findings.")


def sides_note() -> str:
    from persuasion_lens.taxonomy.roles import STATED_SIDE_PROBABILITY

    return ("Articles whose main actors stand on a side of the war, by the side the model "
            "reads them to take; \"stated\" counts the readings at or beyond "
            f"{STATED_SIDE_PROBABILITY}, the rest only lean that way.")


def entity_counts_text(entity: dict[str, Any]) -> str:
    """'3 articles, 7 mentions'."""
    return f"{counted(entity['articles'], 'article')}, {counted(entity['mentions'], 'mention')}"


def entity_spellings_text(entity: dict[str, Any]) -> str:
    """'written as Путин, Poutine, Putin' (the stored spellings of a merged person or place, those
    found in the most articles first), or '' where the entity was stored as shown."""
    spellings = entity.get("spellings") or []
    if spellings in ([], [entity["entity"]]):
        return ""
    more = len(spellings) - SPELLINGS_SHOWN
    shown = ", ".join(spellings[:SPELLINGS_SHOWN])
    return f"written as {shown}" + (f" and {more:,} more" if more > 0 else "")


def entity_role_rows(entity: dict[str, Any]) -> list[tuple[str, dict[str, int]]]:
    """(outlet, roles) of an entity, led by ALL_OUTLETS where it is found in several."""
    rows = [(str(item["outlet"]), item["roles"]) for item in entity["by_outlet"]]
    if len(rows) > 1:
        rows.insert(0, (ALL_OUTLETS, entity["roles"]))
    return rows


def chart_sections(data: dict[str, Any]) -> list[tuple[str, str | None, str, str]]:
    """(title, svg or None, note, why there is no chart) for each chart, shared with the web
    corpus page."""
    return [
        ("Techniques by category", corpus_charts.techniques_chart(data),
         "How often each technique was detected, coloured by its category.",
         why_no_chart(data)),
        ("Techniques over time", corpus_charts.over_time_chart(data),
         "Share of paragraphs using each category, by publication date, above the number of "
         "paragraphs published in each period.",
         why_no_chart(data, "has a publication date", bool(data["over_time"]["periods"]))),
        ("Techniques by outlet", corpus_charts.share_heatmap(data["by_outlet"], "outlet"),
         OUTLET_SHARES_NOTE
         + _left_out_note(corpus_charts.heatmap_rows_left_out(data["by_outlet"], "outlet"),
                          "outlet"),
         why_no_chart(data, "names its outlet", bool(data["by_outlet"]))),
        ("Techniques by language", corpus_charts.share_heatmap(data["by_language"], "language"),
         LANGUAGE_SHARES_NOTE
         + _left_out_note(corpus_charts.heatmap_rows_left_out(data["by_language"], "language"),
                          "language"),
         why_no_chart(data)),
    ]


# what a chart is drawn by, said of the one article that lacks it
_LACKING = {"has a publication date": "has no publication date",
            "names its outlet": "names no outlet"}


def why_no_chart(data: dict[str, Any], metadata: str = "", has_metadata: bool = True) -> str:
    """Why a chart of `data` has nothing to draw: no article matches, none has the `metadata`
    it is drawn by ("has a publication date"), or no technique was detected in them."""
    articles = data.get("articles") or 0
    if not articles:
        return "No stored article matches the filters."
    matching = "the matching article" if articles == 1 else f"the {articles:,} matching articles"
    if not has_metadata:
        if articles == 1:
            return f"The matching article {_LACKING[metadata]}."
        return f"None of {matching} {metadata}."
    if not data.get("techniques"):
        filters = data.get("filters") or {}
        named = filters.get("technique") or filters.get("category")
        if named:
            return f"{_label(named)} was not detected in {matching}."
        return f"No technique was detected in {matching}."
    return "No data for this chart."


def _left_out_note(left_out: int, noun: str, counted_in: str = "paragraphs") -> str:
    """Which rows a chart leaves out: those with the fewest of what it counts."""
    if not left_out:
        return ""
    return (f" The {counted(left_out, 'more ' + noun)} with the fewest {counted_in} "
            f"{'is' if left_out == 1 else 'are'} left out of the chart.")


def figure(title: str, svg: str | None, note: str,
           empty: str = "No data for this chart.") -> str:
    """A chart's section: its title, what it shows and the chart, labelled for screen readers
    in a box that scrolls sideways where the page is narrower than it can shrink to; without
    a chart, `empty` says why."""
    if not svg:
        body = f"<p class='none'>{escape(empty)}</p>"
    else:
        body = (f"<div class='chart' tabindex='0' role='group' aria-label='{escape(title)}'>"
                f"{corpus_charts.labelled(svg, title, note)}</div>")
    return f"<section><h2>{escape(title)}</h2><p>{escape(note)}</p>{body}</section>"


def _totals(data: dict[str, Any]) -> str:
    items = totals_items(data)
    return "<div class='totals'>" + "".join(
        f"<span><b>{escape(value)}</b>{escape(label)}</span>" for label, value in items) + "</div>"


def _phrases(data: dict[str, Any]) -> str:
    phrases = data.get("top_phrases") or {}
    if not phrases:
        reason = ("no stored article matches the filters" if not data.get("articles") else
                  "none are stored for these articles (the span model was not available when "
                  "they were analysed, or no technique was found)")
        return ("<section><h2>Most frequent highlighted phrases</h2><p class='none'>No "
                f"highlighted phrases: {reason}.</p></section>")
    rows = "".join(
        f"<tr><td>{escape(_label(name))}</td><td>"
        + ", ".join(f"“{escape(p['phrase'])}” ({p['count']})" for p in items)
        + "</td></tr>"
        for name, items in sorted(phrases.items(), key=lambda kv: -sum(p["count"] for p in kv[1]))
    )
    return ("<section><h2>Most frequent highlighted phrases</h2>"
            f"<p class='filters'>Highlighted words of up to {MAX_PHRASE_CHARACTERS} characters; "
            "longer highlights (whole sentences) are in the article pages.</p>"
            f"<table><tr><th>Technique</th><th>Phrases (times)</th></tr>{rows}</table></section>")


def _densest(data: dict[str, Any], link_folder: str | None) -> str:
    articles = data.get("densest_articles") or []
    if not articles:
        return ("<section><h2>Most persuasion-dense articles</h2><p class='none'>No article "
                "with detected techniques matches.</p></section>")
    rows = []
    for article in articles:
        title = escape(article["title"] or article["external_id"] or f"article {article['id']}")
        if link_folder is not None:
            title = f"<a href='{escape(link_folder)}/article-{article['id']}.html'>{title}</a>"
        link = source_link(article.get("url"))
        link = f" {link}" if link else ""
        rows.append(
            f"<tr><td>{title}{link}</td><td>{escape(article['outlet'] or '')}</td>"
            f"<td>{escape(article['published'] or '')}</td><td>{escape(article['language'])}</td>"
            f"<td>{article['with_hits']}/{article['n_paragraphs']} ({article['density']:.0%})</td>"
            f"<td>{article['n_techniques']}</td></tr>"
        )
    return ("<section><h2>Most persuasion-dense articles</h2><p>Share of the article's "
            "paragraphs with at least one detected technique.</p><table><tr><th>Article</th>"
            "<th>Outlet</th><th>Published</th><th>Language</th><th>Paragraphs with techniques"
            "</th><th>Detections</th></tr>" + "".join(rows) + "</table></section>")


def rarely_reported_section(data: dict[str, Any]) -> str:
    """Per language of the corpus, the techniques its model practically never reports (when
    every article of the language was analysed by the shipped detector): a 0 in the charts
    above says little about them."""
    from persuasion_lens.models.coverage import rarely_reported_by_stored_model

    rows = []
    for language, versions in sorted((data.get("model_versions") or {}).items()):
        lists = {tuple(rarely_reported_by_stored_model(v, language) or ()) for v in versions}
        if len(lists) != 1 or not next(iter(lists)):
            continue
        names = "; ".join(escape(_label(name).lower()) for name in next(iter(lists)))
        rows.append(f"<tr><td>{escape(language)}</td><td>{names}</td></tr>")
    if not rows:
        return ""
    return ("<section><h2>Techniques the model rarely reports</h2><p>In these languages the "
            "model decides them in fewer than 2 of 1,000 paragraphs of the unlabelled SemEval "
            "test set, so their counts above say little (model card, \"Rarely reported "
            "techniques\").</p><table><tr><th>language</th><th>rarely reported</th></tr>"
            f"{''.join(rows)}</table></section>")


def narrative_sections(data: dict[str, Any]) -> str:
    """Narratives over time and by outlet and the entity-role table (experimental), or one
    line saying how to get them; shared with the web corpus page."""
    narratives = data.get("narratives") or {}
    heading = f"<h2>{NARRATIVES_TITLE} <small>(experimental)</small></h2>"
    if not narratives.get("articles"):
        message = narratives.get("message") or "No narratives are stored."
        return f"<section class='narratives'>{heading}<p class='none'>{escape(message)}</p>" \
               "</section>"
    analysed = narratives["articles"]
    intro = f"<p>{escape(narratives_intro(analysed))}</p>"
    with_narratives = {"articles": analysed, "techniques": 1}  # what why_no_chart asks
    figures = "".join(figure(*section) for section in (
        ("Narratives over time", corpus_charts.narratives_over_time_chart(data),
         "Share of each month's articles carrying each of the most frequent narratives, above "
         "the number of articles with narratives published each month.",
         why_no_chart(with_narratives, "has a publication date",
                      bool(narratives["over_time"]["periods"]))),
        ("Narratives by outlet", corpus_charts.narratives_by_outlet_chart(data),
         "Share of each outlet's articles carrying each of the most frequent narratives."
         + _left_out_note(corpus_charts.heatmap_rows_left_out(
             narratives["by_outlet"], "outlet", corpus_charts.NARRATIVE_OUTLETS), "outlet",
             "articles"),
         why_no_chart(with_narratives, "names its outlet", bool(narratives["by_outlet"]))),
    ))
    return (f"<section class='narratives'>{heading}{intro}{_narrative_table(narratives)}"
            f"</section>{figures}{sides_section(narratives)}{entity_roles_section(narratives)}")


def sides_section(narratives: dict[str, Any]) -> str:
    """Per outlet, how many articles take each side of the Russia–Ukraine war."""
    from persuasion_lens.taxonomy.roles import OPPOSING_SIDE, RUSSIAN_SIDE

    outlets = narratives.get("sides") or []
    if not outlets:
        return ""
    rows = "".join(
        f"<tr><td>{escape(str(row['outlet']))}</td><td>{row['articles']:,}</td>"
        f"<td>{row['russian_side']:,} ({row['stated_russian_side']:,} stated)</td>"
        f"<td>{row['opposing_side']:,} ({row['stated_opposing_side']:,} stated)</td></tr>"
        for row in outlets)
    return (f"<section class='sides'><h2>{SIDES_TITLE} "
            f"<small>(experimental)</small></h2><p>{escape(sides_note(), quote=False)}</p>"
            f"<table class='side-table'><tr><th>Outlet</th><th>Articles</th>"
            f"<th>{escape(RUSSIAN_SIDE)}</th><th>{escape(OPPOSING_SIDE)}</th></tr>{rows}"
            "</table></section>")


def _narrative_table(narratives: dict[str, Any], limit: int = NARRATIVES_SHOWN) -> str:
    rows = "".join(
        f"<tr><td>{escape(row['narrative'])}</td><td>{row['articles']:,}</td>"
        f"<td>{row['share']:.0%}</td></tr>"
        for row in narratives["by_narrative"][:limit]
    )
    return ("<table class='narrative-table'><tr><th>Narrative</th><th>Articles</th>"
            f"<th>Share</th></tr>{rows}</table>")


def entity_roles_section(narratives: dict[str, Any]) -> str:
    """The roles given to each entity, in all and per outlet ("Antagonist 12, Protagonist 1")."""
    from persuasion_lens.storage.narrative_queries import roles_text

    rows = []
    for entity in narratives.get("entities") or []:
        cells = [f"<td>{_outlet_cell(outlet)}</td><td>{escape(roles_text(roles))}</td>"
                 for outlet, roles in entity_role_rows(entity)]
        counts = entity_counts_text(entity)
        spellings = entity_spellings_text(entity)
        written = f"<br><small class='spellings'>{escape(spellings)}</small>" if spellings else ""
        rows.append(f"<tr class='entity'><td rowspan='{len(cells)}'><b>"
                    f"{escape(entity['entity'])}</b><br><small>{counts}</small>{written}</td>"
                    f"{cells[0]}</tr>")
        rows.extend(f"<tr>{cell}</tr>" for cell in cells[1:])
    if not rows:
        body = "<p class='none'>No entities were found in these articles.</p>"
    else:
        body = ("<table class='entity-roles'><tr><th>Entity</th><th>Outlet</th>"
                "<th>Main role (articles)</th></tr>" + "".join(rows) + "</table>")
    return (f"<section><h2>{ROLES_TITLE} <small>(experimental)</small>"
            f"</h2><p>{ROLES_NOTE}</p>{body}</section>")


def _outlet_cell(outlet: str) -> str:
    return f"<i>{ALL_OUTLETS}</i>" if outlet == ALL_OUTLETS else escape(outlet)


def article_intro(article: dict[str, Any], back: str, back_text: str) -> str:
    """Above a stored article's analysis: a link back to where it was listed, and where the
    article comes from (outlet, publication date, address)."""
    details = [(label, escape(str(article[key])))
               for key, label in (("outlet", "Outlet"), ("published", "Published"))
               if article.get(key)]
    if article.get("url"):
        details.append(("Address", address_link(str(article["url"]))))
    listed = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in details)
    return (f"<nav class='back'><a href='{escape(back)}'>{escape(back_text)}</a></nav>"
            + (f"<dl class='source'>{listed}</dl>" if listed else ""))


def _label(name: str) -> str:
    try:
        return technique(name).label
    except KeyError:
        return name


def render_corpus_report(data: dict[str, Any], link_folder: str | None = None,
                         title: str = "persuasion-lens corpus report") -> str:
    filters = data.get("filters") or {}
    shown = filters_text(filters)
    figures = "".join(figure(*section) for section in chart_sections(data))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>"
        f"<h1>{escape(title)}</h1><p class='filters'>Filters: {escape(shown)}</p>"
        f"<section>{_totals(data)}</section>{figures}{_phrases(data)}"
        f"{_densest(data, link_folder)}{rarely_reported_section(data)}{narrative_sections(data)}"
        "<footer>Made by persuasion-lens. Detections are model predictions, not verdicts: "
        "read the articles before drawing conclusions.</footer></main></body></html>"
    )


def write_corpus_report(db: Database, output: Path, filters: Filters | None = None,
                        top: int = 20) -> tuple[Path, int, dict[str, Any]]:
    """Write the report and its article pages; returns (article folder, pages written, the
    statistics shown)."""
    data = stats(db, filters, top=top)
    folder = output.parent / f"{output.stem}_files"
    written = 0
    for stale in folder.glob("article-*.html"):  # pages of an earlier report of this name
        stale.unlink()
    if data["densest_articles"]:
        folder.mkdir(parents=True, exist_ok=True)
        for article in data["densest_articles"]:
            loaded = load_article(db, article["id"])
            if loaded is None:
                continue
            stored, result = loaded
            page = render_html([result], title=article["title"] or f"article {article['id']}",
                               before=article_intro(stored, f"../{output.name}",
                                                    "← the corpus report"))
            (folder / f"article-{article['id']}.html").write_text(page, encoding="utf-8")
            written += 1
    output.write_text(render_corpus_report(data, folder.name), encoding="utf-8")
    return folder, written, data
