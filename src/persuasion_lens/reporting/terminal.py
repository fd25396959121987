"""The terminal report of `plens analyze`: a summary first, then every paragraph."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from persuasion_lens.pipeline.results import ArticleResult, ParagraphResult
from persuasion_lens.reporting.highlight import segments
from persuasion_lens.taxonomy import CATEGORIES, category, technique
from persuasion_lens.text.languages import SUPPORTED_LANGUAGES

BAR_WIDTH = 24


def print_report(
    console: Console, result: ArticleResult, show_all: bool = False, summary_only: bool = False
) -> None:
    console.print(_header(result))
    console.print(_category_table(result))
    if summary_only:
        return
    for paragraph in result.paragraphs:
        if paragraph.techniques or show_all:
            console.print(_paragraph_block(paragraph))
    hidden = sum(1 for p in result.paragraphs if not p.techniques)
    if hidden and not show_all:
        console.print(
            Text(f"{hidden} paragraphs without detected techniques are hidden (--all shows them).",
                 style="dim")
        )


def _header(result: ArticleResult) -> Panel:
    language = SUPPORTED_LANGUAGES.get(result.language, result.language)
    how = "detected" if result.language_detected else "given"
    lines = [Text.assemble(("Language ", "bold"), f"{language} ({how})")]
    if result.genre is not None:
        lines.append(Text.assemble(("Genre    ", "bold"),
                                   f"{result.genre.label} ({result.genre.probability:.2f})"))
    if result.frames:
        frames = ", ".join(f"{f.label.replace('_', ' ')} ({f.probability:.2f})" for f in result.frames)
        lines.append(Text.assemble(("Frames   ", "bold"), frames))
    with_techniques = sum(1 for p in result.paragraphs if p.techniques)
    lines.append(Text.assemble(
        ("Found    ", "bold"),
        f"{sum(result.technique_counts().values())} technique uses in {with_techniques} of "
        f"{len(result.paragraphs)} paragraphs",
    ))
    for warning in result.warnings:
        lines.append(Text(f"warning: {warning}", style="yellow"))
    return Panel(Group(*lines), title=result.source or "article", title_align="left")


def _category_table(result: ArticleResult) -> Table:
    table = Table(title="Techniques by category", title_justify="left", show_edge=False)
    table.add_column("Category")
    table.add_column("Uses", justify="right")
    table.add_column("")
    table.add_column("Techniques")
    counts = result.category_counts()
    technique_counts = result.technique_counts()
    most = max(counts.values(), default=1)
    for cat in CATEGORIES:
        count = counts.get(cat.name, 0)
        names = [
            f"{technique(name).label} ×{n}" for name, n in technique_counts.items()
            if technique(name).category == cat.name
        ]
        bar = Text("█" * round(BAR_WIDTH * count / most) if count else "", style=cat.colour)
        table.add_row(Text(cat.name, style=f"bold {cat.colour}"), str(count), bar, ", ".join(names))
    return table


def _paragraph_block(paragraph: ParagraphResult) -> Group:
    heading = Text(f"¶{paragraph.index + 1}  ", style="bold dim")
    for position, hit in enumerate(paragraph.techniques):
        if position:
            heading.append(" · ", style="dim")
        heading.append(f"{technique(hit.technique).label} {hit.confidence:.2f}",
                       style=f"bold {category(hit.category).colour}")
    return Group(heading, _highlighted_text(paragraph), Text(""))


def _highlighted_text(paragraph: ParagraphResult) -> Text:
    text = Text()
    for segment in segments(paragraph):
        span = segment.innermost
        if span is None:
            text.append(segment.text)
        else:
            text.append(segment.text, style=f"underline {category(span.category).colour}")
    return text
