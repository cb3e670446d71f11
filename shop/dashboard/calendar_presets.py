"""The yearly Japanese retail events the calendar starts with (F52), computed for any year.

Used by the data migration (the next twelve months from the day it runs) and by `manage.py
dashboard_calendar_prefill` for later years. Titles are in Japanese: they are the events' names.
"""

import datetime
from dataclasses import dataclass

SEASON, SALE = "season", "sale"


@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    kind: str
    starts_on: datetime.date
    ends_on: datetime.date
    notes: str


def nth_weekday(year: int, month: int, weekday: int, n: int) -> datetime.date:
    """The n-th weekday (0 = Monday) of the month: Mother's Day is nth_weekday(year, 5, 6, 2)."""
    first = datetime.date(year, month, 1)
    return first + datetime.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def presets_for(year: int) -> list[Preset]:
    """The events whose day falls in the year (年末年始 starts on 29 December of the year before)."""
    d = datetime.date
    mothers_day = nth_weekday(year, 5, 6, 2)
    fathers_day = nth_weekday(year, 6, 6, 3)
    black_friday = nth_weekday(year, 11, 3, 4) + datetime.timedelta(days=1)
    rows = [
        ("new-year", "年末年始", SEASON, d(year - 1, 12, 29), d(year, 1, 3), "年末年始の配送休業日を告知する。"),
        ("hatsuuri", "初売り", SALE, d(year, 1, 1), d(year, 1, 3), "新春の初売り。"),
        ("fukubukuro", "福袋", SALE, d(year, 1, 1), d(year, 1, 7), "予約販売は前年11〜12月。"),
        ("valentine", "バレンタインデー", SEASON, d(year, 2, 1), d(year, 2, 14), "2月14日。ギフト特集は1月下旬から。"),
        ("white-day", "ホワイトデー", SEASON, d(year, 3, 1), d(year, 3, 14), "3月14日。"),
        (
            "mothers-day",
            "母の日",
            SEASON,
            mothers_day - datetime.timedelta(days=13),
            mothers_day,
            f"{mothers_day:%m/%d}（5月第2日曜日）。",
        ),
        (
            "fathers-day",
            "父の日",
            SEASON,
            fathers_day - datetime.timedelta(days=13),
            fathers_day,
            f"{fathers_day:%m/%d}（6月第3日曜日）。",
        ),
        ("ochugen", "お中元", SEASON, d(year, 7, 1), d(year, 7, 15), "東日本は7月15日まで、西日本は8月15日まで。"),
        (
            "black-friday",
            "ブラックフライデー",
            SALE,
            black_friday,
            black_friday + datetime.timedelta(days=3),
            f"{black_friday:%m/%d}（11月第4木曜日の翌日）から週明けまで。",
        ),
        ("christmas", "クリスマス", SEASON, d(year, 12, 1), d(year, 12, 25), "12月25日。ギフト特集は11月下旬から。"),
    ]
    return [Preset(f"{key}-{year}", title, kind, start, end, notes) for key, title, kind, start, end, notes in rows]


def presets_between(start: datetime.date, end: datetime.date) -> list[Preset]:
    """Every preset whose last day is on or after start and whose first day is on or before end."""
    return [
        preset
        for year in range(start.year, end.year + 2)
        for preset in presets_for(year)
        if preset.ends_on >= start and preset.starts_on <= end
    ]


def presets_coming_year(today: datetime.date) -> list[Preset]:
    return presets_between(today, today + datetime.timedelta(days=364))
