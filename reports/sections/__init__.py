"""The report's sections, in the order of the pack (``SECTIONS``), and its summary (``SUMMARY``).

Each module here declares the sections of one subject with the vocabulary of
reports/spec.py; shared.py holds the columns and wording several of them use. Adding a
section for a new rpt table is writing a ``Section(...)`` in the module of its subject (or
a new one) and listing it in ``SECTIONS`` below; neither writer changes. The writers read
``SECTIONS`` and ``SUMMARY`` from this package; the figures come from
reports/section_figures.py and reports/chart_figures.py.

Modules here import reports/spec.py, reports/formatting.py, reports/tables.py (a caption's
type) and warehouse/periods.py; nothing in the query layer or the writers.
"""
from __future__ import annotations

from reports.sections.agency import AGENCY
from reports.sections.contracts import CONTRACTS
from reports.sections.data_quality import DATA_QUALITY, FAILED_CHECKS, QUARANTINE
from reports.sections.flag_register import FLAG_REGISTER
from reports.sections.funding_consistency import FUNDING_CONSISTENCY
from reports.sections.gross_spend import SPEND_BY_PARTNER, SPEND_BY_SERVICE_LINE
from reports.sections.lead_provider import LEAD_PROVIDER
from reports.sections.mhis import MHIS, MHIS_CATEGORIES
from reports.sections.open_book import ELIMINATIONS, OPEN_BOOK, SYSTEM_BY_PAYER, SYSTEM_BY_PAYER_SERVICE_LINE
from reports.sections.plans_and_budgets import MH_BUDGET, PLAN_VS_ACTUAL, SYSTEM_POSITION
from reports.sections.sector import SECTOR_BY_RECIPIENT, SECTOR_SHARE
from reports.sections.summary import SUMMARY
from reports.sections.variation import PROVIDER_BENCHMARKING, VARIATION
from reports.spec import Section

# In the order of an MHFOG pack: the open book and its balances, plans, the standard, variation,
# consistency, sectors, contracts, the lead provider; the gross spend behind the open book; data quality.
SECTIONS: tuple[Section, ...] = (
    OPEN_BOOK, SYSTEM_BY_PAYER, SYSTEM_BY_PAYER_SERVICE_LINE, ELIMINATIONS, PLAN_VS_ACTUAL, SYSTEM_POSITION,
    MH_BUDGET, MHIS, VARIATION, FUNDING_CONSISTENCY,
    SECTOR_BY_RECIPIENT, SECTOR_SHARE, CONTRACTS, LEAD_PROVIDER, AGENCY, SPEND_BY_PARTNER, SPEND_BY_SERVICE_LINE,
    FLAG_REGISTER, DATA_QUALITY, QUARANTINE, FAILED_CHECKS,
)

# The public names: the registry, its summary and every section (parts included), by name.
__all__ = [
    "SECTIONS", "SUMMARY",
    "OPEN_BOOK", "SYSTEM_BY_PAYER", "SYSTEM_BY_PAYER_SERVICE_LINE", "ELIMINATIONS", "PLAN_VS_ACTUAL", "SYSTEM_POSITION", "MH_BUDGET", "MHIS",
    "MHIS_CATEGORIES", "VARIATION", "PROVIDER_BENCHMARKING", "FUNDING_CONSISTENCY", "SECTOR_BY_RECIPIENT",
    "SECTOR_SHARE", "CONTRACTS", "LEAD_PROVIDER", "AGENCY", "SPEND_BY_PARTNER", "SPEND_BY_SERVICE_LINE",
    "FLAG_REGISTER", "DATA_QUALITY", "QUARANTINE", "FAILED_CHECKS",
]
