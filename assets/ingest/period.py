"""Periods (calendar months, 'YYYY-MM') and how a file name tells us which one."""

from __future__ import annotations

import calendar
import re
from datetime import date

MONTH_NUMBERS: dict[str, int] = {}
for _number in range(1, 13):
    MONTH_NUMBERS[calendar.month_name[_number].lower()] = _number
    MONTH_NUMBERS[calendar.month_abbr[_number].lower()] = _number
MONTH_NUMBERS["sept"] = 9  # "Sept 2024" is common in NHS file names


def period_text(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def last_day(period: str) -> date:
    """The posting date of a line in a layout with no date column."""
    year, month = (int(part) for part in period.split("-"))
    return date(year, month, calendar.monthrange(year, month)[1])


def period_from_name(name: str, pattern: str) -> str:
    """Period of a file from its name; ValueError (plain English) when it cannot tell.

    The pattern's named groups are year + month, or fy_start_year + fiscal_month
    (financial years start in April: fiscal month 1 = April, 10 = January next year).
    """
    match = re.search(pattern, name)
    if match is None:
        raise ValueError(f"the file name does not match the period pattern {pattern}")
    groups = match.groupdict()
    if "fiscal_month" in groups:
        fiscal_month = _number(groups["fiscal_month"].upper().removeprefix("M"), "fiscal month", 1, 12)
        start_year = _year(groups["fy_start_year"])
        month = (fiscal_month + 2) % 12 + 1
        year = start_year if month >= 4 else start_year + 1
        return period_text(year, month)
    month_text = groups["month"]
    month = MONTH_NUMBERS.get(month_text.lower()) or _number(month_text, "month", 1, 12)
    return period_text(_year(groups["year"]), month)


def _year(text: str) -> int:
    year = _number(text, "year", 0, 9999)
    return 2000 + year if len(text.strip()) == 2 else year


def _number(text: str, what: str, low: int, high: int) -> int:
    if not re.fullmatch(r"\s*\d{1,4}\s*", text) or not low <= int(text) <= high:
        raise ValueError(f"{text!r} in the file name is not a {what} ({low} to {high})")
    return int(text)
