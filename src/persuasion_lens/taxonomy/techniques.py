"""Persuasion techniques and their six categories (SemEval-2023 Task 3, subtask 3 labels).

The `name` fields are the exact label strings used in the training data; everything else
(labels, definitions, cues, examples) is written for this project in plain English for
analysts and media-literacy teachers. Examples are invented and refer to no real person.
"""

from __future__ import annotations

from dataclasses import dataclass

from persuasion_lens.taxonomy._lookup import normalise, resolve


@dataclass(frozen=True)
class Category:
    """A family of related techniques, with the colours used to show it.

    `colour` is for pages, charts and the web app. Every such colour has a contrast ratio of at
    least 5:1 against white, so it works as text on a white page and as a highlight background
    behind white text; for a light highlight behind dark text, use it with transparency (e.g.
    20-25 % opacity). The six stay apart for readers with colour-vision deficiencies: simulated
    protanopia, deuteranopia and tritanopia (Machado et al. 2009, severity 1.0) leave every pair
    at least 15.8 CIEDE2000 apart (the former palette: 3.0, Justification / Distraction under
    protanopia). Three are light and three dark (about 5:1 and 11:1 on white): lightness, which
    every deficiency keeps, parts what hue cannot.

    `terminal_colour` is the same hue (within 6 degrees of CIELAB hue) at middle lightness, for
    text in a terminal, whose background may be black or white: every one reads at 4.5:1 or more
    on both (the three dark page colours read at 1.9:1 on black). All six share that lightness,
    so only hue and chroma part them: every pair stays at least 7.8 CIEDE2000 apart under normal
    vision and the three simulations, and 6.9 in rich's 256 colours, where each reads at 4.1:1 or
    more on black and on white. tests/test_taxonomy.py checks all of this, and
    `python tests/colour_vision.py` prints the numbers.
    """

    name: str
    description: str
    colour: str
    terminal_colour: str


@dataclass(frozen=True)
class Technique:
    """One persuasion technique."""

    name: str  # exact label string from the data, e.g. "Loaded_Language"
    label: str  # human-readable, e.g. "Loaded language"
    category: str  # a Category.name
    definition: str
    look_for: str
    example: str


CATEGORIES: list[Category] = [
    Category(
        name="Attack on reputation",
        description=(
            "Goes after the character, motives or credibility of a person or group instead "
            "of dealing with what they actually argue."
        ),
        colour="#A95906",  # burnt orange
        terminal_colour="#BE5A0C",
    ),
    Category(
        name="Justification",
        description=(
            "Backs a claim by leaning on something the audience already trusts, loves or "
            "fears (an authority, the crowd, the nation, shared values) rather than on evidence."
        ),
        colour="#2626A7",  # indigo
        terminal_colour="#5065FF",
    ),
    Category(
        name="Simplification",
        description=(
            "Squeezes a complicated situation into one cause, one inevitable outcome or only "
            "two possible choices."
        ),
        colour="#004720",  # dark green
        terminal_colour="#587E5A",
    ),
    Category(
        name="Distraction",
        description=(
            "Steers attention away from the real issue: towards a distorted version of it, "
            "an unrelated topic or the critic's own failings."
        ),
        colour="#952DFF",  # violet
        terminal_colour="#8C63BA",
    ),
    Category(
        name="Call",
        description=(
            "Urges the reader to act, or to stop thinking, through catchy phrases, urgency "
            "or lines meant to close the discussion."
        ),
        colour="#007285",  # teal
        terminal_colour="#008092",
    ),
    Category(
        name="Manipulative wording",
        description=(
            "Works through the choice of words itself: emotive, vague, inflated or repeated "
            "language that shapes the reaction more than the facts do."
        ),
        colour="#69244A",  # plum
        terminal_colour="#BC4F90",
    ),
]


TECHNIQUES: list[Technique] = [
    # --- Attack on reputation -------------------------------------------------------------
    Technique(
        name="Name_Calling-Labeling",
        label="Name calling or labelling",
        category="Attack on reputation",
        definition=(
            "Pins a loaded name or tag on a person or group so that readers react to the "
            "label rather than to what the target says or does. The tag can be insulting "
            "or flattering."
        ),
        look_for=(
            "Insults, sneering nicknames or admiring tags attached to people or groups, "
            "often as a noun or adjective right next to a name."
        ),
        example="Once again the council's pen-pushing cowards have sold out our town.",
    ),
    Technique(
        name="Guilt_by_Association",
        label="Guilt by association",
        category="Attack on reputation",
        definition=(
            "Discredits a person, group or idea by linking it to someone or something the "
            "audience already dislikes, instead of judging it on its own merits."
        ),
        look_for=(
            "Comparisons with hated figures, regimes or movements, or remarks that some "
            "disliked party supports the same thing."
        ),
        example="Guess who else wanted to tell people what to eat? Every tyrant in history.",
    ),
    Technique(
        name="Doubt",
        label="Casting doubt",
        category="Attack on reputation",
        definition=(
            "Raises suspicion about someone's honesty, competence or reliability without "
            "solid evidence, leaving readers to imagine the worst."
        ),
        look_for=(
            'Insinuating questions, "some say", "can we really trust", and scare quotes '
            "around a person's claims or title."
        ),
        example="Can we really believe a minister who keeps changing her story?",
    ),
    Technique(
        name="Appeal_to_Hypocrisy",
        label="Appeal to hypocrisy",
        category="Attack on reputation",
        definition=(
            "Attacks someone by showing that their words or past actions clash with the "
            "position they now take, as if that alone proved the position wrong."
        ),
        look_for=(
            'Past statements or behaviour set against present ones, often with "yet", '
            '"the same person who" or "practise what you preach".'
        ),
        example="He tells us all to fly less, yet he took a private jet to the climate summit.",
    ),
    Technique(
        name="Questioning_the_Reputation",
        label="Questioning the reputation",
        category="Attack on reputation",
        definition=(
            "Tries to lower the audience's opinion of someone's character or standing in "
            "general, with negative claims that are not tied to the argument at hand."
        ),
        look_for=(
            "Sweeping negative remarks about a person's record, morals or reliability, "
            "unflattering anecdotes and hints of scandal."
        ),
        example="This is a mayor whose whole career is one long list of broken promises.",
    ),
    # --- Justification --------------------------------------------------------------------
    Technique(
        name="Flag_Waving",
        label="Flag waving",
        category="Justification",
        definition=(
            "Argues for or against something by appealing to the pride, interests or "
            "identity of a group, usually a nation, so that agreeing feels like loyalty."
        ),
        look_for=(
            'Patriotic or group-identity language such as "every true patriot", "our '
            'people" or "for the sake of the nation" used as the reason to agree.'
        ),
        example="Anyone who truly loves this country will back the bill without hesitation.",
    ),
    Technique(
        name="Appeal_to_Authority",
        label="Appeal to authority",
        category="Justification",
        definition=(
            "Treats a claim as true mainly because someone presented as an authority said "
            "so, whether or not they are an expert on the question."
        ),
        look_for=(
            "Experts, officials, celebrities or institutions quoted or named as the main "
            "reason to accept a claim, with little evidence of their own."
        ),
        example="A Nobel prize winner says this diet works, so there is nothing to debate.",
    ),
    Technique(
        name="Appeal_to_Popularity",
        label="Appeal to popularity",
        category="Justification",
        definition=(
            "Suggests that a view is right, or an action wise, because many people, or "
            '"everyone", already hold it or do it.'
        ),
        look_for=(
            '"Everyone knows", "millions agree", "most people", poll figures used as '
            "proof, or a fear of being left behind."
        ),
        example="Millions of families have already switched, so why haven't you?",
    ),
    Technique(
        name="Appeal_to_Values",
        label="Appeal to values",
        category="Justification",
        definition=(
            "Justifies a position by tying it to values the audience cherishes, such as "
            "freedom, tradition, fairness or faith, without showing that it really serves them."
        ),
        look_for=(
            "Lofty value words (freedom, democracy, family, justice, tradition) offered as "
            "the reason to support or reject something."
        ),
        example="Backing this reform is simply a matter of standing up for freedom.",
    ),
    Technique(
        name="Appeal_to_Fear-Prejudice",
        label="Appeal to fear or prejudice",
        category="Justification",
        definition=(
            "Pushes the audience towards a view by stirring up fear of what will happen "
            "otherwise, or by playing on existing prejudice against a group."
        ),
        look_for=(
            "Warnings of danger or disaster, vivid threats, and negative stereotypes of "
            "outsiders used as the reason to act or agree."
        ),
        example="If we let them open that centre, our streets will never be safe again.",
    ),
    # --- Simplification -------------------------------------------------------------------
    Technique(
        name="Causal_Oversimplification",
        label="Causal oversimplification",
        category="Simplification",
        definition=(
            "Blames a complex outcome on a single cause or culprit, ignoring the many other "
            "factors that played a part."
        ),
        look_for=(
            '"The reason is simply", "all because of", and one cause offered for broad '
            "problems such as crime, prices or unemployment."
        ),
        example="Shop prices are up for one reason only: the new bike lanes.",
    ),
    Technique(
        name="False_Dilemma-No_Choice",
        label="False dilemma or no choice",
        category="Simplification",
        definition=(
            "Presents only two options, or just one, as if no others existed, so that the "
            "favoured choice looks unavoidable."
        ),
        look_for=(
            '"Either ... or", "there is no alternative", "the only way", and choices '
            'framed as "with us or against us".'
        ),
        example="Either we close the library or the whole town goes bankrupt.",
    ),
    Technique(
        name="Consequential_Oversimplification",
        label="Consequential oversimplification",
        category="Simplification",
        definition=(
            "Claims that a first step will set off a chain of ever worse (or ever better) "
            "results without showing why each step would follow; often called a slippery slope."
        ),
        look_for=(
            'Chains of "if this, then that, and soon ...", or a leap from a small change '
            "to an extreme end point."
        ),
        example=(
            "Allow a four-day week today and tomorrow nobody will work and the economy "
            "will collapse."
        ),
    ),
    # --- Distraction ----------------------------------------------------------------------
    Technique(
        name="Straw_Man",
        label="Straw man",
        category="Distraction",
        definition=(
            "Restates an opponent's position in a weaker or more extreme form, then knocks "
            "down that distorted version instead of what was actually said."
        ),
        look_for=(
            '"So what they are really saying is", paraphrases of the other side that sound '
            "absurd, and rebuttals of claims nobody made."
        ),
        example="My opponent wants safer roads, so apparently she wants to ban cars outright.",
    ),
    Technique(
        name="Red_Herring",
        label="Red herring",
        category="Distraction",
        definition=(
            "Brings in an irrelevant topic to pull attention away from the point under "
            "discussion, often one that is more emotive or easier to argue about."
        ),
        look_for=(
            "Abrupt changes of subject, answers to a different question from the one asked, "
            "and emotionally charged side issues."
        ),
        example=(
            "Asked about hospital waiting lists, the minister spoke about how proud he is "
            "of the national football team."
        ),
    ),
    Technique(
        name="Whataboutism",
        label="Whataboutism",
        category="Distraction",
        definition=(
            "Deflects criticism by pointing to something bad that the critic or someone "
            "else has done, instead of answering the criticism itself."
        ),
        look_for=(
            '"What about ...?", "and yet they ...", and counter-accusations that answer '
            "one charge with another."
        ),
        example="You complain about our pollution, but what about the factories in your country?",
    ),
    # --- Call -----------------------------------------------------------------------------
    Technique(
        name="Slogans",
        label="Slogans",
        category="Call",
        definition=(
            "Uses a short, punchy, memorable phrase to rally support or stir emotion, "
            "standing in for an actual argument."
        ),
        look_for=(
            "Brief catchphrases, chants or hashtags, often rhythmic or in capitals, and "
            "often closing a paragraph."
        ),
        example="Our town, our rules!",
    ),
    Technique(
        name="Conversation_Killer",
        label="Conversation killer",
        category="Call",
        definition=(
            "Uses a stock phrase meant to end the discussion or discourage critical "
            "thought, treating the matter as settled."
        ),
        look_for=(
            'Clichés such as "it is what it is", "end of story" or "enough said", and '
            "dismissals that make further questions seem pointless."
        ),
        example="The rules are the rules, and that's the end of it.",
    ),
    Technique(
        name="Appeal_to_Time",
        label="Appeal to time",
        category="Call",
        definition=(
            "Presses for action by insisting that the moment is now or never, leaving no "
            "room to weigh the decision."
        ),
        look_for=(
            'Deadlines, countdowns, "now is the time", "before it\'s too late" or "we '
            'cannot wait any longer".'
        ),
        example="The window is closing: act today or lose this chance for good.",
    ),
    # --- Manipulative wording -------------------------------------------------------------
    Technique(
        name="Loaded_Language",
        label="Loaded language",
        category="Manipulative wording",
        definition=(
            "Uses words or phrases with strong emotional overtones, positive or negative, "
            "to steer how the reader feels about the subject."
        ),
        look_for=(
            'Vivid, emotive adjectives, verbs and metaphors ("disastrous", "heroic", '
            '"flood", "slaughter") where neutral words would do.'
        ),
        example="The council rammed through its disastrous scheme in a shameful midnight vote.",
    ),
    Technique(
        name="Obfuscation-Vagueness-Confusion",
        label="Obfuscation, vagueness or confusion",
        category="Manipulative wording",
        definition=(
            "Uses deliberately unclear, ambiguous or evasive wording so that readers can "
            "read into it what they like and the writer cannot be pinned down."
        ),
        look_for=(
            "Vague amounts, undefined terms, jargon, passive phrasing that hides who acted, "
            "and statements that could mean several things."
        ),
        example="Certain measures may be taken in due course, as appropriate, by those concerned.",
    ),
    Technique(
        name="Exaggeration-Minimisation",
        label="Exaggeration or minimisation",
        category="Manipulative wording",
        definition=(
            "Makes something seem much bigger, worse or better than it is, or brushes off "
            "something serious as trivial."
        ),
        look_for=(
            'Superlatives and absolutes ("never", "always", "the worst ever"), or '
            'playing-down words such as "just", "merely" or "a minor hiccup".'
        ),
        example="This is the greatest betrayal in the history of our country.",
    ),
    Technique(
        name="Repetition",
        label="Repetition",
        category="Manipulative wording",
        definition=(
            "Repeats the same word, phrase or idea again and again so that it sticks and "
            "starts to feel true through sheer familiarity."
        ),
        look_for=(
            "The same phrase, claim or slogan recurring across sentences or paragraphs, "
            "with little new information each time."
        ),
        example="They failed us on jobs, they failed us on housing, they failed us on schools.",
    ),
]

TECHNIQUE_NAMES: list[str] = [t.name for t in TECHNIQUES]
CATEGORY_NAMES: list[str] = [c.name for c in CATEGORIES]

_TECHNIQUES_BY_NAME: dict[str, Technique] = {t.name: t for t in TECHNIQUES}
_CATEGORIES_BY_NAME: dict[str, Category] = {c.name: c for c in CATEGORIES}

# Other common names people type for a technique (matched like labels, case-insensitive).
_TECHNIQUE_ALIASES: dict[str, tuple[str, ...]] = {
    "Name_Calling-Labeling": ("name calling", "labelling", "labeling", "ad hominem"),
    "Appeal_to_Popularity": ("bandwagon",),
    "Consequential_Oversimplification": ("slippery slope",),
    "False_Dilemma-No_Choice": ("black and white", "either or"),
    "Conversation_Killer": ("thought terminating cliche", "thought-terminating cliché"),
    "Exaggeration-Minimisation": ("exaggeration minimization", "minimization"),
    "Whataboutism": ("whataboutery", "tu quoque"),
}

# How data files may spell a technique besides its name and label: the long forms of the
# SemEval-2023 Task 3 guidelines, their other names in brackets, and the names of the older
# SemEval-2020 Task 11 data. Matched like data labels (see `technique_name_in_data`).
_DATA_SPELLINGS: dict[str, tuple[str, ...]] = {
    "Name_Calling-Labeling": ("Name_Calling,Labeling",),
    "Guilt_by_Association": ("Reductio_ad_Hitlerum",),
    "Appeal_to_Hypocrisy": ("Tu quoque",),
    "Appeal_to_Popularity": ("Bandwagon",),
    "False_Dilemma-No_Choice": ("Black-and-White_Fallacy", "Black and white"),
    "Consequential_Oversimplification": ("Slippery slope",),
    "Conversation_Killer": ("Thought-terminating_Cliches", "Thought-terminating cliche",
                            "Thought-terminating cliché"),
    "Exaggeration-Minimisation": ("Exaggeration,Minimisation", "Exaggeration-Minimization",
                                  "Exaggeration or minimization"),
    "Obfuscation-Vagueness-Confusion": ("Obfuscation,Intentional_Vagueness,Confusion",),
}

_CONNECTIVES = frozenset({"or", "and"})


def _data_key(spelling: str) -> str:
    """Case, `_`/`-`/`/`/`,` and the words "or"/"and" do not matter ("Appeal to fear or
    prejudice" is "Appeal_to_Fear-Prejudice")."""
    return " ".join(word for word in normalise(spelling).split() if word not in _CONNECTIVES)


_NAMES_BY_DATA_KEY: dict[str, str] = {
    _data_key(spelling): t.name
    for t in TECHNIQUES
    for spelling in (t.name, t.label, *_DATA_SPELLINGS.get(t.name, ()))
}


def technique_name_in_data(spelling: str) -> str | None:
    """The technique name a label in a data file (gold labels, spans, predictions) stands
    for, or None when it names no technique.

    Stricter than `resolve_technique`: no prefixes or loose aliases, only spellings of one
    technique: any case, spaces, hyphens or underscores ("Loaded language",
    "loaded-language"), the human label ("Casting_Doubt" for the data's "Doubt") and the
    task's long and former names ("Appeal to fear, prejudice", "Black-and-White_Fallacy").
    """
    return _NAMES_BY_DATA_KEY.get(_data_key(spelling))


def technique(name: str) -> Technique:
    """The technique with this exact label string (e.g. "Loaded_Language")."""
    try:
        return _TECHNIQUES_BY_NAME[name]
    except KeyError:
        raise KeyError(
            f"unknown technique {name!r}; expected one of: {', '.join(TECHNIQUE_NAMES)} "
            "(use resolve_technique() for looser matching)"
        ) from None


def category(name: str) -> Category:
    """The category with this exact name (e.g. "Attack on reputation")."""
    try:
        return _CATEGORIES_BY_NAME[name]
    except KeyError:
        raise KeyError(
            f"unknown category {name!r}; expected one of: {', '.join(CATEGORY_NAMES)} "
            "(use resolve_category() for looser matching)"
        ) from None


def category_of(name: str) -> str:
    """Name of the category that the technique with this exact label string belongs to."""
    return technique(name).category


def techniques_in(category_name: str) -> list[Technique]:
    """The techniques in a category, in taxonomy order."""
    category(category_name)  # raises a helpful KeyError for unknown names
    return [t for t in TECHNIQUES if t.category == category_name]


def resolve_technique(user_text: str) -> str:
    """Turn what a user typed into a technique's exact label string.

    Accepts label strings and human labels in any case, with spaces, hyphens or underscores,
    common alternative names ("slippery slope") and unique prefixes ("loaded", "name
    calling"). Raises ValueError, listing the valid names, when nothing or several match.
    """
    keys = {t.name: (t.label, *_TECHNIQUE_ALIASES.get(t.name, ())) for t in TECHNIQUES}
    return resolve(user_text, keys, "technique")


def resolve_category(user_text: str) -> str:
    """Turn what a user typed into a category's exact name ("attack" -> "Attack on reputation").

    Same rules as resolve_technique().
    """
    return resolve(user_text, {c.name: () for c in CATEGORIES}, "category")
