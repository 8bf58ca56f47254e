"""Source configs: one YAML file per partner source, saying how to read its submissions.

Every model forbids unknown keys, so a typo in a config is an error naming the file and
the key path (`columns.amuont: unknown key; expected one of ...`), never silently
ignored. See `SourceConfig` for the schema; demo/sources/*.yaml are examples.
"""

from __future__ import annotations

import codecs
import functools
import re
import reprlib
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import polars as pl
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from assets.ingest.canonical import CANONICAL_FIELDS, FUNDING_STREAMS
from assets.ingest.errors import SourceConfigError

HEADER_SEARCH_ROWS = 30
ALL_SHEETS = "all"
PERIOD_GROUP_SETS = ({"year", "month"}, {"fy_start_year", "fiscal_month"})
# The months openbook loads: from January 2010 (real published spend files go back that
# far) to the end of the century; anything else is a typo or a misread date.
FIRST_YEAR, LAST_YEAR = 2010, 2099

CanonicalField = Literal[CANONICAL_FIELDS]  # type: ignore[valid-type]
FundingStream = Literal[FUNDING_STREAMS]  # type: ignore[valid-type]


_SHORT_REPR = reprlib.Repr()  # keyword arguments need Python 3.12
_SHORT_REPR.maxlevel, _SHORT_REPR.maxlist, _SHORT_REPR.maxdict = 2, 4, 4
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 80


def _shown(value: Any) -> str:
    """A value for an error message, cut short: a hostile config must not make a huge one."""
    return _SHORT_REPR.repr(value)


def _one_or_many(value: Any) -> Any:
    """Let YAML say `amount: Amount` or `amount: [Amount, "Amount (£)"]`."""
    if value is None:  # `description: null` = not mapped (refused where a column is required)
        return value
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return [v.strip() for v in value]
    raise ValueError(f"expected a column name or a list of column names, got {_shown(value)}")


def _text_list(value: Any) -> Any:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        return value
    raise ValueError(f"expected a text or a list of texts, got {_shown(value)}")


# A source column, or alternative spellings of it: the first one present in the file wins.
ColumnNames = Annotated[list[str], BeforeValidator(_one_or_many)]
TextList = Annotated[list[str], BeforeValidator(_text_list)]


def _check_polars_regex(pattern: str) -> str:
    # Row rules run inside polars (Rust regex syntax), so compile them there: Python's
    # `re` would accept look-arounds that polars rejects at parse time.
    try:
        pl.Series([""], dtype=pl.String).str.contains(pattern)
    except pl.exceptions.PolarsError as error:
        lines = [line.strip() for line in str(error).splitlines()]
        reason = next((line.removeprefix("error:").strip() for line in lines if line.startswith("error:")), lines[0])
        raise ValueError(f"not a valid regular expression {pattern!r} ({reason})") from None
    return pattern


class _Strict(BaseModel):
    # Each field's docstring (the string under it) is its description: docs/sources.md
    # is generated from them (assets/ingest/config_docs.py).
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class FileSpec(_Strict):
    """Which files in inbox/<partner_id>/ belong to this source, and how to open them."""

    pattern: str
    """Glob on the file name (case-insensitive) of this partner's files in inbox/<partner_id>/.
    Example: `"Spend_over_500_*.csv"`"""
    type: Literal["csv", "xlsx", "xls"]
    """File format: csv, xlsx, or xls (old Excel).
    Example: `xlsx`"""
    encoding: str = "utf-8"
    """csv only: the text encoding (utf-8, utf-8-sig, cp1252, latin-1, ...). Excel on Windows writes cp1252.
    Example: `cp1252`"""
    delimiter: str = ","
    """csv only: the field separator, one character.
    Example: `";"`"""
    quote_char: str = '"'
    """csv only: the quote character around values that hold the delimiter.
    Example: `"'"`"""
    multiline_fields: bool = True
    """csv only: whether a quoted value may hold line breaks (one record over several lines of the file; many
    published files, PDF conversions especially, have them). Set false for a partner whose values never hold
    line breaks: a record that runs over lines is then quarantined (SPANS_LINES) with its first and last line
    numbers, so an unbalanced quote cannot swallow the lines after it into one value without a trace.
    Example: `false`"""
    sheet: str | list[str] | None = None
    """xlsx/xls only: which sheet(s) to read. None: the first visible sheet; a name; a list of names; or "all"
    (every visible sheet, or with period.from_sheet_name every visible sheet whose name tells a month). A hidden
    sheet is read only when named here. Several sheets are read one
    after another; each row keeps its sheet's name as its last raw cell, under the column name "(sheet)"
    (`raw_record(load_id, raw_cells)` shows it as the row's "(sheet)" key).
    Example: `["Apr 2023", "May 2023"]`"""
    header_row: int | Literal["auto"] = 1
    """The header's row (xlsx) or line (csv) number, 1-based, or "auto": the first of the first 30 rows holding
    every column the config names.
    Example: `auto`"""

    @field_validator("pattern")
    @classmethod
    def _pattern_is_a_file_name_glob(cls, value: str) -> str:
        if not value.strip() or "/" in value or "\\" in value:
            raise ValueError(f"expected a file-name glob such as 'Spend_over_500_*.csv', got {value!r}")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            return codecs.lookup(value).name  # normalised: "windows-1252" -> "cp1252"
        except LookupError:
            raise ValueError(f"unknown text encoding {value!r}; expected e.g. utf-8, utf-8-sig, cp1252") from None

    @field_validator("delimiter", "quote_char")
    @classmethod
    def _single_character(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError(f"expected a single character, got {value!r}")
        return value

    @field_validator("header_row", mode="before")
    @classmethod
    def _row_number_or_auto(cls, value: Any) -> Any:
        if value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            return value
        raise ValueError(f"expected a row number (1, 2, ...) or 'auto', got {_shown(value)}")

    # Validators run only on keys the YAML gives, and `type` is validated before these.
    @field_validator("encoding", "delimiter", "quote_char", "multiline_fields")
    @classmethod
    def _csv_only(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("type", "csv") != "csv":
            raise ValueError(f"only applies to csv files, but type is {info.data['type']}")
        return value

    @field_validator("sheet", mode="before")
    @classmethod
    def _sheet_names(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and value.strip()):
            return value
        if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
            return value
        raise ValueError(f'expected a sheet name, a list of sheet names or "all", got {_shown(value)}')

    @field_validator("sheet")
    @classmethod
    def _workbook_only(cls, value: str | list[str] | None, info: ValidationInfo) -> str | list[str] | None:
        if info.data.get("type") == "csv":
            raise ValueError("only applies to xlsx/xls files, but type is csv")
        return value

    @property
    def several_sheets(self) -> bool:
        return isinstance(self.sheet, list) or self.sheet == ALL_SHEETS


def _period_regex(value: str | None) -> str | None:
    if value is None:
        return value
    try:
        groups = set(re.compile(value).groupindex)
    except re.error as error:
        raise ValueError(f"not a valid regular expression {value!r} ({error})") from None
    if groups not in PERIOD_GROUP_SETS:
        raise ValueError(
            "expected named groups (?P<year>...) and (?P<month>...), or (?P<fy_start_year>...) and "
            f"(?P<fiscal_month>...); found {sorted(groups) or 'none'}"
        )
    return value


class YearPeriodColumns(_Strict):
    """NHS ledgers' "Accounting Year" + "Period" columns. The year is the financial year,
    written 2023, 2023/24, 2023-24, 23/24 or 2023/2024 (a single year is the year the
    financial year starts in); the period is its month number 1..12 (1 = April, 12 =
    March), written 1, 01, P01 or M01."""

    year: str
    """Header of the accounting-year column (2023, 2023/24, 2023-24, 23/24, 2023/2024; a single year is the
    year the financial year starts).
    Example: `"Accounting Year"`"""
    period: str
    """Header of the period-number column: 1 to 12, 1 = April, 12 = March (also written 01, P01, M01).
    Example: `Period`"""


class PeriodRule(_Strict):
    """Which month (period, YYYY-MM) each row belongs to: exactly one of the keys.

    A file may span months (a quarterly file, a workbook of several years): with
    from_column, from_year_period and from_sheet_name every row carries its own month,
    and the file loads as one partner-month per month it covers. Months run from
    2010-01 to 2099-12.
    """

    from_file_name: str | None = None
    """Regex searched in the file name, with named groups year + month (a number, or an English month name or
    abbreviation), or fy_start_year + fiscal_month (1 = April). Two-digit years mean 20yy. The whole file is
    one month.
    Example: `'Spend_over_500_(?P<year>\\d{4})-(?P<month>\\d{2})'`"""
    from_column: ColumnNames | None = None
    """A date column, or a list of alternative headers (the first one in the file's header wins): each row's month
    is its date's month (read with `dates`). The file may span months; a row with no usable date is quarantined as
    BAD_PERIOD.
    Example: `["Payment Date", "Date Paid"]`"""
    from_year_period: YearPeriodColumns | None = None
    """NHS accounting year + period columns: each row's month from the pair (period 1 = April). The file may
    span months.
    Example: `{year: "Accounting Year", period: "Period"}`"""
    from_sheet_name: str | None = None
    """Regex searched in each sheet's name (groups as for from_file_name): a workbook with one sheet per month;
    use with file.sheet: all or a list.
    Example: `'(?P<month>[A-Za-z]+) (?P<year>\\d{4})'`"""
    fixed: str | None = None
    """YYYY-MM: the whole file is this month, for a one-off file whose name and rows tell none.
    Example: `"2019-03"`"""

    _check_file_name = field_validator("from_file_name", "from_sheet_name")(_period_regex)

    @field_validator("fixed")
    @classmethod
    def _a_month(cls, value: str | None) -> str | None:
        if value is None:
            return value
        match = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
        if match is None or not 1 <= int(match[2]) <= 12:
            raise ValueError(f"expected a month written YYYY-MM, e.g. 2023-04; got {value!r}")
        if not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
            raise ValueError(f"{value!r} is outside the months openbook loads ({FIRST_YEAR}-01 to {LAST_YEAR}-12)")
        return value.strip()

    @model_validator(mode="after")
    def _exactly_one_source(self) -> PeriodRule:
        given = [name for name in PERIOD_SOURCES if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"expected exactly one of {', '.join(PERIOD_SOURCES)}" + (
                f"; got {', '.join(given)}" if given else ""))
        return self

    @property
    def source(self) -> str:
        """The key in use, e.g. 'from_column'."""
        return next(name for name in PERIOD_SOURCES if getattr(self, name) is not None)

    @property
    def per_row(self) -> bool:
        """True when each row tells its own month (the file may span months)."""
        return self.source in ("from_column", "from_year_period", "from_sheet_name")


PERIOD_SOURCES = ("from_file_name", "from_column", "from_year_period", "from_sheet_name", "fixed")


class ColumnMap(_Strict):
    """Canonical field -> source column header (or a list of alternative headers).

    Headers are matched ignoring case and surrounding/repeated spaces. Give either
    `amount`, or `debit` and `credit` (amount = debit - credit, a blank side counts 0).
    Every column named here must be in the file's header.
    """

    posting_date: ColumnNames | None = None
    """The line's date. None: the last day of the row's month.
    Example: `"Payment Date"`"""
    cost_centre: ColumnNames | None = None
    """The partner's cost centre. None: lines carry no cost centre (map them by other fields).
    Example: `["Cost Centre", "Cost Centre Code"]`"""
    expense_type: ColumnNames | None = None
    """Account or expense type.
    Example: `"Expense Type"`"""
    counterparty: ColumnNames | None = None
    """Supplier or payer.
    Example: `["Supplier", "Supplier Name"]`"""
    description: ColumnNames | None = None
    """Free-text description of the line.
    Example: `Description`"""
    transaction_id: ColumnNames | None = None
    """The partner's transaction or invoice number (repeats on split lines are normal).
    Example: `"Transaction Number"`"""
    amount: ColumnNames | None = None
    """The money column (give this, or debit and credit).
    Example: `"Amount (£)"`"""
    debit: ColumnNames | None = None
    """Debit column: amount = debit - credit, a blank side counts 0 (give with credit, not with amount).
    Example: `Debit`"""
    credit: ColumnNames | None = None
    """Credit column (see debit).
    Example: `Credit`"""
    funding_stream: ColumnNames | None = None
    """Column holding the funding stream (recurrent, non_recurrent, sdf, s75_pooled, grant; written loosely,
    e.g. "Non-recurrent").
    Example: `"Funding"`"""
    extra: TextList = []
    """Columns the canonical model does not name (VAT number, capital/revenue, the partner's own reference),
    kept per line as JSON {"<name as written here>": "<text>"} in raw_ledger.extra and stg_ledger.extra.
    Each must be in the header.
    Example: `["VAT Registration Number", "Capital/Revenue"]`"""

    @field_validator("extra")
    @classmethod
    def _distinct_extra_columns(cls, value: list[str]) -> list[str]:
        names = [" ".join(v.split()) for v in value]
        if any(not name for name in names):
            raise ValueError("expected column names, got a blank one")
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"names {', '.join(map(repr, repeated))} more than once")
        return names

    @model_validator(mode="after")
    def _one_way_to_get_the_amount(self) -> ColumnMap:
        amount_only = self.amount is not None and self.debit is None and self.credit is None
        debit_credit_only = self.amount is None and self.debit is not None and self.credit is not None
        if not (amount_only or debit_credit_only):
            raise ValueError("expected either 'amount', or both 'debit' and 'credit' (not both ways)")
        return self

    def mapped(self) -> dict[str, list[str]]:
        """Role (canonical field, or debit/credit) -> candidate headers, for mapped roles."""
        return {role: names for role, names in self if names is not None and role != "extra"}


class DateRules(_Strict):
    """How posting dates are written. Formats are strftime patterns tried in order; the
    first that parses wins. Excel sources also accept real date cells whatever the list."""

    formats: TextList = ["%d/%m/%Y"]
    """strftime patterns tried in order; the first that parses wins. Excel sources also accept real date cells.
    Example: `["%d/%m/%Y", "%d-%b-%y"]`"""
    excel_serial: bool = False
    """Also accept Excel day numbers (45412 = 2024-04-30).
    Example: `true`"""

    @field_validator("formats")
    @classmethod
    def _strftime_patterns(cls, value: list[str]) -> list[str]:
        for fmt in value:
            if "%" not in fmt:
                raise ValueError(f"expected strftime patterns such as '%d/%m/%Y', got {fmt!r}")
        return value

    @model_validator(mode="after")
    def _some_way_to_read_dates(self) -> DateRules:
        if not self.formats and not self.excel_serial:
            raise ValueError("expected at least one date format, or excel_serial: true")
        return self


class AmountRules(_Strict):
    """How money is written. Whitespace (incl. no-break spaces) is padding, or a
    thousands separator between digits; at most one minus sign, bracket pair, trailing
    minus or CR suffix makes an amount negative."""

    currency_symbols: TextList = ["£"]
    """Currency symbols allowed anywhere in an amount.
    Example: `["£", "GBP"]`"""
    thousands_separator: str | None = ","
    """The digit-grouping character; null: digits are never grouped.
    Example: `null`"""
    brackets_negative: bool = True
    """"(12.00)" means -12.00.
    Example: `false`"""
    trailing_minus: bool = True
    """"12.00-" means -12.00.
    Example: `false`"""
    cr_dr_suffix: bool = False
    """"12.00 CR" means -12.00 and "12.00 DR" 12.00.
    Example: `true`"""
    ambiguous_dot: Literal["refuse", "decimal"] = "refuse"
    """"1.500" (one to three digits, a dot, three digits, no other grouping) may be 1.50 or 1,500 written with a
    dot grouping thousands. refuse: the line is quarantined (BAD_AMOUNT, "is ambiguous"); decimal: the
    partner's system writes three decimal places, so it is 1.50. Not asked when thousands_separator is null.
    Example: `decimal`"""
    sign: Literal["as_is", "negate"] = "as_is"
    """negate: the partner writes spend as negative numbers, so every amount is negated.
    Example: `negate`"""
    sub_penny: Literal["refuse", "round"] = "refuse"
    """An amount with a significant third decimal place (45.348). refuse: the line is quarantined (BAD_AMOUNT, "has
    more than 2 decimal places"); round: rounded to the penny, half away from zero, as Excel shows a cell
    formatted with two decimals: for workbooks whose amount cells hold a formula's fraction of a penny (VAT of
    37.79 at 20% is 45.348, shown 45.35). The rounding is per line, so a file's total is the sum of the pence
    shown. With thousands_separator set, 45.348 may be 45,348: set thousands_separator: null (a workbook's
    numbers are never grouped) or ambiguous_dot: decimal.
    Example: `round`"""

    @field_validator("thousands_separator")
    @classmethod
    def _separator(cls, value: str | None) -> str | None:
        if value is not None and (len(value) != 1 or value.isdigit() or value == "."):
            raise ValueError(f"expected one character that is not a digit or '.', or null; got {value!r}")
        return value


class RowRule(_Strict):
    """A row matches when `pattern` (a regex) is found in `column`'s text, or in any
    cell when no column is given."""

    pattern: str
    """Regex (Rust syntax, no look-around) searched in the cell's text.
    Example: `"(?i)^total"`"""
    column: str | None = None
    """The column to look in; None: any cell of the row.
    Example: `"Body Name"`"""

    @field_validator("pattern")
    @classmethod
    def _valid_regex(cls, value: str) -> str:
        return _check_polars_regex(value)


class SkipRules(_Strict):
    """Rows that are not ledger lines. Blank rows are always skipped."""

    totals_rows: list[RowRule] = []
    """Labelled totals rows, skipped as totals_row; their amount is the file's control total.
    Example: `[{column: "Body Name", pattern: "(?i)^(grand )?total"}]`"""
    note_rows: list[RowRule] = []
    """Rows that are notes, skipped as note_row.
    Example: `[{pattern: "^Source:"}]`"""
    notes_after_totals: bool = False
    """Every row after the last totals row is a note.
    Example: `true`"""
    totals_by_arithmetic: bool = True
    """Unlabelled totals: a row whose mapped text fields (every mapped column but the amount) are all blank and
    whose amount equals the sum of the lines since the previous total (a subtotal) or since the top of the
    file (a running or grand total) is skipped as a totals row and used as the control total (a subtotal
    that a later total includes is skipped as subtotal_row).
    Example: `false`"""


class Transform(_Strict):
    """A regex replacement applied to a field's text before it is typed. `replace` may
    refer to groups as $1 or ${name}; "" deletes the match."""

    regex: str
    """Regex (Rust syntax) to replace in the field's text.
    Example: `"^[A-Z0-9]{12} : "`"""
    replace: str = ""
    """The replacement: $1 or ${name} refer to groups; "" deletes the match.
    Example: `""`"""

    @field_validator("regex")
    @classmethod
    def _valid_regex(cls, value: str) -> str:
        return _check_polars_regex(value)


class StagingChecks(_Strict):
    """How the staging checks treat this partner's lines (all optional; the defaults keep
    every line and only report).

    transaction_ids_unique: true when the partner's transaction numbers never repeat; a
        repeat is then quarantined as DUPLICATE_TRANSACTION (the first row is kept). Off by
        default: real ledgers repeat a number on legitimate split lines.
    dates_outside_period: warn (default) reports lines dated outside the file's month, with
        counts and pounds, and loads them; error blocks the partner-month until corrected.
    date_tolerance_days: widens the month by this many days either side before a date
        counts as outside it (e.g. 31 for an over-£25k file carrying last month's invoices).
    """

    transaction_ids_unique: bool = False
    """True when the partner's transaction numbers never repeat: a repeat is then quarantined as
    DUPLICATE_TRANSACTION (the first row kept). Off by default: split lines repeat a number.
    Example: `true`"""
    dates_outside_period: Literal["warn", "error"] = "warn"
    """warn: lines dated outside the file's month are loaded and reported with counts and pounds;
    error: they block the partner-month until corrected.
    Example: `error`"""
    date_tolerance_days: Annotated[int, Field(ge=0, le=366)] = 0
    """Days either side of the month before a date counts as outside it.
    Example: `31`"""


class SourceConfig(_Strict):
    partner_id: str
    """The partner: lower-case letters, digits and _; its files are in inbox/<partner_id>/.
    Example: `la_ashby`"""
    description: str = ""
    """Free text shown by `openbook sources check`.
    Example: `"Ashby Borough Council, spend over £500"`"""
    coverage_threshold: Annotated[int, Field(ge=0)] | None = None
    """The smallest payment the partner's file lists, in whole pounds: 25000 for an "expenditure over £25k" file,
    500 for a council's "spend over £500", 0 for a whole-ledger export; null: not stated. Shown beside every
    submission in the reports, so readers know a total leaves out the smaller payments.
    Example: `25000`"""
    file: FileSpec
    """Which files belong to this source, and how to open them.
    Example: `{pattern: "*.csv", type: csv, encoding: cp1252}`"""
    period: PeriodRule
    """Which month each row belongs to: exactly one of the keys.
    Example: `{from_column: "Payment Date"}`"""
    columns: ColumnMap
    """Canonical field -> source column header(s).
    Example: `{posting_date: Date, counterparty: Supplier, amount: Amount}`"""
    dates: DateRules = DateRules()
    """How dates are written.
    Example: `{formats: ["%m/%d/%Y"]}`"""
    amounts: AmountRules = AmountRules()
    """How money is written.
    Example: `{cr_dr_suffix: true}`"""
    required: list[CanonicalField] = []
    """Canonical fields a line must have besides the amount (and cost centre and posting date when mapped). A
    blank required counterparty is BLANK_SUPPLIER; any other blank required field MISSING_FIELD.
    Example: `[counterparty]`"""
    skip: SkipRules = SkipRules()
    """Rows that are not ledger lines.
    Example: `{notes_after_totals: true}`"""
    default_funding_stream: FundingStream | None = None
    """Funding stream of a line with no funding-stream column, or a blank one.
    Example: `recurrent`"""
    transforms: dict[CanonicalField, list[Transform]] = {}
    """Canonical field -> regex replacements applied in order to its text before it is typed (the raw row,
    raw_cells, keeps the text as sent).
    Example: `{counterparty: [{regex: "^[A-Z0-9]{12} : ", replace: ""}]}`"""

    @field_validator("partner_id")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", value):
            raise ValueError(f"expected lower-case letters, digits and _, e.g. 'la_ashby'; got {value!r}")
        return value

    @field_validator("transforms")
    @classmethod
    def _transformed_fields_are_mapped(cls, value: dict[str, list[Transform]], info: ValidationInfo) -> dict:
        columns = info.data.get("columns")
        amount_roles = ("debit", "credit")
        unmapped = [
            field for field in value
            if columns is not None and getattr(columns, field) is None
            and not (field == "amount" and all(getattr(columns, r) is not None for r in amount_roles))
        ]
        if unmapped:
            raise ValueError(f"{', '.join(unmapped)} cannot be transformed: columns does not map it")
        return value

    @field_validator("required")
    @classmethod
    def _required_fields_are_mapped(cls, value: list[str], info: ValidationInfo) -> list[str]:
        columns = info.data.get("columns")  # absent when columns itself was invalid
        unmapped = [field for field in value if columns is not None and getattr(columns, field) is None]
        if unmapped:
            raise ValueError(f"{', '.join(unmapped)} cannot be required: columns does not map it")
        return value

    @model_validator(mode="after")
    def _sheet_names_need_a_workbook(self) -> SourceConfig:
        if self.period.from_sheet_name is not None and self.file.type == "csv":
            raise ValueError("period.from_sheet_name: only applies to xlsx/xls files, but file.type is csv")
        return self

    @property
    def source_columns(self) -> dict[str, list[str]]:
        """Every column the config names, role -> candidate headers; the header row must
        hold all of them. Roles are canonical fields (and debit/credit), or the key path
        of a column named elsewhere, e.g. `skip.totals_rows[0].column`."""
        needed = self.columns.mapped()
        for index, name in enumerate(self.columns.extra):
            needed[f"columns.extra[{index}]"] = [name]
        if self.period.from_column is not None:
            needed["period.from_column"] = self.period.from_column
        if self.period.from_year_period is not None:
            needed["period.from_year_period.year"] = [self.period.from_year_period.year]
            needed["period.from_year_period.period"] = [self.period.from_year_period.period]
        for kind in ("totals_rows", "note_rows"):
            for index, rule in enumerate(getattr(self.skip, kind)):
                if rule.column is not None:
                    needed[f"skip.{kind}[{index}].column"] = [rule.column]
        return needed

    checks: StagingChecks = StagingChecks()
    """Staging checks: repeated transaction ids and the date window (defaults keep every line and report).
    Example: `{transaction_ids_unique: false, dates_outside_period: warn, date_tolerance_days: 31}`"""


# --------------------------------------------------------------------------- loading


class _UniqueKeyLoader(yaml.SafeLoader):
    """safe_load keeps the last of two equal keys; a duplicated key is a typo to report.
    Aliases (*name) are refused: a config needs none, and nested ones can expand to
    billions of values (the "billion laughs" attack)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, f"YAML aliases (*{event.anchor}) are not allowed in a source config", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_source_config(path: str | Path) -> SourceConfig:
    """Read and validate one source config; SourceConfigError names the file and key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SourceConfigError(f"{path}: cannot read the file ({error.strerror})") from None
    except UnicodeDecodeError:
        raise SourceConfigError(f"{path}: the file is not UTF-8 text") from None
    return _parse_source_config(path, text)


# One ingest run reads the same configs four times (partitions, staging, two checks) and the
# pure-Python YAML parser costs ~50 ms a file: parse each distinct text once per process. The
# key is the text itself, so an edited config is always parsed afresh (configs are frozen).
@functools.lru_cache(maxsize=1024)
def _parse_source_config(path: Path, text: str) -> SourceConfig:
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as error:
        raise SourceConfigError(f"{path}: not valid YAML: {_yaml_problem(error)}") from None
    except RecursionError:
        raise SourceConfigError(f"{path}: not valid YAML: nested too deeply to be a source config") from None
    if not isinstance(document, dict):
        kind = type(document).__name__
        raise SourceConfigError(f"{path}: expected a mapping of keys (partner_id, file, ...), got {kind}")
    try:
        return SourceConfig.model_validate(document)
    except ValidationError as error:
        problems = "\n".join(f"  - {_describe(item)}" for item in error.errors())
        raise SourceConfigError(f"{path}: invalid source config:\n{problems}") from None


def load_source_configs(folder: str | Path) -> dict[str, SourceConfig]:
    """Every *.yaml/*.yml config in a folder, by partner_id (one source per partner)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceConfigError(f"{folder}: source config folder does not exist")
    configs: dict[str, SourceConfig] = {}
    origin: dict[str, Path] = {}
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        config = load_source_config(path)
        if config.partner_id in configs:
            raise SourceConfigError(
                f"{path}: partner_id {config.partner_id!r} is already configured in {origin[config.partner_id]}"
            )
        configs[config.partner_id] = config
        origin[config.partner_id] = path
    return configs


def match_config(file_path: str | Path, inbox: str | Path, configs: dict[str, SourceConfig]) -> SourceConfig | None:
    """The config of the partner whose inbox folder holds the file, if the file name
    matches its pattern; None for anything else (other folders, lock files, strays)."""
    try:
        relative = Path(file_path).absolute().relative_to(Path(inbox).absolute())
    except ValueError:
        return None
    if len(relative.parts) != 2:
        return None
    partner_id, name = relative.parts
    # Excel's lock files (~$name.xlsx) and hidden files sit beside real submissions.
    if name.startswith(("~$", ".")):
        return None
    config = configs.get(partner_id)
    if config is None or not fnmatchcase(name.casefold(), config.file.pattern.casefold()):
        return None
    return config


# --------------------------------------------------------------------------- messages


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else problem


def _describe(error: dict[str, Any]) -> str:
    """One pydantic error as `key.path: what was expected`."""
    loc = [part for part in error["loc"] if not _is_union_branch(part)]
    key = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".") or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        return f"{key}: unknown key; expected one of: {', '.join(allowed)}"
    if kind == "missing":
        return f"{key}: required key is missing"
    message = error["msg"].removeprefix("Value error, ")
    message = message.replace("Input should be", "expected", 1)
    if kind not in ("value_error", "assertion_error") and "input" in error:
        message += f", got {_shown(error['input'])}"
    return f"{key}: {message}"


def _is_union_branch(part: str | int) -> bool:
    # pydantic adds the branch type to the loc of a union error ("int", "literal['auto']").
    branch_names = ("int", "str", "bool", "list[str]")
    return isinstance(part, str) and (part in branch_names or part.startswith(("literal[", "function-")))


def _allowed_keys(loc: list[str | int]) -> list[str]:
    """The keys the model at `loc` accepts (walks nested models and lists)."""
    model: Any = SourceConfig
    for part in loc:
        if isinstance(part, int) or part not in model.model_fields:
            continue  # a list index, or a key of a mapping (transforms.<field>)
        annotation = model.model_fields[part].annotation
        model = _model_inside(annotation)
        if model is None:
            return []
    return list(model.model_fields)


def _model_inside(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is None:
        return None
    for arg in get_args(annotation):
        found = _model_inside(arg)
        if found is not None:
            return found
    return None
