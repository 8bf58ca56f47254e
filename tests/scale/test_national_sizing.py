"""bench/national_sizing.py's arithmetic on a small case worked by hand.

The figures below are made up so that every unit cost comes out round; the expected values
were worked out on paper from the formulas the sizing doc states (per line = the rise
between the two sizes over the rise in lines, and so on), not by running the script.
"""
import importlib.util
import math
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "national_sizing.py"
spec = importlib.util.spec_from_file_location("national_sizing", SCRIPT)
sizing = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = sizing  # dataclasses look their module up there
spec.loader.exec_module(sizing)

HEAD = ("| stage | rows | wall s | rows/s | x baseline | CPU s | x baseline CPU | peak RSS MiB |\n"
        "|---|---|---|---|---|---|---|---|\n")

# 1,000 and 10,000 lines. Full run: jobs sum to 84.2 s and 95.0 s, so 11 s and 19 s are
# outside every job (mean 15 s over 27 runs); the incremental runs leave 6 s and 4 s
# outside their jobs (mean 5 s over 3 runs).
RESULTS = f"""# openbook benchmark

## 1,000 ledger lines (1,000 rows in the files; demo generated in 1.0 s)

{HEAD}| baseline: bare DuckDB load | 1,000 | 1.0 | 1,000 | 1.0 | 1.0 | 1.0 | 50 |
| openbook full run | 1,000 | 95.2 | 10 | 95.2 | 99.0 | 99.0 | 100 |
| incremental: openbook run after one late file | 100 | 10.0 | 10 | 10.0 | 10.0 | 10.0 | 90 |
| DuckLake load, 2 worker processes | 1,000 | 30.0 | 33 | 30.0 | 35.6 | 35.6 | 300 |

- openbook full run: 27 Dagster runs; by job: ingest_job 75.2 s, open_book_job 5.0 s, report_job 3.0 s, reference_job 1.0 s; top steps: raw_ledger 9.0 s
- incremental: openbook run after one late file: 3 Dagster runs; by job: ingest_job 2.0 s, open_book_job 1.0 s, report_job 1.0 s; top steps: raw_ledger 1.0 s

## 10,000 ledger lines (10,000 rows in the files; demo generated in 1.0 s)

{HEAD}| baseline: bare DuckDB load | 10,000 | 2.0 | 5,000 | 1.0 | 2.0 | 1.0 | 60 |
| openbook full run | 10,000 | 114.0 | 88 | 57.0 | 120.0 | 60.0 | 200 |
| incremental: openbook run after one late file | 1,000 | 10.0 | 100 | 5.0 | 10.0 | 5.0 | 95 |
| DuckLake load, 2 worker processes | 10,000 | 33.5 | 299 | 16.8 | 53.6 | 26.8 | 400 |

- openbook full run: 27 Dagster runs; by job: ingest_job 84.2 s, open_book_job 6.8 s, report_job 3.0 s, reference_job 1.0 s; top steps: raw_ledger 9.0 s
- incremental: openbook run after one late file: 3 Dagster runs; by job: ingest_job 3.0 s, open_book_job 2.0 s, report_job 1.0 s; top steps: raw_ledger 1.0 s
"""

STORAGE = {"sizes": [
    {"rows": 1000, "inbox_bytes": 100_000, "warehouse_bytes": 300_000, "published_bytes": 100_000,
     "lake_parquet_bytes": 50_000, "lake_catalog_bytes": 50_000},
    {"rows": 10000, "inbox_bytes": 1_000_000, "warehouse_bytes": 1_200_000, "published_bytes": 1_000_000,
     "lake_parquet_bytes": 500_000, "lake_catalog_bytes": 50_000},
]}


@pytest.fixture(scope="module")
def costs():
    return sizing.fit(sizing.parse_results(RESULTS), STORAGE)


def test_unit_costs_from_two_sizes(costs):
    # per run: (15 - 5) / (27 - 3); process start: 5 - 3 x 0.41667
    assert costs.per_run == pytest.approx(10 / 24)
    assert costs.process_start == pytest.approx(3.75)
    # ingest: (84.2 - 75.2) / 9,000 lines = 0.001 s a line, 74.2 s fixed at 1,000 lines
    assert costs.ingest_line == pytest.approx(0.001)
    # the late file's run: 2.0 s - 100 lines x 0.001 = 1.9 s; per partition (74.2 - 24 x 1.9) / 286 = 0.1 s
    assert costs.ingest_run == pytest.approx(1.9)
    assert costs.ingest_partition == pytest.approx(0.1)
    # open book (6.8 - 5.0) / 9,000 = 0.0002 s a line, 4.8 s fixed; reports 3 s flat; reference 1 s
    assert (costs.open_book.fixed, costs.open_book.per_line) == pytest.approx((4.8, 0.0002))
    assert (costs.reports.fixed, costs.reports.per_line) == pytest.approx((3.0, 0.0))
    assert costs.reference == pytest.approx(1.0)
    # peak RSS 100 MiB at 10^3 lines, 200 at 10^4: 100 MiB a decade
    assert costs.rss_mib.per_line == pytest.approx(100)
    assert costs.rss_mib.fixed + costs.rss_mib.per_line * math.log10(1e6) == pytest.approx(400)
    # lake CPU (53.6 - 35.6) / 9,000 = 0.002 a line, 33.6 fixed; less the open book's
    # 0.0002 and 4.8: 0.0018 a line and 28.8 s over 288 partitions = 0.1 s each
    assert costs.lake_line_cpu == pytest.approx(0.0018)
    assert costs.lake_partition_cpu == pytest.approx(0.1)
    assert costs.lake_efficiency == pytest.approx(53.6 / (33.5 * 2))  # 0.8
    # bytes a line: inbox 900,000 / 9,000; warehouse + published 1,800,000 / 9,000; lake 450,000 / 9,000
    assert costs.bytes_per_line == pytest.approx(
        {"inbox files": 100, "warehouse + published copy": 200, "lake Parquet + catalog": 50})


def test_a_small_national_load(costs):
    kinds = (sizing.PartnerKind("trust", 2, "over £25k", 50, 500, "made up"),)
    load = sizing.national_load("lines_extract", kinds=kinds, months=3)
    assert (load.partners, load.partitions, load.lines_per_month, load.lines) == (2, 6, 100, 300)
    # 6 runs (reference, 3 months, open book, reports): 3.75 + 2.5 + 1 + 3 x 1.9 + 6 x 0.1 + 0.3
    #   + 4.8 + 0.06 + 3 = 21.71
    assert sizing.single_file_full(costs, load, partnerships=1) == pytest.approx(21.71)
    # 3 runs: 3.75 + 1.25 + 1.9 + 0.2 + 0.1 + 4.8 + 0.06 + 3 = 15.06
    assert sizing.single_file_month(costs, load, partnerships=1) == pytest.approx(15.06)
    # lake, 2 workers: (0.6 + 0.54) / (2 x 0.8) + 4.86 + 3 = 8.5725; a month (0.2 + 0.18) / 1.6 + 7.86 = 8.0975
    assert sizing.lake_full(costs, load, workers=2, partnerships=1) == pytest.approx(8.5725)
    assert sizing.lake_month(costs, load, workers=2, partnerships=1) == pytest.approx(8.0975)
    # ten partnerships' reports on 4 workers: ceil(10 / 4) = 3 rounds of 3 s
    assert sizing.lake_full(costs, load, workers=4, partnerships=10) == pytest.approx(1.14 / 3.2 + 4.86 + 9)
    # the scale option multiplies lines, not partners
    assert sizing.national_load("lines_ledger", kinds=kinds, months=3, scale=2).lines == 6000
