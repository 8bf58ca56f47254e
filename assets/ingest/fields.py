"""Typing the canonical fields of each row, and finding its first failing check.

Checks run in canonical field order, so a row that fails twice is quarantined for its
first failing field. Values are written to working columns named by `output(field)`,
never to the field's own name: a partner's header may well be "amount" or "description".
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import polars as pl

from assets.ingest import dates, money
from assets.ingest.canonical import CANONICAL_FIELDS, FUNDING_STREAMS, MAX_FIELD_CHARS, ReasonCode
from assets.ingest.period import last_day_of
from assets.ingest.readers import EXTRA_FIELDS, FIELDS_IN_ROW, LAST_LINE, SHEET, SOURCE_ROW, RawTable
from assets.ingest.source_config import FIRST_YEAR, LAST_YEAR, SourceConfig

# Fields checked for blanks in every layout; posting_date too when a column maps it.
ALWAYS_REQUIRED = ("cost_centre", "amount")
FAILED_CHECK = "__failed_check"
# A message quotes the bad cell, cut to this many characters: the whole row is kept in
# raw_record, and a 30 MB cell must not become a 30 MB message in every report.
QUOTED_CHARACTERS = 100
# The reference path: every amount typed by money.money_columns's stages, and dates (posting
# dates, and the month of period.from_column in parse.py) as one expression, as before the
# fast path. Only tests/ingest/test_ingest_fast_path.py sets it, to prove the fast path
# gives every file the same lines, messages and counts.
REFERENCE = False
_ROW = "__typed_row"  # the row's place in `run`'s input, to put retyped rows back in order


def output(field: str) -> str:
    """The working column holding a canonical field's typed value."""
    return f"__field_{field}"


class _Check(NamedTuple):
    field: str | None
    code: str
    failed: pl.Expr
    message: pl.Expr


class FieldParser:
    """Types every canonical field and finds each row's first failing check.

    It runs in stages over the frame (money parsing, then field values and problems,
    then the checks), each stage reading columns the previous one wrote: polars does
    not share a sub-expression used twice, so one big expression repeats work.
    """

    def __init__(self, table: RawTable, config: SourceConfig, file_name: str, period_column: str) -> None:
        """period_column: the working column holding each row's month (YYYY-MM)."""
        self.roles = table.header.roles
        self.config = config
        self.file_name = file_name
        self.period_column = period_column
        self.several_sheets = SHEET in table.frame.columns
        self.header_width = len(table.header.names) if FIELDS_IN_ROW in table.frame.columns else None
        # Roles whose text a transform cleans are read from a working column.
        self._transforms: list[pl.Expr] = []
        self.read: dict[str, str] = {}
        for field, rules in config.transforms.items():
            roles = ("debit", "credit") if field == "amount" and "amount" not in self.roles else (field,)
            for role in roles:
                text = pl.col(self.roles[role])
                for rule in rules:
                    text = text.str.replace_all(rule.regex, rule.replace)
                self.read[role] = f"__transformed_{role}"
                self._transforms.append(text.alias(self.read[role]))
        self._money: list[tuple[str, str, str]] = []  # source column, value column, problem column
        self._dates: list[tuple[pl.Expr, str, str]] = []  # source text, value column, problem column
        self._staged_dates = not REFERENCE
        # Plain amounts ("1234.50") typed by one cast, the rest by the stages: see run.
        self._plain_money = not REFERENCE and money.plain_is_exact(config.amounts)
        self._columns: list[pl.Expr] = []  # canonical values and parse problems
        self._checks: list[_Check] = []
        if LAST_LINE in table.columns:
            # First of all: a record that swallowed the lines after it is not one ledger line.
            problem = pl.format("the row runs over lines {} to {}: a quoted value holds line breaks (a quote "
                                "never closed?); if the partner's values really hold line breaks, set "
                                "file.multiline_fields: true", pl.col(SOURCE_ROW), pl.col(LAST_LINE))
            self._check(None, ReasonCode.SPANS_LINES, pl.col(LAST_LINE).is_not_null(), problem)
        if EXTRA_FIELDS in table.columns:
            # Checked first: in a shifted row every field is suspect, whatever it parses as.
            delimiter = config.file.delimiter
            problem = f"the row has more fields than the header has columns (a {delimiter!r} inside an unquoted value?)"
            self._check(None, ReasonCode.EXTRA_FIELDS, pl.col(EXTRA_FIELDS).is_not_null(), pl.lit(problem))
        if table.columns:
            too_long = [pl.when(pl.col(c).str.len_chars() > MAX_FIELD_CHARS)
                        .then(pl.format(f"{c} holds a value of {{}} characters", pl.col(c).str.len_chars()))
                        for c in table.columns]
            first = pl.coalesce(too_long)
            problem = pl.concat_str(first, pl.lit(f", more than the {MAX_FIELD_CHARS:,} a ledger cell holds (a "
                                                  "quote never closed, or a document pasted in?); kept cut short "
                                                  "in raw_record"))
            self._check(None, ReasonCode.FIELD_TOO_LONG, first.is_not_null(), problem)
        typed = {
            "posting_date": self._parse_posting_date,
            "amount": self._parse_amount,
            "funding_stream": self._parse_funding_stream,
        }
        for name in CANONICAL_FIELDS:  # in order: the first failing check wins
            typed.get(name, self._parse_text)(name)
        if config.period.per_row:  # last: a bad posting date is BAD_DATE, not BAD_PERIOD
            self._check_period()

    def _source(self, role: str) -> pl.Expr:
        """A role's text as typed: the transformed working column, or the file's column."""
        return pl.col(self.read.get(role, self.roles[role]))

    @property
    def failed(self) -> pl.Expr:
        """True for rows `run` found a failing check in."""
        return pl.col(FAILED_CHECK).is_not_null()

    def run(self, rows: pl.DataFrame) -> pl.DataFrame:
        """rows + every field's output column + FAILED_CHECK: the index of each row's
        first failing check, null where every check passes.

        The fast path: amounts are typed by money.plain_money_columns, which vouches only
        for blank and plain text ("1234.50", "£1,234.5": most rows of most files); the rows
        it does not vouch for are typed again with money.money_columns's stages, so their
        values, problems and messages are exactly the reference path's."""
        if not (self._plain_money and self._money):
            return self._typed(rows, plain=False)
        rows = rows.with_row_index(_ROW)
        unvouched = [f"{value}_unvouched" for _, value, _ in self._money]
        typed = self._typed(rows, plain=True)
        retype = typed.select(pl.any_horizontal(unvouched)).to_series()
        typed = typed.drop(unvouched)
        if retype.any():
            rest = self._typed(rows.filter(retype), plain=False).select(typed.columns)
            typed = pl.concat([typed.filter(~retype), rest]).sort(_ROW)
        return typed.drop(_ROW)

    def _typed(self, rows: pl.DataFrame, *, plain: bool) -> pl.DataFrame:
        frame = rows.lazy().with_columns(self._transforms)
        rules = self.config.amounts
        for source, value, problem in self._money:
            if plain:
                frame = money.plain_money_columns(frame, source, rules, value=value, problem=problem,
                                                  unvouched=f"{value}_unvouched")
            else:
                frame = money.money_columns(frame, source, rules, value=value, problem=problem)
        excel_source = self.config.file.type != "csv"
        for text, value, problem in self._dates:
            frame = dates.date_columns(frame, text, self.config.dates, excel_source=excel_source, value=value,
                                       problem=problem)
        frame = frame.with_columns(self._columns)
        first_failure = self._chain(lambda index, check: pl.lit(index, pl.Int16))
        return frame.with_columns(first_failure.alias(FAILED_CHECK)).collect()

    def explain(self, failed: pl.DataFrame) -> pl.DataFrame:
        """field, reason_code and message for rows that failed. Messages are built here,
        on the few failed rows only: a when/then chain computes every branch on every row."""
        chosen = pl.col(FAILED_CHECK)
        return failed.with_columns(
            self._chain(lambda index, check: pl.lit(check.field, pl.String), chosen).alias("field"),
            self._chain(lambda index, check: pl.lit(check.code), chosen).alias("reason_code"),
            self._chain(lambda index, check: check.message, chosen).alias("message"),
        )

    def _chain(self, pick: Callable[[int, _Check], pl.Expr], chosen: pl.Expr | None = None) -> pl.Expr:
        """when(check 0 failed) then pick(0) when(check 1 failed) ... - or, given the
        chosen check's index, when(chosen == 0) then pick(0) ..."""
        # cost_centre and amount are always checked, so there is always a first check.
        chain = None
        for index, check in enumerate(self._checks):
            condition = check.failed if chosen is None else chosen == index
            chain = (pl.when(condition) if chain is None else chain.when(condition)).then(pick(index, check))
        return chain

    # -- per field -------------------------------------------------------------

    def _parse_text(self, name: str) -> None:
        column = self.roles.get(name)
        if column is None:
            self._columns.append(pl.lit(None, dtype=pl.String).alias(output(name)))
            return
        text = self._source(name).str.strip_chars()
        self._columns.append(pl.when(text != "").then(text).alias(output(name)))
        if name in ALWAYS_REQUIRED or name in self.config.required:
            code = ReasonCode.BLANK_SUPPLIER if name == "counterparty" else ReasonCode.MISSING_FIELD
            self._check(name, code, pl.col(output(name)).is_null(), pl.lit(f"{column} is blank"))

    def _parse_posting_date(self, name: str) -> None:
        column = self.roles.get(name)
        if column is None:
            self._columns.append(last_day_of(pl.col(self.period_column)).alias(output(name)))
            return
        problem_column = f"__{name}_problem"
        if self._staged_dates:
            self._dates.append((self._source(name), output(name), problem_column))
        else:
            excel_source = self.config.file.type != "csv"
            value, problem = dates.date_exprs(self._source(name), self.config.dates, excel_source=excel_source)
            self._columns += [value.alias(output(name)), problem.alias(problem_column)]
        self._check_parsed(name, column, problem_column, dates.BLANK, ReasonCode.BAD_DATE)

    def _parse_amount(self, name: str) -> None:
        if "amount" in self.roles:
            column = self.roles["amount"]
            value = self._money_column(self.read.get("amount", column), "__amount")
            self._check_parsed(name, column, "__amount_problem", money.BLANK, ReasonCode.BAD_AMOUNT)
        else:
            value = self._debit_minus_credit()
        self._columns.append((-value if self.config.amounts.sign == "negate" else value).alias(output(name)))

    def _money_column(self, source: str, prefix: str) -> pl.Expr:
        self._money.append((source, f"{prefix}_value", f"{prefix}_problem"))
        return pl.col(f"{prefix}_value")

    def _debit_minus_credit(self) -> pl.Expr:
        """amount = debit - credit; one side may be blank (it counts as 0), not both."""
        debit_column, credit_column = self.roles["debit"], self.roles["credit"]
        debit = self._money_column(self.read.get("debit", debit_column), "__debit")
        credit = self._money_column(self.read.get("credit", credit_column), "__credit")
        debit_problem, credit_problem = pl.col("__debit_problem"), pl.col("__credit_problem")
        both_blank = (debit_problem == money.BLANK) & (credit_problem == money.BLANK)
        both_blank_text = pl.lit(f"{debit_column} and {credit_column} are both blank")
        self._check("amount", ReasonCode.MISSING_FIELD, both_blank, both_blank_text)
        for column, problem in ((debit_column, debit_problem), (credit_column, credit_problem)):
            bad = problem.is_not_null() & (problem != money.BLANK)
            self._check("amount", ReasonCode.BAD_AMOUNT, bad, problem, shown=column)
        return debit.fill_null(0) - credit.fill_null(0)

    def _parse_funding_stream(self, name: str) -> None:
        column = self.roles.get(name)
        default = pl.lit(self.config.default_funding_stream, dtype=pl.String)
        if column is None:
            self._columns.append(default.alias(output(name)))
            return
        # "Non-recurrent", "S75 Pooled" and "SDF" are how people write the canonical names.
        written = self._source(name).str.strip_chars().str.to_lowercase().str.replace_all(r"[\s\-]+", "_")
        self._columns.append(pl.when(written != "").then(written).otherwise(default).alias(output(name)))
        unknown = ~pl.col(output(name)).is_in(FUNDING_STREAMS)
        problem = pl.lit(f"is not a funding stream (expected {', '.join(FUNDING_STREAMS)})")
        self._check(name, ReasonCode.BAD_FUNDING_STREAM, unknown, problem, shown=column)

    def _check_period(self) -> None:
        """Rows whose month cannot be told are quarantined: they cannot be put in a month."""
        rule = self.config.period
        unknown = pl.col(self.period_column).is_null()
        months = f"a month from {FIRST_YEAR}-01 to {LAST_YEAR}-12"
        if rule.from_column is not None:
            column = self.roles["period.from_column"]
            # A real date before the first month is not a typo to fix: say so, not "no month".
            parsed, _ = dates.date_exprs(pl.col(column), self.config.dates, excel_source=self.config.file.type != "csv")
            problem = (
                pl.when(parsed.dt.year() < FIRST_YEAR)
                .then(pl.lit(f"is before {FIRST_YEAR}-01, the first month openbook loads (period.from_column)"))
                .otherwise(pl.lit(f"does not tell the row's month (period.from_column: expected a date in {months})"))
            )
            self._check("period", ReasonCode.BAD_PERIOD, unknown, problem, shown=column)
            return
        if rule.from_year_period is not None:
            year, number = self.roles["period.from_year_period.year"], self.roles["period.from_year_period.period"]
            detail = [pl.lit(f'{year} "'), _quoted(pl.col(year)), pl.lit(f'" and {number} "'), _quoted(pl.col(number)),
                      pl.lit(f'" do not tell the row\'s month (period.from_year_period: expected a financial year '
                             f"such as 2023/24 and a period 1 to 12, 1 = April, in {months})")]
            self._check("period", ReasonCode.BAD_PERIOD, unknown, pl.concat_str(detail))

    # -- checks ----------------------------------------------------------------

    def _check_parsed(self, name: str, column: str, problem_column: str, blank: str, bad_code: str) -> None:
        """A parser's problem text -> MISSING_FIELD when the cell is blank, else bad_code."""
        problem = pl.col(problem_column)
        self._check(name, ReasonCode.MISSING_FIELD, problem == blank, pl.lit(f"{column} is blank"))
        self._check(name, bad_code, problem.is_not_null(), problem, shown=column)

    def _check(
        self, name: str | None, code: str, failed: pl.Expr, problem: pl.Expr, *, shown: str | None = None
    ) -> None:
        """Register a check. Its message reads `<file> row <n>, field <name>: <detail>`;
        detail is `"<text of column shown>" <problem>`, or the problem alone."""
        detail = [pl.lit('"'), _quoted(pl.col(shown)), pl.lit('" '), problem] if shown else [problem]
        field_part = f", field {name}" if name else ""
        where = [pl.lit(f"{self.file_name} sheet "), pl.col(SHEET)] if self.several_sheets else [pl.lit(self.file_name)]
        message = pl.concat_str(
            *where, pl.lit(" row "), pl.col(SOURCE_ROW).cast(pl.String), pl.lit(f"{field_part}: "), *detail,
            *self._short_row_note(),
        )
        self._checks.append(_Check(name, code, failed.fill_null(False), message))

    def _short_row_note(self) -> list[pl.Expr]:
        """A CSV row with fewer fields than the header failed some check: its values sit in
        the wrong columns, so the check's complaint alone ("not a valid date") misleads."""
        if self.header_width is None:
            return []
        fields = pl.col(FIELDS_IN_ROW)
        note = pl.format(f" (the row has {{}} field{{}}, the header {self.header_width}: a separator may be missing)",
                         fields, pl.when(fields == 1).then(pl.lit("")).otherwise(pl.lit("s")))
        return [pl.when(fields.is_not_null()).then(note).otherwise(pl.lit(""))]


def _quoted(text: pl.Expr) -> pl.Expr:
    text = text.fill_null("")
    cut = text.str.slice(0, QUOTED_CHARACTERS) + pl.lit("… (") + text.str.len_chars().cast(pl.String) + " characters)"
    return pl.when(text.str.len_chars() > QUOTED_CHARACTERS).then(cut).otherwise(text)
