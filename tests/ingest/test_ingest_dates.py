"""Date text in every shape partner files use; impossible dates are rejected."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from assets.ingest.dates import date_exprs, parse_date
from assets.ingest.source_config import DateRules

UK = DateRules(formats=["%d/%m/%Y"])
ALL = DateRules(formats=["%d/%m/%Y", "%Y-%m-%d", "%d-%b-%y"], excel_serial=True)


@pytest.mark.parametrize(
    ("text", "rules", "expected"),
    [
        ("30/04/2024", UK, date(2024, 4, 30)),
        ("1/4/2024", UK, date(2024, 4, 1)),
        (" 30/04/2024 ", UK, date(2024, 4, 30)),
        ("2024-04-30", ALL, date(2024, 4, 30)),
        ("30-Apr-20", ALL, date(2020, 4, 30)),
        ("30-APR-20", ALL, date(2020, 4, 30)),
        ("4/30/2024", DateRules(formats=["%m/%d/%Y"]), date(2024, 4, 30)),
        ("45412", ALL, date(2024, 4, 30)),
        ("45412.75", ALL, date(2024, 4, 30)),  # a time of day
        ("61", ALL, date(1900, 3, 1)),  # after Excel's phantom 29 Feb 1900
        ("59", ALL, date(1900, 2, 28)),
        ("1", ALL, date(1900, 1, 1)),
        ("29/02/2024", UK, date(2024, 2, 29)),
    ],
)
def test_date_shapes(text: str, rules: DateRules, expected: date) -> None:
    assert parse_date(text, rules) == expected


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        ("31/02/2025", UK),  # impossible
        ("29/02/2025", UK),  # not a leap year
        ("31-Apr-20", ALL),
        ("30/04/24", UK),  # a two-digit year in a four-digit format would be 24 AD
        ("2024-04-30", UK),  # not a configured format
        ("45412", UK),  # day numbers only when excel_serial is on
        ("60", ALL),  # 29 Feb 1900 never was
        ("0", ALL),
        ("13/12/2024", DateRules(formats=["%m/%d/%Y"])),  # month 13
        ("yesterday", ALL),
    ],
)
def test_bad_dates(text: str, rules: DateRules) -> None:
    with pytest.raises(ValueError, match="is not a valid date"):
        parse_date(text, rules)


def test_blank_is_its_own_problem() -> None:
    with pytest.raises(ValueError, match="is blank"):
        parse_date("  ", UK)


def test_a_date_two_formats_read_as_different_days_is_refused_not_guessed() -> None:
    both = DateRules(formats=["%d/%m/%Y", "%m/%d/%Y"])
    assert parse_date("04/30/2024", both) == date(2024, 4, 30)  # only month-first fits
    assert parse_date("30/04/2024", both) == date(2024, 4, 30)  # only day-first fits
    assert parse_date("05/05/2024", both) == date(2024, 5, 5)   # both fit, the same day
    with pytest.raises(ValueError, match="is ambiguous: two of the formats read it as different days"):
        parse_date("04/05/2024", both)
    assert parse_date("04/05/2024", DateRules(formats=["%d/%m/%Y"])) == date(2024, 5, 4)  # one format: no doubt
    two_digit_too = DateRules(formats=["%d/%m/%Y", "%d/%m/%y"])  # 01/04/24 as 24 AD is no date: 2024
    assert parse_date("01/04/24", two_digit_too) == date(2024, 4, 1)


def test_excel_cells_arrive_as_iso_text_whatever_the_formats() -> None:
    assert parse_date("2024-04-30", UK, excel_source=True) == date(2024, 4, 30)
    assert parse_date("2024-04-30 13:05:00", UK, excel_source=True) == date(2024, 4, 30)


def test_message_names_the_expected_shapes() -> None:
    _, problem = date_exprs(pl.col("d"), ALL)
    result = pl.DataFrame({"d": ["nope"]}).select(problem).item()
    assert result == "is not a valid date (expected dd/mm/yyyy or yyyy-mm-dd or dd-Mon-yy or an Excel day number)"
