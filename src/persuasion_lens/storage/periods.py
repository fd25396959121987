"""The calendar periods of the over-time statistics: every period from the first to the last,
those without articles included, so that charts space them as the calendar does."""

from __future__ import annotations

import datetime as dt

UNITS = ("day", "month")


def period_key(day: dt.date, unit: str) -> str:
    """'2024-03' for a month, '2024-03-07' for a day."""
    return day.strftime("%Y-%m") if unit == "month" else day.isoformat()


def periods_between(first: dt.date, last: dt.date, unit: str) -> list[str]:
    """The keys of every period from the one holding `first` to the one holding `last`."""
    if unit not in UNITS:
        raise ValueError(f"unknown period unit {unit!r}")
    keys = []
    day = first.replace(day=1) if unit == "month" else first
    while day <= last:
        keys.append(period_key(day, unit))
        day = _next_month(day) if unit == "month" else day + dt.timedelta(days=1)
    return keys


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
