"""The 14 framing dimensions of SemEval-2023 Task 3, subtask 2.

`name` is the exact label string in the data; labels and definitions are our own wording.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Frame:
    """One framing dimension: the angle from which an article presents its topic."""

    name: str  # exact label string from the data
    label: str  # human-readable
    definition: str


FRAMES: list[Frame] = [
    Frame(
        "Economic",
        "Economic",
        "Presents the issue in terms of money: costs and benefits, jobs, taxes, prices, "
        "trade and the effect on businesses or the wider economy.",
    ),
    Frame(
        "Capacity_and_resources",
        "Capacity and resources",
        "Asks whether there is enough of something (staff, space, time, equipment, supplies) "
        "to cope, or dwells on shortages and overstretched systems.",
    ),
    Frame(
        "Morality",
        "Morality",
        "Treats the issue as a question of right and wrong, duty, conscience or religious belief.",
    ),
    Frame(
        "Fairness_and_equality",
        "Fairness and equality",
        "Asks whether people or groups are treated equally and get what they are due, "
        "including discrimination and unequal rights or burdens.",
    ),
    Frame(
        "Legality_Constitutionality_and_jurisprudence",
        "Legality, constitutionality and jurisprudence",
        "Looks at the issue through laws, rights, courts, constitutional limits and legal "
        "rulings or procedures.",
    ),
    Frame(
        "Policy_prescription_and_evaluation",
        "Policy prescription and evaluation",
        "Discusses what should be done: proposed policies, whether existing ones work and "
        "how they could be changed.",
    ),
    Frame(
        "Crime_and_punishment",
        "Crime and punishment",
        "Frames the issue around law-breaking, policing, criminal justice and the penalties "
        "offenders face.",
    ),
    Frame(
        "Security_and_defense",
        "Security and defence",
        "Focuses on threats to a country, community or person and on protection against "
        "them: the military, terrorism, borders and public order.",
    ),
    Frame(
        "Health_and_safety",
        "Health and safety",
        "Centres on physical or mental well-being: illness, healthcare, injuries, disease "
        "prevention and dangers to people's safety.",
    ),
    Frame(
        "Quality_of_life",
        "Quality of life",
        "Looks at how the issue affects people's everyday lives, comfort, opportunities and "
        "general well-being.",
    ),
    Frame(
        "Cultural_identity",
        "Cultural identity",
        "Ties the issue to a group's traditions, customs, language, heritage or sense of who "
        '"we" are.',
    ),
    Frame(
        "Public_opinion",
        "Public opinion",
        "Focuses on what the public thinks or feels: polls, protests, popular reactions and "
        "the mood on social media.",
    ),
    Frame(
        "Political",
        "Political",
        "Treats the issue as part of the contest for power: parties, elections, campaigns, "
        "political manoeuvring and who gains or loses from it.",
    ),
    Frame(
        "External_regulation_and_reputation",
        "External regulation and reputation",
        "Concerns a country's standing and dealings abroad: international pressure, "
        "treaties, sanctions, diplomacy and how other nations see it.",
    ),
]

FRAME_NAMES: list[str] = [f.name for f in FRAMES]
