"""The one money parser: text as partners write it -> DECIMAL(18,2), never via float.

Shapes understood (all tested in tests/ingest/test_ingest_money.py):
  "1,234.50"  "1234.5"  " 12 "  "-1234"  "+12"  ".5"      plain, padded, signed
  "£1,234"  "£ 1,234.00"  "-£5"  "(£5.00)"                 currency symbols anywhere
  "(12.00)"                                                brackets: negative
  "12.00-"                                                 trailing minus: negative
  "12.00 CR" / "12.00 DR"                                  when cr_dr_suffix is on
  "1\u00a0234.50"  "\u00a012.00\u00a0"                     no-break space as grouping or padding
Rejected with a reason: blank, letters or stray symbols, misplaced thousands separators
("1,23.00"), two negative markers ("-(5)"), exponents ("1E5"), more than two decimal
places that are not zeros ("12.345"; "12.3400" is fine: no money is lost; with
sub_penny: round it is 12.35, half away from zero, as Excel shows it), more than
16 digits before the point (DECIMAL(18,2) holds no more), and, unless the config says the
partner writes three decimals, "1.500": 1.50, or 1,500 with a dot grouping thousands?

The parser is a few polars column stages, vectorised over millions of rows;
`parse_money` runs the same stages on one value (previews and tests).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypeVar

import polars as pl

from assets.ingest.canonical import AMOUNT_DTYPE
from assets.ingest.source_config import AmountRules

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)

BLANK = "is blank"
NOT_AN_AMOUNT = "is not an amount"
# the fix is named: a workbook cell can hold a formula's fraction of a penny that Excel shows as pence
TOO_PRECISE = ("has more than 2 decimal places (a workbook's fraction of a penny? amounts.sub_penny: round "
               "rounds it to the pence shown)")
TOO_LARGE = "is too large (more than 16 digits before the decimal point)"
AMBIGUOUS = ("is ambiguous: a dot before three digits may group thousands (1.500 = 1,500?); write 2 decimal "
             "places, or set amounts.ambiguous_dot: decimal if the partner's system writes three")

# After _normalise the only grouping character is ',' and there is no whitespace.
_NUMBER = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.[0-9]*)?"
_SIGNIFICANT_THIRD_DECIMAL = r"\.[0-9]{2}0*[1-9]"  # 12.345 yes; 12.3400 no: no money is lost
_SEVENTEEN_DIGITS = r"^0*[1-9][0-9]{16}"  # DECIMAL(18,2) holds 16 digits before the point
_DOT_BEFORE_THREE = r"^[0-9]{1,3}\.[0-9]{3}$"   # on the digits alone: no ',' grouping elsewhere
_INVALID = "#"  # a character no valid amount contains, to make a shape fail on purpose


def money_columns(
    frame: FrameT, source: str, rules: AmountRules, *, value: str, problem: str
) -> FrameT:
    """Add `value` (Decimal(18,2), null unless it parsed) and `problem` (null, or one of
    BLANK, NOT_AN_AMOUNT, TOO_PRECISE, TOO_LARGE, AMBIGUOUS) for the text column `source`.

    Built in stages, each reading the columns the last one wrote: one big expression
    would repeat its shared parts (polars expands expressions into trees) and was 100x
    slower on a million rows.
    """
    clean, digits, shaped, negative = (f"__{value}_{part}" for part in ("clean", "digits", "shaped", "negative"))
    stripped = pl.col(source).str.strip_chars()
    frame = frame.with_columns(
        _normalise(stripped, rules).alias(clean),
        (stripped.is_null() | (stripped == "")).alias(problem),  # blank, for now
    )
    text = pl.col(clean)
    frame = frame.with_columns(
        (text.str.contains(_shape(rules)) & text.str.contains("[0-9]", literal=False)).alias(shaped),
        (
            text.str.starts_with("-")
            | text.str.starts_with("(")
            | text.str.ends_with("-")
            | text.str.to_uppercase().str.ends_with("CR")
        ).alias(negative),
        text.str.replace_all(r"[^0-9.]", "").alias(digits),
    )
    number = pl.col(digits)
    frame = frame.with_columns(
        pl.when(pl.col(problem))
        .then(pl.lit(BLANK))
        .when(~pl.col(shaped))
        .then(pl.lit(NOT_AN_AMOUNT))
        .when(pl.lit(rules.sub_penny == "refuse") & number.str.contains(_SIGNIFICANT_THIRD_DECIMAL))
        .then(pl.lit(TOO_PRECISE))
        .when(number.str.contains(_SEVENTEEN_DIGITS))
        .then(pl.lit(TOO_LARGE))
        .when(pl.lit(_dot_may_group(rules)) & number.str.contains(_DOT_BEFORE_THREE)
              & ~text.str.contains(",", literal=True))
        .then(pl.lit(AMBIGUOUS))
        .alias(problem)
    )
    if rules.sub_penny == "round":
        magnitude = _pence_half_up(number)
    else:
        magnitude = number.cast(AMOUNT_DTYPE, strict=False)  # trailing zeros past 2 places drop exactly
    signed = pl.when(pl.col(negative)).then(-magnitude).otherwise(magnitude)
    frame = frame.with_columns(pl.when(pl.col(problem).is_null()).then(signed).cast(AMOUNT_DTYPE).alias(value))
    if rules.sub_penny == "round":
        # 9999999999999999.995 rounds up past what DECIMAL(18,2) holds: the cast leaves null.
        frame = frame.with_columns(
            pl.when(pl.col(problem).is_null() & pl.col(value).is_null()).then(pl.lit(TOO_LARGE))
            .otherwise(pl.col(problem)).alias(problem))
    return frame.drop(clean, digits, shaped, negative)


# The common case, typed by one cast: an optional minus, at most 16 digits (grouped by
# commas when the rules say ',' groups thousands) and at most 2 decimals, once currency
# symbols are dropped: "1234.50", "-12", "£1,234.5". For such text every stage of
# money_columns ends in the same value with no problem (no padding, marker, third decimal
# or 17th digit to judge), so only the other rows need the stages.
_PLAIN = r"[0-9]{1,16}"
_PLAIN_GROUPED = r"[0-9]{1,3}(?:,[0-9]{3}){1,4}|[0-9]{1,16}"  # at most 15 digits when grouped
_PLAIN_SHAPE = r"^-?(?:{number})(?:\.[0-9]{{1,2}})?$"
# A symbol or separator written with these would change what plain text reads as.
_PLAIN_CHARACTERS = frozenset("0123456789.,-")


def plain_is_exact(rules: AmountRules) -> bool:
    """Whether plain_money_columns types plain text exactly as money_columns does under these rules."""
    separator = rules.thousands_separator
    marks = [*rules.currency_symbols, "" if separator in (None, ",") else separator]
    return not any(_PLAIN_CHARACTERS & set(mark) for mark in marks)


def plain_money_columns(frame: FrameT, source: str, rules: AmountRules, *, value: str, problem: str,
                        unvouched: str) -> FrameT:
    """money_columns' `value` and `problem` for blank and plain text (see _PLAIN_SHAPE), and
    `unvouched`: true for any other text, whose value and problem only money_columns can tell.
    Only for rules where plain_is_exact."""
    stripped = pl.col(source).str.strip_chars()
    text = f"__{value}_plain"
    frame = frame.with_columns(_without_symbols(stripped, rules).alias(text))
    number = _PLAIN_GROUPED if rules.thousands_separator == "," else _PLAIN
    plain = pl.col(text).str.contains(_PLAIN_SHAPE.format(number=number))
    blank = stripped.is_null() | (stripped == "")
    magnitude = pl.col(text).str.replace_all(r"[-,]", "").cast(AMOUNT_DTYPE, strict=False)
    signed = pl.when(pl.col(text).str.starts_with("-")).then(-magnitude).otherwise(magnitude)
    return frame.with_columns(
        pl.when(blank).then(pl.lit(BLANK)).otherwise(pl.lit(None, pl.String)).alias(problem),
        pl.when(plain & ~blank).then(signed).cast(AMOUNT_DTYPE).alias(value),
        (~blank & ~plain.fill_null(False)).alias(unvouched),
    ).drop(text)


def _pence_half_up(digits: pl.Expr) -> pl.Expr:
    """Unsigned digits ("45.348") to pence, half away from zero (the sign is applied after,
    so -45.345 is -45.35, as Excel shows it). Done in text and exact decimals, never float,
    and not by casting to 2 places: polars rounds half to even there (0.005 -> 0.00).
    Only the third decimal decides, so the digits are cut to three, 0.005 added, and the
    result cut to two."""
    thousandths = digits.str.extract(r"^([0-9]*(?:\.[0-9]{0,3})?)", 1).cast(pl.Decimal(38, 3), strict=False)
    bumped = (thousandths + pl.lit(Decimal("0.005"), dtype=pl.Decimal(38, 3))).cast(pl.String)
    return bumped.str.extract(r"^([0-9]*(?:\.[0-9]{0,2})?)", 1).cast(AMOUNT_DTYPE, strict=False)


def _dot_may_group(rules: AmountRules) -> bool:
    return rules.ambiguous_dot == "refuse" and rules.thousands_separator is not None


def _shape(rules: AmountRules) -> str:
    """The whole cleaned text must be one of the shapes the rules allow."""
    shapes = [f"[+-]?{_NUMBER}"]
    if rules.brackets_negative:
        shapes.append(rf"\({_NUMBER}\)")
    if rules.trailing_minus:
        shapes.append(f"{_NUMBER}-")
    if rules.cr_dr_suffix:
        shapes.append(f"{_NUMBER}(?i:CR|DR)")
    return "^(?:" + "|".join(shapes) + ")$"


def _without_symbols(text: pl.Expr, rules: AmountRules) -> pl.Expr:
    for symbol in rules.currency_symbols:
        text = text.str.replace_all(symbol, "", literal=True)
    return text


def _normalise(text: pl.Expr, rules: AmountRules) -> pl.Expr:
    """Drop currency symbols and padding; turn every thousands separator into ','."""
    text = _without_symbols(text, rules)
    separator = rules.thousands_separator
    if separator != ",":
        # A comma is only allowed as the configured separator.
        text = text.str.replace_all(",", _INVALID, literal=True)
        if separator is not None and not separator.isspace():
            text = text.str.replace_all(separator, ",", literal=True)
    # Whitespace between two digits (a space or no-break space) groups thousands;
    # elsewhere it is padding, e.g. "£ 1,234.00" or "12.00 CR". Rust's \s covers U+00A0.
    grouping = "," if separator is not None else _INVALID
    text = text.str.replace_all(r"([0-9])\s+([0-9])", f"${{1}}{grouping}${{2}}")
    return text.str.replace_all(r"\s+", "")


def parse_money(text: str | None, rules: AmountRules | None = None) -> Decimal:
    """One amount, for previews and tests; ValueError says why it is not an amount."""
    frame = pl.DataFrame({"text": [text]}, schema={"text": pl.String})
    row = money_columns(frame, "text", rules or AmountRules(), value="amount", problem="problem").row(0, named=True)
    if row["problem"] is not None:
        raise ValueError(f"{text!r} {row['problem']}")
    return row["amount"]
