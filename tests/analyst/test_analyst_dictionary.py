"""The data dictionary is generated from the published warehouse itself: every public table
and column with a description, grain, keys, row count and a working example; the public
surface is a reviewed contract (tests/analyst/public_contract.txt).

After an intended change to a public table (and its SQL header), regenerate the contract:
    OPENBOOK_UPDATE_SNAPSHOTS=1 make test      (or .venv/bin/python -m pytest tests/analyst)
and review the diff of tests/analyst/public_contract.txt.
"""
from __future__ import annotations

import html
import os
import re
from pathlib import Path

import duckdb
import pytest

from analyst import access as analyst
from analyst.publish import example_query, read_dictionary, render_html, render_markdown, write_dictionary
from warehouse.settings import Paths

CONTRACT = Path(__file__).resolve().parent / "public_contract.txt"


@pytest.fixture(scope="module")
def dictionary_dir(published_home, tmp_path_factory):
    out = tmp_path_factory.mktemp("dictionary")
    con = analyst.connect(published_home)
    try:
        write_dictionary(con, out)
    finally:
        con.close()
    return out


def test_the_pipeline_wrote_the_dictionary_beside_the_reports(published_home):
    reports = Paths(published_home).reports
    assert (reports / "dictionary.md").is_file() and (reports / "dictionary.html").is_file()
    assert "fct_ledger" in (reports / "dictionary.html").read_text()


def test_every_public_column_has_a_description(acon):
    missing = analyst.missing_descriptions(acon)
    assert missing == [], ("public tables/columns without a description (document them in the "
                           f"'-- Columns:' header of their SQL file): {', '.join(missing)}")


def test_the_dictionary_lists_every_public_table_and_column_with_its_description(acon, dictionary_dir):
    md = (dictionary_dir / "dictionary.md").read_text()
    page = (dictionary_dir / "dictionary.html").read_text()
    public = [t for t in analyst.catalog(acon) if t.public]
    assert {t.name for t in public} >= {"fct_ledger", "dim_partner", "dim_place", "dim_service_line", "rpt_mh_spend"}
    for table in public:
        assert f"### {table.name}\n" in md, table.name
        assert f'<h3 id="{table.name}">' in page, table.name
        assert f"- **Rows:** {table.rows:,}" in md, table.name
        if table.grain:
            assert f"**Grain:** {html.escape(table.grain, quote=False)}" in md
        section = md.split(f"### {table.name}\n", 1)[1].split("\n### ", 1)[0]
        for column in table.columns:
            cell = html.escape(column.description, quote=False).replace("|", "\\|")
            assert column.description and f"| `{column.name}` | {column.type} | {cell} |" in section, \
                f"{table.name}.{column.name}"
            assert html.escape(column.description) in page, f"{table.name}.{column.name}"


def test_internal_tables_are_listed_apart(acon, dictionary_dir):
    md = (dictionary_dir / "dictionary.md").read_text()
    public_part, internal_part = md.split("## Internal tables", 1)
    for name in ("raw_ledger", "stg_ledger", "load_log", "quarantine"):
        assert f"| {name} |" in internal_part and f"### {name}\n" not in public_part


def test_every_example_query_runs_and_returns_rows(acon):
    for table in analyst.catalog(acon):
        if table.public and table.rows:
            assert acon.execute(example_query(table)).fetchall(), table.name


def test_the_html_is_escaped_and_offline(dictionary_dir):
    page = (dictionary_dir / "dictionary.html").read_text()
    assert not re.search(r"""<(script|link|img)\b[^>]*(src|href)=["']?https?:""", page)
    assert "<script" not in page


def test_hostile_comments_are_escaped_in_both_files():
    con = duckdb.connect()
    con.execute("CREATE TABLE rpt_x (a VARCHAR)")
    con.execute("COMMENT ON TABLE rpt_x IS '<script>alert(1)</script> a | b. Grain: one row per <b>thing</b>.'")
    con.execute("COMMENT ON COLUMN rpt_x.a IS 'x < y & <img src=x onerror=alert(1)> | z'")
    con.execute("INSERT INTO rpt_x VALUES ('v')")
    d = read_dictionary(con)
    page, md = render_html(d), render_markdown(d)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page and "<img" not in md and "<script>" not in md
    assert "| `a` | VARCHAR | x &lt; y &amp; &lt;img src=x onerror=alert(1)&gt; \\| z |" in md


def test_a_public_column_without_a_description_is_named():
    con = duckdb.connect()
    con.execute("CREATE TABLE rpt_documented (a INTEGER, b INTEGER)")
    con.execute("COMMENT ON TABLE rpt_documented IS 'documented. Grain: one row per a.'")
    con.execute("COMMENT ON COLUMN rpt_documented.a IS 'the a'")
    con.execute("CREATE TABLE dim_bare (c INTEGER)")
    con.execute("CREATE TABLE stg_internal (d INTEGER)")       # internal: not checked
    assert analyst.missing_descriptions(con) == ["dim_bare", "dim_bare.c", "rpt_documented.b"]


def test_the_public_tables_and_columns_match_the_reviewed_contract(acon):
    current = "\n".join(analyst.public_contract(acon)) + "\n"
    if os.environ.get("OPENBOOK_UPDATE_SNAPSHOTS") == "1":
        CONTRACT.write_text(current)
    assert CONTRACT.exists(), "no contract yet: run with OPENBOOK_UPDATE_SNAPSHOTS=1"
    committed = set(CONTRACT.read_text().splitlines()) - {""}
    now = set(current.splitlines())
    added, removed = sorted(now - committed), sorted(committed - now)
    assert not added and not removed, (
        "the public tables/columns changed; if intended, update the SQL header and regenerate "
        "tests/analyst/public_contract.txt with OPENBOOK_UPDATE_SNAPSHOTS=1\n"
        f"  added:   {added}\n  removed: {removed}")


def test_the_dictionary_says_the_copy_is_read_only_and_what_load_log_counts(dictionary_dir):
    for name in ("dictionary.md", "dictionary.html"):
        text = (dictionary_dir / name).read_text(encoding="utf-8").replace("&#x27;", "'")
        assert "read-only (mode 0444)" in text, name
        for count in ("rows_read", "rows_loaded", "rows_quarantined", "rows_skipped"):
            assert f"{count}</code>:" in text or f"`{count}`:" in text, (name, count)
        assert "not the rows staged" in text and "stage = 'staging'" in text, name


def test_the_pipelines_dictionary_counts_each_view_as_the_published_copy_holds_it(published_home, acon):
    """The run's dictionary takes a view's row count from the view's build in the same run rather
    than computing the view again: each count is what a count of the published copy finds."""
    md = (Paths(published_home).reports / "dictionary.md").read_text()
    views = [r[0] for r in acon.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal "
                                        "AND view_name LIKE 'fct_%' ORDER BY 1").fetchall()]
    assert "fct_ledger" in views and "fct_contract_payment_lines" in views
    for view in views:
        (rows,) = acon.execute(f'SELECT count(*) FROM "{view}"').fetchone()
        section = md.split(f"### {view}\n", 1)[1].split("\n### ", 1)[0]
        assert f"- **Rows:** {rows:,}" in section, view
