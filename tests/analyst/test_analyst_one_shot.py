"""`openbook sql -c/-f` and its output formats: an aligned table with pounds, CSV, Parquet,
and Excel with money as numbers and text that Excel never evaluates."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pyarrow.parquet as pq
import pytest

from analyst import sql_shell

HOSTILE = """SELECT * FROM (VALUES
    ('=HYPERLINK("http://x","y")', CAST(1234.5 AS DECIMAL(18, 2)), DATE '2025-06-30', 'plain'),
    ('+1', CAST(-99.99 AS DECIMAL(18, 2)), DATE '2025-07-31', '@SUM(A1)'),
    ('-2', CAST(0 AS DECIMAL(18, 2)), NULL, 'Young People''s Space & Co')
) AS t(supplier, amount, posted, note)"""


def test_table_to_the_screen(published_home, cli):
    code, out, err = cli("--home", published_home, "sql", "-c",
                         "SELECT partner_id, sum(spend) AS spend FROM rpt_mh_spend "
                         "WHERE partner_id = 'haven' GROUP BY 1")
    assert code == 0, err
    header, rule, row = out.splitlines()[:3]
    assert header.split() == ["partner_id", "spend"]
    assert set(rule.replace(" ", "")) == {"-"}
    assert row.split()[0] == "haven" and row.split()[1].startswith("£")
    assert "(1 row)" in out


def test_csv_to_the_screen_is_the_data_exactly(published_home, acon, cli):
    code, out, err = cli("--home", published_home, "sql", "--format", "csv", "-c",
                         "SELECT partner_id, period, spend FROM rpt_mh_spend ORDER BY ALL LIMIT 5")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    expected = acon.execute("SELECT partner_id, period, spend FROM rpt_mh_spend ORDER BY ALL LIMIT 5").fetchall()
    assert [(r["partner_id"], r["period"], Decimal(r["spend"])) for r in rows] == expected


def test_a_sql_file_to_parquet(published_home, acon, cli, tmp_path):
    query = tmp_path / "spend.sql"
    query.write_text("-- spend by partner\nSELECT partner_id, sum(spend) AS spend\nFROM rpt_mh_spend\n"
                     "GROUP BY partner_id\nORDER BY partner_id;\n")
    target = tmp_path / "out" / "spend.parquet"
    code, out, err = cli("--home", published_home, "sql", "-f", query, "-o", target)
    assert code == 0, err
    assert "written to" in err
    table = pq.read_table(target)
    assert str(table.schema.field("spend").type).startswith("decimal128")
    expected = acon.execute("SELECT partner_id, sum(spend) FROM rpt_mh_spend GROUP BY 1 ORDER BY 1").fetchall()
    assert list(zip(table.column("partner_id").to_pylist(), table.column("spend").to_pylist())) == expected


def test_xlsx_money_as_numbers_with_a_pound_format_and_text_never_a_formula(published_home, cli, tmp_path):
    target = tmp_path / "hostile.xlsx"
    code, out, err = cli("--home", published_home, "sql", "-c", HOSTILE, "-o", target)
    assert code == 0, err
    wb = openpyxl.load_workbook(target)
    ws = wb["Result"]
    assert [c.value for c in ws[1]] == ["supplier", "amount", "posted", "note"]
    suppliers = [ws.cell(r, 1) for r in (2, 3, 4)]
    assert [c.value for c in suppliers] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'-2"]
    assert all(c.data_type == "s" for c in suppliers)
    assert ws.cell(3, 4).value == "'@SUM(A1)" and ws.cell(4, 4).value == "Young People's Space & Co"
    amount = ws.cell(2, 2)
    assert amount.value == 1234.5 and amount.data_type == "n" and "£" in amount.number_format
    assert ws.cell(3, 2).value == -99.99
    assert ws.cell(2, 3).is_date and ws.cell(4, 3).value is None
    about = {row[0].value: row[1].value for row in wb["About"].iter_rows()}
    assert about["from run"] and "HYPERLINK" in about["SQL"]


def test_the_format_follows_the_file_extension(published_home, cli, tmp_path):
    target = tmp_path / "partners.csv"
    code, _, err = cli("--home", published_home, "sql", "-c", "SELECT partner_id FROM dim_partner", "-o", target)
    assert code == 0, err
    assert target.read_text().splitlines()[0] == "partner_id"
    text = tmp_path / "partners.txt"
    code, _, err = cli("--home", published_home, "sql", "-c", "SELECT partner_id FROM dim_partner", "-o", text)
    assert code == 0 and text.read_text().startswith("partner_id\n----------")


def test_binary_formats_need_an_output_file_and_errors_are_one_line(published_home, cli):
    code, out, err = cli("--home", published_home, "sql", "--format", "xlsx", "-c", "SELECT 1")
    assert code == 1 and "-o <file>" in err
    code, out, err = cli("--home", published_home, "sql", "-c", "SELECT * FROM nowhere")
    assert code == 1 and err.startswith("openbook sql: Error:") and "nowhere" in err
    assert "Traceback" not in err
    code, out, err = cli("--home", published_home, "sql", "-o", "x.csv")
    assert code == 2 and "-c" in err


def test_render_table_formats_pounds_only_for_money_columns():
    result = sql_shell.Result(
        ["partner_id", "spend", "share_pct", "mh_need_index", "rows", "ratio"],
        ["VARCHAR", "DECIMAL(38,2)", "DECIMAL(5,2)", "DECIMAL(9,4)", "BIGINT", "DOUBLE"],
        [("haven", Decimal("-1234567.891"), Decimal("12.50"), Decimal("1.0500"), 40875, 0.12345),
         (None, None, None, None, None, None)])
    lines = sql_shell.render_table(result).splitlines()
    assert lines[2].split() == ["haven", "-£1,234,567.89", "12.50", "1.0500", "40875", "0.12345"]
    assert lines[3].split() == ["NULL"] * 6


@pytest.mark.parametrize("output, fmt, expected", [
    (None, None, "table"), ("a.xlsx", None, "xlsx"), ("a.PARQUET", None, "parquet"), ("a.json", None, "json"),
    ("a.md", None, "md"), ("a.txt", None, "table"), ("a.csv", "csv", "csv"), ("a.dat", "csv", "csv"),
    (None, "json", "json")])
def test_format_for(output, fmt, expected):
    assert sql_shell.format_for(output, fmt) == expected


@pytest.mark.parametrize("output, fmt, message", [
    ("a.unknown", None, "cannot tell the format"), ("a.csv", "table", "names csv but --format is table"),
    ("result", None, "cannot tell the format")])
def test_format_for_refuses_what_the_extension_does_not_name(output, fmt, message):
    """Changed deliberately: an unknown extension used to write a text table silently."""
    with pytest.raises(ValueError, match=message):
        sql_shell.format_for(output, fmt)


def test_o_refuses_an_extension_that_names_no_format_in_one_line(published_home, cli, tmp_path):
    code, out, err = cli("--home", published_home, "sql", "-c", "SELECT 1", "-o", tmp_path / "out.xls")
    assert code == 2 and len(err.strip().splitlines()) == 1 and ".csv .parquet .xlsx .json .md .txt" in err
    assert not (tmp_path / "out.xls").exists()


def test_csv_neutralises_formula_leading_text_like_xlsx(published_home, cli, tmp_path):
    target = tmp_path / "hostile.csv"
    code, out, err = cli("--home", published_home, "sql", "-c",
                         HOSTILE + " UNION ALL SELECT chr(9) || 'tab', 1, NULL, chr(13) || 'cr' ORDER BY amount", "-o", target)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(target.read_bytes().decode("utf-8"), newline="")))
    suppliers = {r["supplier"] for r in rows}
    assert suppliers == {"'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'-2", "'\ttab"}
    assert {r["note"] for r in rows} == {"plain", "'@SUM(A1)", "Young People's Space & Co", "'\rcr"}
    # numbers stay numbers: a negative amount is not text and gets no apostrophe
    assert sorted(Decimal(r["amount"]) for r in rows) == [Decimal("-99.99"), Decimal("0.00"), Decimal("1"),
                                                         Decimal("1234.50")]
    # the same rule as the xlsx export, cell for cell
    xlsx = tmp_path / "hostile.xlsx"
    assert cli("--home", published_home, "sql", "-c", HOSTILE, "-o", xlsx)[0] == 0
    ws = openpyxl.load_workbook(xlsx)["Result"]
    assert {ws.cell(r, 1).value for r in (2, 3, 4)} == suppliers - {"'\ttab"}


def test_json_output_is_json_with_exact_money(published_home, acon, cli, tmp_path):
    import json

    target = tmp_path / "out.json"
    sql = "SELECT partner_id, period, spend, NULL AS nothing FROM rpt_mh_spend ORDER BY ALL LIMIT 7"
    code, out, err = cli("--home", published_home, "sql", "-c", sql, "-o", target)
    assert code == 0, err
    data = json.loads(target.read_text(encoding="utf-8"), parse_float=Decimal)
    expected = acon.execute(sql).fetchall()
    assert [(r["partner_id"], r["period"], r["spend"], r["nothing"]) for r in data] == expected
    code, out, err = cli("--home", published_home, "sql", "--format", "json", "-c", HOSTILE)
    assert code == 0 and json.loads(out)[0]["supplier"] == '=HYPERLINK("http://x","y")'


def test_markdown_output_is_a_pipe_table(published_home, cli, tmp_path):
    target = tmp_path / "out.md"
    code, out, err = cli("--home", published_home, "sql", "-c",
                         "SELECT 'a|b' AS t, CAST(1234.5 AS DECIMAL(18,2)) AS spend", "-o", target)
    assert code == 0, err
    assert target.read_text().splitlines() == ["| t | spend |", "|---|---:|", "| a\\|b | £1,234.50 |"]


def test_the_screen_table_fits_the_terminal(published_home, cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    sql = ("SELECT partner_id, repeat('x', 300) AS wide_text, CAST(1234567.89 AS DECIMAL(18,2)) AS spend, "
           "repeat('y', 200) AS note FROM dim_partner ORDER BY 1")
    code, out, err = cli("--home", published_home, "sql", "-c", sql)
    assert code == 0, err
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert "…" in lines[2] and "£1,234,567.89" in lines[2], "text is cut, money never"
    monkeypatch.setenv("COLUMNS", "40")
    code, out, err = cli("--home", published_home, "sql", "-c", sql)
    assert max(len(line) for line in out.splitlines()) <= 40
    assert "not shown" in out and "note" in out
    monkeypatch.delenv("COLUMNS")
    code, out, err = cli("--home", published_home, "sql", "-c", sql)
    assert "x" * 300 in out, "piped output (no terminal) is never cut"


def test_the_cli_binds_parameters_without_importing_pandas(published_home):
    """DuckDB imports pandas (seconds) on the first bound parameter unless the CLI skips it."""
    import subprocess
    import sys

    from analyst_helpers import REPO

    code = ("import sys; from pipelines.cli import main; "
            "rc = main(['--home', sys.argv[1], 'query', 'vcse_crisis_income', '--period', '2025-12']); "
            "print('pandas imported:', 'pandas' in sys.modules, file=sys.stderr); sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code, str(published_home)], capture_output=True, text=True,
                            cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "2025-26 Q3" in result.stdout
    assert "pandas imported: False" in result.stderr
