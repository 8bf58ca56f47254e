"""Calendar of the demo: 24 monthly periods, April 2024 to March 2026 (FY 2024-25 and 2025-26)."""
from __future__ import annotations

import calendar
from datetime import date, timedelta

FIRST_YEAR = 2024
PERIODS: tuple[str, ...] = tuple(
    f"{FIRST_YEAR + (offset + 3) // 12}-{(offset + 3) % 12 + 1:02d}" for offset in range(24)
)
FINANCIAL_YEARS: tuple[str, ...] = ("2024-25", "2025-26")
ASSESSED_YEAR = "2025-26"  # the year whose MHIS, place spend and contract payments are planted
PRIOR_YEAR = "2024-25"


def year_month(period: str) -> tuple[int, int]:
    return int(period[:4]), int(period[5:7])


def fy_of(period: str) -> str:
    """Financial year of a period: April 2024 .. March 2025 is '2024-25'."""
    year, month = year_month(period)
    start = year if month >= 4 else year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def fy_month(period: str) -> int:
    """Month number within the financial year: April is 1 (M01), March is 12."""
    return (year_month(period)[1] + 8) % 12 + 1


def periods_of_fy(fy: str) -> list[str]:
    return [p for p in PERIODS if fy_of(p) == fy]


def last_day(period: str) -> date:
    year, month = year_month(period)
    return date(year, month, calendar.monthrange(year, month)[1])


def days_in(period: str) -> int:
    return last_day(period).day


def month_name(period: str) -> str:
    return calendar.month_name[year_month(period)[1]]


def weekday_on_or_before(day: date) -> date:
    """Payment runs do not happen at weekends: move back to the Friday."""
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def payment_date(period: str, day_of_month: int) -> date:
    year, month = year_month(period)
    return weekday_on_or_before(date(year, month, min(day_of_month, days_in(period))))
