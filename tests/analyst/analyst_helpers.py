"""Helpers shared by the analysts' warehouse tests (small warehouses, the CLI as a process)."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb

from warehouse.settings import Paths

REPO = Path(__file__).resolve().parents[2]
# what the `openbook` console script runs (pyproject.toml: openbook = "pipelines.cli:main")
OPENBOOK = [sys.executable, "-c", "import sys; from pipelines.cli import main; sys.exit(main())"]


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def make_warehouse(home: Path, spend: str = "100.00", rows: int = 20_000) -> Path:
    """A small warehouse at <home>/warehouse/openbook.duckdb with a documented rpt_ table
    whose figures all equal `spend` (plus filler rows so the file spans several chunks)."""
    path = Paths(home).warehouse
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("""CREATE OR REPLACE TABLE rpt_spend AS
            SELECT 'p' || lpad(CAST(i % 50 AS VARCHAR), 2, '0') AS partner_id,
                   CAST($spend AS DECIMAL(18, 2)) AS spend, md5(CAST(i AS VARCHAR)) AS filler
            FROM range($rows) t(i)""", {"spend": spend, "rows": rows})
        con.execute("COMMENT ON TABLE rpt_spend IS 'spend per partner. Grain: one row per line.'")
        con.execute("COMMENT ON COLUMN rpt_spend.partner_id IS 'the partner'")
        con.execute("COMMENT ON COLUMN rpt_spend.spend IS 'pounds'")
        con.execute("COMMENT ON COLUMN rpt_spend.filler IS 'padding'")
    finally:
        con.close()
    return path


def set_spend(home: Path, spend: str) -> None:
    """Change every figure in the pipeline's warehouse (as a later run would)."""
    con = duckdb.connect(str(Paths(home).warehouse))
    try:
        con.execute("UPDATE rpt_spend SET spend = CAST($s AS DECIMAL(18, 2))", {"s": spend})
    finally:
        con.close()


def total_spend(con) -> Decimal:
    return con.execute("SELECT sum(spend) FROM rpt_spend").fetchone()[0]


def openbook(*args: str, input: str | None = None, env: dict | None = None, timeout: float = 120):
    """Run `openbook <args>` as a separate process (a separate analyst)."""
    return subprocess.run([*OPENBOOK, *map(str, args)], input=input,
                          capture_output=True, text=True, cwd=REPO, timeout=timeout,
                          env={**os.environ, **(env or {})})
