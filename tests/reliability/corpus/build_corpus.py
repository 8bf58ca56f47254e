"""Writes the input files of the bad-input corpus (tests/reliability/corpus/cases/*/).

    .venv/bin/python tests/reliability/corpus/build_corpus.py

Each case folder holds one input file (named as it would arrive in the inbox) and a
hand-written case.yaml saying what must happen to it. This script writes the input files
only, never the expectations: those are worked out by hand from the bytes below, so a
change to the readers cannot quietly move both. Cases too big to keep in git (tens of MB,
zip bombs, symbolic links, a file name that is not UTF-8) are made at test time from the
`generate:` entry of their case.yaml (tests/reliability/corpus_harness.py).

The password-protected workbook needs msoffcrypto-tool, which the project does not
depend on: it is made once in a throwaway venv (pip install msoffcrypto-tool==6.1.0) and
kept; without that package this script leaves the committed file alone.
"""
from __future__ import annotations

import gzip
import io
import random
import re
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
GOOD = HERE / "good"
WHEN = datetime(2025, 8, 1, 9, 0, 0)

# --- la_ashby: local authority "spend over £500" (la500), UTF-8 ------------------------
LA_HEADER = ("Body Name,Service Area,Service Division,Expenditure Category,Cost Centre Code,Payment Date,"
             "Transaction ID,Supplier Name,Amount (£)")
LA_JULY = "Spend_over_500_2025-07.csv"  # a new period: loaded cases
LA_RESUB = "Spend_over_500_2025-06_v2.csv"  # a resubmission of the good period: refused cases


def la(tid: str, amount: str, supplier: str = "Caremark", date: str = "02-Jul-25", cc: str = "31210",
       body: str = "Ashby Borough Council") -> str:
    return f"{body},Adult Social Care,Older People,Supported living,{cc},{date},{tid},{supplier},{amount}"


def la_file(*rows: str, header: str = LA_HEADER, end: str = "\n") -> bytes:
    return end.join([header, *rows, ""]).encode("utf-8")


GOOD_LA = [la("LA1", "1250.00"), la("LA2", "612.40", "Foster Care Associates", "15-Jul-25")]

# --- nw_icb: HM Treasury "spend over £25k" (hmt25k), Windows-1252 ------------------------
NW_HEADER = "Department family,Entity,Date,Expense type,Expense area,Supplier,Transaction number,Amount"


def nw(tid: str, amount: str, supplier: str = "St Luke's Hospice", date: str = "02/07/2025", area: str = "NW5201") -> str:
    return (f"Department of Health and Social Care,NHS North Weald ICB,{date},Clinical services - community,"
            f"{area},{supplier},{tid},{amount}")


def nw_file(*rows: str, encoding: str = "cp1252") -> bytes:
    return "\r\n".join([NW_HEADER, *rows, ""]).encode(encoding)


NW_JULY = "NHS North Weald ICB spend over 25k - July 2025.csv"

# --- haven: VCSE management accounts (vcse_mgmt), .xlsx --------------------------------
HAVEN_GOOD = "Haven Crisis Houses management accounts M03 2025-26.xlsx"
HAVEN_JULY = "Haven Crisis Houses management accounts M04 2025-26.xlsx"
HAVEN_RESUB = "Haven Crisis Houses management accounts M03 2025-26 (revised).xlsx"
HAVEN_HEADER = [None, "Cost Centre", "Description", "Funder", "Budget", "Actual", "Variance"]


def haven_book(rows: list[list], month: str = "Month 3 2025/26") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Management Accounts"
    sheet.append(["Haven Crisis Houses - management accounts"])
    sheet.append([month])
    sheet.append([])
    sheet.append(HAVEN_HEADER)
    for row in rows:
        sheet.append(row)
    return save(book)


def save(book: Workbook) -> bytes:
    """Workbook bytes that depend on the content only (fixed document and zip times)."""
    book.properties.creator = "openbook reliability corpus"
    book.properties.created = book.properties.modified = WHEN
    first = io.BytesIO()
    with zipfile.ZipFile(first, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).write_data()  # book.save() would stamp the time of saving
    return restamp(first.getvalue())


def restamp(data: bytes, replace: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            fixed = zipfile.ZipInfo(entry.filename, date_time=WHEN.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, (replace or {}).get(entry.filename, source.read(entry.filename)))
    return out.getvalue()


GOOD_HAVEN_ROWS = [
    [None, "HAV-ASH-10", "Ashby crisis house - staffing", None, 42000, 41250.5, 749.5],
    [None, "HAV-DUN-10", "Dunmere crisis house - staffing", None, 38000, 37125.25, 874.75],
    [None, "HAV-FEN-30", "Fenwick crisis house - premises", None, 9000, 8800, 200],
    [None, "HAV-ASH-90", "Ashby crisis house - income", "NHS North Weald ICB", -50000, -50000, 0],
    [None, "Total", None, None, 39000, 37175.75, 1824.25],
]


def formula_cells_book() -> bytes:
    """Cells holding formulas with the values Excel cached for them, and an error value:
    the reader must take the cached values and never evaluate anything."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Management Accounts"
    sheet.append(["Haven Crisis Houses - management accounts"])
    sheet.append(["Month 4 2025/26"])
    sheet.append([])
    sheet.append(HAVEN_HEADER)
    sheet.append([None, "HAV-ASH-10", "FORMULA-DESCRIPTION", None, 1000, "FORMULA-ACTUAL", 0])
    sheet.append([None, "HAV-DUN-10", "Staffing", None, 1000, "ERROR-ACTUAL", 0])
    sheet.append([None, "HAV-FEN-30", "Premises", None, 500, 450.25, 49.75])
    data = save(book)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    formulas = {
        "FORMULA-DESCRIPTION": ('t="str"', '<f>HYPERLINK("http://evil.example/","Click me")</f><v>Click me</v>'),
        "FORMULA-ACTUAL": ("", "<f>SUM(1000,250.5)</f><v>1250.5</v>"),
        "ERROR-ACTUAL": ('t="e"', "<f>1/0</f><v>#DIV/0!</v>"),
    }
    for text, (kind, body) in formulas.items():  # openpyxl writes text as inline strings
        pattern = rf'<c r="([A-Z]+[0-9]+)"([^>]*?) t="inlineStr"><is><t>{text}</t></is></c>'
        sheet_xml, count = re.subn(pattern, lambda m: f'<c r="{m.group(1)}"{m.group(2)} {kind}>{body}</c>', sheet_xml)
        assert count == 1, text
    return restamp(data, {"xl/worksheets/sheet1.xml": sheet_xml.encode()})


def gl_file(first_two: str) -> bytes:
    """A debit/credit ledger whose first two columns hold, in this order: credits, debits."""
    return (f"{first_two},Cost Centre,Date,Ref,Supplier\n"
            ",2000000.00,31210,02-Jul-25,D1,Caremark\n"
            "100000.00,,31210,03-Jul-25,D2,Caremark\n"
            ",1600000.00,31310,15-Jul-25,D3,Foster Care Associates\n").encode()


def encrypted_book(plain: bytes) -> bytes | None:
    script = (
        "import io, sys, msoffcrypto.format.ooxml as o\n"
        "out = io.BytesIO()\n"
        "o.OOXMLFile(io.BytesIO(sys.stdin.buffer.read())).encrypt('openbook', out)\n"
        "sys.stdout.buffer.write(out.getvalue())\n"
    )
    try:
        import msoffcrypto  # noqa: F401
    except ImportError:
        return None
    return subprocess.run([sys.executable, "-c", script], input=plain, capture_output=True, check=True).stdout


def files() -> dict[str, tuple[str, bytes]]:
    """case id -> (inbox file name, bytes)."""
    junk = random.Random(20261123).randbytes(8192)
    good_haven = haven_book(GOOD_HAVEN_ROWS)
    july_haven = haven_book([[None, "HAV-ASH-10", "Staffing", None, 1000, 950.5, 49.5]], "Month 4 2025/26")
    return {
        # empty and structural
        "c01_empty_file": (LA_RESUB, b""),
        "c02_whitespace_only": (LA_RESUB, b"  \r\n\t\n   \n"),
        "c03_header_only": (LA_RESUB, la_file()),
        "c04_header_and_totals_only": (LA_RESUB, la_file(la("", "1862.40", "", "", "", body="Total"))),
        "c05_utf8_bom": (LA_JULY, b"\xef\xbb\xbf" + la_file(*GOOD_LA)),
        # encodings
        "c06_cp1252_read_as_utf8": (LA_RESUB, la_file(*GOOD_LA).decode().encode("cp1252")),
        "c07_mixed_encoding": (LA_RESUB, la_file(*GOOD_LA) + la("LA3", "99.00", "Café Nero").encode("cp1252") + b"\n"),
        "c08_utf16_text": (LA_RESUB, la_file(*GOOD_LA).decode().encode("utf-16")),
        "c09_utf8_read_as_cp1252": (NW_JULY, nw_file(nw("NW1", '"26,000.00"', "Café Ltd"), nw("NW2", '"£30,000.00"'),
                                                     encoding="utf-8")),
        # not text at all
        "c10_binary_junk_named_csv": (LA_RESUB, junk),
        "c11_pdf_named_csv": (LA_RESUB, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\n" + junk[:512]),
        "c12_xlsx_named_csv": (LA_RESUB, good_haven),
        "c13_gzip_named_csv": (LA_RESUB, gzip.compress(la_file(*GOOD_LA), mtime=0)),
        "c14_nul_byte_in_value": (LA_JULY, la_file(GOOD_LA[0], la("LA2", "612.40", "Foster\x00Care"))),
        # line structure
        "c15_old_mac_line_endings": (LA_JULY, la_file(*GOOD_LA, end="\r")),
        "c16_unbalanced_quote": (LA_RESUB, la_file(GOOD_LA[0], la("LA2", "612.40", '"Foster Care'), la("LA3", "10.00"))),
        "c19_huge_cell_in_amount": (LA_JULY, la_file(GOOD_LA[0], la("LA2", "9" * 200_000))),
        # header problems
        "c22_duplicated_header_column": (LA_RESUB, la_file(GOOD_LA[0] + ",999.00", header=LA_HEADER + ",Amount (£)")),
        "c23_duplicated_header_row": (LA_JULY, la_file(*GOOD_LA, LA_HEADER, la("LA3", "20.00", date="20-Jul-25"))),
        "c24_header_on_wrong_row": (LA_RESUB, la_file(LA_HEADER, *GOOD_LA, header="Ashby Borough Council payments over 500")),
        "c25_missing_column": (LA_RESUB, la_file(*(r.rsplit(",", 2)[0] + "," + r.rsplit(",", 1)[1] for r in GOOD_LA),
                                                 header=LA_HEADER.replace(",Supplier Name", ""))),
        # shifted and swapped
        "c26_row_shifted_right": (LA_JULY, la_file(GOOD_LA[0], "," + la("LA2", "612.40"), la("LA3", "30.00"))),
        "c27_row_shifted_left": (LA_JULY, la_file(GOOD_LA[0], la("LA2", "612.40").split(",", 1)[1], la("LA3", "30.00"))),
        "c28_whole_file_shifted": (LA_RESUB, la_file(*GOOD_LA, la("LA3", "30.00"), header="Ref," + LA_HEADER)),
        # The same three transactions: the right way round with the columns in the other
        # order (c29), and with the two labels swapped by the partner (c30).
        "c29_debit_credit_other_order": ("GL_2025-07.csv", gl_file("Credit,Debit")),
        "c30_debit_credit_swapped": ("GL_2025-07.csv", gl_file("Debit,Credit")),
        # dates
        "c31_date_in_future": (LA_JULY, la_file(GOOD_LA[0], la("LA2", "612.40", date="02-Jul-45"))),
        "c32_date_before_2000": (LA_JULY, la_file(GOOD_LA[0], la("LA2", "612.40", date="02-Jul-99"))),
        "c33_impossible_dates": (LA_JULY, la_file(GOOD_LA[0], la("LA2", "1.00", date="31-Feb-25"),
                                                  la("LA3", "2.00", date="00-Jul-25"), la("LA4", "3.00", date="02-Jul-1925"),
                                                  la("LA5", "4.00", date="2025-07-02"))),
        # amounts
        "c35_amounts_with_letters": (LA_JULY, la_file(GOOD_LA[0], la("LA2", "12O.00"), la("LA3", "1e5"), la("LA4", "NaN"),
                                                      la("LA5", "inf"), la("LA6", "TBC"), la("LA7", "12.3.4"),
                                                      la("LA8", "1,23.00"), la("LA9", "£-"))),
        "c36_amount_over_1bn": (LA_JULY, la_file(GOOD_LA[0], la("LA2", "1500000000.00"))),
        "c37_amount_too_many_digits": (LA_JULY, la_file(GOOD_LA[0], la("LA2", "12345678901234567.00"))),
        "c38_negative_totals": (LA_JULY, la_file(la("CN1", "-1250.00"), la("CN2", "-250.00", date="09-Jul-25"),
                                                 la("", "-1500.00", "", "", "", body="Total"))),
        # hostile text
        "c39_formula_injection_suppliers": (LA_JULY, la_file(
            la("F1", "501.00", '"=HYPERLINK(""http://evil.example/?q=1"",""Click here"")"'),
            la("F2", "502.00", "=cmd|' /C calc'!A0"),
            la("F3", "503.00", "+SUM(1+1)*cmd|' /C calc'!A0"),
            la("F4", "504.00", "-2+3+cmd|' /C calc'!A0"),
            la("F5", "505.00", "@SUM(1+1)*cmd|' /C calc'!A0"),
            la("F6", "506.00", "\t=1+1"))),
        "c40_html_script_suppliers": (LA_JULY, la_file(
            la("H1", "601.00", "<script>alert('openbook')</script>"),
            la("H2", "602.00", '"<img src=x onerror=alert(""openbook"")>"'),
            la("H3", "603.00", "Smith & Sons <Ltd>"),
            la("H4", "604.00", "&lt;b&gt;bold&lt;/b&gt;"))),
        "c41_sql_injection_text": (LA_JULY, la_file(
            la("Q1", "701.00", "Robert'); DROP TABLE raw_ledger;--"),
            la("Q2", "702.00", "Caremark", cc="'; DROP TABLE stg_ledger; --"),
            la("Q3", "703.00", "x' OR '1'='1"))),
        # file names
        "c43_file_name_spaces_unicode": ("Spend_over_500_2025-07 Ünïcødé café (final) ✓.csv", la_file(*GOOD_LA)),
        "c45_file_name_hostile": ('=HYPERLINK("evil.example") <img src=x onerror=alert(1)> spend over 25k - July 2025.csv',
                                  nw_file(nw("NW1", '"26,000.00"'))),
        "c48_name_without_period": ("Spend_over_500_July.csv", la_file(*GOOD_LA)),
        "c49_name_with_month_13": ("Spend_over_500_2025-13.csv", la_file(*GOOD_LA)),
        "c50_name_matches_no_config": ("notes from finance.txt", b"not a ledger\n"),
        # workbooks
        "c51_truncated_xlsx": (HAVEN_RESUB, good_haven[: len(good_haven) // 2]),
        "c53_ole_header_junk": (HAVEN_RESUB, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + junk[:4000]),
        "c56_csv_named_xlsx": (HAVEN_RESUB, la_file(*GOOD_LA)),
        "c57_wrong_sheet": (HAVEN_RESUB, _renamed_sheet(good_haven)),
        "c58_formula_cells_in_workbook": (HAVEN_JULY, formula_cells_book()),
        "c59_workbook_huge_number": (HAVEN_JULY, haven_book(
            [[None, "HAV-ASH-10", "Staffing", None, 1000, 950.5, 49.5],
             [None, "HAV-DUN-10", "Staffing", None, 1000, 1e20, 0]], "Month 4 2025/26")),
        "c60_workbook_empty_sheet": (HAVEN_RESUB, _empty_sheet()),
        "c61_workbook_good_july": (HAVEN_JULY, july_haven),
    }


def _renamed_sheet(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        book = archive.read("xl/workbook.xml").replace(b'name="Management Accounts"', b'name="Sheet1"')
    return restamp(data, {"xl/workbook.xml": book})


def _empty_sheet() -> bytes:
    book = Workbook()
    book.active.title = "Management Accounts"
    return save(book)


def main() -> None:
    GOOD.mkdir(exist_ok=True)
    good_haven = haven_book(GOOD_HAVEN_ROWS)
    (GOOD / HAVEN_GOOD).write_bytes(good_haven)
    for case_id, (name, data) in files().items():
        folder = CASES / case_id
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            if old.name != "case.yaml" and old.name != name:
                old.unlink()
        (folder / name).write_bytes(data)
    # Encryption salts are random: the committed file is kept unless it is missing.
    folder = CASES / "c52_encrypted_xlsx"
    folder.mkdir(exist_ok=True)
    if not (folder / HAVEN_RESUB).exists():
        encrypted = encrypted_book(good_haven)
        if encrypted is None:
            sys.exit("c52_encrypted_xlsx needs msoffcrypto-tool once: pip install msoffcrypto-tool==6.1.0")
        (folder / HAVEN_RESUB).write_bytes(encrypted)
    print(f"corpus written to {CASES}")


if __name__ == "__main__":
    main()
