"""`openbook sql`: on a terminal, harlequin on the published copy read-only; the small
built-in shell for statements piped in: statements over several lines, dot commands
(.once/.output write results to files), errors as one line."""
from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import time

import duckdb
import pytest
from analyst_helpers import OPENBOOK, REPO, openbook

from analyst import sql_shell
from warehouse.settings import Paths


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


def test_once_and_output_write_results_in_the_format_the_extension_names(acon, tmp_path):
    once, every = tmp_path / "partners.xlsx", tmp_path / "all.csv"
    code, out, err = run_shell(acon, (
        f".once {once}\nSELECT partner_id FROM dim_partner ORDER BY 1;\n"
        "SELECT 'back on screen' AS where_to;\n"
        f".output {every}\nSELECT 1 AS a;\nSELECT '=cmd()' AS b;\n.output\nSELECT 'screen again' AS c;\n"
        f".once {tmp_path / 'x.xls'}\n.output {tmp_path / 'y.parquet'}\n"))
    import openpyxl

    partners = [r[0] for r in acon.execute("SELECT partner_id FROM dim_partner ORDER BY 1").fetchall()]
    ws = openpyxl.load_workbook(once)["Result"]
    assert [c.value for c in ws["A"]][1:] == partners
    assert "back on screen" in out and "screen again" in out and "=cmd()" not in out
    assert every.read_bytes().decode().split("\r\n") == ["a", "1", "b", "'=cmd()", ""]
    errors = err.splitlines()
    assert len(errors) == 2 and "cannot tell the format" in errors[0] and "use .once" in errors[1]
    assert code == 1


def test_piped_stdin_through_the_cli(published_home, acon):
    partners = acon.execute("SELECT count(*) FROM dim_partner").fetchone()[0]
    result = openbook("--home", published_home, "sql",
                      input=".tables\nSELECT count(*) AS partners\nFROM dim_partner;\n")
    assert result.returncode == 0, result.stderr
    assert "fct_ledger" in result.stdout
    assert "partners" in result.stdout and f" {partners}\n" in result.stdout
    assert "Traceback" not in result.stderr


def _read_until(fd: int, marker: bytes, timeout: float = 90) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out waiting for {marker!r}; got {seen[-2000:]!r}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_on_a_terminal_harlequin_opens_the_published_copy_read_only(published_home, tmp_path, monkeypatch):
    """The command line openbook gives harlequin, and what harlequin's DuckDB adapter then
    does with it: the published copy, read-only, ~/.duckdbrc replaced, no file access."""
    from harlequin_duckdb import DuckDbAdapter

    path = Paths(published_home).published
    init = tmp_path / "init.sql"
    init.write_text(sql_shell.HARLEQUIN_INIT)
    command = sql_shell.harlequin_command(path, init)
    assert command[1:3] == ["-m", "harlequin"] and "--read-only" in command and command[-1] == str(path)
    conn = DuckDbAdapter((str(path),), read_only=True, init_path=str(init)).connect()
    try:
        assert conn.conn.execute("SELECT count(*) FROM dim_partner").fetchone()[0] > 0
        for sql in ("DROP TABLE dim_partner", f"ATTACH '{Paths(published_home).warehouse}' AS live",
                    f"COPY dim_partner TO '{tmp_path / 'p.csv'}'"):
            with pytest.raises(duckdb.Error):
                conn.conn.execute(sql)
        with pytest.raises(duckdb.Error):
            conn.conn.execute("SET enable_external_access = true")
    finally:
        conn.conn.close()
    assert not (tmp_path / "p.csv").exists()


def test_harlequin_starts_on_a_real_terminal_and_shows_the_catalog(published_home, tmp_path):
    main_fd, child_fd = pty.openpty()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    # its own session, so that harlequin (a child of openbook) can be stopped with it
    proc = subprocess.Popen([*OPENBOOK, "--home", str(published_home), "sql"],
                            stdin=child_fd, stdout=child_fd, stderr=child_fd, cwd=REPO, close_fds=True,
                            start_new_session=True,
                            env={**os.environ, "TERM": "xterm-256color", "HOME": str(tmp_path)})
    os.close(child_fd)
    try:
        screen = _read_until(main_fd, b"Data Catalog", timeout=120)
        screen += _read_until(main_fd, b"openbook", timeout=30)      # the published copy in the catalog
        assert b"Traceback" not in screen
    finally:
        import signal

        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(main_fd)


def test_plain_gives_the_built_in_shell_on_a_terminal(published_home, acon):
    partners = acon.execute("SELECT count(*) FROM dim_partner").fetchone()[0]
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen([*OPENBOOK, "--home", str(published_home), "sql", "--plain"],
                            stdin=child_fd, stdout=child_fd, stderr=child_fd, cwd=REPO, close_fds=True,
                            env={**os.environ, "TERM": "dumb"})
    os.close(child_fd)
    try:
        banner = _read_until(main_fd, b"openbook> ")
        assert b"read-only" in banner
        os.write(main_fd, b"SELECT count(*) AS partners FROM dim_partner;\n")
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
