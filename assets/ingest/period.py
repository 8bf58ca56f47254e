"""Periods (calendar months, 'YYYY-MM'): from a file or sheet name, or per row from a
date column or NHS accounting year + period number columns (vectorised, polars).

Months run from 2010-01 to 2099-12 (source_config.FIRST_YEAR/LAST_YEAR): nothing here
assumes the demo's years. A year outside that range is refused, not guessed.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

import polars as pl

from assets.ingest.source_config import FIRST_YEAR, LAST_YEAR

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


def period_from_name(name: str, pattern: str, what: str = "file name") -> str:
    """Period of a file (or sheet) from its name; ValueError (plain English) when it cannot tell.

    The pattern's named groups are year + month, or fy_start_year + fiscal_month
    (financial years start in April: fiscal month 1 = April, 10 = January next year).
    """
    match = re.search(pattern, name)
    if match is None:
        raise ValueError(f"the {what} does not match the period pattern {pattern}")
    groups = match.groupdict()
    if "fiscal_month" in groups:
        fiscal_month = _number(groups["fiscal_month"].upper().removeprefix("M"), "fiscal month", 1, 12)
        return period_text(*fiscal_to_calendar(_year(groups["fy_start_year"]), fiscal_month))
    month_text = groups["month"]
    month = MONTH_NUMBERS.get(month_text.lower()) or _number(month_text, "month", 1, 12)
    return period_text(_year(groups["year"]), month)


def _year(text: str) -> int:
    year = _number(text, "year", 0, 9999)
    year = 2000 + year if len(text.strip()) == 2 else year
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"{text!r} is not a year openbook loads ({FIRST_YEAR} to {LAST_YEAR})")
    return year


def fiscal_to_calendar(start_year: int, fiscal_month: int) -> tuple[int, int]:
    """(year, month) of month `fiscal_month` (1 = April) of the financial year starting
    in April of `start_year`: 2023/24 period 1 is 2023-04, period 10 is 2024-01."""
    month = (fiscal_month + 2) % 12 + 1
    return (start_year if month >= 4 else start_year + 1), month


# --------------------------------------------------------------------------- per row

# "2023", "2023/24", "2023-24", "23/24", "2023/2024", "FY 2023/24"; Excel may show 2023.0.
_ACCOUNTING_YEAR = r"^(?i:fy)?\s*([0-9]{2}|[0-9]{4})(?:\.0+)?(?:\s*[/-]\s*([0-9]{2}|[0-9]{4}))?$"
# "1", "01", "P01", "M1", "Period 1", "1.0"
_PERIOD_NUMBER = r"^(?i:p|m|period)?\s*0*([0-9]{1,2})(?:\.0+)?$"


def month_of_date(parsed: pl.Expr) -> pl.Expr:
    """'YYYY-MM' of a date expression; null for a null date or a year out of range."""
    in_range = parsed.dt.year().is_between(FIRST_YEAR, LAST_YEAR)
    return pl.when(in_range).then(parsed.dt.strftime("%Y-%m"))


def month_of_year_period(year_text: pl.Expr, period_text: pl.Expr) -> pl.Expr:
    """'YYYY-MM' from NHS accounting-year and period-number text; null when either is
    blank, not in a known shape, a period outside 1..12, a year outside the range, or a
    year pair that is not consecutive ("2023/25")."""
    year = year_text.str.strip_chars()
    first = year.str.extract(_ACCOUNTING_YEAR, 1)
    second = year.str.extract(_ACCOUNTING_YEAR, 2)
    start = _full_year(first)
    end = _full_year(second)
    consecutive = second.is_null() | ((end - start) == 1)
    number = period_text.str.strip_chars().str.extract(_PERIOD_NUMBER, 1).cast(pl.Int32, strict=False)
    month = (number + 2) % 12 + 1
    calendar_year = pl.when(month >= 4).then(start).otherwise(start + 1)
    valid = consecutive & number.is_between(1, 12) & calendar_year.is_between(FIRST_YEAR, LAST_YEAR)
    text = calendar_year.cast(pl.String) + pl.lit("-") + month.cast(pl.String).str.zfill(2)
    return pl.when(valid.fill_null(False)).then(text)


def _full_year(digits: pl.Expr) -> pl.Expr:
    value = digits.cast(pl.Int32, strict=False)
    return pl.when(digits.str.len_chars() == 2).then(value + 2000).otherwise(value)


def last_day_of(month: pl.Expr) -> pl.Expr:
    """The last day of a 'YYYY-MM' expression's month, as a Date."""
    return (month + pl.lit("-01")).str.to_date("%Y-%m-%d", strict=False).dt.month_end()


def _number(text: str, what: str, low: int, high: int) -> int:
    if not re.fullmatch(r"\s*\d{1,4}\s*", text) or not low <= int(text) <= high:
        raise ValueError(f"{text!r} in the file name is not a {what} ({low} to {high})")
    return int(text)
