"""Periods: any month from 2010-01, a data home's range in config/periods.yaml, and bad
periods refused on one line before any work."""
import pytest

from assets.partitions import EARLIEST, PeriodError, check_period, period_range
from warehouse.settings import Paths


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-01", "2026-1", "2026/01", "", "abcd-ef"])
def test_a_period_that_is_not_a_month_is_refused(text):
    with pytest.raises(PeriodError, match="is not a month YYYY-MM"):
        check_period(text, "--period")


def test_months_from_2010_are_periods_and_earlier_are_not():
    assert EARLIEST == "2010-01"
    assert check_period("2010-01") == "2010-01"
    assert check_period("2013-07") == "2013-07"
    with pytest.raises(PeriodError, match="before 2010-01"):
        check_period("2009-12")


def test_periods_yaml_narrows_the_range_and_names_file_and_key(tmp_path):
    paths = Paths(tmp_path)
    assert period_range(paths).problem("2010-01") is None  # no file: everything from 2010-01
    (tmp_path / "config").mkdir()
    config = tmp_path / "config" / "periods.yaml"
    config.write_text("first: 2019-04\nlast: 2026-03\n")
    accepted = period_range(paths)
    assert accepted.problem("2019-04") is None and accepted.problem("2026-03") is None
    assert "before the first period" in accepted.problem("2019-03")
    assert "after the last period" in accepted.problem("2026-04")
    config.write_text("first: 2019-04\nlats: 2026-03\n")
    with pytest.raises(PeriodError, match=r"periods.yaml: lats: unknown key"):
        period_range(paths)
    config.write_text("first: 2019-13\n")
    with pytest.raises(PeriodError, match=r"periods.yaml: first: .*not a month"):
        period_range(paths)
    config.write_text("first: 2020-01\nlast: 2019-01\n")
    with pytest.raises(PeriodError, match="last .* is before first"):
        period_range(paths)


def test_run_with_an_impossible_period_is_one_line_and_runs_nothing(tmp_path, capsys):
    from pipelines.cli import EXIT_USAGE, main

    code = main(["--home", str(tmp_path), "run", "--period", "2026-13"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE == 2
    assert err.strip().splitlines() == ["openbook: --period: '2026-13' is not a month YYYY-MM (month 01 to 12)"]
    assert not (tmp_path / "warehouse").exists() and not (tmp_path / "dagster").exists()  # no work began


def test_report_with_a_period_before_2010_is_one_line(tmp_path, capsys):
    from pipelines.cli import main

    assert main(["--home", str(tmp_path), "report", "--period", "1999-04"]) == 2
    assert capsys.readouterr().err.strip() == "openbook: --period: 1999-04 is before 2010-01, the first period openbook accepts"
