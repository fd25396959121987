"""Text primitives that entity mention detection (`entities`) and its language rules
(`entity_language_rules`, `entity_rules_*`) share: the aliases of names and the grouping key
they give (`normalise_name`), the capitalised runs that may be names, where a sentence starts,
which words a text writes (`TextWords`) and whether the dictionary writes a word in lower
case."""

from __future__ import annotations

import re
import unicodedata

from persuasion_lens.text.lemmas import lemmatize

# words: letters, digits and the combining marks of Devanagari (which \w alone splits on)
TOKEN = re.compile(r"[\w\u0900-\u097F]+(?:[-'’][\w\u0900-\u097F]+)*")

ALIASES: dict[str, str] = {
    "us": "United States", "u.s": "United States", "u.s.": "United States",
    "usa": "United States", "u.s.a": "United States", "u.s.a.": "United States",
    "united states": "United States", "united states of america": "United States",
    "the united states": "United States", "america": "United States",
    "сша": "United States", "сащ": "United States", "eua": "United States",
    "estados unidos": "United States", "अमेरिका": "United States",
    "dprk": "DPRK", "north korea": "DPRK", "кндр": "DPRK", "северная корея": "DPRK",
    "uk": "United Kingdom", "britain": "United Kingdom", "great britain": "United Kingdom",
    "united kingdom": "United Kingdom",
    "eu": "European Union", "european union": "European Union", "ес": "European Union",
    "евросоюз": "European Union", "ue": "European Union", "união europeia": "European Union",
    "нато": "NATO", "otan": "NATO", "nato": "NATO",
    "russian federation": "Russia", "россия": "Russia", "русия": "Russia", "rússia": "Russia",
    "рф": "Russia", "रूस": "Russia",
    "украина": "Ukraine", "украйна": "Ukraine", "ucrânia": "Ukraine", "यूक्रेन": "Ukraine",
    "the west": "the West", "west": "the West", "запад": "the West", "ocidente": "the West",
    "запада": "the West",
    # lemma forms (simplemma's, as `normalise_name` looks them up) of inflected names
    "российский федерация": "Russia", "руски федерация": "Russia", "federação russa": "Russia",
    "federação russo": "Russia", "соединённый штат": "United States",
    "соединенный штат": "United States", "соединить штат": "United States",
    "съединен щат": "United States", "съединен американски щат": "United States",
    "estado unido": "United States", "северный корея": "DPRK", "северен корея": "DPRK",
    "coreia do norte": "DPRK", "европейский союз": "European Union",
    "европейски съюз": "European Union", "união europeu": "European Union",
    # French, German, Italian and Polish (no narratives data): as written, then lemma forms
    "états-unis": "United States", "etats-unis": "United States", "états-unir": "United States",
    "amérique": "United States", "vereinigte staaten": "United States",
    "vereinigten staaten": "United States", "vereinigen staat": "United States",
    "amerika": "United States", "stati uniti": "United States",
    "stany zjednoczone": "United States",
    "stan zjednoczyć": "United States", "ameryka": "United States",
    "russie": "Russia", "fédération de russie": "Russia", "russland": "Russia",
    "russlands": "Russia", "russische föderation": "Russia", "russisch föderation": "Russia",
    "federazione russa": "Russia", "federazione russo": "Russia", "rosja": "Russia",
    "federacja rosyjska": "Russia", "federacja rosyjski": "Russia",
    "ucraina": "Ukraine", "ukraina": "Ukraine",
    "corée du nord": "DPRK", "nordkorea": "DPRK", "corea del nord": "DPRK",
    "korea północna": "DPRK", "korea północny": "DPRK",
    "union européenne": "European Union", "union européen": "European Union",
    "europäische union": "European Union", "europäisch union": "European Union",
    "unione europea": "European Union", "unione europeo": "European Union",
    "unia europejska": "European Union", "unia europejski": "European Union",
    "occident": "the West", "westen": "the West", "occidente": "the West", "zachód": "the West",
    "royaume-uni": "United Kingdom", "grande-bretagne": "United Kingdom",
    "großbritannien": "United Kingdom", "vereinigtes königreich": "United Kingdom",
    "vereinigt königreich": "United Kingdom", "vereinigen königreich": "United Kingdom",
    "regno unito": "United Kingdom", "regno unire": "United Kingdom",
    "gran bretagna": "United Kingdom", "wielka brytania": "United Kingdom",
    "wielki brytania": "United Kingdom",
}

ALIASED_KEYS = frozenset(name.lower() for name in ALIASES.values())  # their grouping keys


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


LEMMATISED_LANGUAGES = frozenset({"ru", "bg", "pt", "en", "de", "fr", "it", "pl", "hi"})


def normalise_name(name: str, language: str | None = None) -> str:
    """A grouping key: lower case, no possessive, aliases resolved, lemmas where possible."""
    clean = name.strip().strip("\"'«»“”„()[]").strip()
    clean = re.sub(r"(?:'s|’s|'|’)$", "", clean)
    lowered = " ".join(clean.lower().split())
    if lowered.startswith("the ") and lowered[4:] in ALIASES:
        lowered = lowered[4:]
    if lowered in ALIASES:
        return ALIASES[lowered].lower()
    words = tokens(lowered)
    if language in LEMMATISED_LANGUAGES and words:
        lemmas = [lemmatize(w, language) for w in words]
        joined = " ".join(lemmas).lower()
        if joined in ALIASES:
            return ALIASES[joined].lower()
        words = [w.lower() for w in lemmas]
    key = " ".join(words) or lowered
    return _strip_accents(key) if language not in {"hi"} else key


# the languages that decline names, where simplemma's dictionary keeps their capitals
_INFLECTED_NAMES = {"de", "pl", "ru"}


def base_form(name: str, language: str | None) -> str:
    """The name with each word in its dictionary form where the dictionary keeps names' capitals
    (Германии -> Германия, Polsce -> Polska); as written where any word has no such form."""
    words = name.split()
    if language not in _INFLECTED_NAMES or not words or len(words) > 3:
        return name
    lemmas = [lemmatize(word, language) for word in words]
    if not all(lemma[:1].isupper() and lemma.isalpha() for lemma in lemmas):
        return name
    return " ".join(lemmas)




# runs of capitalised words, which may hold a particle ("Charles de Gaulle"): the names to be
CAPITALISED = re.compile(
    r"(?<![\w])(?:[A-ZА-ЯЁЇІЄҐ](?:[\w'’-]|\.(?=\w))*)(?:[^\S\n]+(?:(?:of|de|da|do|dos|das|the|von|"
    r"van|der|di|du|la|le)[^\S\n]+)?[A-ZА-ЯЁЇІЄҐ][\w'’-]*)*"
)
_SENTENCE_OPENERS = set(".!?:;\"“”«»„(—–-•*")


def starts_sentence(text: str, position: int) -> bool:
    """Whether text[position] opens a sentence, a line, a quotation or a parenthesis."""
    before = text[max(0, position - 20):position].rstrip(" \t")
    return not before or before.endswith(("\n", "\r")) or before[-1] in _SENTENCE_OPENERS


# the aliased places (not "Westen", "Occident": also a direction), which German writes with an
# article and French and Italian with a lower-case adjective
ALIASED_PLACES = ALIASED_KEYS - {"the west"}
_SPACES_IN_RUN = re.compile(r"[^\S\n]*")


def without_first_words(text: str, start: int, words: list[str], count: int
                       ) -> tuple[int, list[str]]:
    """A capitalised run at `start` less its first `count` words: where the rest begins in
    the text, and its words (the words of a run are parted by spaces, never a line break)."""
    for word in words[:count]:
        start = _SPACES_IN_RUN.match(text, start + len(word)).end()
    return start, words[count:]


def lemma_is_lower_case(word: str, language: str) -> bool:
    """Whether the dictionary knows the word and its lemma is written in lower case."""
    from simplemma import is_known

    lemma = lemmatize(word, language)
    return lemma[:1].islower() and (is_known(word, language) or is_known(lemma, language))


_TOKEN = re.compile(r"[\w-]+")
_WORD_GOES_ON = re.compile(r"[\w-]")


class TextWords:
    """Where a text writes each of its words, gathered in one pass: the dictionary checks ask
    it once per capitalised word, and searching the whole text each time took minutes for a
    book-length text (about 5 minutes for 0.9 MB)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._token_at: dict[str, list[int]] = {}
        for match in _TOKEN.finditer(text):
            self._token_at.setdefault(match.group(), []).append(match.start())
        self._only_opens_sentences: dict[str, bool] = {}

    def places(self, word: str) -> list[int]:
        """Where the text writes `word` (exactly so) as a whole word."""
        if _TOKEN.fullmatch(word):
            return self._token_at.get(word, [])
        first = _TOKEN.match(word)
        if first is None:  # begins with punctuation: seldom, searched for
            return [m.start() for m in re.finditer(
                rf"(?<![\w-]){re.escape(word)}(?![\w-])", self.text)]
        # "U.S": its first piece is a whole word wherever the text writes it whole
        return [place for place in self._token_at.get(first.group(), [])
                if self.text.startswith(word, place)
                and not _WORD_GOES_ON.match(self.text, place + len(word))]

    def written(self, word: str) -> bool:
        """Whether the text has `word` as a whole word, exactly so written."""
        return bool(self.places(word))

    def only_opens_sentences(self, word: str) -> bool:
        """Whether every place where the text writes the capitalised `word` opens a sentence."""
        if word not in self._only_opens_sentences:
            self._only_opens_sentences[word] = all(
                starts_sentence(self.text, place) for place in self.places(word))
        return self._only_opens_sentences[word]
