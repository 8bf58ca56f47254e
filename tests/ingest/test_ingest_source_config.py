"""Source configs: the demo configs load, and every kind of mistake is reported with the
file, the key path and what was expected."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from assets.ingest import SourceConfigError, load_source_config, load_source_configs, match_config

DEMO_SOURCES = Path(__file__).parents[2] / "demo" / "sources"
DEMO_PARTNERS = {
    "nw_icb", "sf_icb", "wfmh", "fsc_lp", "la_ashby", "la_brookcarrow",
    "la_dunmere", "la_elmfen", "haven", "peerlink", "open_minds", "youth_space",
}

BASE = {
    "partner_id": "la_ashby",
    "file": {"pattern": "Spend_over_500_*.csv", "type": "csv"},
    "period": {"from_file_name": r"Spend_over_500_(?P<year>\d{4})-(?P<month>\d{2})"},
    "columns": {"cost_centre": "Cost Centre Code", "amount": "Amount (£)"},
}


def write(folder: Path, document: object, name: str = "config.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def changed(edit) -> dict:
    document = copy.deepcopy(BASE)
    edit(document)
    return document


def test_demo_configs_cover_every_submitting_partner() -> None:
    configs = load_source_configs(DEMO_SOURCES)
    assert set(configs) == DEMO_PARTNERS
    assert {path.stem for path in DEMO_SOURCES.glob("*.yaml")} == DEMO_PARTNERS


def test_minimal_config_gets_sensible_defaults(tmp_path: Path) -> None:
    config = load_source_config(write(tmp_path, BASE))
    assert config.file.encoding == "utf-8"
    assert config.file.header_row == 1
    assert config.columns.amount == ["Amount (£)"]  # one name or a list of alternatives
    assert config.dates.formats == ["%d/%m/%Y"]
    assert config.amounts.currency_symbols == ["£"]
    assert config.required == []


def test_encoding_names_are_normalised(tmp_path: Path) -> None:
    config = load_source_config(write(tmp_path, changed(lambda d: d["file"].update(encoding="Windows-1252"))))
    assert config.file.encoding == "cp1252"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # typos: unknown keys, at any depth
        (lambda d: d["columns"].update(amuont="Amount"),
         "columns.amuont: unknown key; expected one of: posting_date, cost_centre, expense_type, counterparty, "
         "description, transaction_id, amount, debit, credit, funding_stream"),
        (lambda d: d.update(skiprows=3), "skiprows: unknown key; expected one of: partner_id, description, coverage_threshold, file"),
        (lambda d: d.update(skip={"totals_row": []}),
         "skip.totals_row: unknown key; expected one of: totals_rows, note_rows, notes_after_totals"),
        (lambda d: d.update(skip={"totals_rows": [{"pattern": "x", "colum": "A"}]}),
         "skip.totals_rows[0].colum: unknown key; expected one of: pattern, column"),
        # unknown canonical fields
        (lambda d: d["columns"].update(supplier="Supplier Name"), "columns.supplier: unknown key"),
        (lambda d: d.update(required=["supplier"]), "required[0]: expected 'posting_date', 'cost_centre'"),
        # wrong types and values
        (lambda d: d["file"].update(header_row="five"),
         "file.header_row: expected a row number (1, 2, ...) or 'auto', got 'five'"),
        (lambda d: d["file"].update(header_row=0), "file.header_row: expected a row number"),
        (lambda d: d["file"].update(type="pdf"), "file.type: expected 'csv', 'xlsx' or 'xls', got 'pdf'"),
        (lambda d: d["columns"].update(amount=12),
         "columns.amount: expected a column name or a list of column names, got 12"),
        (lambda d: d.update(dates={"excel_serial": "maybe"}), "dates.excel_serial: expected a valid boolean"),
        (lambda d: d.update(dates={"formats": "dd/mm/yyyy"}),
         "dates.formats: expected strftime patterns such as '%d/%m/%Y', got 'dd/mm/yyyy'"),
        (lambda d: d.update(dates={"formats": []}), "dates: expected at least one date format, or excel_serial: true"),
        (lambda d: d.update(amounts={"sign": "flip"}), "amounts.sign: expected 'as_is' or 'negate', got 'flip'"),
        (lambda d: d.update(amounts={"thousands_separator": "."}), "amounts.thousands_separator: expected one character"),
        (lambda d: d.update(default_funding_stream="capital"), "default_funding_stream: expected 'recurrent'"),
        (lambda d: d["file"].update(encoding="klingon"), "file.encoding: unknown text encoding 'klingon'"),
        (lambda d: d["file"].update(delimiter=";;"), "file.delimiter: expected a single character, got ';;'"),
        (lambda d: d["file"].update(sheet="Data"), "file.sheet: only applies to xlsx/xls files, but type is csv"),
        (lambda d: d["file"].update(type="xlsx", encoding="cp1252"), "file.encoding: only applies to csv files"),
        (lambda d: d["file"].update(pattern="inbox/*.csv"), "file.pattern: expected a file-name glob"),
        (lambda d: d.update(partner_id="LA Ashby"), "partner_id: expected lower-case letters"),
        # bad regular expressions
        (lambda d: d["period"].update(from_file_name=r"(?P<year>\d{4}"),
         "period.from_file_name: not a valid regular expression"),
        (lambda d: d["period"].update(from_file_name=r"(?P<yaer>\d{4})-(?P<month>\d{2})"),
         "period.from_file_name: expected named groups (?P<year>...) and (?P<month>...)"),
        (lambda d: d.update(skip={"totals_rows": [{"pattern": "(?<=x)total"}]}),
         "skip.totals_rows[0].pattern: not a valid regular expression '(?<=x)total' (look-around"),
        (lambda d: d.update(skip={"note_rows": [{"pattern": "[unclosed"}]}),
         "skip.note_rows[0].pattern: not a valid regular expression"),
        # combinations that cannot work
        (lambda d: d["period"].update(from_column="Date"),
         "period: expected exactly one of from_file_name, from_column, from_year_period, from_sheet_name, fixed; "
         "got from_file_name, from_column"),
        (lambda d: d["period"].update(from_file_name=None, fixed="2009-12"),
         "period.fixed: '2009-12' is outside the months openbook loads (2010-01 to 2099-12)"),
        (lambda d: d["period"].update(from_file_name=None, fixed="2024-4"),
         "period.fixed: expected a month written YYYY-MM"),
        (lambda d: d["columns"].update(debit="Debit"), "columns: expected either 'amount', or both 'debit' and 'credit'"),
        (lambda d: d.update(required=["counterparty"]), "required: counterparty cannot be required: columns does not map it"),
        # cost_centre is optional now (issue 16); a transform of an unmapped field is refused
        (lambda d: d.update(transforms={"description": [{"regex": "^x"}]}),
         "transforms: description cannot be transformed: columns does not map it"),
        (lambda d: d.update(transforms={"counterparty": [{"regex": "^x", "replce": ""}]}),
         "transforms.counterparty[0].replce: unknown key; expected one of: regex, replace"),
        (lambda d: d["columns"].update(extra=["VAT", " VAT "]), "columns.extra: names 'VAT' more than once"),
        (lambda d: d.pop("period"), "period: required key is missing"),
    ],
)
def test_config_errors_name_file_key_and_expectation(tmp_path: Path, edit, expected: str) -> None:
    path = write(tmp_path, changed(edit))
    with pytest.raises(SourceConfigError) as raised:
        load_source_config(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: invalid source config:")
    assert expected in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("partner_id: [x\nfile: y\n", "not valid YAML: expected ',' or ']', but got ':' at line 2, column 5"),
        ("partner_id: a\npartner_id: b\n", "not valid YAML: duplicate key 'partner_id' at line 2, column 1"),
        ("- a\n- b\n", "expected a mapping of keys (partner_id, file, ...), got list"),
        ("", "expected a mapping of keys (partner_id, file, ...), got NoneType"),
    ],
)
def test_unreadable_yaml(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(SourceConfigError, match="broken.yaml: ") as raised:
        load_source_config(path)
    assert expected in str(raised.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(SourceConfigError, match="nope.yaml: cannot read the file"):
        load_source_config(tmp_path / "nope.yaml")
    with pytest.raises(SourceConfigError, match="source config folder does not exist"):
        load_source_configs(tmp_path / "absent")


def test_two_configs_for_one_partner_are_refused(tmp_path: Path) -> None:
    write(tmp_path, BASE, "a.yaml")
    write(tmp_path, BASE, "b.yml")
    with pytest.raises(SourceConfigError, match=r"b.yml: partner_id 'la_ashby' is already configured in .*a.yaml"):
        load_source_configs(tmp_path)


def test_match_config_by_partner_folder_and_pattern(tmp_path: Path) -> None:
    configs = load_source_configs(DEMO_SOURCES)
    inbox = tmp_path / "inbox"
    cases = {
        "la_ashby/Spend_over_500_2024-04.csv": "la_ashby",
        "la_ashby/spend_over_500_2024-04_v2.CSV": "la_ashby",  # case does not matter
        "nw_icb/NHS North Weald ICB spend over 25k - April 2024.csv": "nw_icb",
        "wfmh/WFMH GL export 2024-04 (revised).xlsx": "wfmh",
        "haven/Haven Crisis Houses management accounts M01 2024-25.xlsx": "haven",
        "fsc_lp/fsc_lp_ledger_202404.csv": "fsc_lp",
        "la_dunmere/Spend_over_500_2024-04.csv": "la_dunmere",
        "la_ashby/readme.txt": None,  # not this partner's pattern
        "la_ashby/~$Spend_over_500_2024-04.csv": None,  # an editor's lock file
        "oakridge/Spend_over_500_2024-04.csv": None,  # no config for this folder
        "Spend_over_500_2024-04.csv": None,  # not in a partner folder
        "la_ashby/old/Spend_over_500_2024-04.csv": None,  # too deep
    }
    for relative, partner in cases.items():
        found = match_config(inbox / relative, inbox, configs)
        assert (found.partner_id if found else None) == partner, relative
    assert match_config(tmp_path / "elsewhere" / "x.csv", inbox, configs) is None
