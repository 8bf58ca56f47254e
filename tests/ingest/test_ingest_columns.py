"""Optional cost centre, extra columns kept per line, and regex transforms (issue 16).
Expected values are read off the tiny files written here by hand."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb

from assets.ingest import SourceConfig, parse_submission
from assets.ingest.submissions import load_file, scan_inbox
from assets.ingest.reference_files import reference_file
from warehouse.sql_files import run_sql

HEADER = "Date,Expense Type,Supplier,VAT Number,Their Ref,Amount"
TEXT = (f"{HEADER}\n"
        "03/04/2023,Drugs,NHS0000XX000 : Acme Pharma Ltd,GB123,PO-1,\"1,000.00 GBP\"\n"
        "04/04/2023,Rent,Landlord plc,,,250.00\n"
        "05/04/2023,Rent,RVR0001AB123 : South Trust,,R-9,-50.00 GBP\n")


def config(**changes) -> SourceConfig:
    document = {
        "partner_id": "icb",
        "file": {"pattern": "*.csv", "type": "csv"},
        "period": {"from_file_name": r"(?P<year>\d{4})-(?P<month>\d{2})"},
        "columns": {"posting_date": "Date", "expense_type": "Expense Type", "counterparty": "Supplier",
                    "amount": "Amount", "extra": ["VAT Number", "Their Ref"]},
        "transforms": {
            "counterparty": [{"regex": r"^[A-Z]{3}[0-9]{4}[A-Z0-9]{5} : ", "replace": ""}],
            "amount": [{"regex": r"\s*GBP$"}],
        },
    }
    document.update(changes)
    return SourceConfig.model_validate(document)


def test_no_cost_centre_extra_columns_and_transforms(tmp_path: Path) -> None:
    path = tmp_path / "spend 2023-04.csv"
    path.write_text(TEXT, encoding="utf-8")
    parsed = parse_submission(path, config())
    assert parsed.quarantine.is_empty() and parsed.skipped.is_empty()
    assert parsed.lines.select("cost_centre", "counterparty", "amount").rows() == [
        (None, "Acme Pharma Ltd", Decimal("1000.00")),
        (None, "Landlord plc", Decimal("250.00")),
        (None, "South Trust", Decimal("-50.00")),
    ]
    assert [None if e is None else json.loads(e) for e in parsed.lines["extra"]] == [
        {"VAT Number": "GB123", "Their Ref": "PO-1"},
        None,  # neither filled in
        {"VAT Number": None, "Their Ref": "R-9"},
    ]
    # raw_record keeps the text as sent, before any transform
    assert json.loads(parsed.lines["raw_record"][0])["Supplier"] == "NHS0000XX000 : Acme Pharma Ltd"


def test_without_transforms_the_amount_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "spend 2023-04.csv"
    path.write_text(TEXT, encoding="utf-8")
    parsed = parse_submission(path, config(transforms={}))
    assert parsed.quarantine.select("source_row", "reason_code").rows() == [(2, "BAD_AMOUNT"), (4, "BAD_AMOUNT")]
    assert parsed.quarantine["message"][0] == 'spend 2023-04.csv row 2, field amount: "1,000.00 GBP" is not an amount'


def test_extra_reaches_raw_and_staged_ledgers(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "icb").mkdir(parents=True)
    with_cost_centre = TEXT.replace("Date,", "Date,CC,").replace("/2023,", "/2023,MH1,")
    (inbox / "icb" / "spend 2023-04.csv").write_text(with_cost_centre, encoding="utf-8")
    columns = config().columns.model_dump() | {"cost_centre": "CC"}
    con = duckdb.connect()
    run_sql(con, "staging/create_tables")
    con.execute("CREATE TABLE ref_cost_centre_map AS SELECT 'icb' AS partner_id, 'MH1' AS cost_centre,"
                " 'crisis' AS service_line, 'p1' AS place_id, 'expenditure' AS line_type, NULL AS scheme_id,"
                " 'recurrent' AS funding_stream")
    con.execute("CREATE TABLE ref_partner_aliases (alias VARCHAR, partner_id VARCHAR)")
    run_sql(con, "staging/ref_mapping_rules", {"path": str(reference_file(tmp_path / "none", "mapping_rules"))})
    [item] = scan_inbox(inbox, {"icb": config(columns=columns)})
    assert load_file(con, item, "run").status == "loaded"
    expected = [(2, '{"VAT Number":"GB123","Their Ref":"PO-1"}'), (3, None), (4, '{"VAT Number":null,"Their Ref":"R-9"}')]
    assert con.execute("SELECT source_row, extra FROM raw_ledger ORDER BY 1").fetchall() == expected
    run_sql(con, "staging/stg_ledger", {"period": "2023-04"})
    assert con.execute("SELECT source_row, extra FROM stg_ledger ORDER BY 1").fetchall() == expected
