"""Any statement DuckDB accepts works in `openbook sql -c`, `-f`, the piped shell and
`frame()`: PIVOT without an IN list (which DuckDB's parser turns into two statements that
carry no text of their own), UNPIVOT, SUMMARIZE, DESCRIBE, SHOW, FROM-first queries."""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from analyst_helpers import openbook

from analyst import access as analyst

# spend per partner in columns, one column per financial year the data holds: DuckDB has
# to find the years itself (no IN list), the case the statement splitter got wrong
PIVOT = "PIVOT (SELECT partner_id, fy, spend FROM rpt_mh_spend) ON fy USING sum(spend) ORDER BY partner_id"


def expected_pivot(acon) -> dict[str, dict[str, Decimal]]:
    """The same figures from plain rows, summed here in Python."""
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for partner, fy, spend in acon.execute("SELECT partner_id, fy, spend FROM rpt_mh_spend").fetchall():
        sums[partner][fy] += spend
    return {p: dict(v) for p, v in sums.items()}


def pivot_rows(rows: list[dict]) -> dict[str, dict[str, Decimal]]:
    return {r["partner_id"]: {k: Decimal(str(v)) for k, v in r.items() if k != "partner_id" and v not in (None, "")}
            for r in rows}


def test_pivot_without_an_in_list_in_frame(published_home, acon):
    df = analyst.frame(PIVOT, home=published_home)
    assert pivot_rows(df.to_dicts()) == expected_pivot(acon)
    assert len(df.columns) >= 3, "one column per financial year, found by DuckDB"


def test_pivot_in_a_script_with_a_bound_parameter_after_it(published_home, acon):
    df = analyst.frame(f"SELECT 1; {PIVOT}; SELECT count(*) AS n FROM dim_partner WHERE partner_kind = $kind",
                       {"kind": "vcse"}, home=published_home)
    assert df["n"].to_list() == [4]


def test_pivot_with_c_as_csv(published_home, acon, cli):
    code, out, err = cli("--home", published_home, "sql", "--format", "csv", "-c", PIVOT)
    assert code == 0, err
    assert pivot_rows(list(csv.DictReader(io.StringIO(out)))) == expected_pivot(acon)


def test_pivot_with_f_after_other_statements(published_home, acon, cli, tmp_path):
    script = tmp_path / "pivot.sql"
    script.write_text(f"-- years side by side\nSET threads = 1;\nSELECT 42;\n{PIVOT};\n")
    code, out, err = cli("--home", published_home, "sql", "-f", script, "--format", "csv")
    assert code == 0, err
    assert pivot_rows(list(csv.DictReader(io.StringIO(out)))) == expected_pivot(acon)


def test_pivot_and_friends_in_the_piped_shell(published_home, acon):
    fys = sorted({fy for v in expected_pivot(acon).values() for fy in v})
    result = openbook("--home", published_home, "sql", input=(
        f"{PIVOT};\n"
        "UNPIVOT (SELECT 'x' AS k, 1 AS a, 2 AS b) ON a, b INTO NAME col VALUE val;\n"
        "SUMMARIZE dim_partner;\n"
        "DESCRIBE dim_partner;\n"
        "FROM dim_partner SELECT count(*) AS partners_from_first;\n"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "OK", "the CREATE TYPE DuckDB runs before the PIVOT shows no Count table"
    assert lines[1].split() == ["partner_id", *fys]
    assert "column_name" in result.stdout and "partners_from_first" in result.stdout


@pytest.mark.parametrize("sql", ["SHOW TABLES", "DESCRIBE rpt_mh_spend", "SUMMARIZE dim_partner",
                                 "EXPLAIN SELECT 1", "FROM dim_partner LIMIT 1",
                                 "WITH x AS (SELECT 1 AS a) SELECT * FROM x"])
def test_statements_duckdb_accepts_return_rows(published_home, sql):
    assert analyst.frame(sql, home=published_home).height >= 1
