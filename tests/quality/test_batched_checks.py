"""The stg_ledger suite evaluated once over many submissions (GROUP BY load_id) gives every
submission exactly the outcome it would get alone: the same success, counts and failing
samples (same rows, same order). The expected outcomes are recomputed here per submission
in plain Python over the submission's rows in table order -- no code of the runner -- on
submissions that fail in different ways, with their own period and cost centres."""
from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal

import duckdb
import polars as pl
import pytest

from assets.quality.sql_runner import validate_groups
from assets.quality.submission_suite import UNCLASSIFIED, validate_submissions
from quality_fixtures import DIRTY_ROWS, PROJECT_STG_LEDGER, STG_LEDGER, d, ledger

SAMPLE = 20

# ---------------------------------------------------------------- the recomputation, per load


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _null_first(key: tuple) -> tuple:
    return tuple((v is not None, v) for v in key)


def expected_outcome(rows: list[dict], suite: dict, parameters: dict) -> list[tuple]:
    """(success, element_count, unexpected_count, sample) of each expectation on one load's
    rows (dicts, in table order), by the suite's meaning, in plain Python."""
    n = len(rows)
    out = []
    for exp in suite["expectations"]:
        kw = {k: parameters[v["$PARAMETER"]] if isinstance(v, dict) else v for k, v in exp["kwargs"].items()}
        kind = exp["type"]
        if kind == "expect_table_row_count_to_be_between":
            out.append((n >= kw["min_value"], n, 0, []))
            continue
        if kind in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
            columns = kw.get("column_list") or [kw["column"]]
            keys = [tuple(r[c] for c in columns) for r in rows]
            if kw.get("ignore_row_if") == "any_value_is_missing" or kind == "expect_column_values_to_be_unique":
                keys = [k for k in keys if None not in k]
            else:
                keys = [k for k in keys if any(v is not None for v in k)]
            counts: dict[tuple, int] = {}
            for k in keys:
                counts[k] = counts.get(k, 0) + 1
            dups = sorted(((k, c) for k, c in counts.items() if c > 1), key=lambda kc: _null_first(kc[0]))
            sample = []
            for k, c in dups:
                item = {col: _json(v) for col, v in zip(columns, k)} if len(columns) > 1 or "column_list" in kw \
                    else _json(k[0])
                sample += [item] * c
            bad = sum(c for _, c in dups)
            out.append((bad == 0, n, bad, sample[:SAMPLE]))
            continue
        values = [r[kw["column"]] for r in rows]
        if kind == "expect_column_values_to_not_be_null":
            bad = sum(v is None for v in values)
            out.append((bad == 0, n, bad, [None] * min(bad, SAMPLE)))
            continue
        if kind == "expect_column_values_to_be_between":
            failing = [v for v in values if v is not None and not kw["min_value"] <= v <= kw["max_value"]]
        elif kind == "expect_column_values_to_be_in_set":
            failing = [v for v in values if v is not None and v not in kw["value_set"]]
        else:
            raise AssertionError(f"the recomputation does not know {kind}")
        out.append((not failing, n, len(failing), [_json(v) for v in failing[:SAMPLE]]))
    return out


def expected(con, suite_path, parameters: dict) -> dict[str, list[tuple]]:
    suite = json.loads(suite_path.read_text())
    result = {}
    for load_id, params in parameters.items():
        cursor = con.execute("SELECT * FROM stg_ledger WHERE load_id = ? ORDER BY rowid", [load_id])
        names = [c[0] for c in cursor.description]
        rows = [dict(zip(names, r)) for r in cursor.fetchall()]
        result[load_id] = expected_outcome(rows, suite, params)
    return result


def observed(outcomes) -> dict[str, list[tuple]]:
    assert not any(o.errored for s in outcomes.values() for o in s.outcomes)
    return {load_id: [(o.success, o.element_count, o.unexpected_count, o.unexpected_sample) for o in s.outcomes]
            for load_id, s in outcomes.items()}


# ---------------------------------------------------------------- submissions that fail in different ways

PARTNERS = {"wfmh": ["CC100", "CC200", "CC300"], "nelft": ["CC100", "N1"], "spft": ["CC300"]}


def _load(load_id: str, partner: str, period: str, rows: list[dict]) -> pl.DataFrame:
    frame = ledger(rows) if rows else ledger([{}]).clear()
    return frame.with_columns(load_id=pl.lit(load_id), partner_id=pl.when(pl.col("partner_id").is_null())
                              .then(None).otherwise(pl.lit(partner)), period=pl.when(pl.col("period").is_null())
                              .then(None).otherwise(pl.lit(period)))


LOADS = [
    # the hand-counted dirty partition
    ("wfmh-2024-04-1", "wfmh", "2024-04", DIRTY_ROWS),
    # the same dirty rows in May for another partner: dates and cost centres fail differently
    ("nelft-2024-05-1", "nelft", "2024-05", DIRTY_ROWS),
    # more failures than a sample holds: nulls, bad streams, one id 30 times, file rows twice
    ("spft-2024-04-1", "spft", "2024-04",
     [{"amount": None, "funding_stream": f"Stream {i % 7}", "transaction_id": "T1", "cost_centre": f"X{i % 3}",
       "source_row": i % 12, "posting_date": d(1 + i % 28) if i % 4 else d(2, 5)} for i in range(30)]),
    # many repeated ids and file rows, two of each (more repeated keys than a sample holds, with the above)
    ("spft-2024-05-1", "spft", "2024-05",
     [{"transaction_id": f"T{i % 15}", "source_row": i % 15, "posting_date": d(1 + i % 28, 5), "cost_centre": "CC300"}
      for i in range(30)]),
    # clean (its own dates and cost centres), and a submission with no rows at all
    ("wfmh-2024-05-1", "wfmh", "2024-05", [{"posting_date": d(1 + i, 5), "cost_centre": "CC300"} for i in range(5)]),
    ("nelft-2024-04-2", "nelft", "2024-04", []),
]


def _parameters(period: str, partner: str) -> dict:
    start = dt.date(int(period[:4]), int(period[5:]), 1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return {"period_start": start, "period_end": end, "known_cost_centres": PARTNERS[partner],
            "known_service_lines": ["crisis", "iapt", "secure", UNCLASSIFIED]}


@pytest.fixture(scope="module")
def warehouse():
    """stg_ledger with the loads' rows interleaved (table order within a load is not
    contiguous), a submission of another period nobody asks about, and the reference tables."""
    frames = [_load(*load) for load in LOADS] + [_load("other-2024-04-1", "wfmh", "2024-04", DIRTY_ROWS)]
    rows = pl.concat(frames).with_row_index("i")
    order = list(range(rows.height))
    random.Random(20).shuffle(order)
    rows = rows[order].drop("i")
    con = duckdb.connect()
    con.register("rows", rows)
    con.execute("CREATE TABLE stg_ledger AS SELECT * FROM rows")
    con.execute("CREATE TABLE ref_cost_centre_map AS SELECT * FROM (VALUES ('wfmh', 'CC100'), ('wfmh', 'CC200'),"
                " ('wfmh', 'CC300'), ('nelft', 'CC100'), ('nelft', 'N1'), ('spft', 'CC300')) t(partner_id, cost_centre)")
    con.execute("CREATE TABLE ref_service_lines AS SELECT * FROM (VALUES ('crisis'), ('iapt'), ('secure'))"
                " t(service_line)")
    yield con
    con.close()


@pytest.mark.parametrize("suite_path", [STG_LEDGER, PROJECT_STG_LEDGER], ids=["every_kind", "project"])
def test_grouped_pass_gives_each_load_its_own_outcome(warehouse, suite_path):
    parameters = {load_id: _parameters(period, partner) for load_id, partner, period, _ in LOADS}
    want = expected(warehouse, suite_path, parameters)
    got = observed(validate_groups(warehouse, "stg_ledger", suite_path, "load_id", parameters))
    assert list(got) == list(want)
    for load_id in want:
        for index, (g, w) in enumerate(zip(got[load_id], want[load_id])):
            assert g == w, f"{load_id}, expectation #{index}"
    # the loads do fail, in many ways, and differently by their own parameters
    failing = {load_id: [i for i, o in enumerate(w) if not o[0]] for load_id, w in want.items()}
    assert all(failing[load_id] for load_id in failing if not load_id.startswith("wfmh-2024-05"))
    assert not failing["wfmh-2024-05-1"]
    assert want["wfmh-2024-04-1"] != want["nelft-2024-05-1"] or suite_path == PROJECT_STG_LEDGER
    assert any(len(o[3]) == SAMPLE and o[2] > SAMPLE for o in want["spft-2024-04-1"])


def test_one_load_alone_is_the_same_as_in_the_batch(warehouse):
    parameters = {load_id: _parameters(period, partner) for load_id, partner, period, _ in LOADS}
    batch = observed(validate_groups(warehouse, "stg_ledger", STG_LEDGER, "load_id", parameters))
    for load_id, params in parameters.items():
        alone = observed(validate_groups(warehouse, "stg_ledger", STG_LEDGER, "load_id", {load_id: params}))
        assert alone[load_id] == batch[load_id]


def test_submissions_have_their_partners_and_periods_parameters(warehouse):
    """validate_submissions reads each partner's cost centres and the service lines itself."""
    loads = [(load_id, partner, period) for load_id, partner, period, _ in LOADS]
    want = expected(warehouse, STG_LEDGER, {load_id: _parameters(period, partner) for load_id, partner, period in loads})
    assert observed(validate_submissions(warehouse, loads, STG_LEDGER)) == want


# ---------------------------------------------------------------- the demo's warehouse, with bad submissions planted


def test_demo_warehouse_with_planted_failures(demo_home):
    """Every current submission of the demo (all periods at once), after planting failures
    in a few of them, against the recomputation. (A copy of the tables without the
    warehouse's NOT NULL constraints, which staging's output never breaks.)"""
    con = duckdb.connect()
    with duckdb.connect(str(demo_home / "warehouse" / "openbook.duckdb"), read_only=True) as demo:
        for table in ("stg_ledger", "load_log", "ref_service_lines", "ref_cost_centre_map"):
            con.register("copied", demo.execute(f"SELECT * FROM {table}").arrow())
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM copied")
            con.unregister("copied")
    loads = con.execute("SELECT load_id, partner_id, period FROM load_log WHERE status = 'current'"
                        " ORDER BY load_id").fetchall()
    bad = [load_id for load_id, _, _ in loads[::37]][:5]
    con.execute("UPDATE stg_ledger SET amount = NULL WHERE load_id = ? AND source_row % 5 = 0", [bad[0]])
    con.execute("UPDATE stg_ledger SET funding_stream = 'Recurrent', service_line = 'crisis_team'"
                " WHERE load_id = ? AND source_row % 2 = 0", [bad[1]])
    con.execute("INSERT INTO stg_ledger SELECT * FROM stg_ledger WHERE load_id = ? AND source_row < 30", [bad[2]])
    con.execute("UPDATE stg_ledger SET amount = amount * 10000000 WHERE load_id = ?", [bad[3]])
    con.execute("DELETE FROM stg_ledger WHERE load_id = ?", [bad[4]])
    service_lines = sorted({r[0] for r in con.execute("SELECT service_line FROM ref_service_lines").fetchall()}
                           | {UNCLASSIFIED})
    want = expected(con, PROJECT_STG_LEDGER, {load_id: {"known_service_lines": service_lines} for load_id, _, _ in loads})
    got = observed(validate_submissions(con, loads))
    assert got == want
    assert sorted(load_id for load_id, w in want.items() if not all(o[0] for o in w)) == sorted(bad)
    con.close()
