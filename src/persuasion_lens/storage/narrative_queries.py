"""Reading narratives and entity roles back (experimental; stored by `plens batch --narratives`).

`storage.queries` builds the article filter conditions and passes them here, so every function
respects the same `Filters` as the technique statistics. An article analysed with narratives
always has at least one narrative row (`Other` when none passes), so "has narrative rows" is
"was analysed with narratives" (`articles.narratives_version` marks it too).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from persuasion_lens.storage.corpus_names import corpus_names
from persuasion_lens.storage.outlets import outlet_spellings
from persuasion_lens.storage.periods import periods_between
from persuasion_lens.storage.schema import (
    NO_OUTLET,
    articles,
    entities,
    entity_fine_roles,
    narratives,
    outlet_or_none,
    subnarratives,
)
from persuasion_lens.taxonomy.roles import (
    STATED_ROLE_PROBABILITY,
    STATED_SIDE_PROBABILITY,
    SideReading,
    unclear_role_phrase,
)

NO_NARRATIVES = ("No narratives are stored: analyse the articles with `plens batch --narratives` "
                 "(on the same inputs and database: it adds them to the articles stored "
                 "without them).")
NO_MATCH = "No article matching the filters has narratives stored."


def narratives_stored(db: Any) -> bool:
    """Whether any article has narratives stored (`plens batch --narratives` ran on it): an
    article analysed with them always has at least one row, if only `Other`."""
    with db.engine.connect() as connection:
        return connection.execute(select(narratives.c.id).limit(1)).first() is not None


def narrative_condition(text: str) -> ColumnElement[bool]:
    """Articles with a narrative or subnarrative whose label contains `text` (any case)."""
    pattern = "%" + _escape_like(text.strip().lower()) + "%"
    matches = []
    for table in (narratives.alias("narrative_filter"), subnarratives.alias("subnarrative_filter")):
        # aliased and correlated to `articles` only: the enclosing query may read `narratives`
        matches.append(
            select(table.c.id)
            .where(table.c.article_id == articles.c.id,
                   func.lower(table.c.label).like(pattern, escape="\\"))
            .correlate(articles)
            .exists()
        )
    return or_(*matches)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- per article ------------------------------------------------------------------------------


def narratives_for(connection: Connection, article_ids: Sequence[int]) -> dict[int, dict]:
    """{article id: {"narratives", "subnarratives", "entities"}} for the articles that have
    narratives, in the JSON shape of `plens analyze --narratives` (entities carry a
    `mention_count` instead of their mention offsets, which are not stored)."""
    ids = sorted(set(article_ids))
    if not ids:
        return {}
    found: dict[int, dict[str, list]] = defaultdict(
        lambda: {"narratives": [], "subnarratives": [], "entities": []})
    for key, table in (("narratives", narratives), ("subnarratives", subnarratives)):
        for row in connection.execute(
            select(table.c.article_id, table.c.label, table.c.probability)
            .where(table.c.article_id.in_(ids))
            .order_by(table.c.article_id, table.c.id)  # as the model listed them
        ):
            found[row.article_id][key].append(
                {"label": row.label, "probability": round(float(row.probability), 4)})
    fine = _fine_roles_for(connection, ids)
    for row in connection.execute(
        select(entities).where(entities.c.article_id.in_(ids))
        .order_by(entities.c.article_id, entities.c.entity_index)
    ):
        found[row.article_id]["entities"].append({
            "entity": row.entity, "main_role": row.main_role,
            "main_role_probability": round(float(row.main_role_probability), 4),
            "role_is_clear": float(row.main_role_probability) >= STATED_ROLE_PROBABILITY,
            "fine_roles": fine.get((row.article_id, row.entity_index), []),
            "mentions": [], "mention_count": row.n_mentions,
            "at_odds_with_side": bool(row.at_odds_with_side),
        })
    for article_id, side in connection.execute(
        select(articles.c.id, articles.c.side_russian)
        .where(articles.c.id.in_(ids), articles.c.side_russian.is_not(None))
    ):
        found[article_id]["side_taken"] = SideReading(float(side)).to_dict()
    return {article_id: data for article_id, data in found.items() if data["narratives"]}


def _fine_roles_for(connection: Connection, ids: Sequence[int]) -> dict[tuple[int, int], list]:
    fine: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for row in connection.execute(
        select(entity_fine_roles).where(entity_fine_roles.c.article_id.in_(ids))
        .order_by(entity_fine_roles.c.id)
    ):
        fine[(row.article_id, row.entity_index)].append(
            {"label": row.label, "probability": round(float(row.probability), 4)})
    return fine


def entity_summary(entity: dict[str, Any]) -> str:
    """'United States: Antagonist (Instigator) ×4' (the flat export form); a role below the
    line from which roles are stated: 'Russia: role unclear (most likely Innocent 0.50) ×2'."""
    count = entity.get("mention_count") or len(entity.get("mentions") or [])
    if entity.get("role_is_clear") is False:
        role = unclear_role_phrase(entity["main_role"], entity["main_role_probability"])
    else:
        fine = ", ".join(r["label"] for r in entity.get("fine_roles") or [])
        role = entity["main_role"] + (f" ({fine})" if fine else "")
    return f"{entity['entity']}: {role} ×{count}"


# --- statistics -------------------------------------------------------------------------------

UNCLEAR_ROLE = "unclear"
TOP_ENTITIES = 20  # entities in the role tables of the report and the web page


def narrative_stats(connection: Connection, conditions: list[ColumnElement[bool]],
                    top_entities: int = TOP_ENTITIES) -> dict[str, Any]:
    """Narratives over time (per month) and by outlet (every outlet), the sides taken per
    outlet, and the roles given to the `top_entities` entities by outlet, over the articles
    that match `conditions` (on `articles`) and have narratives."""
    with_narratives = narratives.join(articles, articles.c.id == narratives.c.article_id)
    analysed = connection.execute(
        select(func.count(func.distinct(narratives.c.article_id)))
        .select_from(with_narratives).where(*conditions)
    ).scalar_one()
    if not analysed:
        stored = connection.execute(select(narratives.c.id).limit(1)).first() is not None
        return {"articles": 0, "message": NO_MATCH if stored else NO_NARRATIVES,
                "by_narrative": [],
                "over_time": {"unit": "month", "periods": []}, "by_outlet": [], "entities": [],
                "sides": []}
    by_narrative = [
        {"narrative": row.label, "articles": row.n, "share": row.n / analysed}
        for row in connection.execute(
            select(narratives.c.label, func.count().label("n"))
            .select_from(with_narratives).where(*conditions)
            .group_by(narratives.c.label)
            .order_by(func.count().desc(), narratives.c.label)
        )
    ]
    spelt = outlet_spellings(connection)
    return {
        "articles": analysed,
        "message": None,
        "by_narrative": by_narrative,
        "over_time": _over_time(connection, conditions),
        "by_outlet": _by_outlet(connection, conditions, spelt),
        "entities": _entity_roles(connection, conditions, top_entities, spelt),
        "sides": _sides_by_outlet(connection, conditions, spelt),
    }


def _sides_by_outlet(connection: Connection, conditions: list[ColumnElement[bool]],
                     spelt: Callable[[str | None], str]) -> list[dict[str, Any]]:
    """Per outlet (the most readings first), how many of its articles take each side
    of the Russia–Ukraine war: {"outlet", "articles" (with a side read), "russian_side",
    "opposing_side" (leaning either way), "stated_russian_side", "stated_opposing_side"
    (at or beyond the probability from which the reports state the side)}."""
    side = articles.c.side_russian
    counted = {
        "articles": func.count(),
        "russian_side": func.sum(case((side >= 0.5, 1), else_=0)),
        "stated_russian_side": func.sum(case((side >= STATED_SIDE_PROBABILITY, 1), else_=0)),
        "stated_opposing_side": func.sum(case((side <= 1 - STATED_SIDE_PROBABILITY, 1),
                                              else_=0)),
    }
    outlet = outlet_or_none()
    sums: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(counted, 0))
    for row in connection.execute(
        select(outlet.label("outlet"), *(value.label(name) for name, value in counted.items()))
        .where(*conditions, side.is_not(None))
        .group_by(outlet)
    ):
        for name in counted:
            sums[spelt(row.outlet)][name] += int(getattr(row, name))
    rows = [{"outlet": outlet_name, "articles": n["articles"], "russian_side": n["russian_side"],
             "opposing_side": n["articles"] - n["russian_side"],
             "stated_russian_side": n["stated_russian_side"],
             "stated_opposing_side": n["stated_opposing_side"]}
            for outlet_name, n in sums.items()]
    rows.sort(key=lambda row: (-row["articles"], row["outlet"]))
    return rows


def _month(day: Any) -> str:
    if isinstance(day, dt.datetime | dt.date):
        return day.strftime("%Y-%m")
    return str(day)[:7]


def _counts_by(connection: Connection, conditions: list[ColumnElement[bool]], key_column,
               bucket) -> dict[Any, dict]:
    """{bucket(key): {"articles": n with narratives, "by_narrative": {label: n}}}, for the
    articles matching `conditions` whose `key_column` is set."""
    grouped: dict[Any, dict[str, Any]] = defaultdict(
        lambda: {"articles": 0, "by_narrative": defaultdict(int)})
    joined = narratives.join(articles, articles.c.id == narratives.c.article_id)
    where = [*conditions, key_column.is_not(None)]
    for key, n in connection.execute(
        select(key_column, func.count(func.distinct(narratives.c.article_id)))
        .select_from(joined).where(*where).group_by(key_column)
    ):
        grouped[bucket(key)]["articles"] += n
    for key, label, n in connection.execute(
        select(key_column, narratives.c.label, func.count())
        .select_from(joined).where(*where).group_by(key_column, narratives.c.label)
    ):
        grouped[bucket(key)]["by_narrative"][label] += n
    return grouped


def _over_time(connection: Connection, conditions: list[ColumnElement[bool]]) -> dict[str, Any]:
    """Articles with each narrative per month of publication (undated articles left out),
    every month from the first to the last (those without articles have 0)."""
    grouped = _counts_by(connection, conditions, articles.c.published, _month)
    months = sorted(grouped)
    if months:
        months = periods_between(dt.date.fromisoformat(months[0] + "-01"),
                                 dt.date.fromisoformat(months[-1] + "-01"), "month")
    periods = [
        {"period": period, "articles": grouped[period]["articles"],
         "by_narrative": _most_first(grouped[period]["by_narrative"])}
        for period in months
    ]
    return {"unit": "month", "periods": periods}


def _by_outlet(connection: Connection, conditions: list[ColumnElement[bool]],
               spelt: Callable[[str | None], str]) -> list[dict[str, Any]]:
    """Articles with each narrative per outlet (those without one as NO_OUTLET; no rows
    where no article names its outlet)."""
    grouped = _counts_by(connection, conditions, outlet_or_none(), spelt)
    rows = [
        {"outlet": outlet, "articles": data["articles"],
         "by_narrative": _most_first(data["by_narrative"])}
        for outlet, data in grouped.items()
    ]
    rows.sort(key=lambda row: (-row["articles"], str(row["outlet"])))
    return with_outlets(rows)


def with_outlets(rows: list[dict]) -> list[dict]:
    """Rows per outlet, or none where no article names its outlet (one "(no outlet)" row
    compares nothing)."""
    return rows if any(row["outlet"] != NO_OUTLET for row in rows) else []


def _entity_roles(connection: Connection, conditions: list[ColumnElement[bool]],
                  top: int, spelt: Callable[[str | None], str]) -> list[dict[str, Any]]:
    """The `top` entities found in the most articles (the most mentioned first among equals),
    with the main roles given to them in each outlet:
    {"entity", "spellings", "articles", "mentions", "roles": {role: n}, "by_outlet": [...]}.
    A role is counted once per article (the entity's role in that article). The spellings of
    a listed person or place ("Путин", "Poutine": `corpus_names`) are one entity, shown under
    its English name and ranked as one; "spellings" are the stored names it was found as."""
    shown_as = _shown_names(connection)
    rows = (
        select(shown_as.label("shown"), entities.c.entity, entities.c.article_id,
               entities.c.n_mentions, articles.c.outlet,
               # a role below the probability the reports state roles at counts as "unclear"
               case((entities.c.main_role_probability >= STATED_ROLE_PROBABILITY,
                     entities.c.main_role), else_=UNCLEAR_ROLE).label("role"))
        .select_from(entities.join(articles, articles.c.id == entities.c.article_id))
        .where(*conditions)
        .subquery("entity_rows")
    )
    # distinct articles: an article can hold two rows of one entity ("Путин" and "Владимир
    # Путин"; or "Киев" and "Киева" in a database stored before one shown name made one entity)
    in_articles = func.count(func.distinct(rows.c.article_id))
    leaders = connection.execute(
        select(rows.c.shown, in_articles.label("n"), func.sum(rows.c.n_mentions).label("mentions"))
        .group_by(rows.c.shown)
        .order_by(in_articles.desc(), func.sum(rows.c.n_mentions).desc(), rows.c.shown)
        .limit(top)
    ).all()
    if not leaders:
        return []
    led = rows.c.shown.in_([row.shown for row in leaders])
    roles: dict[str, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int)))
    for shown, outlet, role, n in connection.execute(
        select(rows.c.shown, rows.c.outlet, rows.c.role, in_articles).where(led)
        .group_by(rows.c.shown, rows.c.outlet, rows.c.role)
    ):
        roles[shown][spelt(outlet)][role] += n
    spellings: dict[str, dict[str, int]] = defaultdict(dict)
    for shown, entity, n in connection.execute(
        select(rows.c.shown, rows.c.entity, in_articles).where(led)
        .group_by(rows.c.shown, rows.c.entity)
    ):
        spellings[shown][entity] = n
    return [_entity_row(leader, roles[leader.shown], list(_most_first(spellings[leader.shown])))
            for leader in leaders]


def _shown_names(connection: Connection) -> ColumnElement[str]:
    """The name each entity row is shown under: the English name of a listed person or place
    for its other spellings, else the stored name."""
    stored = connection.execute(select(entities.c.entity).distinct()).scalars().all()
    spellings_of: dict[str, list[str]] = defaultdict(list)
    for name, shown in corpus_names(stored).items():
        spellings_of[shown].append(name)
    if not spellings_of:
        return entities.c.entity
    return case(*((entities.c.entity.in_(sorted(names)), shown)
                  for shown, names in sorted(spellings_of.items())),
                else_=entities.c.entity)


def _entity_row(leader: Any, per_outlet: dict[str, dict[str, int]],
                spellings: list[str]) -> dict[str, Any]:
    totals: dict[str, int] = defaultdict(int)
    for outlet_roles in per_outlet.values():
        for role, n in outlet_roles.items():
            totals[role] += n
    by_outlet = [{"outlet": outlet, "roles": _most_first(outlet_roles)}
                 for outlet, outlet_roles in per_outlet.items()]
    by_outlet.sort(key=lambda item: (-sum(item["roles"].values()), item["outlet"]))
    return {"entity": leader.shown, "spellings": spellings, "articles": leader.n,
            "mentions": int(leader.mentions or 0), "roles": _most_first(totals),
            "by_outlet": by_outlet}


def _most_first(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def roles_text(roles: dict[str, int]) -> str:
    """'Antagonist 12, Protagonist 1'."""
    return ", ".join(f"{role} {n}" for role, n in roles.items())
