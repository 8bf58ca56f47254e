"""Hostile content through the whole pipeline, files confined to the inbox, and no
secrets in the repository.

One pipeline run (the small home of tests/pipeline) over hostile inputs: a partner whose
name is a spreadsheet formula, HTML and SQL; cost centres made of SQL and script; the
supplier names of corpus cases c39-c41 (formula injection, HTML, SQL) added to a real
submission; a file named like corpus case c45; an amount that is a script; and a link
in the inbox to a file outside it. Then: every table is there and holds the text as
sent (values are bound, never formatted into SQL), the link was not followed, and the
actual board packs and HTML pages neutralise and escape all of it.
"""
from __future__ import annotations

import csv
import io
import os
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest

from tests.dagster_events import events_in_memory
from tests.pipeline.conftest import query
from tests.reliability.corpus_harness import CASES

HOSTILE_PARTNER = "=cmd|' /C calc'!A0 <script>alert(\"partner\")</script> '; DROP TABLE stg_ledger; --"
MAPPED_HOSTILE_CC = "'; DROP TABLE stg_ledger; --"
UNMAPPED_HOSTILE_CC = "<script>alert(\"cost centre\")</script>"
HOSTILE_AMOUNT = "<img src=x onerror=alert(\"amount\")>"
HOSTILE_FILE = '=HYPERLINK("evil.example") <img src=x onerror=alert(1)> spend over 25k - June 2025.csv'
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CORE_TABLES = {"load_log", "raw_ledger", "quarantine", "skipped_rows", "stg_ledger", "fct_ledger", "dq_results",
               "ref_partners", "ref_cost_centre_map", "rpt_mh_spend", "rpt_dq_submissions", "rpt_dq_quarantine"}


def _corpus_rows(case_id: str) -> list[str]:
    """The data rows of a corpus case, moved from July into June."""
    (path,) = [p for p in (CASES / case_id).iterdir() if p.name != "case.yaml"]
    return [line.replace("-Jul-25", "-Jun-25") for line in path.read_text(encoding="utf-8").splitlines()[1:]]


def _make_hostile(home: Path, outside: Path) -> None:
    partners = home / "reference" / "partners.csv"
    rows = list(csv.reader(io.StringIO(partners.read_text(encoding="utf-8"))))
    for row in rows:
        if row[0] == "la_ashby":
            row[1] = HOSTILE_PARTNER
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    partners.write_text(out.getvalue(), encoding="utf-8")

    cc_map = home / "reference" / "cost_centre_map.csv"
    with open(cc_map, "a", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow(
            ["la_ashby", MAPPED_HOSTILE_CC, UNMAPPED_HOSTILE_CC + " name", "adult_community", "ashby", "s75_pooled",
             "expenditure", ""])

    june = home / "inbox" / "la_ashby" / "Spend_over_500_2025-06.csv"
    body = "Ashby Borough Council,Adult Social Care,Older People,Supported living,{cc},10-Jun-25,{tid},Caremark,{amount}"
    extra = [*_corpus_rows("c39_formula_injection_suppliers"), *_corpus_rows("c40_html_script_suppliers"),
             *_corpus_rows("c41_sql_injection_text"),
             body.format(cc=MAPPED_HOSTILE_CC, tid="X1", amount="900.00"),
             body.format(cc='"' + UNMAPPED_HOSTILE_CC.replace('"', '""') + '"', tid="X2", amount="901.00"),
             body.format(cc="31210", tid="X3", amount='"' + HOSTILE_AMOUNT.replace('"', '""') + '"')]
    june.write_text(june.read_text(encoding="utf-8") + "\n".join(extra) + "\n", encoding="utf-8")

    icb = home / "inbox" / "nw_icb"
    (icb / "NHS North Weald ICB spend over 25k - June 2025.csv").rename(icb / HOSTILE_FILE)

    outside.mkdir()
    secret = outside / "Spend_over_500_2025-06_v9.csv"
    secret.write_text(june.read_text(encoding="utf-8").splitlines()[0] + "\n" + body.format(
        cc="31210", tid="SECRET", amount="999999.99") + "\n", encoding="utf-8")
    os.symlink(secret, june.with_name(secret.name))


@pytest.fixture(scope="module")
def hostile_run(_small_template, tmp_path_factory):
    import shutil

    from pipelines.runner import Runner
    from warehouse.settings import HOME_VARIABLES, Paths, environment_restored

    root = tmp_path_factory.mktemp("hostile")
    home = root / "home"
    shutil.copytree(_small_template, home, copy_function=shutil.copy2)
    _make_hostile(home, root / "outside")
    events_in_memory(home)  # one Runner; the tests read the warehouse and reports only
    with environment_restored(*HOME_VARIABLES):
        summary = Runner(Paths(home)).run_all(progress=lambda _: None)
    return home, summary


@pytest.mark.slow  # hostile_run: a whole pipeline run, reports included
def test_hostile_text_leaves_every_table_intact_and_is_stored_as_sent(hostile_run):
    home, summary = hostile_run
    assert summary.ok, [step for step in summary.steps if not step[3]]
    tables = {r[0] for r in query(home, "SELECT table_name FROM information_schema.tables")}
    assert CORE_TABLES <= tables
    for table in ("raw_ledger", "stg_ledger", "fct_ledger", "load_log", "rpt_mh_spend"):
        assert query(home, f"SELECT count(*) FROM {table}")[0][0] > 0, table
    assert query(home, "SELECT name FROM ref_partners WHERE partner_id = 'la_ashby'") == [(HOSTILE_PARTNER,)]
    stored = {r[0] for r in query(home, "SELECT counterparty FROM fct_ledger WHERE partner_id = 'la_ashby'")}
    assert {"=cmd|' /C calc'!A0", "<script>alert('openbook')</script>", "Robert'); DROP TABLE raw_ledger;--"} <= stored
    # c41's row and X1: mapped (the map holds the same text), so staged like any other line
    assert query(home, "SELECT count(*) FROM stg_ledger WHERE cost_centre = $c", {"c": MAPPED_HOSTILE_CC}) == [(2,)]
    reasons = set(query(home, "SELECT reason_code, message FROM quarantine WHERE partner_id = 'la_ashby'"
                              " AND period = '2025-06'"))
    # an unmapped cost centre is kept as unclassified since mapping by rules (issue 16), text as sent
    assert query(home, "SELECT service_line, mapped_by FROM stg_ledger WHERE cost_centre = $c",
                 {"c": UNMAPPED_HOSTILE_CC}) == [("unclassified", "unmapped")]
    assert any(code == "BAD_AMOUNT" and HOSTILE_AMOUNT in message for code, message in reasons)
    loaded = query(home, "SELECT parse_filename(source_file) FROM load_log WHERE status = 'current' AND partner_id = 'nw_icb'"
                         " AND period = '2025-06'")
    assert loaded == [(HOSTILE_FILE,)]


@pytest.mark.slow  # hostile_run: a whole pipeline run, reports included
def test_a_link_in_the_inbox_is_not_followed(hostile_run):
    home, _ = hostile_run
    assert query(home, "SELECT count(*) FROM raw_ledger WHERE transaction_id = 'SECRET'") == [(0,)]
    (message,) = query(home, "SELECT message FROM load_log WHERE source_file LIKE '%_v9.csv'")[0]
    assert "is a symbolic link; links are not followed" in message


def _report_files(home: Path, suffix: str) -> list[Path]:
    files = sorted(p for p in (home / "reports").rglob(f"*{suffix}") if p.is_file())
    assert files, f"no {suffix} reports were written"
    return files


_CELL_REF = re.compile(r"\$?[A-Z]{1,3}\$?[0-9]+")
_OWN_FUNCTIONS = re.compile(r"\b(SUBTOTAL|IF|N|ROUND|ABS)\(")


def _own_formula(text: str) -> bool:
    """A formula the pack writes itself (totals): functions SUBTOTAL, IF, N, ROUND, ABS over cell
    references and numbers, the only text an empty "". No partner text can make one of these."""
    rest = _CELL_REF.sub("", _OWN_FUNCTIONS.sub("(", text[1:].replace('""', "")))
    return (text.startswith("=") and _CELL_REF.search(text) is not None
            and re.fullmatch(r"[0-9(),:+\-*/=.]*", rest) is not None)


@pytest.mark.slow  # hostile_run: a whole pipeline run, reports included
def test_board_packs_hold_no_formula_and_neutralise_partner_text(hostile_run):
    home, _ = hostile_run
    neutralised = []
    for path in _report_files(home, ".xlsx"):
        book = openpyxl.load_workbook(path)  # formulas as written, not cached values
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    where = f"{path.name} {sheet.title}!{cell.coordinate}"
                    # the pack's own formulas only: SUBTOTAL and arithmetic over cell references
                    assert cell.data_type != "f" or _own_formula(cell.value), f"{where} is a formula: {cell.value!r}"
                    assert cell.hyperlink is None or "evil.example" not in str(cell.hyperlink.target), where
                    if isinstance(cell.value, str) and cell.data_type != "f":    # text: never a formula
                        assert not cell.value.startswith(FORMULA_TRIGGERS), f"{where} starts a formula: {cell.value!r}"
                        if cell.value.startswith("'=cmd|") or cell.value.startswith("'=HYPERLINK("):
                            neutralised.append(cell.value)
    # the hostile texts did reach the packs, as text with the apostrophe in front
    assert any(HOSTILE_PARTNER in value for value in neutralised), "the hostile partner name is not in any pack"
    assert any(HOSTILE_FILE in value for value in neutralised), "the hostile file name is not in any pack"


@pytest.mark.slow  # hostile_run: a whole pipeline run, reports included
def test_html_pages_escape_partner_text(hostile_run):
    home, _ = hostile_run
    pages = {path: path.read_text(encoding="utf-8") for path in _report_files(home, ".html")}
    raw = ["<script>alert(", "<img src=x onerror"]  # a tag that would run; escaped text is fine
    for path, text in pages.items():
        scripts = re.findall(r"<script\b[^>]*>", text)
        assert all("alert" not in tag for tag in scripts), path
        for needle in raw:
            assert needle not in text, f"{path.name} holds {needle!r} unescaped"
    everything = "".join(pages.values())
    assert "&lt;script&gt;alert(&quot;partner&quot;)&lt;/script&gt;" in everything  # it reached the pages, escaped
    assert "&lt;img src=x onerror=alert(1)&gt;" in everything  # the file name
    # the unmapped cost centre: since issue 16 a kept, unclassified line, shown escaped in the failed
    # checks' failing values (read out of the checks' JSON sample as 'Cost centre: ...')
    assert "Cost centre: &lt;script&gt;alert(&quot;cost centre&quot;)&lt;/script&gt;" in everything


# --------------------------------------------------------------------------- secrets

# High-confidence shapes only, so a hit is worth stopping for. Built from parts, so this
# file does not match itself.
SECRET_PATTERNS = {
    "private key": "-----BEGIN ([A-Z]+ )?" + "PRIVATE KEY-----",
    "AWS access key id": r"\b(AKIA|ASIA)" + r"[0-9A-Z]{16}\b",
    "GitHub token": r"\bgh[pousr]_" + r"[A-Za-z0-9]{36,}\b",
    "GitHub fine-grained token": r"\bgithub_pat_" + r"[A-Za-z0-9_]{50,}\b",
    "Slack token": r"\bxox[abposr]-" + r"[A-Za-z0-9-]{10,}",
    "Google API key": r"\bAIza" + r"[0-9A-Za-z_\-]{35}\b",
    "OpenAI-style key": r"\bsk-(proj-)?" + r"[A-Za-z0-9_\-]{32,}\b",
    "password in a URL": r"[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:" + r"[^/\s:@'\"]{6,}@[\w.-]+",
}
SECRET_FILES = re.compile(r"(^|/)(\.env(\..*)?|id_(rsa|dsa|ecdsa|ed25519)|.*\.(pem|key|p12|pfx|keystore))$")


def _tracked_files() -> list[str]:
    root = Path(__file__).resolve().parents[2]
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
    return [name for name in listing.decode().split("\0") if name]


def _secrets_in(name: str, data: bytes) -> list[str]:
    found = [f"{name}: a file of a kind that holds secrets"] if SECRET_FILES.search(name) else []
    text = data.decode("utf-8", errors="ignore")
    for kind, pattern in SECRET_PATTERNS.items():
        for match in re.finditer(pattern, text):
            found.append(f"{name}: {kind} ({match.group(0)[:12]}...)")
    return found


def test_the_secret_patterns_find_secrets():
    samples = {
        "private key": "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIE...",
        "AWS access key id": "key = AKIA" + "ABCDEFGHIJKLMNOP",
        "GitHub token": "token: ghp_" + "a" * 36,
        "password in a URL": "postgres://openbook:" + "hunter22@db.example:5432/x",
    }
    for kind, text in samples.items():
        assert any(kind in hit for hit in _secrets_in("sample.txt", text.encode())), kind
    assert _secrets_in("deploy/.env", b"")
    assert _secrets_in("docs/x.md", b"the password is in the vault; see https://example.org/a:b") == []


def test_no_secrets_in_the_tracked_tree():
    root = Path(__file__).resolve().parents[2]
    names = _tracked_files()
    assert len(names) > 100  # really the project's tree
    hits = []
    for name in names:
        path = root / name
        if path.is_file() and path.stat().st_size < 5_000_000:
            hits += _secrets_in(name, path.read_bytes())
    assert hits == []
