"""Where each reference table is read from: reference/<name>.csv in the data home. An
optional table whose file is absent is read from an empty file of the same columns
(sql/staging/empty/<name>.csv), so "no file" means "no rows", never a failed load.
No Dagster import: the DuckLake workers use this too."""
from __future__ import annotations

from pathlib import Path

from warehouse.sql_files import SQL_DIR

# reference/<name>.csv that may be absent: no mapping rules; no budgets; no budget phasing profile
# (budgets are then phased in twelfths); no agency caps or agency suppliers (the budget and agency
# views are then empty); no provider alliance (the provider measures then have no units).
OPTIONAL_REFERENCES = ("mapping_rules", "budgets", "budget_phasing", "agency_caps", "agency_suppliers",
                       "alliance_providers", "alliance_populations", "alliance_activity", "alliance_finance")
EMPTY_REFERENCES = SQL_DIR / "staging" / "empty"


def reference_file(reference_dir: Path, name: str) -> Path:
    """The file the reference table `name` is loaded from."""
    path = Path(reference_dir) / f"{name}.csv"
    if name in OPTIONAL_REFERENCES and not path.is_file():
        return EMPTY_REFERENCES / f"{name}.csv"
    return path
