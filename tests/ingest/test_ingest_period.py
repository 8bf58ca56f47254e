"""Periods from file names."""

from __future__ import annotations

from datetime import date

import pytest

from assets.ingest.period import last_day, period_from_name

MONTH_NAME = r"(?i)spend over 25k - (?P<month>[a-z]+) (?P<year>\d{4})"
FISCAL = r"M(?P<fiscal_month>\d{2}) (?P<fy_start_year>\d{4})-\d{2}"


@pytest.mark.parametrize(
    ("name", "pattern", "period"),
    [
        ("NHS X ICB spend over 25k - April 2024.csv", MONTH_NAME, "2024-04"),
        ("NHS X ICB spend over 25k - Sept 2024.csv", MONTH_NAME, "2024-09"),
        ("NHS X ICB spend over 25k - SEP 2024_v2.csv", MONTH_NAME, "2024-09"),
        ("NHS X ICB Spend Over 25k - december 2025.csv", MONTH_NAME, "2025-12"),
        ("Spend_over_500_2024-04.csv", r"(?P<year>\d{4})-(?P<month>\d{2})", "2024-04"),
        ("fsc_lp_ledger_202603.csv", r"(?P<year>\d{4})(?P<month>\d{2})", "2026-03"),
        ("payments Apr-24.csv", r"(?P<month>[A-Za-z]{3})-(?P<year>\d{2})", "2024-04"),
        ("Haven management accounts M01 2024-25.xlsx", FISCAL, "2024-04"),
        ("Haven management accounts M09 2024-25.xlsx", FISCAL, "2024-12"),
        ("Haven management accounts M10 2024-25.xlsx", FISCAL, "2025-01"),
        ("Haven management accounts M12 2025-26 (revised).xlsx", FISCAL, "2026-03"),
    ],
)
def test_period_from_name(name: str, pattern: str, period: str) -> None:
    assert period_from_name(name, pattern) == period


@pytest.mark.parametrize(
    ("name", "pattern", "problem"),
    [
        ("notes.csv", MONTH_NAME, "does not match the period pattern"),
        ("NHS X ICB spend over 25k - Aprol 2024.csv", MONTH_NAME, "'Aprol' in the file name is not a month"),
        ("Spend_over_500_2024-13.csv", r"(?P<year>\d{4})-(?P<month>\d{2})", "'13' in the file name is not a month"),
        ("accounts M13 2024-25.xlsx", FISCAL, "'13' in the file name is not a fiscal month"),
    ],
)
def test_period_problems_are_explained(name: str, pattern: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        period_from_name(name, pattern)


def test_last_day() -> None:
    assert last_day("2024-02") == date(2024, 2, 29)
    assert last_day("2025-02") == date(2025, 2, 28)
    assert last_day("2026-03") == date(2026, 3, 31)


@pytest.mark.parametrize(
    ("name", "pattern", "period"),
    [
        ("Spend_over_500_2010-01.csv", r"(?P<year>\d{4})-(?P<month>\d{2})", "2010-01"),
        ("NHS X CCG spend over 25k - March 2013.csv", MONTH_NAME, "2013-03"),
        ("accounts M12 2012-13.xlsx", FISCAL, "2013-03"),
        ("payments Jan-14.csv", r"(?P<month>[A-Za-z]{3})-(?P<year>\d{2})", "2014-01"),
    ],
)
def test_periods_before_2024_are_as_good_as_any(name: str, pattern: str, period: str) -> None:
    assert period_from_name(name, pattern) == period


@pytest.mark.parametrize("name", ["Spend_over_500_2009-12.csv", "Spend_over_500_2100-01.csv", "Spend_over_500_0024-04.csv"])
def test_years_outside_2010_to_2099_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="is not a year openbook loads \\(2010 to 2099\\)"):
        period_from_name(name, r"(?P<year>\d{4})-(?P<month>\d{2})")
