"""`openbook sources check`: the preview text an analyst reads."""

from __future__ import annotations

from pathlib import Path

import yaml

from assets.ingest import preview_submission

FIXTURES = Path(__file__).parents[1] / "fixtures" / "real_world"


def test_preview_of_a_good_config_and_file() -> None:
    text = preview_submission(FIXTURES / "la_over_500.yaml", FIXTURES / "Spend_over_500_2020-04.csv", max_rows=3)
    expected_lines = [
        f"Source config {FIXTURES / 'la_over_500.yaml'}: OK",
        "  period detected: 2020-04",
        "    columns.amount              <- Amount",
        "    skip.totals_rows[0].column  <- Body Name",
        "  columns not used: Service Area",
        "Rows read:   13",
        "  parsed:      6  (total amount 8,082.70)",
        "  quarantined: 4  (BAD_DATE 1, BLANK_SUPPLIER 1, EXTRA_FIELDS 1, MISSING_FIELD 1)",
        "      Spend_over_500_2020-04.csv row 8, field counterparty: Supplier Name is blank",
        "  skipped:     3  (blank_row 1, note_row 1, totals_row 1)",
        "      row 14: totals_row",
        "First 3 parsed lines:",
    ]
    for line in expected_lines:
        assert line in text.splitlines(), line
    table = text.split("First 3 parsed lines:\n")[1].splitlines()
    assert len(table) == 2 + 3  # header, rule, three lines
    assert "| Brook House Care Ltd |" in table[2] and "| 1250.00 |" in table[2]
    assert "raw_record" not in text


def test_preview_of_a_config_alone() -> None:
    text = preview_submission(FIXTURES / "management_accounts.yaml", None)
    assert text.splitlines() == [
        f"Source config {FIXTURES / 'management_accounts.yaml'}: OK",
        "  partner:  haven (VCSE management accounts by cost centre, no dates)",
        "  files:    inbox/haven/* management accounts M* *.xlsx (xlsx, sheet 'management accounts'; header row 4)",
        r"  period:   from the file name, pattern M(?P<fiscal_month>\d{2}) (?P<fy_start_year>\d{4})-\d{2}",
    ]


def test_preview_explains_an_invalid_config(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text((FIXTURES / "us_dates.yaml").read_text().replace("posting_date:", "postingdate:"))
    text = preview_submission(config, FIXTURES / "payments_dunmere.csv")
    assert text.startswith(f"Source config {config}: NOT VALID\n")
    assert "columns.postingdate: unknown key; expected one of: posting_date," in text


def test_preview_explains_a_file_that_does_not_fit() -> None:
    text = preview_submission(FIXTURES / "la_over_500.yaml", FIXTURES / "payments_dunmere.csv")
    assert "WARNING: the name does not match file.pattern 'Spend_over_500_*.csv'" in text
    assert "CANNOT BE PARSED: payments_dunmere.csv: cannot tell the period: the file name does not match" in text
    text = preview_submission(FIXTURES / "us_dates.yaml", FIXTURES / "Spend_over_500_2020-04.csv")
    assert 'CANNOT BE PARSED: Spend_over_500_2020-04.csv row 1: the header row lacks "Date" (columns.posting_date)' in text


def test_preview_names_every_alternative_date_column_of_the_period(tmp_path: Path) -> None:
    document = yaml.safe_load((FIXTURES / "la_over_500.yaml").read_text())
    document["period"] = {"from_column": ["Date Paid", "Payment Date"]}
    config = tmp_path / "either.yaml"
    config.write_text(yaml.safe_dump(document))
    lines = preview_submission(config, None).splitlines()
    assert "  period:   each row's month from column 'Date Paid' or 'Payment Date'" in lines
