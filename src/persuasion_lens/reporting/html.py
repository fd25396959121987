"""A self-contained HTML page for one or more analysed articles (no external files)."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from html import escape

from persuasion_lens.pipeline.results import (
    LOOSE_PLACEMENT_MEANING,
    ArticleResult,
    ParagraphResult,
)
from persuasion_lens.reporting.highlight import segments
from persuasion_lens.taxonomy import CATEGORIES, category, technique
from persuasion_lens.text.languages import language_name
from persuasion_lens.text.wording import two_decimals

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
main{max-width:860px;margin:0 auto;padding:24px}
header.article{background:#fff;border:1px solid #ddd;border-radius:8px;padding:16px 20px;margin-bottom:18px;overflow-wrap:anywhere}
h1{font-size:1.3rem;margin:0 0 8px}
.meta span{margin-right:18px}
.legend{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0}
.legend .chip{border-radius:12px;padding:2px 10px;font-size:.85rem;color:#fff}
p.par{background:#fff;border:1px solid #e6e6e6;border-radius:6px;padding:10px 14px;line-height:1.6;margin:8px 0;overflow-wrap:anywhere}
p.par .num{color:#6e6e6e;font-size:.75rem;margin-right:6px}
.tags{margin:-4px 0 10px 14px;font-size:.8rem}
.tags .tag{display:inline-block;border-radius:10px;padding:1px 8px;margin:2px 4px 2px 0;color:#fff}
mark{background:none;border-bottom:3px solid var(--c);background-color:var(--bg);cursor:pointer;padding:0 1px}
mark.nested{border-bottom-style:double}
mark.loose{border-bottom-style:dotted;background-color:transparent}
mark:focus-visible{outline:2px solid var(--c);outline-offset:2px}
#tip{position:fixed;max-width:380px;background:#222;color:#fff;padding:10px 12px;border-radius:6px;font-size:.85rem;display:none;z-index:5;box-shadow:0 2px 10px rgba(0,0,0,.3)}
#tip b{display:block}
.warn{color:#a15c00}
.rarely{color:#666;font-size:.85rem;margin:4px 0 8px}
footer{color:#666;font-size:.8rem;margin:20px 0}
nav.back{margin:0 0 12px}
dl.source{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 12px;overflow-wrap:anywhere}
dl.source dt{font-weight:600}dl.source dd{margin:0}
"""

LOOSE_TIP = f"Loosely placed: {LOOSE_PLACEMENT_MEANING}."

_SCRIPT = """
const tip=document.getElementById('tip');
const LOOSE=%s;
// the tip at x, below the words (or above them where the window ends); it is pinned to the window
function place(x,below,above){const w=tip.offsetWidth,h=tip.offsetHeight,end=window.innerHeight-4;
 tip.style.left=Math.max(4,Math.min(x,window.innerWidth-w-4))+'px';
 const top=below+h<=end?below:above-h>=4?above-h:Math.max(4,Math.min(below,end-h));
 tip.style.top=top+'px';}
function node(tag,text,cls){const n=document.createElement(tag);n.textContent=text;if(cls)n.className=cls;return n;}
// built as text: a result posted to /api/report.html brings its own explanations
function showTip(el){const spans=JSON.parse(el.dataset.spans);
 tip.replaceChildren(...spans.flatMap((s,i)=>[...(i?[document.createElement('hr')]:[]),
  node('b',`${s.label} · ${s.category} · ${s.confidence}`),
  document.createTextNode(s.explanation),...(s.loose?[node('i',' '+LOOSE,'loose-note')]:[])]));
 tip.style.display='block';}
function hideTip(){tip.style.display='none';}
function atPointer(m,e){showTip(m);place(e.clientX+12,e.clientY+14,e.clientY-14);}
// the keyboard has no pointer: the tip goes beside the focused words
function atWords(m){showTip(m);const r=m.getBoundingClientRect();place(r.left,r.bottom+6,r.top-6);}
document.querySelectorAll('mark').forEach(m=>{m.addEventListener('mouseenter',e=>atPointer(m,e));
 m.addEventListener('click',e=>{atPointer(m,e);e.stopPropagation();});m.addEventListener('mouseleave',hideTip);
 m.addEventListener('focus',()=>atWords(m));m.addEventListener('blur',hideTip);});
document.addEventListener('click',hideTip);
document.addEventListener('keydown',e=>{if(e.key==='Escape')hideTip();});
""".replace("%s", json.dumps(LOOSE_TIP), 1)


def render_html(results: list[ArticleResult], title: str = "persuasion-lens report",
                before: str = "") -> str:
    """The page; `before` is HTML put above the articles (a corpus page's way back and where
    the article comes from)."""
    articles = "\n".join(_article(result) for result in results)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width,initial-scale=1'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><main>{before}{articles}"
        "<footer>Made by persuasion-lens. Detections are model predictions with a confidence, "
        "not verdicts: read the text before drawing conclusions.</footer></main>"
        f"<div id='tip' role='tooltip'></div><script>{_SCRIPT}</script></body></html>"
    )


def _article(result: ArticleResult) -> str:
    """The article in its own language (the page's words, its header and tags, in English), so
    that screen readers, hyphenation and fonts treat its text as what it is."""
    paragraphs = "\n".join(_paragraph(p) for p in result.paragraphs)
    return f"<article lang='{escape(result.language)}'>{_header(result)}{paragraphs}</article>"


def _header(result: ArticleResult) -> str:
    language = language_name(result.language)
    meta = [f"<span><b>Language</b> {escape(language)}</span>"]
    if result.genre is not None:
        meta.append(
            f"<span><b>Genre</b> {escape(result.genre.label)} "
            f"({two_decimals(result.genre.probability)})</span>"
        )
    if result.frames:
        frames = ", ".join(f"{escape(f.label.replace('_', ' '))} ({two_decimals(f.probability)})"
                           for f in result.frames)
        meta.append(f"<span><b>Frames</b> {frames}</span>")
    meta.extend(_narrative_meta(result))
    counts = result.category_counts()
    legend = "".join(
        f"<span class='chip' style='background:{cat.colour}' title='{escape(cat.description)}'>"
        f"{escape(cat.name)}: {counts.get(cat.name, 0)}</span>"
        for cat in CATEGORIES
    )
    warnings = "".join(f"<div class='warn'>⚠ {escape(w)}</div>" for w in result.warnings)
    note = result.rarely_reported_note()
    rarely = f"<div class='rarely'>{escape(note)}</div>" if note else ""
    name = result.source or result.doc_id
    title = (f"<h1>{escape(name)}</h1>" if name else
             f"<h1 lang='{escape(result.language)}'>{escape(_title_of(result))}</h1>")
    return (
        f"<header class='article' lang='en'>{title}<div class='meta'>{''.join(meta)}</div>"
        f"<div class='legend'>{legend}</div>{rarely}{warnings}</header>"
    )


def _narrative_meta(result: ArticleResult) -> list[str]:
    from persuasion_lens.reporting.terminal import (
        AT_ODDS_EXPLANATION,
        MAX_ENTITIES,
        closest_narratives_note,
        describe_entity,
        describe_side,
        more_entities_note,
        names_left_out,
    )

    meta = []
    for key, name in (("narratives", "Narratives"), ("subnarratives", "Subnarratives")):
        labels = [n for n in result.extra.get(key) or []
                  if key == "narratives" or n["label"] != "Other"]
        if labels:
            named = "; ".join(f"{escape(n['label'])} ({two_decimals(n['probability'])})" for n in labels)
            if key == "narratives" and closest_narratives_note(result.extra):
                named += f" <small>({escape(closest_narratives_note(result.extra))})</small>"
            meta.append(f"<div class='{key}'><b>{name}</b> <i>(experimental)</i> {named}</div>")
    side = describe_side(result.extra)
    if side:
        meta.append(f"<div class='side'><b>Side</b> <i>(experimental)</i> {escape(side)}</div>")
    entities = result.extra.get("entities") or []
    if entities:
        roles = "; ".join(escape(describe_entity(e)) for e in entities[:MAX_ENTITIES])
        if any(e.get("at_odds_with_side") for e in entities[:MAX_ENTITIES]):
            roles += f" <small>({escape(AT_ODDS_EXPLANATION)})</small>"
        meta.append(f"<div class='roles'><b>Roles</b> <i>(experimental)</i> {roles}</div>")
        rest = more_entities_note(result.extra)
        if rest:
            names = "".join(f"<li>{escape(describe_entity(e))} <small>({kind})</small></li>"
                            for e, kind in names_left_out(result.extra))
            meta.append(f"<details class='more-names'><summary>{escape(rest)}</summary>"
                        f"<ul>{names}</ul></details>")
    return meta


def _paragraph(paragraph: ParagraphResult) -> str:
    body = "".join(_segment_html(segment, paragraph) for segment in segments(paragraph))
    tags = "".join(
        f"<span class='tag' style='background:{category(hit.category).colour}' "
        f"title='{escape(technique(hit.technique).definition)}'>"
        f"{escape(technique(hit.technique).label)} {two_decimals(hit.confidence)}</span>"
        for hit in paragraph.techniques
    )
    tag_row = f"<div class='tags' lang='en'>{tags}</div>" if tags else ""
    return (
        f"<p class='par' data-start='{paragraph.start}' data-end='{paragraph.end}'>"
        f"<span class='num'>¶{paragraph.index + 1}</span>{body}</p>{tag_row}"
    )


def _segment_html(segment, paragraph: ParagraphResult) -> str:
    text = escape(segment.text)
    span = segment.innermost
    if span is None:
        return text
    colour = category(span.category).colour
    details = [
        {
            "label": technique(s.technique).label,
            "category": s.category,
            "confidence": two_decimals(s.confidence),  # shown as the terminal shows it
            "explanation": s.explanation,
            "loose": paragraph.loosely_placed(s),
        }
        for s in segment.spans
    ]
    nested = " nested" if len(segment.spans) > 1 else ""
    loose = " loose" if paragraph.loosely_placed(span) else ""
    return (
        f"<mark class='hl{nested}{loose}' tabindex='0' aria-describedby='tip' style='--c:{colour};--bg:{colour}22' "
        f"data-technique='{escape(span.technique)}' data-start='{segment.start}' "
        f"data-end='{segment.end}' data-spans='{escape(_tip_json(details))}'>{text}</mark>"
    )


def _tip_json(details: list[dict]) -> str:
    """A highlight's tip data, its letters as they are: escaped as \\uXXXX, a Cyrillic or
    Devanagari letter took 6 bytes instead of 2 or 3, on every highlight of a page."""
    return json.dumps(details, ensure_ascii=False)


def _title_of(result: ArticleResult, longest: int = 140) -> str:
    """The first line (the title, as in the SemEval data) of pasted text, which has no file
    name; the web app heads its page the same way."""
    first = result.paragraphs[0].text.strip() if result.paragraphs else ""
    if len(first) > longest:
        first = first[:longest - 3] + "…"
    return first or "Article"


@functools.cache
def page_script_hash() -> str:
    """The CSP source of the page's one inline script ('sha256-...'), for servers that serve
    these pages with a Content-Security-Policy."""
    digest = hashlib.sha256(_SCRIPT.encode("utf-8")).digest()
    return f"sha256-{base64.b64encode(digest).decode('ascii')}"
