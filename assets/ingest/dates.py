"""Date text -> date, vectorised: strftime formats tried in order, then Excel day numbers.

Impossible dates (31/02/2025) do not parse. A date outside 1900-2099 is rejected too:
chrono reads "30/04/24" with %d/%m/%Y as the year 24 AD, which is a typo, not a date.
A date two of the configured formats read as different days (04/05/2025 under dd/mm/yyyy
and mm/dd/yyyy) is ambiguous and rejected with that reason, never guessed.
"""

from __future__ import annotations

from datetime import date
from typing import TypeVar

import polars as pl

from assets.ingest.source_config import DateRules

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)

BLANK = "is blank"
EARLIEST = date(1900, 1, 1)
LATEST = date(2099, 12, 31)

# Excel date cells reach us as ISO text (see readers.cell_text), whatever the config says.
ISO_CELL_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S")

# Excel's 1900 date system: serial 1 = 1900-01-01, and serial 60 is 29 Feb 1900, a day
# that never was (kept for Lotus 1-2-3 compatibility). From 61 on, serial n is n days
# after 1899-12-30; below 60, n days after 1899-12-31.
_SERIAL_OF_1970_01_01 = 25569
_LAST_SERIAL = 2958465  # 9999-12-31

_HUMAN_DIRECTIVES = {
    "%d": "dd", "%m": "mm", "%Y": "yyyy", "%y": "yy", "%b": "Mon", "%B": "Month", "%H": "hh", "%M": "mm", "%S": "ss",
}


def date_exprs(text: pl.Expr, rules: DateRules, *, excel_source: bool = False) -> tuple[pl.Expr, pl.Expr]:
    """(date, problem) for a text column; problem is null when the date parsed."""
    stripped = text.str.strip_chars()
    candidates = _candidates(stripped, rules, excel_source)
    first = pl.coalesce(candidates)
    ambiguous = _ambiguous(candidates, first)
    parsed = pl.when(~ambiguous).then(first)
    return parsed, _problem(stripped, ambiguous, parsed, rules)


def date_columns(frame: FrameT, text: pl.Expr, rules: DateRules, *, excel_source: bool, value: str,
                 problem: str) -> FrameT:
    """date_exprs written to the columns `value` and `problem`, in stages: each format's
    reading is a column the ambiguity test and the problem read, where one expression
    would repeat it in every place it is used (polars does not share sub-expressions:
    with three formats, as every workbook source has, that was 3 to 4x slower)."""
    work = [f"__{value}_{part}" for part in ("stripped", "first", "ambiguous")]
    stripped, first, ambiguous = (pl.col(name) for name in work)
    frame = frame.with_columns(text.str.strip_chars().alias(work[0]))
    candidates = _candidates(stripped, rules, excel_source)
    readings = [f"__{value}_reading_{index}" for index in range(len(candidates))]
    frame = frame.with_columns(c.alias(name) for c, name in zip(candidates, readings))
    columns = [pl.col(name) for name in readings]
    frame = frame.with_columns(pl.coalesce(columns).alias(work[1]))
    frame = frame.with_columns(_ambiguous(columns, first).alias(work[2]))
    frame = frame.with_columns(pl.when(~ambiguous).then(first).alias(value))
    frame = frame.with_columns(_problem(stripped, ambiguous, pl.col(value), rules).alias(problem))
    return frame.drop(*work, *readings)


def _formats(rules: DateRules, excel_source: bool) -> list[str]:
    return [*rules.formats, *(ISO_CELL_FORMATS if excel_source else ())]


def _candidates(stripped: pl.Expr, rules: DateRules, excel_source: bool) -> list[pl.Expr]:
    """The date each accepted shape reads the text as (null where it reads none), in order."""
    candidates = [_plausible(stripped.str.to_date(fmt, strict=False)) for fmt in _formats(rules, excel_source)]
    if rules.excel_serial:
        candidates.append(_plausible(_from_excel_serial(stripped)))
    return candidates


def _ambiguous(candidates: list[pl.Expr], first: pl.Expr) -> pl.Expr:
    # 04/05/2025 under both dd/mm/yyyy and mm/dd/yyyy is two different days: refuse to guess.
    if len(candidates) < 2:
        return pl.lit(False)
    return pl.any_horizontal([(c.is_not_null() & (c != first)) for c in candidates[1:]])


def _problem(stripped: pl.Expr, ambiguous: pl.Expr, parsed: pl.Expr, rules: DateRules) -> pl.Expr:
    is_blank = stripped.is_null() | (stripped == "")
    return (
        pl.when(is_blank)
        .then(pl.lit(BLANK))
        .when(ambiguous)
        .then(pl.lit(f"is ambiguous: two of the formats read it as different days ({expected_shapes(rules)}); "
                     "keep the partner's one format in dates.formats"))
        .when(parsed.is_null())
        .then(pl.lit(f"is not a valid date ({expected_shapes(rules)})"))
    )


def expected_shapes(rules: DateRules) -> str:
    """The accepted shapes in words: 'expected dd/mm/yyyy or an Excel day number'."""
    shapes = [human_format(fmt) for fmt in rules.formats]
    if rules.excel_serial:
        shapes.append("an Excel day number")
    return "expected " + " or ".join(shapes)


def human_format(fmt: str) -> str:
    for directive, words in _HUMAN_DIRECTIVES.items():
        fmt = fmt.replace(directive, words)
    return fmt


def _plausible(parsed: pl.Expr) -> pl.Expr:
    return pl.when(parsed.is_between(pl.lit(EARLIEST), pl.lit(LATEST))).then(parsed)


def _from_excel_serial(text: pl.Expr) -> pl.Expr:
    # A time of day is the fraction (45412.75 is 6pm): the date is the whole part.
    serial = text.str.extract(r"^([0-9]{1,7})(?:\.[0-9]+)?$", 1).cast(pl.Int64, strict=False)
    days_since_1970 = (
        pl.when(serial.is_between(1, 59))
        .then(serial - (_SERIAL_OF_1970_01_01 - 1))
        .when(serial.is_between(61, _LAST_SERIAL))
        .then(serial - _SERIAL_OF_1970_01_01)
    )
    return days_since_1970.cast(pl.Int32).cast(pl.Date)


def parse_date(text: str | None, rules: DateRules | None = None, *, excel_source: bool = False) -> date:
    """One date, for previews and tests; ValueError says why it is not a date."""
    parsed, problem = date_exprs(pl.col("text"), rules or DateRules(), excel_source=excel_source)
    row = pl.DataFrame({"text": [text]}, schema={"text": pl.String}).select(parsed, problem.alias("problem")).row(0)
    if row[1] is not None:
        raise ValueError(f"{text!r} {row[1]}")
    return row[0]
