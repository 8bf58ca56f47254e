"""Provider benchmarking across the alliance, in the real pipeline (issue 17).

The demo writes the provider alliance (demo/alliance.py: four trusts, activity beside money) with the
demo system; the four provider measures live in sql/measures/ (grouping: provider) and the normal run
builds them into rpt_variation through the one measure template. Every figure of the pipeline's
rpt_variation is recomputed here independently, in polars and plain Decimal/float Python, from the
alliance's raw CSVs in the demo home, never by running the SQL:
- numerator, denominator and rate (numerator x scale / denominator, half up to 4 places);
- the peers' rate, the between-unit sd (DerSimonian-Laird), the unit's sd, deciles;
- with four trusts (three peers each, fewer than min_peers 5): no limits, no z, no flag; the rank and
  the distance from the median instead;
- and, with min_peers lowered to 3 (the same template over a scratch copy of the demo warehouse's
  tables), the z-scores and flags of an independent funnel computation."""
from __future__ import annotations

import json
import math
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
import yaml

from demo.alliance import FILES, PLANTED, TRUSTS, build_alliance, generate_alliance
from warehouse.measures import MEASURES_DIR, build_variation, load_measures

PROVIDER_MEASURES = sorted(MEASURES_DIR.glob("provider_*.yaml"))
FYS = ("2024-25", "2025-26")
ICS_NAMES = {"north_weald": "North Weald ICS", "south_fen": "South Fen ICS"}


def frames(home: Path) -> dict[str, pl.DataFrame]:
    ref = home / "reference"
    return {
        "providers": pl.read_csv(ref / "alliance_providers.csv"),
        "populations": pl.read_csv(ref / "alliance_populations.csv", schema_overrides={"fy": pl.String}),
        "activity": pl.read_csv(ref / "alliance_activity.csv"),
        "finance": pl.read_csv(ref / "alliance_finance.csv", schema_overrides={"spend": pl.String}),
    }


def fy_of(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    start = year if month >= 4 else year - 1
    return f"{start}-{(start + 1) % 100:02d}"


# --- the independent recomputation --------------------------------------------------------------
def numerators_and_denominators(f: dict[str, pl.DataFrame], measure: dict) -> list[dict]:
    """Per provider and year, in Decimal: the measure's numerator (unscaled: pounds or the activity
    counted), its denominator and the scale of its rate."""
    n, scale = measure["numerator"], Decimal(measure.get("scale", 1))
    finance = f["finance"].with_columns(fy=pl.col("period").map_elements(fy_of, return_dtype=pl.String))
    activity = f["activity"].with_columns(fy=pl.col("period").map_elements(fy_of, return_dtype=pl.String))
    if n["source"] == "provider_finance":
        lines = finance
        if "service_lines" in n:
            lines = lines.filter(pl.col("service_line").is_in(n["service_lines"]))
        if "service_hours" in n:
            lines = lines.filter(pl.col("service_hours").is_in(n["service_hours"]))
        numer = {(r["provider_id"], r["fy"]): sum((Decimal(s) for s in r["spend"]), Decimal(0))
                 for r in lines.group_by(["provider_id", "fy"]).agg(pl.col("spend")).iter_rows(named=True)}
    else:
        numer = {(r["provider_id"], r["fy"]): Decimal(r[n["activity"]])
                 for r in activity.group_by(["provider_id", "fy"]).agg(pl.col(n["activity"]).sum())
                 .iter_rows(named=True)}
    if measure["denominator"] == "weighted_population_served":
        denom = {(r["provider_id"], r["fy"]): Decimal(r["weighted_population_served"])
                 for r in f["populations"].iter_rows(named=True)}
    elif measure["denominator"] == "occupied_bed_days":
        denom = {(r["provider_id"], r["fy"]): Decimal(r["occupied_bed_days"])
                 for r in activity.group_by(["provider_id", "fy"]).agg(pl.col("occupied_bed_days").sum())
                 .iter_rows(named=True)}
    else:
        denom = {(r["provider_id"], r["fy"]): sum((Decimal(s) for s in r["spend"]), Decimal(0))
                 for r in finance.group_by(["provider_id", "fy"]).agg(pl.col("spend")).iter_rows(named=True)}
    return [{"unit_id": p, "fy": fy, "numerator": numer.get((p, fy), Decimal(0)), "denominator": d, "scale": scale}
            for (p, fy), d in sorted(denom.items())]


def funnel(units: list[dict], cv: float = 10.0, min_peers: int = 5) -> dict[str, dict]:
    """Each unit against its peers (every other unit), by hand: centre = the peers' pooled rate,
    within-unit variance (cv x centre)^2 / denominator, DerSimonian-Laird tau^2 over the peers,
    sd^2 = within + tau^2 + the centre's own variance; z and flags with min_peers peers or more;
    rank (1 = highest), the median and the distance from it."""
    num = [float(u["numerator"] * u["scale"]) for u in units]
    den = [float(u["denominator"]) for u in units]
    rates = [a / b for a, b in zip(num, den)]
    k = len(units)
    ordered = sorted(rates)
    median = (ordered[(k - 1) // 2] + ordered[k // 2]) / 2
    out = {}
    for i, u in enumerate(units):
        peers = [j for j in range(k) if j != i]
        peer_den = sum(den[j] for j in peers)
        centre = sum(num[j] for j in peers) / peer_den
        scale = (cv * centre) ** 2
        w = [den[j] / scale for j in peers]
        q = sum(wj * (rates[j] - centre) ** 2 for wj, j in zip(w, peers))
        tau2 = max(0.0, (q - (len(peers) - 1)) / (sum(w) - sum(x * x for x in w) / sum(w)))
        sd = math.sqrt(scale / den[i] + tau2 + scale / peer_den
                       + tau2 * sum(den[j] ** 2 for j in peers) / peer_den ** 2)
        z = (rates[i] - centre) / sd if len(peers) >= min_peers and centre > 0 else None
        flag = ("none" if z is None else "above_998" if z > 3.09 else "above_95" if z > 1.96
                else "below_998" if z < -3.09 else "below_95" if z < -1.96 else "none")
        out[u["unit_id"]] = {"z": z, "flag": flag, "centre": centre, "tau": math.sqrt(tau2), "sd": sd,
                             "rank": 1 + sum(1 for x in rates if x > rates[i]), "median": median,
                             "from_median": rates[i] - median,
                             "decile": (10 * sum(1 for x in rates if x <= rates[i]) + k - 1) // k}
    return out


def half_up(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), ROUND_HALF_UP)


def pipeline_rows(con: duckdb.DuckDBPyConnection, measure_id: str) -> list[dict]:
    cur = con.execute("SELECT * FROM rpt_variation WHERE measure_id = ? ORDER BY fy, unit_id", [measure_id])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


# --- the alliance's data -----------------------------------------------------------------------
def test_the_alliance_is_four_trusts_with_activity_beside_money(demo_home):
    f = frames(demo_home)
    assert f["providers"].height == 4 and set(f["providers"]["alliance_id"]) == {"weald_fen_alliance"}
    assert f["activity"].columns == ["period", "provider_id", "occupied_bed_days", "community_contacts",
                                     "out_of_area_placements"]
    assert f["finance"].columns == ["period", "provider_id", "service_line", "service_hours", "spend"]
    assert f["activity"].height == 24 * 4 and f["populations"].height == 2 * 4
    assert (f["activity"]["occupied_bed_days"] > 0).all() and (f["activity"]["community_contacts"] > 0).all()
    assert all(len(s.split(".")[1]) == 2 for s in f["finance"]["spend"])          # pounds and pence, as text
    truth = json.loads((demo_home / "demo_truth.json").read_text())
    assert truth["alliance"]["planted"] == PLANTED and "facts" in truth          # added beside the demo's facts


def test_the_alliance_is_deterministic(tmp_path):
    generate_alliance(tmp_path / "a")
    generate_alliance(tmp_path / "b")
    for name in FILES:
        assert (tmp_path / "a" / "reference" / name).read_bytes() == (tmp_path / "b" / "reference" / name).read_bytes()
    assert build_alliance(1) != build_alliance(2)


def test_the_provider_measures_are_measures_like_any_other():
    measures = {m.measure_id: m.definition for m in load_measures()}
    provider = {k for k, d in measures.items() if d.grouping == "provider"}
    assert provider == {p.stem for p in PROVIDER_MEASURES} == {
        "provider_cost_per_occupied_bed_day", "provider_community_spend_per_head",
        "provider_out_of_area_per_100k", "provider_seven_day_crisis_share"}
    assert measures["provider_cost_per_occupied_bed_day"].denominator == "occupied_bed_days"
    assert measures["mh_spend_per_head"].grouping == "place"             # the place measures are unchanged


# --- the pipeline's rpt_variation against the recomputation ----------------------------------
@pytest.mark.parametrize("path", PROVIDER_MEASURES, ids=lambda p: p.stem)
def test_provider_measure_in_the_pipeline_matches_polars(demo_home, demo_db, path):
    measure = yaml.safe_load(path.read_text(encoding="utf-8"))
    f = frames(demo_home)
    sql = pipeline_rows(demo_db, path.stem)
    expected = numerators_and_denominators(f, measure)
    assert len(sql) == len(expected) == 8
    providers = {r["provider_id"]: r for r in f["providers"].iter_rows(named=True)}
    for fy in FYS:
        units = [r for r in expected if r["fy"] == fy]
        stats = funnel(units)
        for unit in units:
            uid = unit["unit_id"]
            row = next(r for r in sql if r["fy"] == fy and r["unit_id"] == uid)
            assert row["grouping"] == "provider" and row["denominator_name"] == measure["denominator"]
            assert row["unit_name"] == providers[uid]["provider_name"]
            assert (row["ics_id"], row["ics_name"]) == (providers[uid]["ics_id"], ICS_NAMES[providers[uid]["ics_id"]])
            assert row["scale"] == unit["scale"] and row["rate_unit"] == measure["rate_unit"]
            assert row["measure_description"] == " ".join(measure["description"].split())
            assert row["months_reported"] == 12 and row["coverage_pct"] == Decimal("100.0")
            assert row["numerator"] == half_up(unit["numerator"], "0.01")
            assert row["denominator"] == unit["denominator"]
            rate = unit["numerator"] * unit["scale"] / unit["denominator"]
            assert row["rate"] == half_up(rate, "0.0001"), uid
            assert float(row["peer_rate"]) == pytest.approx(stats[uid]["centre"], abs=5e-5)
            assert row["between_unit_sd"] == pytest.approx(stats[uid]["tau"], rel=1e-9, abs=1e-12)
            assert row["rate_sd"] == pytest.approx(stats[uid]["sd"], rel=1e-9)
            assert row["decile"] == stats[uid]["decile"]
            assert row["units"] == 4 and row["peers"] == 3
            # three peers, fewer than min_peers (5): ranked and placed against the median, never flagged
            assert (row["assessed"], row["flag"], row["comparison"]) == (False, "none", "not assessed")
            assert row["z_score"] is None and row["upper_95"] is None and row["lower_998"] is None
            assert row["rate_rank"] == stats[uid]["rank"]
            assert float(row["median_rate"]) == pytest.approx(stats[uid]["median"], abs=5e-5)
            assert float(row["distance_from_median"]) == pytest.approx(stats[uid]["from_median"], abs=5e-5)
        assert sorted(r["rate_rank"] for r in sql if r["fy"] == fy) == [1, 2, 3, 4]


def test_the_statistics_with_min_peers_lowered_match_an_independent_funnel(demo_home, demo_db, tmp_path):
    """The same template and the demo warehouse's own tables, with min_peers 3 so the trusts are
    assessed: z-scores and flags as an independent funnel computes them."""
    folder = tmp_path / "measures"
    folder.mkdir()
    for path in PROVIDER_MEASURES:
        measure = yaml.safe_load(path.read_text(encoding="utf-8"))
        (folder / path.name).write_text(yaml.safe_dump({**measure, "min_peers": 3}), encoding="utf-8")
    con = duckdb.connect()
    for table in ("dim_place", "dim_service_line", "fct_mh_ledger", "ref_alliance_providers",
                  "ref_alliance_populations", "ref_alliance_activity", "ref_alliance_finance"):
        con.register("copied", demo_db.execute(f"SELECT * FROM {table}").arrow())   # the demo's table, as it is
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM copied")
        con.unregister("copied")
    build_variation(con, folder)
    f = frames(demo_home)
    flagged = set()
    for path in PROVIDER_MEASURES:
        measure = yaml.safe_load(path.read_text(encoding="utf-8"))
        sql = pipeline_rows(con, path.stem)
        expected = numerators_and_denominators(f, measure)
        for fy in FYS:
            units = [r for r in expected if r["fy"] == fy]
            stats = funnel(units, min_peers=3)
            for unit in units:
                row = next(r for r in sql if r["fy"] == fy and r["unit_id"] == unit["unit_id"])
                assert row["assessed"] is True
                assert row["z_score"] == pytest.approx(stats[unit["unit_id"]]["z"], rel=1e-9, abs=1e-9)
                assert row["flag"] == stats[unit["unit_id"]]["flag"]
                if row["flag"] != "none":
                    flagged.add((path.stem, unit["unit_id"]))
    con.close()
    # the pipeline itself (min_peers 5) flags none of them: the flags above exist only at min_peers 3
    assert not demo_db.execute("SELECT count(*) FROM rpt_variation WHERE grouping = 'provider' AND flag <> 'none'"
                               ).fetchone()[0]
    assert flagged, "at min_peers 3 some trust should be outside its peers' limits (else the flag check is idle)"


PLANTED_RANKS = [
    ("provider_cost_per_occupied_bed_day", "highest_cost_per_occupied_bed_day", max, 1),
    ("provider_community_spend_per_head", "lowest_community_spend_per_head", min, 4),
    ("provider_out_of_area_per_100k", "highest_out_of_area_per_100k", max, 1),
    ("provider_seven_day_crisis_share", "highest_seven_day_crisis_share", max, 1),
]


@pytest.mark.parametrize("measure_id, fact, pick, rank", PLANTED_RANKS, ids=[p[0] for p in PLANTED_RANKS])
def test_benchmarking_finds_the_planted_provider(demo_home, demo_db, measure_id, fact, pick, rank):
    measure = yaml.safe_load((MEASURES_DIR / f"{measure_id}.yaml").read_text(encoding="utf-8"))
    expected = numerators_and_denominators(frames(demo_home), measure)
    for fy in FYS:
        rates = {r["unit_id"]: r["numerator"] / r["denominator"] for r in expected if r["fy"] == fy}
        assert pick(rates, key=rates.get) == PLANTED[fact], (fy, rates)
        ranked = dict(demo_db.execute("SELECT unit_id, rate_rank FROM rpt_variation WHERE measure_id = ? AND fy = ?",
                                      [measure_id, fy]).fetchall())
        assert ranked[PLANTED[fact]] == rank, (fy, ranked)
    assert {t.provider_id for t in TRUSTS} == {r["unit_id"] for r in expected}
