"""Variation: each place's spend per weighted head against its peers (funnel plots, flagged
outliers), and the alliance's trusts benchmarked against each other."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from reports import formatting as f
from reports.sections.shared import ICS, _m, _p
from reports.spec import DETAIL, FY, Chart, Dim, Drill, Flag, Funnel, Measure, Section, Text


# --- variation -------------------------------------------------------------------
MEASURES_DIR = Path(__file__).resolve().parents[2] / "sql" / "measures"


def _measure_subject(name: str) -> str:
    """'Mental-health spend per weighted head' -> 'mental health'."""
    subject = re.split(r"\s+spend\s+per\s+", name or "", maxsplit=1)[0].replace("-", " ")
    first = subject.split(" ", 1)[0]
    return subject if first.isupper() else subject[:1].lower() + subject[1:]


def _variation_text(v: Mapping[str, Any]) -> str:
    diff = v.get("difference") or 0
    need_weighted = v.get("denominator_name") in ("mh_weighted_population", "need_weighted_population")
    per = "per need-weighted head" if need_weighted else "per weighted head"
    return (f"{v['unit_name']} spends {_p(v['rate'])} {per} on {_measure_subject(v['measure_name'])} against "
            f"{_p(v['peer_rate'])} for its peers (every other place): {f.label(v['flag'], 'code').lower()} "
            f"({_m(abs(diff))} {'more' if diff >= 0 else 'less'} than at the pooled rate of all places).")


def _variation_lines(v: Mapping[str, Any]) -> tuple[str, dict]:
    """The ledger lines of a measure's numerator: the measure's own filters (its YAML file,
    as assets/model_builders.py reads it) over fct_mh_ledger, for the unit and year."""
    unit_col = "ics_id" if v.get("grouping") == "ics" else "place_id"
    where, params = measure_filters(v)
    return f"{unit_col} = $unit_id AND {where}", {"unit_id": v["unit_id"], **params}


def unplaced_lines(v: Mapping[str, Any]) -> tuple[str, dict]:
    """The lines of a measure coded to no place by the partners of the unit's system in the year: the spend
    apportioned to the system's places by population (apportioned_numerator, sql/reports/measure_template.sql)."""
    where, params = measure_filters(v)
    return f"place_id IS NULL AND ics_id = $ics_id AND {where}", {"ics_id": v["ics_id"], **params}


@lru_cache(maxsize=64)
def _measure(text: str) -> dict[str, Any]:
    """A measure file's text parsed: once per text, as a site asks for a measure's filters for every flag and
    figure of its variation tables (over 700 times at a million lines; parsing was 11 ms a time)."""
    import yaml
    return yaml.safe_load(text) or {}


def measure_filters(v: Mapping[str, Any]) -> tuple[str, dict]:
    """A measure's filters over fct_mh_ledger for the year: line types, service lines, funding streams, partner
    kinds and its basis (net leaves out eliminated lines)."""
    doc = _measure((MEASURES_DIR / f"{v['measure_id']}.yaml").read_text(encoding="utf-8"))
    num = doc.get("numerator") or {}
    params: dict[str, Any] = {"fy": v["fy"], "line_types": list(num.get("line_types") or ["expenditure"])}
    sql = ["fy = $fy", "list_contains($line_types, line_type)"]
    for key, col in (("service_lines", "service_line"), ("funding_streams", "funding_stream"),
                     ("partner_kinds", "partner_kind")):
        if num.get(key):
            sql.append(f"list_contains(${key}, {col})")
            params[key] = list(num[key])
    if (num.get("basis") or v.get("basis") or "net") == "net":
        sql.append("NOT is_eliminated")
    return " AND ".join(sql), params


# --- provider benchmarking (issue 17): the provider measures of rpt_variation, a part of the Variation
# sheet and page. The alliance's trusts are few (four): ranked and placed against the median, not flagged.
def _provider_numerator(v: Mapping[str, Any]) -> str:
    """'£12,345,679' (a cost-return measure) or '412 out-of-area placements' (an activity count)."""
    if v.get("numerator_source") == "provider_activity":
        return f"{f.int_text(v.get('numerator'))} {str(v.get('rate_unit') or '').split(' per ')[0]}"
    return _m(v.get("numerator"))


def _provider_denominator(v: Mapping[str, Any]) -> str:
    """The denominator with its unit: '60,140 occupied bed days', '949,256 weighted population served'."""
    name = v.get("denominator_name")
    if name == "provider_total_spend":
        return f"{_m(v.get('denominator'))} (all the trust's spend)"
    return f"{f.int_text(v.get('denominator'))} {str(name or '').replace('_', ' ')}"


PROVIDER_BENCHMARKING = Section(
    key="provider-benchmarking",
    title="Provider benchmarking: the alliance's trusts",
    sheet_name="Provider benchmarking",   # the board pack's sheet of its own (the site: a part of the Variation page)
    source="rpt_variation",
    mode=DETAIL,
    where=("grouping = 'provider'",),
    description=("The mental-health trusts of the provider alliance compared with each other on the measures of "
                 "sql/measures/ whose unit is the provider: each measure's numerator is the trust's own cost "
                 "return or activity (reference/alliance_*.csv, not its ledger), its denominator the weighted "
                 "population the trust serves, its occupied bed days or its total spend, as stated on each row. "
                 "Same method as the places (each trust against the other trusts), but four trusts have three "
                 "peers each, fewer than the five a comparison with limits needs: so nothing is flagged, and the "
                 "rank (1 = highest rate) and the distance from the median say where a trust stands. A high or "
                 "low rate is a question to ask, not a judgement."),
    dims=(Dim("measure_name", "Measure"), Dim("unit_name", "Trust"), ICS),
    values=(Text("numerator_text", "Numerator", _provider_numerator),
            Text("denominator_text", "Denominator", _provider_denominator),
            Measure("rate", "Rate", "rate", scope=FY, fmt="dec2", additive=False),
            Text("unit", "Unit", lambda v: v.get("rate_unit")),
            Measure("rank", "Rank", "rate_rank", scope=FY, fmt="int", additive=False),
            Measure("median", "Median rate", "median_rate", scope=FY, fmt="dec2", additive=False),
            Measure("from_median", "From median", "distance_from_median", scope=FY, fmt="dec2", additive=False),
            Measure("peer_rate", "Other trusts' rate", "peer_rate", scope=FY, fmt="dec2", additive=False),
            Measure("decile", "Decile", "decile", scope=FY, fmt="int", additive=False),
            Text("definition", "Definition", lambda v: v.get("measure_description"))),
    period_col=None,
    system_col=None,            # the alliance spans both systems: every pack shows all its trusts
    total=False,
    hidden=("numerator", "denominator", "numerator_source", "denominator_name", "rate_unit", "measure_description"),
    basis="each measure in its own unit (the Unit column), financial year",
    charts=(
        Chart("provider_rates", "Each trust's rate", "hbar", x=Dim("unit_name", "Trust"),
              value=Measure("rate", "Rate", "rate", scope=FY, fmt="dec2", agg="any_value"),
              facet=Dim("measure_name", "Measure"), x_title="Trust",
              y_title="Rate, in the measure's unit (see its title and the Unit column)", total_row=False),
    ),
)


VARIATION = Section(
    key="variation",
    title="Variation between places and providers",
    sheet_name="Variation",
    source="rpt_variation",
    mode=DETAIL,
    description=("Spend per weighted head of population coded to each place, for each measure, compared with "
                 "the place's peers (every other place; the place itself never sets its own limits). The "
                 "limits (95% and 99.8%) allow for the size of each place's population and for the usual "
                 "variation between its peers, and are the same whether spend is counted in pounds or pence "
                 "(method and references: docs/model.md, 'Measures of variation'). Above or below peers is a "
                 "position, not a judgement. With fewer than five peers nothing is flagged: the rank and the "
                 "distance from the median say where a place stands. Spend with no place (trust-wide "
                 "services) is apportioned to the places of the spending partner's system by their share of "
                 "its weighted population and shown beside the placed spend (Apportioned, Per head incl. "
                 "apportioned); coverage is the share of the measure's spend coded to a place. Flags rest on "
                 "placed spend: a service coded to one place but serving more (e.g. a trust-wide unit) shows "
                 "as that place above its peers. Decile 10 is the highest-spending tenth. Spend is net of "
                 "payments between partners. The trusts of the provider alliance are compared with each other "
                 "below the places and their funnel plot (in the board pack, on the sheet after this one)."),
    dims=(Dim("measure_name", "Measure"), Dim("unit_name", "Place"), ICS, Dim("flag", "Position", "code")),
    values=(Measure("numerator", "Spend", "numerator", scope=FY),
            Measure("denominator", "Weighted population", "denominator", scope=FY, fmt="int"),
            Measure("rate", "Per head", "rate", scope=FY, fmt="money2", additive=False),
            Measure("peer_rate", "Peers' rate", "peer_rate", scope=FY, fmt="money2", additive=False),
            Measure("pooled_rate", "Pooled rate", "pooled_rate", scope=FY, fmt="money2", additive=False),
            Measure("z", "z-score", "z_score", scope=FY, fmt="dec2", additive=False),
            Measure("rank", "Rank", "rate_rank", scope=FY, fmt="int", additive=False),
            Measure("from_median", "From median per head", "distance_from_median", scope=FY, fmt="money2",
                    additive=False),
            Measure("decile", "Decile", "decile", scope=FY, fmt="int", additive=False),
            Measure("apportioned", "Apportioned", "apportioned_numerator", scope=FY),
            Measure("total_rate", "Per head incl. apportioned", "total_rate", scope=FY, fmt="money2",
                    additive=False),
            Measure("coverage", "Coverage %", "coverage_pct", scope=FY, fmt="pct", additive=False),
            Measure("difference", "Above (below) pooled", "difference_vs_pooled", scope=FY)),
    where=("grouping <> 'provider'",),   # the trusts: the part below (PROVIDER_BENCHMARKING)
    period_col=None,
    total=False,
    hidden=("denominator_name",),
    parts=(PROVIDER_BENCHMARKING,),
    basis="£ per weighted head, net of eliminations",
    flag=Flag(where="flag <> 'none'", label="Places above or below their peers' limits", text=_variation_text,
              drill=Drill(keys=("measure_id", "unit_id", "fy", "grouping", "basis"), source="fct_mh_ledger",
                          where=_variation_lines, figure="numerator",
                          title=lambda v: f"{v['unit_name']}: {v['measure_name']}, {v.get('fy')}")),
    charts=(
        Chart("funnel", "Funnel plot", "funnel", x=Dim("unit_name", "Place"),
              value=Measure("rate", "£ per weighted head", "rate", scope=FY, fmt="money2"),
              funnel=Funnel(), facet=Dim("measure_name", "Measure"),
              x_title="Weighted population", y_title="£ per weighted head", excel=True),
    ),
)
