"""Entity roles (SemEval-2025 Task 10): when a role is stated rather than called unclear, the
geopolitical sides of the Russia–Ukraine war, and the side an article takes."""

from __future__ import annotations

import math
from dataclasses import dataclass

# A main role is stated only from this probability on: on the validation split, entities at or
# above it get the right main role 91% of the time, those below it 62% (docs/narratives.md).
STATED_ROLE_PROBABILITY = 0.8


def rounded_down(probability: float) -> str:
    """Two decimals, rounded down: a role at 0.797 is below the 0.8 from which roles are
    stated, and must not read 0.80 beside "role unclear"."""
    return f"{math.floor(probability * 100 + 1e-9) / 100:.2f}"  # 0.29 * 100 is 28.999...


def json_probability(probability: float, shown_rounded_down: bool) -> float:
    """The four decimals the JSON carries. A probability that reports round down (an unclear
    role's, a side the article only leans to) is rounded down here too, so a page flooring the
    JSON to two decimals reads what the terminal reads from the raw value (0.79996 would
    otherwise become 0.8, and read 0.80 beside "role unclear")."""
    if shown_rounded_down:
        return math.floor(probability * 10_000 + 1e-9) / 10_000
    return round(probability, 4)


def unclear_role_phrase(main_role: str, probability: float) -> str:
    """What a report says of a role below STATED_ROLE_PROBABILITY when only the most likely
    main role is known (as a corpus database stores it)."""
    return f"role unclear (most likely {main_role} {rounded_down(probability)})"

# The two sides an article can take in the Russia–Ukraine war (`SideReading`), and the
# probability from which the side taken is stated rather than said to be a leaning: out of fold
# on the training split, articles at or above it get the right side 93% of the time
# (docs/narratives.md).
RUSSIAN_SIDE = "Russia and its allies"
OPPOSING_SIDE = "Ukraine and the West"
STATED_SIDE_PROBABILITY = 0.8

# Name stems that place an entity on one side of the Russia–Ukraine war's geopolitics, in the
# five languages of the role data and in French, German, Italian and Polish. A stem must start a
# word of the lower-cased name or of its grouping key ("russ" finds Russia, Russian, Russians;
# "nato" is not in "senator"). The role model's second stage crosses the side with the article's
# narratives: the same side is a protagonist in an article that praises it and an antagonist in
# one that blames it, whatever the language. Stems for French, German, Italian and Polish match
# no name of the role data, so the fitted model is the same with or without them.
GEOPOLITICAL_BLOCS: dict[str, tuple[str, ...]] = {
    "RU": ("russ", "росси", "руси", "rúss", "रूस", "moscow", "moscov", "moscou", "москв", "kreml",
           "кремл", "क्रेमलिन", "putin", "путин", "पुतिन", "lavrov", "лавров", "dprk", "north korea",
           "pyongyang", "пхенья", "belarus", "беларус", "lukashenk", "лукашенк", "peskov", "песков",
           "shoigu", "шойгу", "medvedev", "медведев", "wagner", "вагнер", "prigozhin", "пригожин",
           "rosj", "rosyj", "moskau", "mosca", "moskw", "poutine", "corée du nord", "nordkorea",
           "corea del nord", "korea północna", "kndr", "biélorussie", "weißrussland", "białoru"),
    "WEST": ("united states", "washington", "вашингтон", "वाशिंगटन", "biden", "байд", "बाइडेन",
             "nato", "нато", "the west", "european union", "united kingdom", "london", "лондон",
             "japan", "япон", "pentagon", "пентагон", "white house", "белый дом", "белия дом",
             "blinken", "блинкен", "stoltenberg", "столтенберг", "leyen", "macron", "макрон",
             "scholz", "шолц", "шольц", "cia", "цру", "brussels", "брюксел", "брюссел", "eua",
             "сащ", "сша", "अमेरिका", "états-unis", "etats-unis", "vereinigte staaten",
             "stati uniti", "stany zjednoczone", "occident", "westen", "zachód", "union européenne",
             "europäische union", "unione europea", "unia europejska", "bruxelles", "brüssel",
             "bruksel", "japon", "giappone", "japonia", "amerika", "waszyngton",
             "vereinigten staaten"),
    "UA": ("ukrain", "украин", "украйн", "ucrân", "यूक्रेन", "kyiv", "kiev", "киев", "київ", "kiiv",
           "zelensk", "зеленск", "зеленски", "ज़ेलेंस", "जेलेंस", "всу", "azov", "азов", "kiew",
           "kijów", "kijow", "kyjiw", "selensk", "zełensk", "zelens"),
}


@dataclass
class SideReading:
    """Which side of the Russia–Ukraine war an article takes: `russian_side` is the
    probability that it casts Russia and its allies favourably (protagonists, innocents) and
    Ukraine and the West unfavourably, rather than the reverse."""

    russian_side: float

    @property
    def favoured(self) -> str:
        return RUSSIAN_SIDE if self.russian_side >= 0.5 else OPPOSING_SIDE

    @property
    def opposed(self) -> str:
        return OPPOSING_SIDE if self.russian_side >= 0.5 else RUSSIAN_SIDE

    @property
    def probability(self) -> float:
        return max(self.russian_side, 1.0 - self.russian_side)

    @property
    def is_clear(self) -> bool:
        return self.probability >= STATED_SIDE_PROBABILITY

    def to_dict(self) -> dict:
        russian_side = self._russian_side_in_json()
        return {"favours": self.favoured, "against": self.opposed,
                "probability": round(max(russian_side, 1.0 - russian_side), 4),
                "is_clear": self.is_clear, "russian_side_probability": russian_side}

    def _russian_side_in_json(self) -> float:
        """Four decimals; for a side the article only leans to, rounded towards 0.5, so that the
        side's probability is rounded down as the reports show it, and a reading rebuilt from
        the stored value (a corpus) gives the same JSON again."""
        if self.is_clear:
            return round(self.russian_side, 4)
        if self.russian_side >= 0.5:
            return json_probability(self.russian_side, shown_rounded_down=True)
        towards_half = round(1.0 - json_probability(1.0 - self.russian_side, True), 4)
        return min(towards_half, 0.4999)  # 0.5 would read back as leaning to Russia's side
