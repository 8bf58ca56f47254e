"""Fixture data for the expectation-suite tests: a dirty and a clean stg_ledger partition
(partner wfmh, period 2024-04), built here row by row so every failure is hand-countable."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl

EXPECTATIONS = Path(__file__).resolve().parents[2] / "expectations"
# The runners are tested on the stg_ledger suite as it was before the staging checks took over
# dates, repeated ids and cost centres (issue 16): a frozen copy, so these tests keep exercising
# every expectation type and parameter kind. expectations/stg_ledger.json has its own contract test.
STG_LEDGER = Path(__file__).resolve().parent / "suites" / "stg_ledger.json"
PROJECT_STG_LEDGER = EXPECTATIONS / "stg_ledger.json"

LEDGER_SCHEMA = {
    "load_id": pl.String, "partner_id": pl.String, "period": pl.String,
    "source_file": pl.String, "source_row": pl.Int64, "posting_date": pl.Date,
    "cost_centre": pl.String, "expense_type": pl.String, "counterparty": pl.String,
    "description": pl.String, "transaction_id": pl.String, "amount": pl.Decimal(18, 2),
    "funding_stream": pl.String, "service_line": pl.String, "place_id": pl.String,
    "line_type": pl.String,
}

LEDGER_PARAMS = {
    "period_start": dt.date(2024, 4, 1),
    "period_end": dt.date(2024, 4, 30),
    "known_cost_centres": ["CC100", "CC200", "CC300"],
    "known_service_lines": ["crisis", "iapt", "secure"],
}


def d(day: int, month: int = 4) -> dt.date:
    return dt.date(2024, month, day)


def ledger(rows: list[dict]) -> pl.DataFrame:
    """A stg_ledger frame; each row gives the fields that differ from a clean default."""
    full = []
    for i, row in enumerate(rows, start=1):
        base = {
            "load_id": "wfmh-2024-04-1", "partner_id": "wfmh", "period": "2024-04",
            "source_file": "a.csv", "source_row": i, "posting_date": d(1 + i % 28),
            "cost_centre": "CC100", "expense_type": "5001", "counterparty": f"Supplier {i}",
            "description": f"line {i}", "transaction_id": f"T{i}", "amount": Decimal("100.00"),
            "funding_stream": "recurrent", "service_line": "crisis", "place_id": "ashby",
            "line_type": "expenditure",
        }
        base.update(row)
        full.append(base)
    return pl.DataFrame(full, schema=LEDGER_SCHEMA)


# Row by row: what each dirty row breaks (row n has source_row n unless it says otherwise).
DIRTY_ROWS = [
    {"posting_date": d(1), "transaction_id": "T1", "counterparty": "Acme Ltd"},        # 1 clean
    {"posting_date": d(15), "cost_centre": "CC200", "counterparty": "Beta Care",        # 2 clean, but
     "amount": Decimal("250.50"), "funding_stream": "sdf", "service_line": "iapt"},     #   see row 12
    {"partner_id": None},                                                               # 3 no partner
    {"cost_centre": None},                                                              # 4 no cost centre
    {"posting_date": None},                                                             # 5 no date
    {"posting_date": d(31, 3)},                                                         # 6 before period
    {"posting_date": d(1, 5), "amount": Decimal("-16.00"), "line_type": "income"},      # 7 after period
    {"cost_centre": "CC999", "service_line": "Crisis"},                                 # 8 unknown cc + sl
    {"cost_centre": "XX1", "funding_stream": "SDF"},                                    # 9 unknown cc, bad stream
    {"transaction_id": "T1"},                                                           # 10 repeats T1
    {"transaction_id": "T1"},                                                           # 11 repeats T1 again
    {"posting_date": d(15), "cost_centre": "CC200", "counterparty": "Beta Care",        # 12 likely duplicate
     "amount": Decimal("250.50"), "funding_stream": "sdf", "service_line": "iapt"},     #    of row 2 (WARN)
    {"amount": Decimal("1500000000.00"), "cost_centre": "CC300", "service_line": "secure"},  # 13 too big
    {"amount": Decimal("-1000000000.01"), "transaction_id": None,                       # 14 too small, bad
     "funding_stream": "bogus", "service_line": "unknown_sl", "line_type": "transfer"},  #    stream/sl/type
    {"posting_date": d(30), "amount": Decimal("1000000000.00"), "counterparty": None,   # 15 boundaries ok;
     "transaction_id": None, "funding_stream": None, "service_line": None,             #    no stream, no
     "line_type": None},                                                                #    service line
    {"source_row": 1, "posting_date": d(2), "amount": Decimal("5.00")},                 # 16 file row 1 again
    {"amount": None},                                                                   # 17 no amount
    {"period": None, "counterparty": None, "posting_date": d(2),                        # 18 no period; null
     "amount": Decimal("5.00")},                                                        #    counterparty
    {"source_file": "b.csv", "source_row": None, "counterparty": None,                  # 19 no source row;
     "posting_date": d(2), "amount": Decimal("5.00")},                                  #    same as 18 but no cp
    {"source_file": None, "amount": Decimal("-1000000000.00"), "line_type": "income"},  # 20 no file; min ok
]

# Hand-counted outcome of every stg_ledger expectation on DIRTY_ROWS, in suite order:
# (expectation type, column, success, unexpected_count).
DIRTY_EXPECTED = [
    ("expect_table_row_count_to_be_between", None, True, 0),
    ("expect_column_values_to_not_be_null", "partner_id", False, 1),        # row 3
    ("expect_column_values_to_not_be_null", "period", False, 1),            # row 18
    ("expect_column_values_to_not_be_null", "posting_date", False, 1),      # row 5
    ("expect_column_values_to_not_be_null", "cost_centre", False, 1),       # row 4
    ("expect_column_values_to_not_be_null", "amount", False, 1),            # row 17
    ("expect_column_values_to_not_be_null", "service_line", False, 1),      # row 15
    ("expect_column_values_to_not_be_null", "funding_stream", False, 1),    # row 15
    ("expect_column_values_to_not_be_null", "source_file", False, 1),       # row 20
    ("expect_column_values_to_not_be_null", "source_row", False, 1),        # row 19
    ("expect_column_values_to_be_between", "amount", False, 2),             # rows 13, 14 (15, 20 on the bounds)
    ("expect_column_values_to_be_in_set", "funding_stream", False, 2),      # rows 9 (SDF), 14
    ("expect_column_values_to_be_in_set", "line_type", False, 1),           # row 14 (15 is null: ignored)
    ("expect_column_values_to_be_between", "posting_date", False, 2),       # rows 6, 7 (5 null: ignored)
    ("expect_column_values_to_be_in_set", "cost_centre", False, 2),         # rows 8, 9 (4 null: ignored)
    ("expect_column_values_to_be_in_set", "service_line", False, 2),        # rows 8 (Crisis), 14
    ("expect_column_values_to_be_unique", "transaction_id", False, 3),      # T1 x3; null ids ignored
    ("expect_compound_columns_to_be_unique", "source_file,source_row", False, 2),  # (a.csv, 1) x2
    ("expect_compound_columns_to_be_unique", "counterparty,cost_centre,expense_type,amount,posting_date", False, 2),  # rows 2, 12
]
DIRTY_SAMPLES = {  # a few exact samples (sorted) the finance officer would see
    "amount": ["-1000000000.01", "1500000000.00"],
    "posting_date": ["2024-03-31", "2024-05-01"],
    "cost_centre": ["CC999", "XX1"],
    "transaction_id": ["T1", "T1", "T1"],
}
