"""The money parser on every shape seen in partner files."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from assets.ingest.money import AMBIGUOUS, TOO_PRECISE, money_columns, parse_money
from assets.ingest.source_config import AmountRules

NBSP = "\u00a0"

GOOD = [
    ("1,234.50", "1234.50"),
    ("1234.5", "1234.50"),
    ("1234", "1234.00"),
    (" 12 ", "12.00"),
    ("-1234", "-1234.00"),
    ("+12.00", "12.00"),
    (".5", "0.50"),
    ("5.", "5.00"),
    ("0", "0.00"),
    ("-0.01", "-0.01"),
    ("(12.00)", "-12.00"),
    ("(1,234.56)", "-1234.56"),
    ("£1,234", "1234.00"),
    ("£ 1,234.00", "1234.00"),
    ("£1,234,567.89", "1234567.89"),
    ("-£5.00", "-5.00"),
    ("£-5.00", "-5.00"),
    ("(£5.00)", "-5.00"),
    ("£(5.00)", "-5.00"),
    ("12.00-", "-12.00"),
    ("1,000.00-", "-1000.00"),
    (f"1{NBSP}234.50", "1234.50"),  # no-break space grouping thousands
    (f"{NBSP}12.00{NBSP}", "12.00"),  # no-break space padding
    ("1 234 567.00", "1234567.00"),
    ("- 12.00", "-12.00"),
    ("12.3400", "12.34"),  # trailing zeros lose nothing
    ("0012.50", "12.50"),
    ("9999999999999999.99", "9999999999999999.99"),  # the largest DECIMAL(18,2)
    ("1234.500", "1234.50"),  # four digits before the dot: it cannot be grouping
    ("1,234.500", "1234.50"),  # grouped by commas: the dot is the decimal point
]

BAD = [
    ("12,3O0.00", "is not an amount"),  # letter O
    ("abc", "is not an amount"),
    ("1,23.00", "is not an amount"),  # misplaced separator
    ("1234,567.00", "is not an amount"),
    ("12.5.0", "is not an amount"),
    ("-(5.00)", "is not an amount"),  # two negative markers
    ("--5", "is not an amount"),
    ("(5.00", "is not an amount"),
    ("1E5", "is not an amount"),
    ("-", "is not an amount"),
    ("£", "is not an amount"),
    ("12 34", "is not an amount"),  # a space that is not a thousands separator
    ("12.00 CR", "is not an amount"),  # CR/DR only when configured
    ("$12.00", "is not an amount"),  # not a configured currency
    ("12.345", TOO_PRECISE),
    ("1,234.567", TOO_PRECISE),
    ("0.001", TOO_PRECISE),
    ("1.500", AMBIGUOUS),  # 1.50 or 1,500?
    ("£12.340", AMBIGUOUS),
    ("(1.000)", AMBIGUOUS),
    ("10000000000000000.00", "is too large (more than 16 digits before the decimal point)"),
    ("", "is blank"),
    ("   ", "is blank"),
    (NBSP, "is blank"),
    (None, "is blank"),
]


@pytest.mark.parametrize(("text", "expected"), GOOD)
def test_amount_shapes(text: str, expected: str) -> None:
    value = parse_money(text)
    assert value == Decimal(expected)
    assert str(value) == expected  # two places, exactly


@pytest.mark.parametrize(("text", "problem"), BAD)
def test_rejected_shapes_say_why(text: str | None, problem: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_money(text)
    assert str(raised.value) == f"{text!r} {problem}"


def test_vectorised_form_types_and_nulls() -> None:
    frame = pl.DataFrame({"text": ["1,234.50", "x", None, "(2.00)"]})
    result = money_columns(frame.lazy(), "text", AmountRules(), value="amount", problem="problem").collect()
    assert sorted(result.columns) == ["amount", "problem", "text"]  # no helper columns left behind
    assert result.schema["amount"] == pl.Decimal(18, 2)
    assert result.select("amount", "problem").rows() == [
        (Decimal("1234.50"), None),
        (None, "is not an amount"),
        (None, "is blank"),
        (Decimal("-2.00"), None),
    ]


def test_cr_dr_suffixes_when_configured() -> None:
    rules = AmountRules(cr_dr_suffix=True)
    assert parse_money("12.00 CR", rules) == Decimal("-12.00")
    assert parse_money("12.00cr", rules) == Decimal("-12.00")
    assert parse_money("1,500.00 DR", rules) == Decimal("1500.00")
    with pytest.raises(ValueError):
        parse_money("-12.00 CR", rules)  # two negative markers


def test_rules_can_turn_off_brackets_and_trailing_minus() -> None:
    rules = AmountRules(brackets_negative=False, trailing_minus=False)
    for text in ("(12.00)", "12.00-"):
        with pytest.raises(ValueError, match="is not an amount"):
            parse_money(text, rules)


def test_other_currency_symbols_and_separators() -> None:
    assert parse_money("GBP 1,000.00", AmountRules(currency_symbols=["£", "GBP"])) == Decimal("1000.00")
    assert parse_money("1'234.50", AmountRules(thousands_separator="'")) == Decimal("1234.50")
    assert parse_money("1 234.50", AmountRules(thousands_separator=" ")) == Decimal("1234.50")
    with pytest.raises(ValueError):
        parse_money("1,234.50", AmountRules(thousands_separator="'"))  # comma is not this file's separator
    with pytest.raises(ValueError):
        parse_money("1,234.50", AmountRules(thousands_separator=None))
    assert parse_money("1234.50", AmountRules(thousands_separator=None)) == Decimal("1234.50")


def test_a_three_decimal_partner_is_told_in_its_config() -> None:
    assert parse_money("1.500", AmountRules(ambiguous_dot="decimal")) == Decimal("1.50")
    assert parse_money("1.500", AmountRules(thousands_separator=None)) == Decimal("1.50")  # never grouped


# A workbook's amount cells can hold a formula's fraction of a penny (UK Trade & Investment's
# November 2011 spend: 37.79 + 20% VAT = 45.348, formatted to show 45.35). Expected pence
# worked by hand, half away from zero as Excel shows a two-decimal format.
SUB_PENNY = [
    ("45.348", "45.35"),
    ("645.696", "645.70"),
    ("-2784.528", "-2784.53"),
    ("0.005", "0.01"),  # a tie goes up (polars' own cast would give 0.00: half to even)
    ("0.015", "0.02"),
    ("0.0049999", "0.00"),  # only the third decimal decides
    ("-45.345", "-45.35"),  # away from zero
    ("(0.005)", "-0.01"),
    ("9.995", "10.00"),  # the carry runs into the pounds
    ("99.999", "100.00"),
    ("12.3400", "12.34"),
    ("41.88", "41.88"),
    ("7", "7.00"),
    (".5", "0.50"),
    ("9999999999999999.994", "9999999999999999.99"),
]


@pytest.mark.parametrize(("text", "expected"), SUB_PENNY)
def test_sub_penny_round_gives_the_pence_excel_shows(text: str, expected: str) -> None:
    rules = AmountRules(sub_penny="round", thousands_separator=None)
    value = parse_money(text, rules)
    assert str(value) == expected


def test_sub_penny_is_refused_unless_the_config_says_round() -> None:
    with pytest.raises(ValueError, match="has more than 2 decimal places"):
        parse_money("45.348")
    # Grouped by commas, the dot is the decimal point: no ambiguity to settle first.
    assert parse_money("1,234.567", AmountRules(sub_penny="round")) == Decimal("1234.57")
    # With a thousands separator, 45.348 may still be 45,348: that question is asked first.
    with pytest.raises(ValueError, match="is ambiguous"):
        parse_money("45.348", AmountRules(sub_penny="round"))
    assert parse_money("45.348", AmountRules(sub_penny="round", ambiguous_dot="decimal")) == Decimal("45.35")


def test_sub_penny_rounding_past_the_largest_amount_is_too_large() -> None:
    with pytest.raises(ValueError, match="is too large"):
        parse_money("9999999999999999.995", AmountRules(sub_penny="round", thousands_separator=None))


def test_sub_penny_round_matches_decimal_half_up_on_a_grid() -> None:
    # Every thousandth from -2.000 to 2.000, against Python's Decimal (an independent rounder).
    from decimal import ROUND_HALF_UP

    texts = [f"{Decimal(n) / 1000:.3f}" for n in range(-2000, 2001)]
    frame = pl.DataFrame({"text": texts})
    rules = AmountRules(sub_penny="round", thousands_separator=None)
    result = money_columns(frame, "text", rules, value="amount", problem="problem")
    assert result["problem"].null_count() == len(texts)
    expected = [Decimal(t).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) for t in texts]
    assert result["amount"].to_list() == expected
