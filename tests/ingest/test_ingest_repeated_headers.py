"""Two columns under one header (a code column and its name column both headed
"Account Code", as a council's export has them): mapping the shared name is refused with
a message that says how to read a later one; mapping "Account Code (2)" reads the second."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from assets.ingest import SourceConfig, parse_submission
from assets.ingest.errors import SubmissionError

TEXT = ("Supplier Name,Payment Date,Account Code,Account Code,Amount\n"
        "Acme Ltd,06/03/2017,2280,Miscellaneous,\"1,000.00\"\n"
        "Brenntag Uk Ltd,24/03/2017,1740,Chlorination and Purification,696.06\n")


def config(expense_type: str) -> SourceConfig:
    return SourceConfig.model_validate({
        "partner_id": "council",
        "file": {"pattern": "*.csv", "type": "csv"},
        "period": {"from_column": "Payment Date"},
        "columns": {"posting_date": "Payment Date", "expense_type": expense_type,
                    "counterparty": "Supplier Name", "amount": "Amount"},
        "dates": {"formats": ["%d/%m/%Y"]},
    })


def test_mapping_a_shared_header_is_refused_naming_the_later_columns(tmp_path: Path) -> None:
    path = tmp_path / "payments-2017-03.csv"
    path.write_text(TEXT, encoding="utf-8")
    with pytest.raises(SubmissionError) as error:
        parse_submission(path, config("Account Code"))
    message = str(error.value)
    assert 'columns named "Account Code" (columns 3, 4)' in message
    assert 'map a later one by the name it is read under: "Account Code (2)" (column 4)' in message


def test_the_second_column_of_a_shared_header_is_read_by_its_suffixed_name(tmp_path: Path) -> None:
    path = tmp_path / "payments-2017-03.csv"
    path.write_text(TEXT, encoding="utf-8")
    parsed = parse_submission(path, config("Account Code (2)"))
    assert parsed.lines["expense_type"].to_list() == ["Miscellaneous", "Chlorination and Purification"]
    assert Decimal(str(parsed.lines["amount"].sum())) == Decimal("1696.06")
