"""Fixtures for tests/quality (data and builders live in quality_fixtures.py)."""
from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from quality_fixtures import DIRTY_ROWS, LEDGER_PARAMS, d, ledger


@pytest.fixture(scope="session")
def ledger_params() -> dict:
    return dict(LEDGER_PARAMS)


@pytest.fixture(scope="session")
def dirty_ledger() -> pl.DataFrame:
    return ledger(DIRTY_ROWS)


@pytest.fixture(scope="session")
def clean_ledger() -> pl.DataFrame:
    """Clean, including the edges that must pass: amounts on the +-1bn bounds, dates on
    the first and last day, null transaction ids (twice), null counterparties with equal
    amounts and dates (not a likely duplicate: no supplier), income lines."""
    return ledger([
        {"posting_date": d(1), "amount": Decimal("1000000000.00")},
        {"posting_date": d(30), "amount": Decimal("-1000000000.00"), "line_type": "income",
         "counterparty": "NHS North Weald ICB", "funding_stream": "s75_pooled"},
        {"transaction_id": None, "counterparty": None, "posting_date": d(10), "amount": Decimal("5.00")},
        {"transaction_id": None, "counterparty": None, "posting_date": d(10), "amount": Decimal("5.00")},
        {"cost_centre": "CC200", "service_line": "iapt", "funding_stream": "sdf"},
        {"cost_centre": "CC300", "service_line": "secure", "funding_stream": "non_recurrent"},
        {"funding_stream": "grant", "expense_type": None, "description": None, "place_id": None},
        {"counterparty": "REDACTED", "amount": Decimal("0.01")},
        {"counterparty": "Café Ñoño", "amount": Decimal("-0.01"), "line_type": "income"},
        {"source_file": "b.csv", "source_row": 1},
    ])
