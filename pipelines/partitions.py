"""Ledgers are loaded by period (calendar month, `YYYY-MM`).

Each month partition loads every partner's submission for that month; inside it a
partner-period is the unit of replacement, so one late or corrected file reloads only its
own rows (files already loaded with the same bytes are left alone).
"""
import dagster as dg

FIRST_PERIOD = "2024-04"

periods = dg.MonthlyPartitionsDefinition(start_date=FIRST_PERIOD, fmt="%Y-%m", end_offset=0)
