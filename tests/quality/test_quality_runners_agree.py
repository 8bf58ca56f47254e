"""Great Expectations (gx_runner) and DuckDB SQL (sql_runner) on the same frames and suites:
hand-counted outcomes, and agreement on every expectation.

Great Expectations is slow to import, so every GE validation of this module runs once, in
the module-scoped fixture `runs`, and the tests read its results.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.quality import gx_runner
from assets.quality.gx_runner import SuiteError, gx_suite_json, load_suite, validate_frame
from assets.quality.sql_runner import validate_relation
from quality_fixtures import DIRTY_EXPECTED, DIRTY_SAMPLES, EXPECTATIONS, STG_LEDGER, ledger

D = dt.date

# ---------------------------------------------------------------- semantics battery
# Edge semantics of Great Expectations 1.24 on pandas, hand-counted, that the SQL runner
# must reproduce: null handling per expectation type, ignore_row_if modes, strict bounds,
# mostly, NaN as null, exact Decimal comparison with float bounds, empty value sets.
SEMANTICS_FRAME = pl.DataFrame(
    {
        "k1": ["A", "A", None, None, "B", "B", "C"],
        "k2": [1, 1, None, None, None, None, 2],
        "s": [D(2024, 4, 1), D(2024, 4, 1), D(2024, 4, 1), None, None, D(2024, 4, 5), D(2024, 4, 5)],
        "e": [D(2024, 4, 1), D(2024, 3, 31), None, D(2024, 4, 2), None, D(2024, 4, 4), D(2024, 4, 6)],
        "f": [1.0, float("nan"), None, 2.0, 2.0, 3.0, float("nan")],
        "m": [Decimal("0.10"), Decimal("0.11"), Decimal("0.29"), Decimal("0.30"), None, Decimal("0.20"),
              Decimal("0.15")],
        "x": ["a", "b", None, "a", "c", "a", "a"],
        "v": [0, 1, 2, None, 5, -1, 3],
    },
    schema_overrides={"m": pl.Decimal(18, 2), "k2": pl.Int64, "v": pl.Int64},
)
SEMANTICS = [  # (kwargs-bearing expectation, success, unexpected_count)
    ("expect_compound_columns_to_be_unique", {"column_list": ["k1", "k2"]}, False, 4),
    ("expect_compound_columns_to_be_unique", {"column_list": ["k1", "k2"], "ignore_row_if": "never"}, False, 6),
    ("expect_compound_columns_to_be_unique", {"column_list": ["k1", "k2"], "ignore_row_if": "any_value_is_missing"},
     False, 2),
    ("expect_column_pair_values_a_to_be_greater_than_b", {"column_A": "e", "column_B": "s", "or_equal": True},
     False, 4),
    ("expect_column_pair_values_a_to_be_greater_than_b", {"column_A": "e", "column_B": "s",
                                                          "ignore_row_if": "neither"}, False, 6),
    ("expect_column_pair_values_a_to_be_greater_than_b", {"column_A": "e", "column_B": "s", "or_equal": True,
                                                          "ignore_row_if": "either_value_is_missing"}, False, 2),
    ("expect_column_values_to_not_be_null", {"column": "f"}, False, 3),             # NaN counts as null
    ("expect_column_values_to_be_unique", {"column": "f"}, False, 2),               # NaN/null ignored
    ("expect_column_values_to_be_between", {"column": "m", "min_value": 0.1, "max_value": 0.3}, False, 2),
    ("expect_column_values_to_be_in_set", {"column": "x", "value_set": []}, False, 6),
    ("expect_column_values_to_be_in_set", {"column": "x", "value_set": ["a"], "mostly": 0.5}, True, 2),
    ("expect_column_values_to_be_in_set", {"column": "x", "value_set": ["a"], "mostly": 0.8}, False, 2),
    ("expect_column_values_to_be_between", {"column": "v", "min_value": 0, "max_value": 5, "strict_min": True,
                                            "strict_max": True}, False, 3),
    ("expect_table_row_count_to_be_between", {"max_value": 6}, False, 0),
    ("expect_column_values_to_be_between", {"column": "s", "min_value": {"$PARAMETER": "lo"},
                                            "max_value": {"$PARAMETER": "hi"}}, False, 3),
    ("expect_column_values_to_not_be_null", {"column": "v"}, False, 1),
    ("expect_column_values_to_be_unique", {"column": "x"}, False, 4),
    ("expect_column_values_to_be_unique", {"column": "k1"}, False, 4),
    ("expect_column_values_to_be_between", {"column": "m", "min_value": 0.1, "max_value": 0.3, "strict_min": True,
                                            "strict_max": True}, False, 2),  # 0.11 > 0.1000..055: passes
    ("expect_column_values_to_be_in_set", {"column": "x", "value_set": ["a", 1]}, False, 2),     # 1 never matches
    ("expect_column_values_to_be_in_set", {"column": "v", "value_set": ["1", 2, 3.0]}, False, 4),  # nor does "1"
]
SEMANTICS_PARAMS = {"lo": D(2024, 4, 2), "hi": D(2024, 4, 30)}

# Expectations that cannot be evaluated: each must come back errored, never as a pass.
ERRORED = [  # (type, kwargs, severity, errored)
    ("expect_column_values_to_not_be_null", {"column": "no_such_column"}, "ERROR", True),
    ("expect_column_values_to_be_between", {"column": "cost_centre", "min_value": 0, "max_value": 10}, "ERROR",
     True),
    ("expect_column_values_to_be_between", {"column": "amount", "min_value": 10, "max_value": 1}, "ERROR", True),
    ("expect_compound_columns_to_be_unique", {"column_list": ["counterparty", "no_such_column"]}, "WARN", True),
    ("expect_column_pair_values_a_to_be_greater_than_b", {"column_A": "posting_date", "column_B": "no_such_column"},
     "ERROR", True),
    ("expect_column_values_to_be_in_set", {"column": "cost_centre", "value_set": ["CC100"]}, "WARN", False),
]


# Reference tables, dirty: (expectation column, unexpected_count) of every failure.
CONTRACTS_FRAME = pl.DataFrame(
    {
        "contract_id": ["C1", "C1", "C3", "C4", None],
        "commissioner_id": ["nw_icb", "nw_icb", "sf_icb", "nw_icb", None],
        "provider_id": ["wfmh", "wfmh", "haven", "fsc_lp", "wfmh"],
        "parent_contract_id": [None, None, None, None, "C1"],
        "service_line": [None, "crisis", "crisis", "secure", "crisis"],  # block contracts: none
        "contract_type": ["block", "blok", "spot", "grant", "block"],
        "annual_value": [Decimal("100.00"), Decimal("0.00"), Decimal("1.00"), Decimal("-5.00"), Decimal("10.00")],
        "start_date": [D(2024, 4, 1), D(2024, 4, 1), D(2024, 4, 1), None, D(2024, 4, 1)],
        "end_date": [D(2025, 3, 31), D(2024, 3, 31), None, D(2025, 3, 31), D(9999, 12, 31)],  # open-ended
        "funding_stream": ["recurrent", "recurrent", "sdf", "Grant", "grant"],
    },
    schema_overrides={"annual_value": pl.Decimal(18, 2), "parent_contract_id": pl.String},
)
CONTRACTS_FAILURES = {
    "contract_id": [1, 2],            # a missing id; C1 twice
    "commissioner_id": [1],
    "annual_value": [2],              # 0.00 and -5.00 are not > 0
    "contract_type": [1],             # blok
    "start_date": [1],
    "end_date,start_date": [1],       # ends before it starts; no end / 9999-12-31 fine
    "funding_stream": [1],            # Grant
}
CC_MAP_FRAME = pl.DataFrame({
    "partner_id": ["wfmh", "wfmh", "haven", None],
    "cost_centre": ["CC1", "CC1", "CC1", "CC2"],
    "cost_centre_name": ["Crisis team", "Crisis income", "Crisis house", "IAPT"],
    "service_line": ["crisis", "crisis", None, "iapt"],
    "place_id": ["ashby", "ashby", None, "dunmere"],
    "funding_stream": ["recurrent", None, "grant", "bogus"],
    "line_type": ["expenditure", "income", "Expenditure", None],
    "scheme_id": [None, None, None, None],
}, schema_overrides={"scheme_id": pl.String})
CC_MAP_FAILURES = {
    "partner_id": [1], "partner_id,cost_centre": [2], "service_line": [1],
    "line_type": [1, 1],              # missing; Expenditure (capital E)
    "funding_stream": [1],            # bogus (a missing stream is allowed)
}


def _suite_file(path: Path, name: str, expectations, parameters=None) -> Path:
    path.write_text(json.dumps({
        "name": name,
        "meta": {"parameters": parameters or {}},
        "expectations": [
            {"type": t, "kwargs": kw, "meta": {"severity": sev, "description": f"Rule number {i}"}}
            for i, (t, kw, sev) in enumerate(expectations)
        ],
    }))
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory, dirty_ledger, clean_ledger, ledger_params):
    """Every case, validated by both runners, with GE run from an empty working directory
    to prove it writes nothing there."""
    suites_dir = tmp_path_factory.mktemp("suites")
    semantics = _suite_file(suites_dir / "semantics.json", "semantics",
                            [(t, kw, "ERROR") for t, kw, _, _ in SEMANTICS], {"lo": "date", "hi": "date"})
    errored = _suite_file(suites_dir / "errored.json", "errored", [(t, kw, sev) for t, kw, sev, _ in ERRORED])
    cases = {
        "dirty": (dirty_ledger, STG_LEDGER, ledger_params),
        "clean": (clean_ledger, STG_LEDGER, ledger_params),
        "empty": (ledger([]), STG_LEDGER, ledger_params),
        "semantics": (SEMANTICS_FRAME, semantics, SEMANTICS_PARAMS),
        "errored": (dirty_ledger, errored, {}),
        "contracts": (CONTRACTS_FRAME, EXPECTATIONS / "ref_contracts.json", {}),
        "cc_map": (CC_MAP_FRAME, EXPECTATIONS / "ref_cost_centre_map.json", {}),
    }
    workdir = tmp_path_factory.mktemp("gx-cwd")
    home_before = set(os.listdir(Path.home()))
    old_cwd = os.getcwd()
    os.chdir(workdir)
    try:
        gx = {name: validate_frame(frame, suite, params) for name, (frame, suite, params) in cases.items()}
        # a pandas frame is accepted too
        gx["dirty_pandas"] = validate_frame(dirty_ledger.to_pandas(), STG_LEDGER, ledger_params)
        round_trips = {p.stem: gx_suite_json(p) for p in sorted(EXPECTATIONS.glob("*.json"))}
    finally:
        os.chdir(old_cwd)
    written = sorted(os.listdir(workdir))
    home_written = sorted(set(os.listdir(Path.home())) - home_before)

    con = duckdb.connect()
    sql = {}
    for name, (frame, suite, params) in cases.items():
        con.register(f"case_{name}", frame)
        sql[name] = validate_relation(con, f"case_{name}", suite, params)
    con.close()
    return {"gx": gx, "sql": sql, "written": written, "home_written": home_written,
            "round_trips": round_trips}


def _counts(outcome):
    return [(o.expectation_type, o.column, o.success, o.unexpected_count) for o in outcome.outcomes]


@pytest.mark.parametrize("runner", ["gx", "sql"])
def test_dirty_ledger_matches_hand_counts(runs, runner):
    outcome = runs[runner]["dirty"]
    assert _counts(outcome) == DIRTY_EXPECTED
    assert all(o.element_count == 20 and not o.errored for o in outcome.outcomes)
    by_col = {o.column: o for o in outcome.outcomes if o.expectation_type != "expect_column_values_to_not_be_null"}
    for column, sample in DIRTY_SAMPLES.items():
        assert sorted(by_col[column].unexpected_sample) == sample
    assert not outcome.passed
    assert [o.column for o in outcome.warn_failures] == ["counterparty,cost_centre,expense_type,amount,posting_date"]
    assert len(outcome.error_failures) == 17
    json.dumps(outcome.to_dict())
    if runner == "gx":
        assert _counts(runs["gx"]["dirty_pandas"]) == DIRTY_EXPECTED


@pytest.mark.parametrize("runner", ["gx", "sql"])
def test_clean_and_empty_ledgers(runs, runner):
    clean = runs[runner]["clean"]
    assert clean.passed and not clean.warn_failures
    assert all(o.success and not o.errored and o.unexpected_count == 0 and o.element_count == 10
               for o in clean.outcomes)
    empty = runs[runner]["empty"]
    assert not empty.passed
    assert [(o.expectation_type, o.observed_value) for o in empty.error_failures] == [
        ("expect_table_row_count_to_be_between", 0)]
    assert all(o.element_count == 0 for o in empty.outcomes)


@pytest.mark.parametrize("runner", ["gx", "sql"])
def test_semantics_match_hand_counts(runs, runner):
    got = [(o.expectation_type, o.success, o.unexpected_count, o.errored) for o in runs[runner]["semantics"].outcomes]
    assert got == [(t, ok, n, False) for t, _, ok, n in SEMANTICS]
    row_count = runs[runner]["semantics"].outcomes[13]
    assert row_count.observed_value == 7


@pytest.mark.parametrize("runner", ["gx", "sql"])
def test_errored_expectation_is_never_a_pass(runs, runner):
    outcome = runs[runner]["errored"]
    assert [(o.errored, o.success if o.errored else None) for o in outcome.outcomes] == [
        (errored, False if errored else None) for *_, errored in ERRORED]
    for o, (_, kwargs, _, errored) in zip(outcome.outcomes, ERRORED):
        if errored:
            assert o.error_message
        if "no_such_column" in json.dumps(kwargs):
            assert "no_such_column" in o.error_message
    assert not outcome.passed
    assert [o.column for o in outcome.warn_failures][0] == "counterparty,no_such_column"


@pytest.mark.parametrize("runner", ["gx", "sql"])
def test_reference_suites_match_hand_counts(runs, runner):
    for case, expected in (("contracts", CONTRACTS_FAILURES), ("cc_map", CC_MAP_FAILURES)):
        outcome = runs[runner][case]
        failures: dict[str, list] = {}
        for o in outcome.outcomes:
            assert not o.errored, (case, o)
            if not o.success:
                failures.setdefault(o.column, []).append(o.unexpected_count)
        assert failures == expected, case
        assert not outcome.passed


@pytest.mark.parametrize("case", ["dirty", "clean", "empty", "semantics", "errored", "contracts", "cc_map"])
def test_runners_agree_on_every_expectation(runs, case):
    gx, sql = runs["gx"][case], runs["sql"][case]
    assert gx.suite == sql.suite and len(gx.outcomes) == len(sql.outcomes)
    for g, s in zip(gx.outcomes, sql.outcomes):
        where = f"{case} #{g.index} {g.expectation_type} {g.column}"
        assert (g.expectation_type, g.column, g.severity, g.description) == \
               (s.expectation_type, s.column, s.severity, s.description), where
        assert (g.success, g.errored, g.unexpected_count, g.element_count) == \
               (s.success, s.errored, s.unexpected_count, s.element_count), where
        assert g.observed_value == s.observed_value, where
        if g.unexpected_count <= gx_runner.SAMPLE_SIZE:  # the whole failing set: same values
            key = lambda v: json.dumps(v, sort_keys=True)  # noqa: E731
            assert sorted(g.unexpected_sample, key=key) == sorted(s.unexpected_sample, key=key), where


def test_suite_files_are_great_expectations_own_format(runs):
    for name, round_trip in runs["round_trips"].items():
        on_disk = load_suite(EXPECTATIONS / f"{name}.json")
        assert round_trip["name"] == on_disk["name"]
        assert round_trip["expectations"] == on_disk["expectations"], name


def test_great_expectations_writes_nothing_to_disk(runs):
    assert runs["written"] == []
    assert [p for p in runs["home_written"] if "great" in p.lower() or p in ("gx", ".gx")] == []
    assert not (Path.cwd() / "gx").exists()


def test_bad_suite_file_fails_before_validation(tmp_path, dirty_ledger, ledger_params):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "bad", "expectations": [
        {"type": "expect_column_values_to_be_purple", "kwargs": {"column": "amount"},
         "meta": {"severity": "ERROR", "description": "Lines are purple"}}]}))
    with pytest.raises(SuiteError, match=r"bad\.json: expectation #0 .*expect_column_values_to_be_purple"):
        validate_frame(dirty_ledger, bad, ledger_params)
    with pytest.raises(SuiteError, match=r"bad\.json: expectation #0"):
        validate_relation(duckdb.connect(), "t", bad)
