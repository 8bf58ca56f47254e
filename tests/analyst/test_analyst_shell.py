"""`openbook sql` as a shell: statements over several lines, dot commands, errors as one
line, completion; fed from stdin, and once on a real terminal (a pty) with readline."""
from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import time

from analyst_helpers import OPENBOOK, REPO, openbook

from pipelines import sql_shell
from pipelines.settings import Paths


def run_shell(con, text: str, max_rows: int = 50) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    shell = sql_shell.Shell(con, out=out, err=err, max_rows=max_rows)
    code = shell.run(io.StringIO(text))
    return code, out.getvalue(), err.getvalue()


def test_statements_run_over_several_lines_and_money_is_in_pounds(acon):
    code, out, err = run_shell(acon, """
SELECT partner_id,
       CAST(1234567.5 AS DECIMAL(18, 2)) AS spend,
       CAST(-1234.5 AS DECIMAL(18, 2)) AS credit,
       42 AS lines
FROM dim_partner
WHERE partner_id = 'haven';
""")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["partner_id", "spend", "credit", "lines"]
    assert lines[2].split() == ["haven", "£1,234,567.50", "-£1,234.50", "42"]
    assert lines[0].index("lines") + len("lines") == len(lines[2]), "numbers are right-aligned"
    assert "(1 row)" in out


def test_a_semicolon_inside_a_string_or_comment_does_not_end_the_statement(acon):
    code, out, err = run_shell(acon, "SELECT 'a;b' AS t -- not the end;\n, 2 AS n;\n")
    assert (code, err) == (0, "")
    assert "a;b" in out and "(1 row)" in out


def test_errors_are_one_line_and_the_shell_carries_on(acon):
    code, out, err = run_shell(acon, "SELEC 1;\nSELECT * FROM no_such_table;\nDELETE FROM rpt_mh_spend;\nSELECT 7 AS seven;\n")
    assert code == 1, "errors make a piped session exit 1"
    errors = [line for line in err.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 3
    assert "syntax error" in errors[0]
    assert "no_such_table" in errors[1]
    assert "the analysts' warehouse is read-only" in errors[2]
    assert "Traceback" not in out + err
    assert "seven" in out


def test_dot_commands(acon):
    code, out, err = run_shell(acon, ".help\n.tables\n.schema fct_ledger\n.schema nope\n.info\n.bogus\n.quit\nSELECT 'after quit';\n")
    assert ".schema <table>" in out and ".quit" in out                          # .help
    assert "fct_ledger" in out and "rpt_mh_spend" in out and "Internal tables" in out   # .tables
    assert "raw_ledger" in out
    assert "Grain: one row per source line of a submission" in out             # .schema
    assert "amount" in out and "DECIMAL(18,2)" in out and "positive = money out" in out
    assert "from run:" in out                                                   # .info
    assert "no table nope" in err and "unknown command .bogus" in err
    assert "after quit" not in out


def test_long_results_are_cut_to_maxrows_with_a_hint(acon):
    code, out, err = run_shell(acon, "SELECT * FROM range(100) t(i);\n.maxrows 3\nSELECT * FROM range(100) t(i);\n", max_rows=10)
    first, second = out.split("showing at most 3 rows")
    assert "first 10 rows shown" in first and "first 3 rows shown" in second
    assert "-o" in first


def test_text_from_the_data_cannot_drive_the_terminal(acon):
    code, out, err = run_shell(acon, "SELECT chr(27) || '[2J' || 'x' || chr(10) || 'y' AS t;\n")
    assert "\x1b" not in out
    assert "\\x1b[2Jx⏎y" in out


def test_completion_of_tables_columns_keywords_and_commands(acon):
    shell = sql_shell.Shell(acon, out=io.StringIO(), err=io.StringIO())
    assert "fct_ledger" in shell.completions("fct_le", "SELECT * FROM fct_le")
    assert "rpt_mh_spend" in shell.completions("rpt_mh", "SELECT * FROM rpt_mh")
    assert "funding_stream" in shell.completions("funding_s", "SELECT funding_s")
    assert "fct_ledger.amount" in shell.completions("fct_ledger.am", "SELECT fct_ledger.am")
    assert "l.amount" in shell.completions("l.am", "SELECT l.am")
    assert "SELECT" in shell.completions("SEL", "SEL")
    assert "select" in shell.completions("sel", "sel")
    assert "GROUP" in shell.completions("GRO", "SELECT 1 GRO")
    assert shell.completions(".sch", ".sch") == [".schema"]
    assert "dim_partner" in shell.completions("dim_p", ".schema dim_p")
    assert shell.completions("zzz", "SELECT zzz") == []


def test_piped_stdin_through_the_cli(published_home, acon):
    partners = acon.execute("SELECT count(*) FROM dim_partner").fetchone()[0]
    result = openbook("--home", published_home, "sql",
                      input=".tables\nSELECT count(*) AS partners\nFROM dim_partner;\n")
    assert result.returncode == 0, result.stderr
    assert "fct_ledger" in result.stdout
    assert "partners" in result.stdout and f" {partners}\n" in result.stdout
    assert "Traceback" not in result.stderr


def _read_until(fd: int, marker: bytes, timeout: float = 60) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out waiting for {marker!r}; got {seen[-2000:]!r}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_interactive_shell_on_a_terminal_completes_with_tab_and_keeps_history(published_home, acon, tmp_path):
    partners = acon.execute("SELECT count(*) FROM dim_partner").fetchone()[0]
    history = tmp_path / "history"
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen([*OPENBOOK, "--home", str(published_home), "sql"],
                            stdin=child_fd, stdout=child_fd, stderr=child_fd, cwd=REPO, close_fds=True,
                            env={**os.environ, "OPENBOOK_HISTORY": str(history), "TERM": "dumb"})
    os.close(child_fd)
    try:
        banner = _read_until(main_fd, b"openbook> ")
        assert b"read-only" in banner
        os.write(main_fd, b"SELECT count(*) AS partners FROM dim_part\t")
        _read_until(main_fd, b"dim_partner")                 # readline completed the table name
        os.write(main_fd, b";\n")
        answer = _read_until(main_fd, b"openbook> ")
        assert f" {partners}\r\n".encode() in answer and b"(1 row)" in answer
        os.write(main_fd, b"DROP TABLE dim_partner;\n")
        answer = _read_until(main_fd, b"openbook> ")
        assert b"read-only" in answer and b"Traceback" not in answer
        os.write(main_fd, b".quit\n")
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main_fd)
    assert proc.returncode == 0
    saved = history.read_text()
    assert "SELECT count(*) AS partners FROM dim_partner" in saved
    assert ".quit" in saved


def test_history_goes_under_the_data_home_when_the_home_directory_is_not_writable(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENBOOK_HISTORY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "no-such-home"))
    assert sql_shell.history_path(Paths(tmp_path / "data")) == tmp_path / "data" / ".openbook_history"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert sql_shell.history_path(Paths(tmp_path / "data")) == tmp_path / ".openbook_history"
    monkeypatch.setenv("OPENBOOK_HISTORY", str(tmp_path / "mine"))
    assert sql_shell.history_path(Paths(tmp_path / "data")) == tmp_path / "mine"
