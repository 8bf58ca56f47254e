"""Period arithmetic, the one place it is written: a period is a calendar month `YYYY-MM`;
a financial year runs April to March and is written `2025-26` (the SQL macros fy_of and
fy_month_of in sql/staging/create_tables.sql say the same for the warehouse)."""
from __future__ import annotations

import re

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def year_month(period: str) -> tuple[int, int]:
    """(year, month) of a period; a ValueError naming the value when it is not YYYY-MM."""
    m = _PERIOD.match(period or "")
    if not m:
        raise ValueError(f"period must be YYYY-MM, got {period!r}")
    return int(m.group(1)), int(m.group(2))


def fy_of(period: str) -> str:
    y, m = year_month(period)
    start = y if m >= 4 else y - 1
    return f"{start}-{(start + 1) % 100:02d}"


def fy_month_of(period: str) -> int:
    """1 for April ... 12 for March."""
    _, m = year_month(period)
    return (m - 4) % 12 + 1


def fy_start(period: str) -> str:
    return f"{fy_of(period)[:4]}-04"


def fy_end(period: str) -> str:
    return f"{int(fy_of(period)[:4]) + 1}-03"


def previous_period(period: str) -> str:
    y, m = year_month(period)
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"
