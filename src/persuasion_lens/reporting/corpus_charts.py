"""Charts for the corpus report and the web corpus page, as inline SVG (matplotlib, no files).

Every function takes the plain data of `storage.queries.stats()` and returns an `<svg>` string,
or None when there is nothing to draw.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from math import nan
from typing import Any

from persuasion_lens.taxonomy import CATEGORIES, CATEGORY_NAMES, technique

_COLOURS = {c.name: c.colour for c in CATEGORIES}
HEATMAP_ROWS = 15  # outlets or languages in a share heatmap: more would not be readable
NARRATIVE_OUTLETS = 10  # outlets in the narratives-by-outlet heatmap


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _svg(fig) -> str:
    plt = _pyplot()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.find("<svg"):]  # drop the XML prolog and doctype: the SVG sits inside HTML
    # unique ids per chart, so several charts on one page do not share clip paths
    prefix = f"c{id(fig):x}"
    svg = re.sub(r'id="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', lambda m: f'xlink:href="#{prefix}{m.group(1)}"', svg)
    return svg


SMALLEST_SCALE = 0.8  # a chart is drawn at least this fraction of its size; its box scrolls


def labelled(svg: str, title: str, description: str = "") -> str:
    """The chart as an image for screen readers (role, aria-label, <title> and <desc>), and
    never drawn under SMALLEST_SCALE of its size, so that its words stay readable on a phone
    (where it scrolls sideways in its box)."""
    width = re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', svg)
    minimum = f' style="min-width:{float(width.group(1)) * SMALLEST_SCALE:.0f}pt"' if width else ""
    about = f"<title>{escape(title)}</title>" + (
        f"<desc>{escape(description)}</desc>" if description else "")
    return re.sub(r"<svg\b([^>]*)>", lambda m: f'<svg{m.group(1)} role="img" '
                  f'aria-label="{escape(title)}"{minimum}>{about}', svg, count=1)


def _legend_beside(ax: Any, fontsize: float, handles: list[Any] | None = None) -> None:
    """The legend right of the plot, where it covers no bar or line."""
    ax.legend(**({"handles": handles} if handles else {}), loc="upper left",
              bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=fontsize)


# matplotlib's settings (rcParams) are one for the whole process, and rc_context sets them on
# entry and puts the earlier ones back on exit: two charts drawn at once (the web server's
# threads) undid each other's, and a chart came out with its words as glyph outlines.
_DRAWING = threading.RLock()


@contextmanager
def _style() -> Iterator[None]:
    plt = _pyplot()
    with _DRAWING, plt.rc_context({"svg.fonttype": "none", "font.size": 9,
                                   "axes.spines.top": False, "axes.spines.right": False,
                                   "font.family": "sans-serif"}):
        yield


def techniques_chart(stats: dict[str, Any], limit: int = 23) -> str | None:
    """Detections per technique, coloured by category, grouped by category."""
    rows = [r for r in stats.get("by_technique", []) if r["count"] > 0][:limit]
    if not rows:
        return None
    order = {name: i for i, name in enumerate(CATEGORY_NAMES)}
    rows.sort(key=lambda r: (order.get(r["category"], 99), -r["count"]))
    plt = _pyplot()
    with _style():
        fig, ax = plt.subplots(figsize=(6.3, 0.28 * len(rows) + 0.9))
        labels = [_technique_label(r["technique"]) for r in rows][::-1]
        counts = [r["count"] for r in rows][::-1]
        colours = [_COLOURS.get(r["category"], "#555") for r in rows][::-1]
        ax.barh(labels, counts, color=colours)
        ax.set_xlabel("detections (paragraph × technique)")
        _whole_numbers(ax.xaxis)
        from matplotlib.patches import Patch

        # legend entries of their own (empty bars at 0 stretched the axis to -0.4)
        _legend_beside(ax, 8, [Patch(color=_COLOURS[category], label=category)
                               for category in CATEGORY_NAMES
                               if any(r["category"] == category for r in rows)])
        return _svg(fig)


def categories_chart(stats: dict[str, Any]) -> str | None:
    by_category = stats.get("by_category") or {}
    if not by_category:
        return None
    plt = _pyplot()
    with _style():
        names = [c for c in CATEGORY_NAMES if by_category.get(c)]
        fig, ax = plt.subplots(figsize=(7.5, 0.35 * len(names) + 0.8))
        ax.barh(names[::-1], [by_category[c] for c in names][::-1],
                color=[_COLOURS[c] for c in names][::-1])
        ax.set_xlabel("detections")
        return _svg(fig)


def over_time_chart(stats: dict[str, Any]) -> str | None:
    """Share of paragraphs using each category per period, above the number of paragraphs
    published in each (a share of a few paragraphs says little); None when there is no dated
    article or no detection to draw."""
    over_time = stats.get("over_time") or {}
    periods = over_time.get("periods") or []
    lines = {
        # a period without paragraphs has no share: a gap in the line, not a 0
        category: [100 * p["share_by_category"].get(category, 0.0) if p["paragraphs"] else nan
                   for p in periods]
        for category in CATEGORY_NAMES
        if any(p["share_by_category"].get(category) for p in periods)
    }
    if not lines:
        return None
    plt = _pyplot()
    unit = over_time.get("unit") or "period"
    with _style():
        fig, (ax, below) = _share_and_count_axes(plt)
        x = [p["period"] for p in periods]
        for category, y in lines.items():
            ax.plot(x, y, marker="o", markersize=3, color=_COLOURS[category], label=category)
        ax.set_ylabel("% of paragraphs")
        ax.set_ylim(bottom=0)  # a line's height reads as the share it is
        _counts_below(below, x, [p["paragraphs"] for p in periods], f"paragraphs per {unit}")
        below.set_xlabel(unit)
        _legend_beside(ax, 7)
        return _svg(fig)


def _share_and_count_axes(plt: Any, width: float = 6.3) -> tuple[Any, Any]:
    """A figure with a share plot above a smaller bar plot of the counts behind each share."""
    return plt.subplots(2, 1, sharex=True, figsize=(width, 4.2),
                        gridspec_kw={"height_ratios": [3, 1], "hspace": 0.12})


def _counts_below(ax: Any, x: list[str], counts: list[int], label: str) -> None:
    """The counts each period's share is taken of, as grey bars under the share plot."""
    ax.bar(x, counts, color="#9e9e9e", width=0.7)
    ax.set_ylabel(label, fontsize=7)
    _whole_numbers(ax.yaxis, ticks=3)
    if len(x) > 12:
        step = max(1, len(x) // 12)
        ax.set_xticks(range(0, len(x), step), [x[i] for i in range(0, len(x), step)])
    ax.tick_params(axis="x", labelrotation=45)


def _whole_numbers(axis: Any, ticks: int | str = "auto") -> None:
    """Ticks at whole numbers only: counts have no halves (1.5 detections)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(ticks, integer=True))


def heatmap_rows_left_out(rows: list[dict[str, Any]], key: str,
                          limit: int = HEATMAP_ROWS) -> int:
    """How many of the rows `share_heatmap` leaves out (those with the fewest paragraphs)."""
    return max(0, sum(1 for r in rows if r.get(key) is not None) - limit)


def share_heatmap(rows: list[dict[str, Any]], key: str,
                  limit: int = HEATMAP_ROWS) -> str | None:
    """Share of paragraphs using each category, per outlet or language (a heatmap of the
    first `limit` rows: `heatmap_rows_left_out` says how many more there are)."""
    rows = [r for r in rows if r.get(key) is not None][:limit]
    if not rows:
        return None
    import numpy as np

    plt = _pyplot()
    columns = ["any technique", *CATEGORY_NAMES]
    matrix = np.array([
        [100 * r["share_with_techniques"]]
        + [100 * r["share_by_category"].get(c, 0.0) for c in CATEGORY_NAMES]
        for r in rows
    ])
    with _style():
        fig, ax = plt.subplots(figsize=(7.5, 0.36 * len(rows) + 1.6))
        image = ax.imshow(matrix, cmap="Oranges", vmin=0, vmax=max(100.0, 0.0), aspect="auto")
        ax.set_xticks(range(len(columns)), columns, rotation=30, ha="right")
        ax.set_yticks(range(len(rows)),
                      [f"{str(r[key])[:30]} ({r['paragraphs']} ¶)" for r in rows])
        _label_percent_cells(ax, matrix)
        fig.colorbar(image, ax=ax, label="% of paragraphs", shrink=0.8)
        ax.spines[:].set_visible(False)
        return _svg(fig)


def _technique_label(name: str) -> str:
    try:
        return technique(name).label
    except KeyError:
        return name


# --- narratives (experimental) -----------------------------------------------------------------


def _leading_narratives(narratives: dict[str, Any], limit: int) -> list[str]:
    return [row["narrative"] for row in narratives.get("by_narrative", [])[:limit]]


def narratives_over_time_chart(stats: dict[str, Any], limit: int = 8) -> str | None:
    """Share of the month's articles (with narratives) carrying each leading narrative, above
    the number of those articles per month."""
    narratives = stats.get("narratives") or {}
    periods = (narratives.get("over_time") or {}).get("periods") or []
    names = _leading_narratives(narratives, limit)
    if not periods or not names:
        return None
    plt = _pyplot()
    with _style():
        fig, (ax, below) = _share_and_count_axes(plt, width=7.5)
        x = [p["period"] for p in periods]
        colours = plt.get_cmap("tab10")
        for number, name in enumerate(names):
            y = [100 * p["by_narrative"].get(name, 0) / p["articles"] if p["articles"] else nan
                 for p in periods]
            ax.plot(x, y, marker="o", markersize=3, color=colours(number % 10),
                    label=_short(name, 60))
        ax.set_ylabel("% of articles")
        ax.set_ylim(bottom=0)
        _counts_below(below, x, [p["articles"] for p in periods], "articles per month")
        below.set_xlabel("month")
        ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return _svg(fig)


def narratives_by_outlet_chart(stats: dict[str, Any], limit: int = 12,
                               outlets: int = NARRATIVE_OUTLETS) -> str | None:
    """A heatmap: share of each outlet's articles (with narratives) carrying each narrative."""
    narratives = stats.get("narratives") or {}
    rows = (narratives.get("by_outlet") or [])[:outlets]
    names = _leading_narratives(narratives, limit)
    if not rows or not names:
        return None
    import numpy as np

    matrix = np.array([[100 * r["by_narrative"].get(name, 0) / max(r["articles"], 1)
                        for r in rows] for name in names])
    plt = _pyplot()
    with _style():
        fig, ax = plt.subplots(figsize=(7.5, 0.34 * len(names) + 1.8))
        image = ax.imshow(matrix, cmap="Purples", vmin=0, vmax=100, aspect="auto")
        ax.set_xticks(range(len(rows)),
                      [f"{_short(str(r['outlet']), 24)} ({r['articles']})" for r in rows],
                      rotation=30, ha="right")
        ax.set_yticks(range(len(names)), [_short(name, 55) for name in names])
        _label_percent_cells(ax, matrix)
        fig.colorbar(image, ax=ax, label="% of the outlet's articles", shrink=0.8)
        ax.spines[:].set_visible(False)
        return _svg(fig)


def _label_percent_cells(ax: Any, matrix: Any) -> None:
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            value = matrix[i, j]
            ax.text(j, i, f"{value:.0f}%", ha="center", va="center", fontsize=7,
                    color="white" if value > 55 else "#222")


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
