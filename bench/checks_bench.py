"""Benchmark: the stg_ledger suite on 1,000,000 ledger lines, Great Expectations vs DuckDB SQL,
and the pipeline's way: per submission, one at a time or all in one grouped pass.

    .venv/bin/python bench/checks_bench.py [--rows N] [--seed S] [--loads L] [--no-gx]

Builds a stg_ledger-shaped polars frame (one partner x one month, realistic values, a few
planted failures), then in one run times

* gx_runner.validate_frame (Great Expectations 1.24, pandas engine; import and context
  creation timed separately, as they are paid once per process);
* sql_runner.validate_relation on a DuckDB table holding the same rows, and on the polars
  frame registered as a relation (no copy);

* the same rows as L submissions (--loads, default 289 as the demo's 24 months: contiguous
  blocks, each its own load_id, partner and period with its own suite parameters), as
  assets/checks.py runs the suite: sql_runner.validate_groups once per submission (the
  pipeline until issue 20) and once for all submissions (GROUP BY load_id);

prints wall seconds, rows/s and the ratio to the SQL runner, and checks that the runners
agree on every expectation (success, unexpected_count, element_count), and that the
grouped pass gives every submission the outcome it gets alone (every field, samples
included).  Exits 1 if not.  Writes nothing to disk.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assets.quality import gx_runner, sql_runner  # noqa: E402

SUITE = ROOT / "expectations" / "stg_ledger.json"
PERIOD_START, PERIOD_END = dt.date(2024, 4, 1), dt.date(2024, 4, 30)
COST_CENTRES = [f"W{n:04d}" for n in range(1000, 1060)]
SERVICE_LINES = ["crisis", "iapt", "community_adult", "camhs", "eating_disorders", "secure",
                 "inpatient_adult", "perinatal", "eip", "liaison", "rehab", "peer_support"]
FUNDING = ["recurrent", "non_recurrent", "sdf", "s75_pooled", "grant"]
FUNDING_P = [0.78, 0.06, 0.08, 0.05, 0.03]

# planted failures: what the suite must find (on top of any chance likely-duplicates)
PLANTED = {
    "null cost_centre": 37,
    "posting date outside the period": 12,
    "unknown cost centre": 25,
    "repeated transaction id (pairs)": 8,
    "amount beyond +-1bn": 3,
    "likely duplicate payment (pairs)": 5,
    "bad funding stream": 4,
}


def build(rows: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    suppliers = np.array([f"Supplier {n:05d} Ltd" for n in range(2500)] + ["REDACTED"])
    cc_idx = rng.integers(0, len(COST_CENTRES), rows)
    cc_service = rng.integers(0, len(SERVICE_LINES), len(COST_CENTRES))  # one service line per cc
    income = rng.random(rows) < 0.04
    # amounts: log-normal pounds and pence, income negative
    pence = np.round(np.exp(rng.normal(8.0, 1.6, rows)) * 100).astype(np.int64) + 1
    pence = np.where(income, -pence, pence)
    day = rng.integers(0, 30, rows)
    frame = pl.DataFrame({
        "load_id": "wfmh-2024-04-1",
        "partner_id": "wfmh",
        "period": "2024-04",
        "source_file": "inbox/wfmh/WFMH GL export 2024-04.xlsx",
        "source_row": np.arange(6, rows + 6, dtype=np.int64),
        "posting_date": pl.Series(day + (PERIOD_START - dt.date(1970, 1, 1)).days, dtype=pl.Int32),
        "cost_centre": np.array(COST_CENTRES)[cc_idx],
        "expense_type": np.array(["5001", "5100", "5200", "6100", "7000"])[rng.integers(0, 5, rows)],
        "counterparty": suppliers[rng.integers(0, len(suppliers), rows)],
        "description": "monthly charge",
        "transaction_id": [f"GL{n:08d}" for n in range(rows)],
        "amount": pl.Series(pence).cast(pl.Decimal(20, 2)) / 100,
        "funding_stream": rng.choice(FUNDING, rows, p=FUNDING_P),
        "service_line": np.array(SERVICE_LINES)[cc_service[cc_idx]],
        "place_id": np.array(["ashby", "brookfield", "carrow"])[rng.integers(0, 3, rows)],
        "line_type": np.where(income, "income", "expenditure"),
    }).with_columns(
        pl.col("posting_date").cast(pl.Date),
        pl.col("amount").cast(pl.Decimal(18, 2)),
    )
    # planted failures, each on rows of its own (spread through the frame)
    slots = iter(rng.permutation(np.arange(100, rows - 100))[:400].tolist())

    def plant(n, **values):
        idx = [next(slots) for _ in range(n)]
        return idx, values

    edits = []
    edits.append(plant(PLANTED["null cost_centre"], cost_centre=None))
    edits.append(plant(PLANTED["posting date outside the period"], posting_date=dt.date(2024, 5, 1)))
    edits.append(plant(PLANTED["unknown cost centre"], cost_centre="W9999"))
    edits.append(plant(PLANTED["amount beyond +-1bn"], amount=pl.lit("1250000000.00").cast(pl.Decimal(18, 2))))
    edits.append(plant(PLANTED["bad funding stream"], funding_stream="Recurrent"))
    for idx, values in edits:
        mask = pl.int_range(pl.len()).is_in(idx)
        frame = frame.with_columns(**{
            k: pl.when(mask).then(v if isinstance(v, pl.Expr) else pl.lit(v, dtype=frame.schema[k]))
            .otherwise(pl.col(k)) for k, v in values.items()
        })
    # repeated transaction ids and likely duplicate payments: copy a row's id / payment
    rows_idx = [next(slots) for _ in range(2 * (PLANTED["repeated transaction id (pairs)"]
                                                + PLANTED["likely duplicate payment (pairs)"]))]
    tid = frame["transaction_id"].to_list()
    cp, amt, date = frame["counterparty"].to_list(), frame["amount"].to_list(), frame["posting_date"].to_list()
    pairs = list(zip(rows_idx[0::2], rows_idx[1::2]))
    for a, b in pairs[: PLANTED["repeated transaction id (pairs)"]]:
        tid[b] = tid[a]
    for a, b in pairs[PLANTED["repeated transaction id (pairs)"]:]:
        cp[b], amt[b], date[b] = "Beta Care Ltd", amt[a], date[a]
        cp[a] = "Beta Care Ltd"
    return frame.with_columns(
        transaction_id=pl.Series(tid), counterparty=pl.Series(cp),
        amount=pl.Series(amt, dtype=pl.Decimal(18, 2)), posting_date=pl.Series(date, dtype=pl.Date),
    )


def params() -> dict:
    return {"period_start": PERIOD_START, "period_end": PERIOD_END,
            "known_cost_centres": COST_CENTRES, "known_service_lines": SERVICE_LINES}


def split_loads(frame: pl.DataFrame, loads: int) -> tuple[pl.DataFrame, dict]:
    """The rows as `loads` submissions in contiguous blocks (as staging writes them), 12
    partners over the months from 2024-04, and each submission's suite parameters."""
    n = frame.height
    block = pl.int_range(pl.len()) * loads // n
    partner = (block % 12).cast(pl.String)
    month = block // 12
    period = pl.format("{}-{}", 2024 + (month + 3) // 12, ((month + 3) % 12 + 1).cast(pl.String).str.zfill(2))
    frame = frame.with_columns(partner_id=pl.lit("p") + partner, period=period).with_columns(
        load_id=pl.col("partner_id") + "." + pl.col("period") + ".v1")
    parameters = {}
    for load_id, partner_id, period in frame.select("load_id", "partner_id", "period").unique(
            maintain_order=True).iter_rows():
        start = dt.date(int(period[:4]), int(period[5:]), 1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        parameters[load_id] = {**params(), "period_start": start, "period_end": end}
    return frame, parameters


def timed(fn, repeat: int = 1):
    """(result, best wall seconds, median wall seconds) over `repeat` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, min(times), statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20241)
    parser.add_argument("--repeat", type=int, default=3, help="runs per runner; best and median shown")
    parser.add_argument("--loads", type=int, default=289, help="submissions the rows are split into")
    parser.add_argument("--no-gx", action="store_true", help="leave Great Expectations out")
    args = parser.parse_args(argv)

    frame, t_build, _ = timed(lambda: build(args.rows, args.seed))
    print(f"built {frame.height:,} rows x {frame.width} columns in {t_build:.1f} s "
          f"(planted: {', '.join(f'{k} {v}' for k, v in PLANTED.items())})")

    con = duckdb.connect()
    con.register("ledger_frame", frame)
    con.execute("CREATE TABLE stg_ledger AS SELECT * FROM ledger_frame")

    # SQL first (cheap); one warm-up run so DuckDB's first-query costs are not counted
    sql_runner.validate_relation(con, "stg_ledger", SUITE, params())
    sql_table, t_sql_table, m_sql_table = timed(
        lambda: sql_runner.validate_relation(con, "stg_ledger", SUITE, params()), args.repeat)
    sql_frame, t_sql_frame, m_sql_frame = timed(
        lambda: sql_runner.validate_relation(con, "ledger_frame", SUITE, params()), args.repeat)

    # the pipeline's way: the rows as submissions, each checked alone, then all in one pass
    split, by_load = split_loads(frame, args.loads)
    con.register("split_frame", split)
    con.execute("CREATE TABLE split_ledger AS SELECT * FROM split_frame")
    alone, t_alone, m_alone = timed(lambda: {
        load_id: sql_runner.validate_groups(con, "split_ledger", SUITE, "load_id", {load_id: p})[load_id]
        for load_id, p in by_load.items()}, args.repeat)
    grouped, t_grouped, m_grouped = timed(
        lambda: sql_runner.validate_groups(con, "split_ledger", SUITE, "load_id", by_load), args.repeat)
    differ = [load_id for load_id in by_load if alone[load_id].outcomes != grouped[load_id].outcomes]

    n = frame.height
    table = [
        ("sql_runner, DuckDB table", t_sql_table, m_sql_table),
        ("sql_runner, polars frame registered", t_sql_frame, m_sql_frame),
        (f"per submission, one at a time ({len(by_load)})", t_alone, m_alone),
        (f"per submission, grouped pass ({len(by_load)})", t_grouped, m_grouped),
    ]
    gx_out = sql_frame  # without GE, the table compares the SQL runner on the table and on the frame
    if not args.no_gx:
        # GE: import + ephemeral context, paid once per process, then the validation itself
        # (polars -> pandas conversion included: it is part of validate_frame)
        _, t_gx_start, _ = timed(gx_runner._gx)
        gx_out, t_gx, m_gx = timed(lambda: gx_runner.validate_frame(frame, SUITE, params()), args.repeat)
        table.append(("gx_runner.validate_frame (GE, pandas)", t_gx, m_gx))
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; best and median of {args.repeat} runs")
    print()
    print(f"{'runner':<40} {'best s':>7} {'median s':>9} {'rows/s (best)':>14} {'x SQL table':>12}")
    for name, best, median in table:
        print(f"{name:<40} {best:>7.2f} {median:>9.2f} {n / best:>14,.0f} {best / t_sql_table:>12.1f}")
    if not args.no_gx:
        print(f"{'(GE import + context, once per process)':<40} {t_gx_start:>7.2f}")
    print(f"grouped pass vs one at a time: {t_alone / t_grouped:.1f}x faster; "
          + (f"{len(differ)} SUBMISSIONS DIFFER" if differ else f"the same outcome for all {len(by_load)} submissions"))
    print(f"{len(gx_out.outcomes)} expectations; suite {SUITE.name}")

    print()
    print(f"{'#':>2} {'expectation':<52} {'sev':<5} {'GE' if not args.no_gx else 'frame':>9} {'SQL':>9}  agree")
    disagreements = 0
    for g, s, f in zip(gx_out.outcomes, sql_table.outcomes, sql_frame.outcomes):
        key = lambda o: (o.success, o.errored, o.unexpected_count, o.element_count)  # noqa: E731
        agree = key(g) == key(s) == key(f)
        disagreements += not agree
        label = f"{g.expectation_type.removeprefix('expect_')} {g.column or ''}"
        fmt = lambda o: ("ERRORED" if o.errored else ("ok" if o.success else "FAIL")) + (  # noqa: E731
            f" {o.unexpected_count}" if o.unexpected_count else "")
        print(f"{g.index:>2} {label[:52]:<52} {g.severity:<5} {fmt(g):>9} {fmt(s):>9}  {'yes' if agree else 'NO'}")
    print()
    print(f"{'GE' if not args.no_gx else 'frame'} passed={gx_out.passed}, SQL passed={sql_table.passed}; "
          f"{'runners agree on every expectation' if not disagreements else f'{disagreements} DISAGREEMENTS'}")
    return 1 if disagreements or differ else 0


if __name__ == "__main__":
    sys.exit(main())
