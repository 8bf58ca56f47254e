"""A period's reports are kept, not written again, when nothing they were made from changed
(assets/report_inputs.py): the report code and every table the last build read. The builders are
stubbed by ones that read named tables, so what the reports read is known here."""
from __future__ import annotations

import os

import duckdb
import pytest

from assets import report_assets, report_inputs

PERIOD = "2025-06"


@pytest.fixture
def con():
    connection = duckdb.connect()
    connection.execute("CREATE TABLE rpt_mh_spend AS SELECT * FROM (VALUES ('north_weald'), ('south_fen')) t(ics_id)")
    connection.execute("CREATE TABLE rpt_open_book (period VARCHAR, net DECIMAL(18,2))")
    connection.execute("INSERT INTO rpt_open_book VALUES ('2025-05', 10.00), ('2025-06', 20.00)")
    connection.execute("CREATE VIEW v_book AS SELECT * FROM rpt_open_book")   # read through a view
    connection.execute("CREATE TABLE rpt_unread (x INTEGER)")
    yield connection
    connection.close()


def _site_reading_the_book(con, period, out_dir, *, run_id="", last=None, shared=None):
    """The site's stand-in: a page of the book's net to date, read through a view."""
    total = con.execute("SELECT sum(net) FROM v_book WHERE period <= $p", {"p": period}).fetchone()[0]
    out_dir.mkdir()
    (out_dir / "index.html").write_text(f"{run_id} {total}")


@pytest.fixture(autouse=True)
def stub_builders(monkeypatch):
    monkeypatch.setattr(report_assets, "build_board_pack", lambda con, period, path, **_: path.write_text("pack"))
    monkeypatch.setattr(report_assets, "build_html_site", _site_reading_the_book)


def _live(reports):
    return os.readlink(reports / PERIOD), (reports / PERIOD / "html" / "index.html").read_text()


def test_reports_are_kept_until_a_table_they_read_or_their_code_changes(con, tmp_path, monkeypatch):
    reports = tmp_path / "reports"
    first = report_assets.write_reports(con, PERIOD, reports, "one")
    assert not first.kept and _live(reports)[1] == "one 30.00"

    again = report_assets.write_reports(con, PERIOD, reports, "two")          # nothing changed
    assert again.kept and _live(reports) == (_live(reports)[0], "one 30.00")
    con.execute("INSERT INTO rpt_unread VALUES (1)")                           # a table no report reads
    assert report_assets.write_reports(con, PERIOD, reports, "three").kept
    assert [p.name for p in reports.glob(f".{PERIOD}.*")] == [_live(reports)[0]]   # one version, no litter

    con.execute("UPDATE rpt_open_book SET net = 21.00 WHERE period = '2025-06'")   # read through the view
    changed = report_assets.write_reports(con, PERIOD, reports, "four")
    assert not changed.kept and _live(reports)[1] == "four 31.00"

    con.execute("CREATE OR REPLACE VIEW v_book AS SELECT period, net * 2 AS net FROM rpt_open_book")   # a definition
    assert not report_assets.write_reports(con, PERIOD, reports, "five").kept
    assert _live(reports)[1] == "five 62.00"

    monkeypatch.setattr(report_inputs, "code_version", lambda: "other code")   # the report code
    assert not report_assets.write_reports(con, PERIOD, reports, "six").kept
    assert report_assets.write_reports(con, PERIOD, reports, "seven").kept
    assert _live(reports)[1] == "six 62.00"


def test_a_rebuild_writes_the_reports_though_nothing_changed(con, tmp_path):
    # `openbook report --rebuild` (the board_reports asset's `rebuild` config): a new version all the same
    reports = tmp_path / "reports"
    report_assets.write_reports(con, PERIOD, reports, "one")
    rebuilt = report_assets.write_reports(con, PERIOD, reports, "two", rebuild=True)
    assert not rebuilt.kept and _live(reports)[1] == "two 30.00"
    assert report_assets.write_reports(con, PERIOD, reports, "three").kept


def test_the_report_command_passes_rebuild_to_the_asset(monkeypatch, tmp_path):
    from pipelines import cli
    from pipelines.runner import DONE, Outcome, Runner, RunSummary

    asked = []

    def run(self, job, period, ops=None):
        asked.append((job, period, ops))
        self.summary.outcomes.append(Outcome(job, period, DONE, ""))
        return True

    monkeypatch.setattr(Runner, "__init__", lambda self, paths: setattr(self, "summary", RunSummary()))
    monkeypatch.setattr(Runner, "check_report_period", lambda self, period: None)
    monkeypatch.setattr(Runner, "run", run)
    for extra in ([], ["--rebuild"]):
        assert cli.main(["--home", str(tmp_path), "report", "--period", PERIOD, *extra]) == 0
    assert asked == [("report_job", PERIOD, None),
                     ("report_job", PERIOD, {"board_reports": {"config": {"rebuild": True}}})]


def test_what_a_build_read_is_recorded_with_views_followed(con, tmp_path):
    reports = tmp_path / "reports"
    report_assets.write_reports(con, PERIOD, reports, "one")
    inputs = report_inputs.kept(report_assets.current_version(reports / PERIOD))
    assert inputs["tables"] == ["rpt_mh_spend", "v_book"]
    assert sorted(inputs["content"]) == ["rpt_mh_spend", "rpt_open_book", "v_book"]
    assert inputs["content"]["v_book"] is None and inputs["content"]["rpt_open_book"].endswith("|2|" + str(
        con.execute("SELECT sum(hash(t)::HUGEINT) FROM rpt_open_book t").fetchone()[0]))


def test_recording_notes_each_table_once_a_text_is_run_again(con, monkeypatch):
    """A text run again (the packs and the site run the same queries) is parsed once; a text
    naming another table, or the same table under other parameters, is still noted."""
    parsed = []
    monkeypatch.setattr(report_inputs, "tables_read",
                        lambda sql, *a, _read=report_inputs.tables_read: parsed.append(sql) or _read(sql, *a))
    recording = report_inputs.Recording(con)
    for period in ("2025-05", "2025-06"):
        assert recording.execute("SELECT sum(net) FROM rpt_open_book WHERE period = $p", {"p": period}).fetchone()
    assert recording.tables == {"rpt_open_book"}
    recording.execute("SELECT count(*) FROM rpt_unread").fetchone()
    recording.execute("SELECT count(*) FROM v_book").fetchone()
    assert recording.tables == {"rpt_open_book", "rpt_unread", "v_book"}
    assert len(parsed) == 3 and len(set(parsed)) == 3
