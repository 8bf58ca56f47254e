"""Size limits on what a file may hold: a value longer than a spreadsheet cell is quarantined
(and kept cut short, so it cannot bloat the warehouse), and a file past the size limit is
refused before a byte of it is read."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from assets.ingest import SourceConfig, SubmissionError, parse_submission, readers

CONFIG = SourceConfig.model_validate({
    "partner_id": "t",
    "file": {"pattern": "*.csv", "type": "csv"},
    "period": {"fixed": "2024-04"},
    "columns": {"posting_date": "Date", "counterparty": "Supplier", "amount": "Amount"},
})
EXCEL_CELL_LIMIT = 32_767  # characters: Excel's documented maximum for one cell


def test_a_value_longer_than_a_cell_is_quarantined_and_kept_cut_short(tmp_path: Path) -> None:
    huge = "x" * (EXCEL_CELL_LIMIT + 1)
    path = tmp_path / "april.csv"
    path.write_text("Date,Supplier,Amount\n"
                    f"01/04/2024,Acme,10.00\n"
                    f"02/04/2024,\"{huge}\",5.00\n"
                    f"03/04/2024,\"{'y' * EXCEL_CELL_LIMIT}\",2.50\n", encoding="utf-8")  # at the limit: fine
    parsed = parse_submission(path, CONFIG)
    assert parsed.lines["amount"].to_list() == [Decimal("10.00"), Decimal("2.50")]
    assert parsed.quarantine.select("source_row", "reason_code").rows() == [(3, "FIELD_TOO_LONG")]
    assert f"a value of {EXCEL_CELL_LIMIT + 1} characters" in parsed.quarantine["message"][0]
    kept = json.loads(parsed.quarantine["raw_record"][0])
    assert kept["Supplier"] == "x" * EXCEL_CELL_LIMIT + f" [cut: {EXCEL_CELL_LIMIT + 1} characters]"
    assert kept["Amount"] == "5.00"
    assert parsed.rows_read == parsed.lines.height + parsed.quarantine.height + parsed.skipped.height == 3


def test_a_file_past_the_size_limit_is_refused_before_it_is_read(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "april.csv"
    path.write_text("Date,Supplier,Amount\n01/04/2024,Acme,10.00\n", encoding="utf-8")
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 40)
    read = []
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self) or b"")
    with pytest.raises(SubmissionError, match="more than the 0 MiB openbook reads in one file; send it as one file"):
        parse_submission(path, CONFIG)
    assert read == []  # refused from its size alone
