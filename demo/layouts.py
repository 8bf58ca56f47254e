"""One writer per submission layout of docs/model.md ("Layouts"): hmt25k, trust_gl, la500,
lp_csv and vcse_mgmt. A writer takes the file's finished frame (see `frames`) and returns
the number of data rows it wrote below the header.

Planted defects are rendered here, where the text is made: a BAD_AMOUNT row shows its
amount with a letter O for a digit, a BAD_DATE row an impossible date in the layout's own
date format, a blank_row nothing at all. Everything else about such a row is valid.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Callable
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

import polars as pl
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from demo.cost_centres import LA_CODE_BASE
from demo.money import amount_text, to_decimal
from demo.periods import fy_month, fy_of, month_name, year_month
from demo.system import HMT_ENTITY, Partner

BAD_AMOUNT, BAD_DATE, BLANK_ROW = "BAD_AMOUNT", "BAD_DATE", "blank_row"
EXCEL_EPOCH = date(1899, 12, 30)


@dataclass(frozen=True)
class Layout:
    name: str
    file_name: Callable[[Partner, str, int], str]  # (partner, period, version) -> file name
    write: Callable[[Path, pl.DataFrame, Partner, str, datetime], int]
    transaction_prefix: Callable[[Partner, str], str] | None  # None: the layout has no transaction ids
    totals_row: bool  # the writer ends the file with a totals row
    sort_by: tuple[str, ...]


# --- shared pieces -------------------------------------------------------------------

def _is(defect: str) -> pl.Expr:
    return pl.col("defect").eq(defect).fill_null(False)


def _amount_cell_text(**style) -> pl.Expr:
    """The amount as the layout writes it, garbled on BAD_AMOUNT rows ('12,340.00' -> '12,34O.00')."""
    text = amount_text(pl.col("amount"), **style)
    return pl.when(_is(BAD_AMOUNT)).then(text.str.replace(r"\d(\.\d\d\)?)$", "O${1}")).otherwise(text)


def _date_cell_text(fmt: str, impossible: str) -> pl.Expr:
    return pl.when(_is(BAD_DATE)).then(pl.lit(impossible)).otherwise(pl.col("posting_date").dt.strftime(fmt))


def _impossible_date(period: str, fmt: str) -> str:
    """31 February of the period's year, written in the layout's date format."""
    year = year_month(period)[0]
    return fmt.replace("%d", "31").replace("%m", "02").replace("%b", "Feb").replace("%Y", str(year)) \
        .replace("%y", f"{year % 100:02d}")


def _write_csv(path: Path, columns: dict[str, pl.Expr], frame: pl.DataFrame, *, encoding: str, bom: bool = False,
               line_terminator: str = "\n") -> int:
    """Render the named text columns and write them; blank rows come out as bare commas."""
    blank = _is(BLANK_ROW)
    text = frame.select([pl.when(blank).then(None).otherwise(expr.cast(pl.String)).alias(name)
                         for name, expr in columns.items()])
    body = text.write_csv(quote_style="necessary", line_terminator=line_terminator)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + body.encode(encoding))
    return text.height


def _yymm(period: str) -> str:
    year, month = year_month(period)
    return f"{year % 100:02d}{month:02d}"


def _version_suffix(version: int, style: str) -> str:
    if version == 1:
        return ""
    return f"_v{version}" if style == "csv" else " (revised)"


# --- hmt25k: ICB spend over £25,000 ----------------------------------------------------

def write_hmt25k(path: Path, frame: pl.DataFrame, partner: Partner, period: str, when: datetime) -> int:
    # Some amounts carry a £ sign; tied to the transaction number so a repeated row repeats it too.
    pound_sign = pl.col("transaction_id").str.slice(-1).is_in(["0", "3", "7"])
    columns = {
        "Department family": pl.lit("Department of Health and Social Care"),
        "Entity": pl.lit(HMT_ENTITY[partner.partner_id]),
        "Date": _date_cell_text("%d/%m/%Y", _impossible_date(period, "%d/%m/%Y")),
        "Expense type": pl.col("expense_type"),
        "Expense area": pl.col("cost_centre"),
        "Supplier": pl.col("counterparty"),
        "Transaction number": pl.col("transaction_id"),
        "Amount": _amount_cell_text(thousands=True, pound_sign=pound_sign),
    }
    return _write_csv(path, columns, frame, encoding="cp1252", line_terminator="\r\n")


def hmt25k_name(partner: Partner, period: str, version: int) -> str:
    year = year_month(period)[0]
    return f"{HMT_ENTITY[partner.partner_id]} spend over 25k - {month_name(period)} {year}" \
           f"{_version_suffix(version, 'csv')}.csv"


# --- la500: local-authority spend over £500 ----------------------------------------

def write_la500(path: Path, frame: pl.DataFrame, partner: Partner, period: str, when: datetime) -> int:
    columns = {
        "Body Name": pl.lit(partner.name),
        "Service Area": pl.col("area"),
        "Service Division": pl.col("division"),
        "Expenditure Category": pl.col("expense_type"),
        "Cost Centre Code": pl.col("cost_centre"),
        "Payment Date": _date_cell_text("%d-%b-%y", _impossible_date(period, "%d-%b-%y")),
        "Transaction ID": pl.col("transaction_id"),
        "Supplier Name": pl.col("counterparty"),
        "Amount (£)": _amount_cell_text(),
    }
    return _write_csv(path, columns, frame, encoding="utf-8")


def la500_name(partner: Partner, period: str, version: int) -> str:
    return f"Spend_over_500_{period}{_version_suffix(version, 'csv')}.csv"


# --- lp_csv: the lead provider's ledger --------------------------------------------

def write_lp_csv(path: Path, frame: pl.DataFrame, partner: Partner, period: str, when: datetime) -> int:
    serial = (pl.col("posting_date") - pl.lit(EXCEL_EPOCH)).dt.total_days().cast(pl.String)
    columns = {
        "TransactionRef": pl.col("transaction_id"),
        "PostingDate": pl.when(_is(BAD_DATE)).then(pl.lit(_impossible_date(period, "%d/%m/%Y"))).otherwise(serial),
        "CostCentre": pl.col("cost_centre"),
        "Subcontractor": pl.col("counterparty"),
        "Narrative": pl.col("description"),
        "NetAmount": _amount_cell_text(),
        "FundingStream": pl.col("funding_stream"),
    }
    return _write_csv(path, columns, frame, encoding="utf-8", bom=True)


def lp_csv_name(partner: Partner, period: str, version: int) -> str:
    return f"fsc_lp_ledger_{period.replace('-', '')}{_version_suffix(version, 'csv')}.csv"


# --- xlsx layouts ----------------------------------------------------------------------

def save_workbook(workbook: Workbook, path: Path, when: datetime) -> None:
    """Save with fixed document dates and fixed zip entry times, so the bytes depend on the
    content only (openpyxl stamps 'now' into both)."""
    workbook.properties.creator = "openbook demo generator"
    workbook.properties.created = when
    workbook.properties.modified = when
    buffer = io.BytesIO()
    with ZipFile(buffer, "w", ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    with ZipFile(buffer) as source, ZipFile(path, "w", ZIP_DEFLATED) as target:
        for entry in source.infolist():
            fixed = ZipInfo(entry.filename, date_time=when.timetuple()[:6])
            fixed.compress_type = ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(entry.filename))


def _excel_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Per-row amount text for the xlsx writers (credits in brackets, garbled bad amounts)."""
    return frame.with_columns(bracketed=_amount_cell_text(thousands=True, brackets_for_negative=True),
                              plain=_amount_cell_text())


def _gl_amount(pence: int, text: str):
    """trust_gl: a number cell, except credits, which are text in brackets."""
    return text if pence < 0 else to_decimal(pence)


def write_trust_gl(path: Path, frame: pl.DataFrame, partner: Partner, period: str, when: datetime) -> int:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "GL Export"
    year = year_month(period)[0]
    sheet.append([partner.name])
    sheet.append(["General ledger export - detailed transactions"])
    sheet.append([f"Period: {month_name(period)} {year} (M{fy_month(period):02d})"])
    sheet.append([])
    sheet.append(["Cost Centre", "Cost Centre Description", "Subjective", "Subjective Description",
                  "Supplier / Customer", "Narrative", "Posting Date", "Amount"])
    for row in _excel_rows(frame).iter_rows(named=True):
        if row["defect"] == BLANK_ROW:
            sheet.append([])
            continue
        bad_date = row["defect"] == BAD_DATE
        amount = row["bracketed"] if row["defect"] == BAD_AMOUNT else _gl_amount(row["amount"], row["bracketed"])
        sheet.append([row["cost_centre"], row["cc_name"], row["expense_code"], row["expense_type"],
                      row["counterparty"], row["description"],
                      _impossible_date(period, "%d/%m/%Y") if bad_date else row["posting_date"], amount])
        if not bad_date:
            sheet.cell(sheet.max_row, 7).number_format = "dd/mm/yyyy"
    total = int(frame["amount"].sum())
    total_text = pl.select(amount_text(pl.lit(total, dtype=pl.Int64), thousands=True,
                                       brackets_for_negative=True)).item()
    sheet.append(["Total", None, None, None, None, None, None, _gl_amount(total, total_text)])
    save_workbook(workbook, path, when)
    return frame.height + 1


def trust_gl_name(partner: Partner, period: str, version: int) -> str:
    return f"WFMH GL export {period}{_version_suffix(version, 'xlsx')}.xlsx"


def write_vcse_mgmt(path: Path, frame: pl.DataFrame, partner: Partner, period: str, when: datetime) -> int:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Management Accounts"
    fy = fy_of(period)
    sheet.append([f"{partner.name} - management accounts"])
    sheet.append([f"Month {fy_month(period)} {fy[:4]}/{fy[5:]}"])
    sheet.append([])
    sheet.append([None, "Cost Centre", "Description", "Funder", "Budget", "Actual", "Variance"])
    for row in _excel_rows(frame).iter_rows(named=True):
        if row["defect"] == BLANK_ROW:
            sheet.append([])
            continue
        budget, bad_amount = row["budget"], row["defect"] == BAD_AMOUNT
        actual = row["plain"] if bad_amount else to_decimal(row["amount"])
        variance = None if budget is None or bad_amount else to_decimal(budget - row["amount"])
        sheet.append([None, row["cost_centre"], row["cc_name"], row["counterparty"],
                      None if budget is None else to_decimal(budget), actual, variance])
    budget_total = int(frame["budget"].sum() or 0)
    actual_total = int(frame["amount"].sum() or 0)
    sheet.append([None, "Total", None, None, to_decimal(budget_total), to_decimal(actual_total),
                  to_decimal(budget_total - actual_total)])
    save_workbook(workbook, path, when)
    return frame.height + 1


def vcse_mgmt_name(partner: Partner, period: str, version: int) -> str:
    return f"{partner.name} management accounts M{fy_month(period):02d} {fy_of(period)}" \
           f"{_version_suffix(version, 'xlsx')}.xlsx"


# --- the registry ------------------------------------------------------------------

_ICB_DIGIT = {"nw_icb": "5", "sf_icb": "6"}

LAYOUTS: dict[str, Layout] = {
    "hmt25k": Layout("hmt25k", hmt25k_name, write_hmt25k,
                     lambda partner, period: f"{_ICB_DIGIT[partner.partner_id]}{_yymm(period)}",
                     totals_row=False, sort_by=("posting_date",)),
    "trust_gl": Layout("trust_gl", trust_gl_name, write_trust_gl, None, totals_row=True,
                       sort_by=("cost_centre", "posting_date")),
    "la500": Layout("la500", la500_name, write_la500,
                    lambda partner, period: f"{LA_CODE_BASE[partner.partner_id]}{_yymm(period)}",
                    totals_row=False, sort_by=("posting_date",)),
    "lp_csv": Layout("lp_csv", lp_csv_name, write_lp_csv, lambda partner, period: f"FSC{_yymm(period)}-",
                     totals_row=False, sort_by=("posting_date",)),
    "vcse_mgmt": Layout("vcse_mgmt", vcse_mgmt_name, write_vcse_mgmt, None, totals_row=True,
                        sort_by=("cost_centre",)),
}
