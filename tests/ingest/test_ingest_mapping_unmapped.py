"""`openbook mapping unmapped` and rpt_dq_unclassified on a hand-made warehouse: the figures
below are summed by hand from the rows inserted here."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from warehouse.sql_files import run_sql

# (load, partner, period, row, cost centre, expense type, supplier, amount, mapped_by)
LINES = [
    ("A1", "la_ashby", "2025-06", 2, "CC1", "Care", "Brook", "100.00", "cost_centre_map"),
    ("A1", "la_ashby", "2025-06", 3, "ZZ", "Misc", "Acme", "40.00", "unmapped"),
    ("A1", "la_ashby", "2025-06", 4, "ZZ", "Misc", "Acme", "-10.00", "unmapped"),
    ("A1", "la_ashby", "2025-06", 5, None, "Grants", "Mind", "500.00", "unmapped"),
    ("A2", "la_ashby", "2025-07", 2, "ZZ", "Misc", "Acme", "70.00", "unmapped"),
    ("B1", "nw_icb", "2025-06", 2, "Q1", None, "Oxleas", "1000.00", "rule"),
    ("B1", "nw_icb", "2025-06", 3, "Q2", None, "Tiny Ltd", "5.00", "unmapped"),
    ("OLD", "nw_icb", "2025-06", 9, "Q9", None, "Superseded", "9999.00", "unmapped"),  # not current
]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "warehouse").mkdir()
    con = duckdb.connect(str(tmp_path / "warehouse" / "openbook.duckdb"))
    run_sql(con, "staging/create_tables")
    now = dt.datetime(2025, 8, 1)
    for load, partner, period in {(r[0], r[1], r[2]) for r in LINES}:
        status = "superseded" if load == "OLD" else "current"
        con.execute("INSERT INTO load_log (load_id, partner_id, period, source_file, sha256, status, loaded_at)"
                    " VALUES (?, ?, ?, 'f.csv', 'x', ?, ?)", [load, partner, period, status, now])
    for load, partner, period, row, cc, et, who, amount, by in LINES:
        service_line = "unclassified" if by == "unmapped" else "crisis_house"
        con.execute("INSERT INTO stg_ledger (load_id, partner_id, period, source_file, source_row, cost_centre,"
                    " expense_type, counterparty, amount, service_line, mapped_by) VALUES (?, ?, ?, 'f.csv', ?, ?, ?,"
                    " ?, ?, ?, ?)", [load, partner, period, row, cc, et, who, Decimal(amount), service_line, by])
    con.execute("CREATE TABLE ref_partners AS SELECT * FROM (VALUES ('la_ashby', 'Ashby', 'la', 'nw', true),"
                " ('nw_icb', 'NW ICB', 'icb', 'nw', true)) t(partner_id, name, kind, ics_id, submits)")
    con.close()
    return tmp_path


def _run(home, capsys, *args) -> tuple[int, list[str]]:
    status = main(["--home", str(home), "mapping", "unmapped", *args])
    captured = capsys.readouterr()
    return status, (captured.out + captured.err).splitlines()


def test_unmapped_keys_largest_pounds_first(home, capsys):
    status, out = _run(home, capsys)
    assert status == 0
    # Mind 500; Acme 40 - 10 + 70 = 100 over two periods; Tiny 5 (the superseded load is not counted)
    assert out[0].startswith("Unmapped lines (service line 'unclassified'), all partners and periods: 3 keys, "
                             "5 lines, £605.00.")
    rows = [line.split() for line in out[3:]]
    assert rows == [["la_ashby", "(blank)", "Grants", "Mind", "1", "500.00", "2025-06"],
                    ["la_ashby", "ZZ", "Misc", "Acme", "3", "100.00", "2025-06..2025-07"],
                    ["nw_icb", "Q2", "(blank)", "Tiny", "Ltd", "1", "5.00", "2025-06"]]


def test_filters_grouping_and_rules(home, capsys):
    status, out = _run(home, capsys, "--partner", "la_ashby", "--period", "2025-06", "--by", "counterparty")
    assert status == 0
    assert out[0].startswith("Unmapped lines (service line 'unclassified'), partner la_ashby period 2025-06: "
                             "2 keys, 3 lines, £530.00.")
    assert [line.split() for line in out[3:]] == [["la_ashby", "Mind", "1", "500.00", "2025-06"],
                                                  ["la_ashby", "Acme", "2", "30.00", "2025-06"]]
    status, out = _run(home, capsys, "--by", "counterparty", "--rules", "--limit", "2")
    assert out == ["partner_id,priority,field,match,pattern,service_line,place_id,line_type,funding_stream,scheme_id",
                   "la_ashby,10,counterparty,exact,Mind,,,expenditure,,",
                   "la_ashby,20,counterparty,exact,Acme,,,expenditure,,"]


def test_mistakes_are_one_line(home, capsys, tmp_path):
    status, out = _run(home, capsys, "--period", "2025-13")
    assert status == 2 and out == ["openbook mapping unmapped: --period '2025-13': expected YYYY-MM, e.g. 2025-06"]
    empty = tmp_path / "empty-home"
    empty.mkdir()
    status, out = _run(empty, capsys)
    assert status == 2 and len(out) == 1 and "run `openbook run` first" in out[0]


def test_rpt_dq_unclassified_per_submission(home):
    con = duckdb.connect(str(home / "warehouse" / "openbook.duckdb"))
    try:
        run_sql(con, "reports/rpt_dq_unclassified")
        rows = con.execute("SELECT partner_id, period, lines, amount, unclassified_lines, unclassified_amount,"
                           " unclassified_pct, mapped_by_rule_lines, largest_unmapped FROM rpt_dq_unclassified"
                           " ORDER BY 1, 2").fetchall()
    finally:
        con.close()
    assert rows == [
        # gross pounds 100 + 40 + 10 + 500 = 650, of which 40 + 10 + 500 = 550 unclassified: 84.6 %
        ("la_ashby", "2025-06", 4, Decimal("630.00"), 3, Decimal("530.00"), Decimal("84.6"), 0,
         "(no cost centre) / Grants / Mind: £500.00"),
        ("la_ashby", "2025-07", 1, Decimal("70.00"), 1, Decimal("70.00"), Decimal("100.0"), 0,
         "ZZ / Misc / Acme: £70.00"),
        # 5 of 1005: 0.5 %
        ("nw_icb", "2025-06", 2, Decimal("1005.00"), 1, Decimal("5.00"), Decimal("0.5"), 1,
         "Q2 / (no expense type) / Tiny Ltd: £5.00"),
    ]
