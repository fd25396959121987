"""The terminal report of `plens analyze`: a summary first, then every paragraph."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from persuasion_lens.pipeline.results import (
    LOOSE_PLACEMENT_MEANING,
    ArticleResult,
    ParagraphResult,
    SpanHit,
)
from persuasion_lens.reporting.highlight import segments
from persuasion_lens.taxonomy import CATEGORIES, category, technique
from persuasion_lens.taxonomy.roles import rounded_down, unclear_role_phrase
from persuasion_lens.text.languages import language_name
from persuasion_lens.text.wording import counted, two_decimals

BAR_WIDTH = 24
MAX_ENTITIES = 6
SPAN_QUOTE = 90
AT_ODDS_NOTE = ", at odds with the side taken"
AT_ODDS_EXPLANATION = ("at odds with the side taken: the role model and the side reading "
                       "disagree; on the validation split such roles were right about half "
                       "the time")


def describe_entity(entity: dict) -> str:
    """'United States: Antagonist 0.81 (Instigator) in 4 mentions'; the number is the
    main role's probability, averaged over the mentions (left out when unknown). A role the
    model is not sure of reads 'Russia: role unclear (Antagonist 0.65, Protagonist 0.18,
    Innocent 0.17) in 11 mentions'; one that contradicts the side the article takes ends with
    ', at odds with the side taken'.

    Entities read back from a corpus database carry `mention_count` instead of `mentions`.
    """
    count = _mention_count(entity)
    plural = "mention" if count == 1 else "mentions"
    at_odds = AT_ODDS_NOTE if entity.get("at_odds_with_side") else ""
    return f"{entity['entity']}: {_role_phrase(entity)} in {count} {plural}{at_odds}"


def _mention_count(entity: dict) -> int:
    return len(entity.get("mentions") or []) or int(entity.get("mention_count") or 0)


def _role_phrase(entity: dict) -> str:
    if entity.get("role_is_clear") is False and entity.get("main_role_probabilities"):
        ranked = sorted(entity["main_role_probabilities"].items(), key=lambda item: -item[1])
        return "role unclear (" + ", ".join(f"{r} {rounded_down(p)}" for r, p in ranked) + ")"
    if entity.get("role_is_clear") is False:  # read back from a corpus: the best role only
        return unclear_role_phrase(entity["main_role"], entity["main_role_probability"])
    fine = ", ".join(role["label"] for role in entity.get("fine_roles", []))
    fine_part = f" ({fine})" if fine else ""
    probability = entity.get("main_role_probability")
    sure = f" {two_decimals(probability)}" if probability is not None else ""
    return f"{entity['main_role']}{sure}{fine_part}"


LOOSE_NOTE = (f"loosely placed: {LOOSE_PLACEMENT_MEANING}; read the quoted words as "
              "\"somewhere around here\".")


def print_report(
    console: Console, result: ArticleResult, show_all: bool = False, summary_only: bool = False
) -> None:
    console.print(_header(result))
    if show_all and more_entities_note(result.extra):
        console.print(_more_names_table(result.extra))
    console.print(_category_table(result))
    note = result.rarely_reported_note()
    if note:
        console.print(Text(note, style="dim"))
    if summary_only:
        return
    for paragraph in result.paragraphs:
        if paragraph.techniques or show_all:
            console.print(_paragraph_block(paragraph))
    if any(p.loosely_placed(s) for p in result.paragraphs for s in p.spans):
        console.print(Text(LOOSE_NOTE, style="dim"))
    hidden = sum(1 for p in result.paragraphs if not p.techniques)
    if hidden and not show_all:
        console.print(
            Text(
                f"{counted(hidden, 'paragraph')} without detected techniques "
                f"{'is' if hidden == 1 else 'are'} hidden (--all shows them).",
                style="dim",
            )
        )


def _header(result: ArticleResult) -> Panel:
    language = language_name(result.language)
    how = "detected" if result.language_detected else "given"
    lines = [Text.assemble(("Language ", "bold"), f"{language} ({how})")]
    if result.genre is not None:
        lines.append(
            Text.assemble(
                ("Genre    ", "bold"),
                f"{result.genre.label} ({two_decimals(result.genre.probability)})",
            )
        )
    if result.frames:
        frames = ", ".join(
            f"{f.label.replace('_', ' ')} ({two_decimals(f.probability)})" for f in result.frames
        )
        lines.append(Text.assemble(("Frames   ", "bold"), frames))
    lines.extend(_narrative_lines(result))
    with_techniques = sum(1 for p in result.paragraphs if p.techniques)
    uses = sum(result.technique_counts().values())
    lines.append(
        Text.assemble(
            ("Found    ", "bold"),
            f"{uses} technique use{'' if uses == 1 else 's'} in {with_techniques} of "
            f"{len(result.paragraphs)} paragraph{'' if len(result.paragraphs) == 1 else 's'}",
        )
    )
    for warning in result.warnings:
        lines.append(Text(f"warning: {warning}", style="yellow"))
    return Panel(Group(*lines), title=result.source or "article", title_align="left")


def _narrative_lines(result: ArticleResult) -> list[Text]:
    lines = []
    narratives = result.extra.get("narratives") or []
    if narratives:
        named = ", ".join(f"{n['label']} ({two_decimals(n['probability'])})" for n in narratives)
        lines.append(Text.assemble(("Narrative", "bold"), " ", named, (" experimental", "dim")))
    closest = closest_narratives_note(result.extra)
    if closest:
        lines.append(Text(f"         {closest}", style="dim"))
    subnarratives = [n for n in result.extra.get("subnarratives") or []
                     if n["label"] != "Other"]
    if subnarratives:
        named = ", ".join(f"{n['label']} ({two_decimals(n['probability'])})" for n in subnarratives)
        lines.append(Text.assemble(("Sub      ", "bold"), named, (" experimental", "dim")))
    side = describe_side(result.extra)
    if side:
        lines.append(Text.assemble(("Side     ", "bold"), side, (" experimental", "dim")))
    entities = result.extra.get("entities") or []
    for entity in entities[:MAX_ENTITIES]:
        lines.append(Text.assemble(("Role     ", "bold"), describe_entity(entity),
                                   (" experimental", "dim")))
    if any(entity.get("at_odds_with_side") for entity in entities[:MAX_ENTITIES]):
        lines.append(Text(f"         {AT_ODDS_EXPLANATION}", style="dim"))
    rest = more_entities_note(result.extra)
    if rest:
        lines.append(Text(f"         {rest} (--all or --format json lists them all)",
                          style="dim"))
    return lines


def describe_side(extra: dict) -> str:
    """'takes the side of Russia and its allies against Ukraine and the West (0.91)', or
    'leans to ...' below the probability from which the side is stated (rounded down, as an
    unclear role is); empty when no side was read (`narratives.side_of_entities`)."""
    side = extra.get("side_taken")
    if not side:
        return ""
    if side["is_clear"]:
        return (f"takes the side of {side['favours']} against {side['against']} "
                f"({two_decimals(side['probability'])})")
    return (f"leans to {side['favours']} against {side['against']} "
            f"({rounded_down(side['probability'])})")


def closest_narratives_note(extra: dict) -> str:
    """When no narrative passes its threshold ('Other'), the closest ones below it."""
    decided = [n["label"] for n in extra.get("narratives") or []]
    candidates = extra.get("narrative_candidates") or []
    if decided != ["Other"] or not candidates:
        return ""
    named = ", ".join(f"{n['label']} {two_decimals(n['probability'])}" for n in candidates)
    return f"closest, below the threshold: {named}"


def more_entities_note(extra: dict) -> str:
    """'and 2 more main actors; 61 other names found' for what the role lines leave out ('and 1
    more main actor; 1 other name found')."""
    hidden = max(0, len(extra.get("entities") or []) - MAX_ENTITIES)
    minor = len(extra.get("minor_entities") or [])
    parts = [f"and {counted(hidden, 'more main actor')}"] if hidden else []
    if minor:
        parts.append(f"{counted(minor, 'other name')} found that the article probably casts in "
                     "no role")
    return "; ".join(parts)


def _more_names_table(extra: dict) -> Table:
    """The names the role lines leave out: further main actors, then the other names found."""
    table = Table(title=f"More names found: main actors beyond the first {MAX_ENTITIES}, then "
                  "names the article probably casts in no role (experimental)",
                  title_justify="left", show_edge=False)
    table.add_column("Name", no_wrap=True)
    table.add_column("Mentions", justify="right")
    table.add_column("")
    table.add_column("Role")
    left_out = names_left_out(extra)
    for entity, kind in left_out:
        at_odds = AT_ODDS_NOTE if entity.get("at_odds_with_side") else ""
        table.add_row(entity["entity"], str(_mention_count(entity)), kind,
                      _role_phrase(entity) + at_odds)
    if any(entity.get("at_odds_with_side") for entity, _ in left_out):
        table.caption = AT_ODDS_EXPLANATION
        table.caption_justify = "left"
    return table


def names_left_out(extra: dict) -> list[tuple[dict, str]]:
    """The entities the role lines leave out, each with its kind: "main actor" (beyond the
    first MAX_ENTITIES), then "minor" (names the article probably casts in no role)."""
    main = (extra.get("entities") or [])[MAX_ENTITIES:]
    minor = extra.get("minor_entities") or []
    return [(e, "main actor") for e in main] + [(e, "minor") for e in minor]


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
            f"{technique(name).label} ×{n}"
            for name, n in technique_counts.items()
            if technique(name).category == cat.name
        ]
        colour = cat.terminal_colour
        bar = Text("█" * round(BAR_WIDTH * count / most) if count else "", style=colour)
        table.add_row(Text(cat.name, style=f"bold {colour}"), str(count), bar, ", ".join(names))
    return table


def _paragraph_block(paragraph: ParagraphResult) -> Group:
    heading = Text(f"¶{paragraph.index + 1}  ", style="bold dim")
    for position, hit in enumerate(paragraph.techniques):
        if position:
            heading.append(" · ", style="dim")
        heading.append(
            f"{technique(hit.technique).label} {two_decimals(hit.confidence)}",
            style=f"bold {category(hit.category).terminal_colour}",
        )
    cues = [_span_line(span, paragraph.loosely_placed(span)) for span in paragraph.spans]
    return Group(heading, _highlighted_text(paragraph), *cues, Text(""))


def _span_line(span: SpanHit, loose: bool) -> Text:
    """Names the words carrying a technique, so they show even without colours."""
    quoted = span.text if len(span.text) <= SPAN_QUOTE else span.text[: SPAN_QUOTE - 1] + "…"
    return Text.assemble(
        ("  ▸ ", "dim"),
        (technique(span.technique).label, category(span.category).terminal_colour),
        (f" {two_decimals(span.confidence)}", "dim"),
        (" loosely placed", "italic dim") if loose else "",
        (": ", "dim"),
        f"“{quoted}”",
    )


def _highlighted_text(paragraph: ParagraphResult) -> Text:
    text = Text()
    for segment in segments(paragraph):
        span = segment.innermost
        if span is None:
            text.append(segment.text)
        else:
            text.append(segment.text, style=f"underline {category(span.category).terminal_colour}")
    return text
