"""Money and counts as text outside the reports: the command line's output, check descriptions
and Dagster metadata. Pounds and pence with the minus sign before the pound sign ("-£26,500.00",
as an analyst writes it; "£-26,500.00" reads as a typo), and "1 line", not "1 lines". The board
packs and the site format money their own way (reports/formatting.py: whole pounds, negatives
in brackets)."""
from __future__ import annotations

from decimal import Decimal


def pounds(amount) -> str:
    """£1,234,567.89 or -£1,234.50; None is £0.00 (a sum over no lines)."""
    value = Decimal(str(amount)) if amount is not None else Decimal(0)
    return f"{'-' if value < 0 else ''}£{abs(value):,.2f}"


def plural(count: int, noun: str) -> str:
    """plural(1, "line") is '1 line'; 0 or 2 of them are '0 lines', '2 lines'."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
