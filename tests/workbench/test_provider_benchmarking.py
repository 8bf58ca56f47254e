"""Provider benchmarking across the alliance (`openbook demo-data --alliance`).

The four provider measures (tests/workbench/provider_measures/, in the measure syntax the template
needs for a provider grouping - docs/workbench.md) are run through the project's own measure template,
unchanged, over a scratch database that presents each trust as a unit with the measure's numerator
lines and denominator (what the template's registry must do for grouping: provider). Every figure is
recomputed independently in polars from the alliance's CSVs and compared."""
from __future__ import annotations

import json
import math
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
import yaml

from warehouse.measures import build_variation
from demo.alliance import FILES, PLANTED, TRUSTS, build_alliance, generate_alliance

MEASURES = Path(__file__).parent / "provider_measures"
ICS_NAMES = {"north_weald": "North Weald ICS", "south_fen": "South Fen ICS"}


@pytest.fixture(scope="module")
def alliance(demo_home, tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("alliance")
    shutil.copyfile(Path(demo_home) / "demo_truth.json", home / "demo_truth.json")
    generate_alliance(home)
    return home


def frames(home: Path) -> dict[str, pl.DataFrame]:
    ref = home / "reference"
    return {
        "providers": pl.read_csv(ref / "alliance_providers.csv"),
        "populations": pl.read_csv(ref / "alliance_populations.csv"),
        "activity": pl.read_csv(ref / "alliance_activity.csv"),
        "finance": pl.read_csv(ref / "alliance_finance.csv", schema_overrides={"spend": pl.String}),
    }


def fy_of(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    start = year if month >= 4 else year - 1
    return f"{start}-{(start + 1) % 100:02d}"


# --- the independent recomputation --------------------------------------------------------------
def numerators_and_denominators(f: dict[str, pl.DataFrame], measure: dict) -> pl.DataFrame:
    """Per provider and year, in Decimal: the measure's numerator (scaled) and denominator."""
    n, scale = measure["numerator"], Decimal(measure.get("scale", 1))
    finance = f["finance"].with_columns(fy=pl.col("period").map_elements(fy_of, return_dtype=pl.String))
    activity = f["activity"].with_columns(fy=pl.col("period").map_elements(fy_of, return_dtype=pl.String))
    if n["source"] == "provider_finance":
        lines = finance
        if "service_lines" in n:
            lines = lines.filter(pl.col("service_line").is_in(n["service_lines"]))
        if "service_hours" in n:
            lines = lines.filter(pl.col("service_hours").is_in(n["service_hours"]))
        numer = {(r["provider_id"], r["fy"]): sum((Decimal(s) for s in r["spend"]), Decimal(0)) * scale
                 for r in lines.group_by(["provider_id", "fy"]).agg(pl.col("spend")).iter_rows(named=True)}
    else:
        numer = {(r["provider_id"], r["fy"]): Decimal(r[n["activity"]]) * scale
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
    rows = [{"unit_id": p, "fy": fy, "numerator": numer.get((p, fy), Decimal(0)), "denominator": d}
            for (p, fy), d in sorted(denom.items())]
    return pl.DataFrame(rows, schema={"unit_id": pl.String, "fy": pl.String, "numerator": pl.Object,
                                      "denominator": pl.Object})


def funnel(units: list[dict], cv: float = 10.0, min_peers: int = 3) -> dict[str, dict]:
    """Each unit against its peers (every other unit), by hand: centre = the peers' pooled rate,
    within-unit variance (cv x centre)^2 / denominator, DerSimonian-Laird tau^2 over the peers,
    sd^2 = within + tau^2 + the centre's own variance; z and flags with min_peers peers or more."""
    num = [float(u["numerator"]) for u in units]
    den = [float(u["denominator"]) for u in units]
    rates = [a / b for a, b in zip(num, den)]
    k = len(units)
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
        out[u["unit_id"]] = {"z": z, "flag": flag, "centre": centre, "tau": math.sqrt(tau2),
                             "decile": (10 * sum(1 for x in rates if x <= rates[i]) + k - 1) // k}
    return out


def half_up(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), ROUND_HALF_UP)


# --- the template, fed provider units --------------------------------------------------------------
def through_template(f: dict[str, pl.DataFrame], measure_id: str, measure: dict, folder: Path,
                     min_peers: int = 3) -> list[dict]:
    """Run the measure through sql/reports/measure_template.sql: each trust is presented as a unit
    (dim_place) whose denominator is the measure's, with its numerator lines (fct_mh_ledger).
    Four trusts have three peers each, fewer than the default min_peers (5): the tests set 3 so
    the statistics are exercised (and check the default assesses nothing)."""
    expected = numerators_and_denominators(f, measure)
    con = duckdb.connect()
    con.execute("CREATE TABLE dim_service_line (service_line VARCHAR, mental_health BOOLEAN)")
    con.execute("INSERT INTO dim_service_line VALUES ('provider_measure', true)")
    providers = {r["provider_id"]: r for r in f["providers"].iter_rows(named=True)}
    con.execute("CREATE TABLE dim_place (place_id VARCHAR, place_name VARCHAR, ics_id VARCHAR, ics_name VARCHAR, "
                "fy VARCHAR, weighted_population DECIMAL(18, 2), mh_need_index DECIMAL(9, 4), "
                "mh_weighted_population DECIMAL(18, 6))")
    con.execute("CREATE TABLE fct_mh_ledger (fy VARCHAR, period VARCHAR, place_id VARCHAR, ics_id VARCHAR, "
                "amount DECIMAL(18, 2), line_type VARCHAR, service_line VARCHAR, funding_stream VARCHAR, "
                "partner_kind VARCHAR, is_eliminated BOOLEAN)")
    for row in expected.iter_rows(named=True):
        p = providers[row["unit_id"]]
        con.execute("INSERT INTO dim_place VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
                    [p["provider_id"], p["provider_name"], p["ics_id"], ICS_NAMES[p["ics_id"]], row["fy"],
                     row["denominator"], row["denominator"]])
        # one line per year carrying the numerator, and one empty line per month reported
        con.execute("INSERT INTO fct_mh_ledger VALUES (?, ?, ?, ?, ?, 'expenditure', 'provider_measure', "
                    "'recurrent', 'nhs_trust', false)",
                    [row["fy"], row["fy"][:4] + "-04", p["provider_id"], p["ics_id"], row["numerator"]])
    for period in f["activity"]["period"].unique().sort().to_list():
        con.execute("INSERT INTO fct_mh_ledger VALUES (?, ?, 'none', 'none', 0, 'income', 'provider_measure', "
                    "'recurrent', 'nhs_trust', false)", [fy_of(period), period])
    folder.mkdir(parents=True, exist_ok=True)
    adapted = {"title": measure["title"], "description": measure["description"],
               "numerator": {"service_lines": ["provider_measure"], "basis": "gross"},
               "denominator": "weighted_population", "grouping": "place",
               "higher_is_better": measure["higher_is_better"], "min_peers": min_peers}
    (folder / f"{measure_id}.yaml").write_text(yaml.safe_dump(adapted), encoding="utf-8")
    build_variation(con, folder)
    cur = con.execute("SELECT * FROM rpt_variation ORDER BY fy, unit_id")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


# --- the tests --------------------------------------------------------------------------------------
def test_the_alliance_is_four_trusts_with_activity_beside_money(alliance):
    f = frames(alliance)
    assert f["providers"].height == 4 and set(f["providers"]["alliance_id"]) == {"weald_fen_alliance"}
    assert f["activity"].columns == ["period", "provider_id", "occupied_bed_days", "community_contacts",
                                     "out_of_area_placements"]
    assert f["finance"].columns == ["period", "provider_id", "service_line", "service_hours", "spend"]
    assert f["activity"].height == 24 * 4 and f["populations"].height == 2 * 4
    assert (f["activity"]["occupied_bed_days"] > 0).all() and (f["activity"]["community_contacts"] > 0).all()
    assert all(len(s.split(".")[1]) == 2 for s in f["finance"]["spend"])          # pounds and pence, as text
    truth = json.loads((alliance / "demo_truth.json").read_text())
    assert truth["alliance"]["planted"] == PLANTED and "facts" in truth          # added beside the demo's facts


def test_the_alliance_is_deterministic(tmp_path):
    generate_alliance(tmp_path / "a")
    generate_alliance(tmp_path / "b")
    for name in FILES:
        assert (tmp_path / "a" / "reference" / name).read_bytes() == (tmp_path / "b" / "reference" / name).read_bytes()
    assert build_alliance(1) != build_alliance(2)


@pytest.mark.parametrize("path", sorted(MEASURES.glob("provider_*.yaml")), ids=lambda p: p.stem)
def test_provider_measure_through_the_template_matches_polars(alliance, tmp_path, path):
    measure = yaml.safe_load(path.read_text(encoding="utf-8"))
    f = frames(alliance)
    sql = through_template(f, path.stem, measure, tmp_path / "measures")
    expected = numerators_and_denominators(f, measure)
    assert len(sql) == expected.height == 8
    for fy in ("2024-25", "2025-26"):
        units = [r for r in expected.iter_rows(named=True) if r["fy"] == fy]
        stats = funnel(units)
        for unit in units:
            row = next(r for r in sql if r["fy"] == fy and r["unit_id"] == unit["unit_id"])
            assert row["numerator"] == half_up(unit["numerator"], "0.01")
            assert row["denominator"] == unit["denominator"]
            assert row["rate"] == half_up(unit["numerator"] / unit["denominator"], "0.0001"), unit["unit_id"]
            assert row["z_score"] == pytest.approx(stats[unit["unit_id"]]["z"], rel=1e-9, abs=1e-9)
            assert float(row["peer_rate"]) == pytest.approx(stats[unit["unit_id"]]["centre"], abs=5e-5)
            assert row["between_unit_sd"] == pytest.approx(stats[unit["unit_id"]]["tau"], rel=1e-9, abs=1e-12)
            assert row["flag"] == stats[unit["unit_id"]]["flag"]
            assert row["decile"] == stats[unit["unit_id"]]["decile"]
            assert row["units"] == 4
    default = through_template(f, path.stem, measure, tmp_path / "default", min_peers=5)
    assert {(r["assessed"], r["flag"], r["comparison"]) for r in default} == {(False, "none", "not assessed")}
    assert {r["rate_rank"] for r in default} == {1, 2, 3, 4}


PLANTED_RANKS = [
    ("provider_cost_per_occupied_bed_day", "highest_cost_per_occupied_bed_day", max),
    ("provider_community_spend_per_head", "lowest_community_spend_per_head", min),
    ("provider_out_of_area_per_100k", "highest_out_of_area_per_100k", max),
    ("provider_seven_day_crisis_share", "highest_seven_day_crisis_share", max),
]


@pytest.mark.parametrize("measure_id, fact, pick", PLANTED_RANKS, ids=[p[0] for p in PLANTED_RANKS])
def test_benchmarking_finds_the_planted_provider(alliance, measure_id, fact, pick):
    measure = yaml.safe_load((MEASURES / f"{measure_id}.yaml").read_text(encoding="utf-8"))
    expected = numerators_and_denominators(frames(alliance), measure)
    for fy in ("2024-25", "2025-26"):
        rates = {r["unit_id"]: r["numerator"] / r["denominator"]
                 for r in expected.iter_rows(named=True) if r["fy"] == fy}
        assert pick(rates, key=rates.get) == PLANTED[fact], (fy, rates)
    assert {t.provider_id for t in TRUSTS} == set(expected["unit_id"])
