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
    SpanHit,
)
from persuasion_lens.reporting.highlight import segments
from persuasion_lens.taxonomy import CATEGORIES, CATEGORY_NAMES, technique
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
.key{font-size:.85rem;line-height:1.8;color:#444;margin:0 0 8px}
.key mark{cursor:default;--c:#555;--bg:#5552}
p.par{background:#fff;border:1px solid #e6e6e6;border-radius:6px;padding:10px 14px;line-height:1.6;margin:8px 0;overflow-wrap:anywhere}
p.par .num{color:#6e6e6e;font-size:.75rem;margin-right:6px}
.tags{margin:-4px 0 10px 14px;font-size:.8rem}
.tags .tag{display:inline-block;border-radius:10px;padding:1px 8px;margin:2px 4px 2px 0;color:#fff;background:var(--c);text-decoration:none}
.tags .tag:focus-visible{outline:2px solid #1d1d1f;outline-offset:2px}
a.skip{position:absolute;left:-10000px}a.skip:focus{position:static;display:inline-block;margin:0 0 8px}
section.glossary h2:focus{outline:none}
mark{background:none;border-bottom:3px solid var(--c);background-color:var(--bg);cursor:pointer;padding:0 1px}
mark.nested{border-bottom-style:double}
mark.loose{border-bottom-style:dotted;background-color:transparent}
mark:focus-visible{outline:2px solid var(--c);outline-offset:2px}
section.glossary{background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px 20px;margin:18px 0}
section.glossary h2{font-size:1.1rem;margin:4px 0 8px}
section.glossary dt{font-weight:600;margin-top:10px;border-left:4px solid var(--c);padding-left:8px}
section.glossary dt small{font-weight:400;color:#555}
section.glossary dd{margin:2px 0 0 12px}
section.glossary dt:target{background:#fff6d6}
#tip{position:fixed;box-sizing:border-box;max-width:min(400px,calc(100vw - 8px));overflow:auto;background:#222;color:#fff;padding:10px 12px;border-radius:6px;font-size:.85rem;display:none;z-index:5;box-shadow:0 2px 10px rgba(0,0,0,.3)}
#tip b{display:block}
.warn{color:#7a4b00;background:#fff6e5;border:1px solid #f0d9a8;border-radius:6px;padding:6px 10px;margin:8px 0}
.rarely{color:#666;font-size:.85rem;margin:4px 0 8px}
footer{color:#666;font-size:.8rem;margin:20px 0}
nav.back{margin:0 0 12px}
dl.source{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 12px;overflow-wrap:anywhere}
dl.source dt{font-weight:600}dl.source dd{margin:0}
@media (max-width:600px){main{padding:12px 8px}header.article{padding:12px}p.par{padding:8px 10px}
 .tags{margin-left:6px}section.glossary{padding:10px 12px}}
@media print{body{background:#fff}main{max-width:none;padding:0}#tip,a.skip{display:none!important}
 .chip,.tag,mark,section.glossary dt,.warn{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 p.par{break-inside:avoid}.tags{break-before:avoid}header.article,p.par,section.glossary{border-color:#bbb}
 section.glossary dt{break-after:avoid}}
"""

LOOSE_TIP = f"Loosely placed: {LOOSE_PLACEMENT_MEANING}."

_SCRIPT = """
const tip=document.getElementById('tip');
const LOOSE=%s;
// every highlight's explanations, once per page: a highlight names its spans by number
const TIPS=JSON.parse(document.getElementById('tips').textContent);
// the tip beside the words: below them, or above where there is more room; a tip taller than
// that room scrolls, so that it never covers the words or runs off the window
function place(x,below,above){tip.style.maxHeight='';
 const end=window.innerHeight-4,roomBelow=end-below,roomAbove=above-4,h=tip.offsetHeight;
 const under=h<=roomBelow||(h>roomAbove&&roomBelow>=roomAbove);
 const room=under?roomBelow:roomAbove;
 if(h>room)tip.style.maxHeight=Math.max(room,60)+'px';
 const w=tip.offsetWidth,top=under?below:above-tip.offsetHeight;
 tip.style.left=Math.max(4,Math.min(x,window.innerWidth-w-4))+'px';
 tip.style.top=Math.max(4,Math.min(top,end-tip.offsetHeight))+'px';}
function node(tag,text,cls){const n=document.createElement(tag);n.textContent=text;if(cls)n.className=cls;return n;}
// built as text: a result posted to /api/report.html brings its own explanations
function showTip(el){clearTimeout(hiding);const spans=el.dataset.spans.split(' ').map(i=>TIPS[+i]);
 tip.replaceChildren(...spans.flatMap((s,i)=>[...(i?[document.createElement('hr')]:[]),
  node('b',`${s.label} · ${s.category} · ${s.confidence}`),
  document.createTextNode(s.explanation),...(s.loose?[node('i',' '+LOOSE,'loose-note')]:[])]));
 tip.style.display='block';tip.scrollTop=0;}
let hiding=0;
function hideTip(){clearTimeout(hiding);tip.style.display='none';}
// the pointer may cross from the words to their tip (to scroll a long one) without losing it
function hideSoon(){clearTimeout(hiding);hiding=setTimeout(hideTip,300);}
function atPointer(m,e){showTip(m);place(e.clientX+12,e.clientY+14,e.clientY-14);}
// the keyboard has no pointer: the tip goes beside the focused words
function atWords(m){showTip(m);const r=m.getBoundingClientRect();place(r.left,r.bottom+6,r.top-6);}
document.querySelectorAll('mark[data-spans]').forEach(m=>{m.addEventListener('mouseenter',e=>atPointer(m,e));
 m.addEventListener('click',e=>{atPointer(m,e);e.stopPropagation();});m.addEventListener('mouseleave',hideSoon);
 m.addEventListener('focus',()=>atWords(m));m.addEventListener('blur',hideTip);});
tip.addEventListener('mouseenter',()=>clearTimeout(hiding));tip.addEventListener('mouseleave',hideSoon);
tip.addEventListener('click',e=>e.stopPropagation());
document.addEventListener('click',hideTip);
document.addEventListener('keydown',e=>{if(e.key==='Escape')hideTip();});
""".replace("%s", json.dumps(LOOSE_TIP), 1)


class _Tips:
    """The tip data of a page's highlights, each span's once: every highlight repeated the
    details of all the spans over it, and a German article of 305 spans made an 859 kB page."""

    def __init__(self) -> None:
        self.details: list[dict] = []
        self._numbers: dict[str, int] = {}

    def number(self, detail: dict) -> int:
        key = json.dumps(detail, sort_keys=True)
        if key not in self._numbers:
            self._numbers[key] = len(self.details)
            self.details.append(detail)
        return self._numbers[key]

    def script(self) -> str:
        """A JSON data block (not run, so a Content-Security-Policy by hash allows it); its
        letters as they are (escaped as \\uXXXX, a Cyrillic letter took 6 bytes instead of 2)
        but '<', so that no text closes the block."""
        data = json.dumps(self.details, ensure_ascii=False).replace("<", "\\u003c")
        return f"<script type='application/json' id='tips'>{data}</script>"


def render_html(results: list[ArticleResult], title: str = "persuasion-lens report",
                before: str = "") -> str:
    """The page; `before` is HTML put above the articles (a corpus page's way back and where
    the article comes from)."""
    tips = _Tips()
    articles = "\n".join(_article(result, number, tips) for number, result in enumerate(results, 1))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width,initial-scale=1'><title>{escape(title)}</title>"
        f"<style>{_STYLE}{_colour_classes()}</style></head><body><main>{before}{articles}"
        "<footer>Made by persuasion-lens. Detections are model predictions with a confidence, "
        "not verdicts: read the text before drawing conclusions.</footer></main>"
        f"<div id='tip' role='tooltip'></div>{tips.script()}<script>{_SCRIPT}</script></body></html>"
    )


def _article(result: ArticleResult, number: int, tips: _Tips) -> str:
    """The article in its own language (the page's words, its header and tags, in English), so
    that screen readers, hyphenation and fonts treat its text as what it is."""
    anchor = f"a{number}-"
    paragraphs = "\n".join(_paragraph(p, anchor, tips) for p in result.paragraphs)
    return (f"<article lang='{escape(result.language)}'>{_header(result, anchor)}{paragraphs}"
            f"{_glossary(result, anchor)}</article>")


# What each underline means: this page's key and the web app's (served with /api/techniques).
UNDERLINES: list[dict[str, str]] = [
    {"style": "solid", "name": "solid underline",
     "meaning": "the words that carry a technique, in the colour of its category"},
    {"style": "double", "name": "double underline",
     "meaning": "several techniques on the same words"},
    {"style": "dotted", "name": "dotted underline",
     "meaning": f"loosely placed: {LOOSE_PLACEMENT_MEANING}"},
]
_KEY_CLASSES = {"solid": "", "double": " class='nested'", "dotted": " class='loose'"}
KEY = (
    "<div class='key'>How to read the text: "
    + "; ".join(f"<mark{_KEY_CLASSES[u['style']]}>{escape(u['name'])}</mark> "
                f"{escape(u['meaning'])}" for u in UNDERLINES)
    + ". Point at, tap or tab to the words for the technique and why the model marked them; "
    "the tags under a paragraph lead to the definitions at the end.</div>"
)


def _header(result: ArticleResult, anchor: str) -> str:
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
    # above the legend: under a long list of rarely reported techniques they went unseen
    warnings = "".join(f"<div class='warn' role='note'>⚠ {escape(w)}</div>" for w in result.warnings)
    note = result.rarely_reported_note()
    rarely = f"<div class='rarely'>{escape(note)}</div>" if note else ""
    key = KEY if any(p.spans for p in result.paragraphs) else ""
    name = result.source or result.doc_id
    title = (f"<h1>{escape(name)}</h1>" if name else
             f"<h1 lang='{escape(result.language)}'>{escape(_title_of(result))}</h1>")
    return (
        f"<header class='article' lang='en'>{title}{_skip_link(result, anchor)}"
        f"<div class='meta'>{''.join(meta)}</div>"
        f"{warnings}<div class='legend'>{legend}</div>{key}{rarely}</header>"
    )


def _skip_link(result: ArticleResult, anchor: str) -> str:
    """The first tab stop of an article, shown when focused: it leads past the text to the
    definitions, the one place the paragraphs' tags (out of the tab order) lead to."""
    found = len(_found_techniques(result))
    if not found:
        return ""
    return (f"<a class='skip' href='#{anchor}found'>Skip to the {found} technique"
            f"{'s' if found != 1 else ''} found</a>")


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
            left_out = names_left_out(result.extra)
            names = "".join(f"<li>{escape(describe_entity(e))} <small>({kind})</small></li>"
                            for e, kind in left_out)
            explained = any(e.get("at_odds_with_side") for e in entities[:MAX_ENTITIES])
            if not explained and any(e.get("at_odds_with_side") for e, _ in left_out):
                names += f"<li><small>{escape(AT_ODDS_EXPLANATION)}</small></li>"
            meta.append(f"<details class='more-names'><summary>{escape(rest)}</summary>"
                        f"<ul>{names}</ul></details>")
    return meta


def _paragraph(paragraph: ParagraphResult, anchor: str, tips: _Tips) -> str:
    body = "".join(_segment_html(segment, paragraph, tips) for segment in segments(paragraph))
    tags = "".join(
        # out of the tab order, which they doubled in a marked-up article: the skip link
        # reaches the same definitions; a click, a tap and a screen reader's links still do
        f"<a class='tag {_colour_class(hit.category)}' href='#{anchor}{escape(hit.technique)}' "
        "tabindex='-1'>"
        f"{escape(technique(hit.technique).label)} {two_decimals(hit.confidence)}</a>"
        for hit in paragraph.techniques
    )
    tag_row = f"<div class='tags' lang='en'>{tags}</div>" if tags else ""
    return (
        f"<p class='par' data-start='{paragraph.start}' data-end='{paragraph.end}'>"
        f"<span class='num'>¶{paragraph.index + 1}</span>{body}</p>{tag_row}"
    )


def _segment_html(segment, paragraph: ParagraphResult, tips: _Tips) -> str:
    text = escape(segment.text)
    span = segment.innermost
    if span is None:
        return text
    numbers = " ".join(str(tips.number(tip_detail(s, paragraph))) for s in segment.spans)
    nested = " nested" if len(segment.spans) > 1 else ""
    loose = " loose" if paragraph.loosely_placed(span) else ""
    return (
        f"<mark class='hl {_colour_class(span.category)}{nested}{loose}' tabindex='0' "
        "aria-describedby='tip' "
        f"data-technique='{escape(span.technique)}' data-start='{segment.start}' "
        f"data-end='{segment.end}' data-spans='{numbers}'>{text}</mark>"
    )


def _colour_class(category_name: str) -> str:
    """The class that gives a highlight, tag or definition its category's colour (a style
    attribute on each of them added 50 bytes apiece)."""
    return f"c{CATEGORY_NAMES.index(category_name)}"


def _colour_classes() -> str:
    return "".join(f".c{number}{{--c:{cat.colour};--bg:{cat.colour}22}}"
                   for number, cat in enumerate(CATEGORIES))


def tip_detail(span: SpanHit, paragraph: ParagraphResult) -> dict:
    """What a highlight's tip says about one span over its words."""
    return {
        "label": technique(span.technique).label,
        "category": span.category,
        "confidence": two_decimals(span.confidence),  # shown as the terminal shows it
        "explanation": span.explanation,
        "loose": paragraph.loosely_placed(span),
    }


def _glossary(result: ArticleResult, anchor: str) -> str:
    """Every technique found, with its definition and what to look for: the tips are for a
    mouse or a keyboard; a phone, a printout and a reader who wants the definitions in one
    place get them here, each reached from the paragraphs' tags."""
    paragraphs = result.technique_counts()
    found = _found_techniques(result)
    if not found:
        return ""
    entries = []
    for name in found:
        known = technique(name)
        count = paragraphs.get(name, 0)
        where = f"{count} paragraph{'s' if count != 1 else ''}" if count else "words only"
        entries.append(
            f"<dt id='{anchor}{escape(name)}' class='{_colour_class(known.category)}'>"
            f"{escape(known.label)} <small>{escape(known.category)} · {where}</small></dt>"
            f"<dd>{escape(known.definition)} <i>Look for: {escape(known.look_for)}</i></dd>"
        )
    return (f"<section class='glossary' lang='en'>"
            f"<h2 id='{anchor}found' tabindex='-1'>Techniques found in this article</h2>"
            f"<dl>{''.join(entries)}</dl></section>")


def _found_techniques(result: ArticleResult) -> list[str]:
    """The techniques the glossary defines: those of the paragraphs, then those of words only."""
    paragraphs = result.technique_counts()
    return list(paragraphs) + sorted({s.technique for p in result.paragraphs for s in p.spans}
                                     - set(paragraphs))


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
