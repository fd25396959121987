"""Small web pages written for the tests: a news site's page that holds only its navigation
(menus, links, a footer: no article), and the same site's page around a real article."""

from __future__ import annotations

from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "harbour-bridge-opinion-en.txt"

_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} | The Harbour Herald</title>
<link rel="stylesheet" href="/static/site.css">
<script src="/static/analytics.js" defer></script>
</head>
<body>
<header class="site-header">
  <a class="logo" href="/">The Harbour Herald</a>
  <nav aria-label="Sections">
    <ul class="menu">
      <li><a href="/news">News</a></li>
      <li><a href="/politics">Politics</a></li>
      <li><a href="/business">Business</a></li>
      <li><a href="/opinion">Opinion</a></li>
      <li><a href="/sport">Sport</a></li>
      <li><a href="/culture">Culture and the arts</a></li>
      <li><a href="/weather">Weather</a></li>
    </ul>
  </nav>
  <form class="search" action="/search"><input name="q" placeholder="Search"></form>
</header>
"""

_FOOTER = """<footer class="site-footer">
  <ul>
    <li><a href="/about">About us</a></li>
    <li><a href="/contact">Contact the newsroom</a></li>
    <li><a href="/subscribe">Subscribe to the newsletter</a></li>
    <li><a href="/privacy">Privacy policy</a></li>
    <li><a href="/terms">Terms of use</a></li>
  </ul>
  <p>© 2024 The Harbour Herald. All rights reserved.</p>
</footer>
</body>
</html>
"""

# The menu words that a page without an article used to be analysed as.
MENU_WORDS = ("Politics", "Culture and the arts", "Weather")

NAVIGATION_PAGE = _HEAD.format(title="Opinion") + _FOOTER


def article_lines() -> list[str]:
    """The example article's title and paragraphs."""
    return [line for line in EXAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]


def article_page() -> str:
    """The site's page around the example article."""
    title, *paragraphs = article_lines()
    body = "\n".join(f"    <p>{paragraph}</p>" for paragraph in paragraphs)
    return (
        _HEAD.format(title=title)
        + f'<main>\n  <article>\n    <h1>{title}</h1>\n'
        + '    <p class="byline">By Ed Marsh, 12 March 2024</p>\n'
        + f"{body}\n  </article>\n</main>\n"
        + _FOOTER
    )

# The smallest page of links: it was analysed as the one-paragraph article "Home News".
LINKS_ONLY_PAGE = ('<html><body><nav><a href="/">Home</a> <a href="/x">News</a></nav>'
                   "<footer>Copyright</footer></body></html>")

# phrases of the example article that link elsewhere on the linked page
_LINKED_PHRASES = ("harbour bridge", "Mara Vell", "ferry contract", "engineers",
                   "the petition")


def linked_article_page() -> str:
    """The site's page around the example article, with links inside its paragraphs (and a
    list of related links under it)."""
    title, *paragraphs = article_lines()
    linked = []
    for paragraph in paragraphs:
        for number, phrase in enumerate(_LINKED_PHRASES):
            paragraph = paragraph.replace(phrase, f'<a href="/story/{number}">{phrase}</a>', 1)
        linked.append(f"    <p>{paragraph}</p>")
    related = "".join(f'<li><a href="/story/{n}">More on the {phrase}</a></li>'
                      for n, phrase in enumerate(_LINKED_PHRASES))
    return (
        _HEAD.format(title=title)
        + f"<main>\n  <article>\n    <header><h1>{title}</h1>\n"
        + '    <p class="byline">By <a href="/authors/ed-marsh">Ed Marsh</a></p></header>\n'
        + "\n".join(linked)
        + f'\n  </article>\n  <aside><h2>Related</h2><ul>{related}</ul></aside>\n</main>\n'
        + _FOOTER
    )


# A one-paragraph news brief, in a plain <div> (no <article>)
BRIEF_TITLE = "Harbour bridge closed after storm"
BRIEF_TEXT = ("The harbour bridge was closed on Tuesday after a storm damaged two lamp posts, "
              "a council spokesman said. It should reopen on Friday.")
NEWS_BRIEF_PAGE = (_HEAD.format(title=BRIEF_TITLE)
                   + f'<div class="content"><h1>{BRIEF_TITLE}</h1><p>{BRIEF_TEXT}</p></div>\n'
                   + _FOOTER)

# A short story page of a small site: a "Home" link, a cookie notice, the article, a footer.
# On a page this small trafilatura keeps what comes before the article, and "Home" was read
# as the article's title.
SHORT_STORY_TITLE = "Council delays the harbour bridge again"
SHORT_STORY_TEXT = "The bridge will not open this year, the council said."
SHORT_STORY_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{SHORT_STORY_TITLE} – Bay Courier</title></head>
<body>
<nav><a href="/">Home</a></nav>
<div class="cookie-notice">We use cookies. <button>Accept</button></div>
<article>
  <h1>{SHORT_STORY_TITLE}</h1>
  <p>{SHORT_STORY_TEXT}</p>
</article>
<footer><p>© 2024 Bay Courier</p></footer>
</body>
</html>
"""

# A longer story with its headline in the page header, above the <article> that holds its
# text: trafilatura's text leaves the headline out, and the first paragraph read as the title
LONGER_STORY_TEXT = ("The council has once more delayed the opening of the harbour bridge, "
                     "blaming the weather. Critics call it a scandal that nobody will answer "
                     "for.", "Work on the bridge began four years ago and was meant to end last "
                             "spring.")
HEADLINE_ABOVE_ARTICLE_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta property="og:title" content="{SHORT_STORY_TITLE}">
<title>Bay Courier</title></head>
<body>
<header><a href="/">Home</a><h1>{SHORT_STORY_TITLE}</h1></header>
<article>
  <p>{LONGER_STORY_TEXT[0]}</p>
  <p>{LONGER_STORY_TEXT[1]}</p>
</article>
<footer><p>© 2024 Bay Courier</p></footer>
</body>
</html>
"""


def report_tips(page: str) -> list[list[dict]]:
    """What each highlight of a standalone report page (reporting/html.py) tells in its tip:
    the page's one table of span details, looked up by the numbers each highlight names."""
    import html
    import json
    import re

    table = re.search(r"<script type='application/json' id='tips'>(.*?)</script>", page, re.DOTALL)
    details = json.loads(table.group(1)) if table else []
    return [[details[int(number)] for number in html.unescape(found).split()]
            for found in re.findall(r"data-spans='([^']*)'", page)]
