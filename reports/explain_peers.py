"""How the figures that compare a unit with others are made: a place's spend per weighted head against its
peers' and the pooled rate and the median (rpt_variation, sql/reports/measure_template.sql), and a
contract's value per unit of capacity against the median of its like contracts (rpt_funding_consistency).
Each page lists the units compared, with the ones that make the figure marked and why.
"""
from __future__ import annotations

from decimal import Decimal

from reports import formatting as f
from reports.explain_working import (At, Explanation, Listing, Source, Term, field_of, figure, half_up, in_sentence,
                                     page_identity, row_keys)
from reports.figure_lines import Condition, flag_condition
from reports.query import ReportContext
from reports.section_figures import section_table
from reports.sections.variation import MEASURES_DIR, _measure, measure_filters, unplaced_lines
from reports.tables import Row
from warehouse import periods

_RATE_PLACES = "0.0001"
_EXACT = "0.00000001"                     # an unrounded rate as the page shows it


# ---------------------------------------------------------------------------
# Variation: spend per weighted head
def _variation_definition(at: At, scale: int) -> str:
    per = "per weighted head" if scale == 1 else f"per {scale:,} weighted population"
    return (f"Spend {per}, net of payments between partners (unless the measure says gross), financial year "
            f"{at.facts['fy']}: spend coded to the place only (spend with no place is apportioned beside it, not "
            "compared); a place's peers are every other place of the year (it never sets its own centre).")


def _every_system(at: At) -> list[Row]:
    """The section's rows for every system. A one-system pack's table holds its own system's rows only, but a
    place's peers are every other place of the year and a contract's like contracts any system's: a working
    made from that table's rows would not give the figure the warehouse holds. Read once per set."""
    if at.period is None:
        return at.table.rows
    return at.once(("every system", at.section.key, at.period),
                   lambda: section_table(at.con, at.section, ReportContext(at.period)).rows)


def _units(at: At) -> list[Row]:
    """The rows of the same measure and year: every unit compared."""
    k = at.facts
    return [r for r in _every_system(at) if r.role == "detail" and all(
        r.facts.get(x) == k.get(x) for x in ("measure_id", "fy", "grouping"))]


def _scale(at: At) -> int | None:
    row = at.con.execute("SELECT scale FROM rpt_variation WHERE measure_id = ? AND unit_id = ? AND fy = ? AND grouping = ?",
                         [at.facts["measure_id"], at.facts["unit_id"], at.facts["fy"], at.facts["grouping"]]).fetchone()
    return row[0] if row else None


def _exact_rate(r: Row, scale: int) -> Decimal:
    return Decimal(r.facts["numerator"]) * scale / Decimal(r.facts["denominator"])


def _median(values: list[Decimal]) -> tuple[Decimal, list[int]]:
    """The median and the positions (in ascending order) of the one or two values it is taken from."""
    ordered = sorted(values)
    n = len(ordered)
    mid = [n // 2] if n % 2 else [n // 2 - 1, n // 2]
    return sum((ordered[i] for i in mid), Decimal(0)) / len(mid), mid


def _unit_listing(at: At, units: list[Row], scale: int, marks: dict[str, str], why: str) -> Listing:
    rows = [((r.facts["unit_name"], Decimal(r.facts["numerator"]), Decimal(r.facts["denominator"]),
              half_up(_exact_rate(r, scale), _RATE_PLACES)), marks.get(r.facts["unit_id"], ""))
            for r in sorted(units, key=lambda r: _exact_rate(r, scale))]
    return Listing(f"The {len(units)} places compared, lowest rate first",
                   (("Place", "text"), ("Spend", "money2"), ("Weighted population", "int"),
                    ("Per head (4 places)", "rate")), rows, why)


def _spend_terms(units: list[Row], at: At) -> list[Term]:
    """Each unit's spend, linked to its lines (the same page as its Spend figure)."""
    return [Term(f"{r.facts['unit_name']}: spend", Decimal(r.facts["numerator"]), lines=flag_condition(at.section, r))
            for r in units]


def _pooled(peers_only: bool, places: str = _RATE_PLACES):
    """The peers' (or every place's) spend over their population: to 4 places as the table's figure, or to more
    (``places``) as the z-score and the control limits take it (reports/explain_funnel.py)."""
    shown = ("(the page shows it to the penny)" if places == _RATE_PLACES
             else "(as the z-score and the control limits take it; the table shows it to the penny)")

    def explain(at: At):
        scale = _scale(at)
        if scale is None:
            return None
        units = _units(at)
        used = [r for r in units if not peers_only or r.facts["unit_id"] != at.facts["unit_id"]]
        population = sum((Decimal(r.facts["denominator"]) for r in used), Decimal(0))
        if not used or population == 0:
            return None
        who = "its peers (every other place of the year)" if peers_only else "every place of the year"
        marks = {r.facts["unit_id"]: "peer" if peers_only else "pooled" for r in used}
        if peers_only:
            marks[at.facts["unit_id"]] = "this place: not among its own peers"
        times = "" if scale == 1 else f"× {scale:,} "
        return Explanation(
            f"the spend of {who} added up, {times}÷ their weighted populations added up, rounded half up to "
            f"{len(places) - 2} places {shown}", _spend_terms(used, at), times=Decimal(scale),
            per=population, places=places, by=f"{times}÷ the weighted populations of {who}",
            definition=_variation_definition(at, scale),
            listing=_unit_listing(at, units, scale, marks, "A pooled rate weighs each place by its population: "
                                  "it is total spend over total population, not the average of the rates."))
    return explain


def from_median(at: At):
    scale = _scale(at)
    if scale is None:
        return None
    units = _units(at)
    rates = {r.facts["unit_id"]: _exact_rate(r, scale) for r in units}
    median, mid = _median(list(rates.values()))
    ordered = sorted(rates, key=rates.get)
    marks = {u: ("median: the middle rate" if len(mid) == 1 else "median: the mean of the two middle rates")
             for u in (ordered[i] for i in mid)}
    marks[at.facts["unit_id"]] = "this place" + (f"; {marks[at.facts['unit_id']]}" if at.facts["unit_id"] in marks else "")
    how = (f"the middle of the {len(units)} rates" if len(mid) == 1 else
           f"the mean of the two middle rates of {len(units)} (an even number)")
    return Explanation(
        "the place's rate less the median rate of the places of the year, both unrounded, the difference rounded "
        "half up to 4 places (the page shows it to the penny)",
        [Term("Per head, unrounded (spend × scale ÷ weighted population)", half_up(rates[at.facts["unit_id"]], _EXACT),
              fmt="money2"),
         Term(f"Median rate: {how}", half_up(median, _EXACT), -1)],
        rounded=True, places=_RATE_PLACES, by="rounded", definition=_variation_definition(at, scale),
        listing=_unit_listing(at, units, scale, marks, f"The median is {how}: half the places spend more per head "
                              "and half less, whatever the size of the highest and lowest."))


def above_pooled(at: At):
    """The place's spend less its spend were it at the pooled rate (expected_numerator, to the penny)."""
    scale = _scale(at)
    units = _units(at)
    spend = sum((Decimal(r.facts["numerator"]) for r in units), Decimal(0))
    population = sum((Decimal(r.facts["denominator"]) for r in units), Decimal(0))
    if scale is None or population == 0:
        return None
    expected = half_up(spend * Decimal(at.facts["denominator"]) / population)
    return Explanation(
        "the place's spend less what it would spend at the pooled rate (every place's spend × its weighted "
        "population ÷ every place's weighted population, rounded to the penny)",
        [figure(at, "numerator"),
         Term(f"At the pooled rate: {f.money2_text(spend)} × {f.int_text(at.facts['denominator'])} ÷ "
              f"{f.int_text(population)}", expected, -1)],
        definition=_variation_definition(at, scale),
        listing=_unit_listing(at, units, scale, {r.facts["unit_id"]: "pooled" for r in units},
                              "Every place's spend and population make the pooled rate."))


def total_rate(at: At):
    scale = _scale(at)
    if scale is None or not at.facts.get("denominator"):
        return None
    times = "" if scale == 1 else f"× {scale:,} "
    return Explanation(
        f"the place's spend plus its share of its system's spend coded to no place, {times}÷ its weighted "
        "population, rounded half up to 4 places (the page shows it to the penny)",
        [figure(at, "numerator"), figure(at, "apportioned")], times=Decimal(scale),
        per=Decimal(at.facts["denominator"]), places=_RATE_PLACES, by=f"{times}÷ the weighted population",
        definition=_variation_definition(at, scale))


def apportioned(at: At):
    """The place's part of its system's spend coded to no place: that spend × the place's weighted population ÷
    the weighted population of the system's places, rounded half up to the penny (money_ratio in
    sql/reports/measure_template.sql)."""
    k = at.facts
    if k.get("grouping") != "place" or not k.get("denominator"):
        return None
    if "ics_id" not in k:                 # a one-system pack shows no System column: the place's system
        (ics_id,) = at.con.execute("SELECT ics_id FROM rpt_variation WHERE measure_id = ? AND unit_id = ? AND fy = ?",
                                   [k["measure_id"], k["unit_id"], k["fy"]]).fetchone()
        k = {**k, "ics_id": ics_id}
    system, lines, unplaced = at.once(("apportioned", k["measure_id"], k["fy"], k["grouping"], k["ics_id"]),
                                      lambda: _system_unplaced(at, k))
    population = sum((Decimal(d) for _, _, d in system), Decimal(0))
    if population == 0:
        return None
    ics = f.label(k["ics_id"], "ics")
    rows = [((name, Decimal(d)), "this place" if unit == k["unit_id"] else "") for unit, name, d in system]
    return Explanation(
        f"{ics}'s spend on the measure coded to no place (trust-wide services) × the place's weighted population ÷ "
        "the weighted population of the system's places, rounded half up to the penny",
        [Term(f"{ics}: spend on the measure coded to no place", Decimal(unplaced), lines=lines if unplaced else None)],
        times=Decimal(k["denominator"]), per=population,
        by="× the place's weighted population ÷ the system's", definition=(
            f"Spend coded to no place by {ics}'s partners on the measure's lines, net of payments between partners "
            f"(unless the measure says gross), financial year {k['fy']}, shared between the system's places by "
            "their weighted population. Shown beside the place's own spend, never compared: it adds the same "
            "amount per head to every place of the system."),
        listing=Listing(f"The {len(system)} places of {ics}", (("Place", "text"), ("Weighted population", "int")),
                        rows, "The system's weighted population is the sum of its places'."))


def _system_unplaced(at: At, k: dict) -> tuple[list[tuple], Condition, Decimal]:
    """The system's places (unit, name, weighted population) and its spend on the measure coded to no place
    (the lines and their sum): the same for every place of the system, so read once per measure, year and
    system."""
    system = at.con.execute("SELECT unit_id, unit_name, denominator FROM rpt_variation WHERE measure_id = ? AND fy = ? "
                            "AND grouping = ? AND ics_id = ? ORDER BY unit_name",
                            [k["measure_id"], k["fy"], k["grouping"], k["ics_id"]]).fetchall()
    where, params = unplaced_lines(k)
    (unplaced,) = at.con.execute(f"SELECT coalesce(sum(amount), 0) FROM fct_mh_ledger WHERE {where}", params).fetchone()
    return system, Condition.of("fct_mh_ledger", "amount", where, params), Decimal(unplaced)


PEER_RATE = _pooled(peers_only=True)
POOLED_RATE = _pooled(peers_only=False)


# ---------------------------------------------------------------------------
# Funding consistency: value per unit of capacity
FUNDING_DEFINITION = ("A contract's annual value (reference/contracts.csv) per unit of its capacity, compared with "
                       "its like contracts: the same financial year, service line, unit of capacity and kind of "
                       "provider. Contracts without a capacity are left out.")


def _contract_row(at: At):
    rows = at.ref_rows("ref_contracts", ("contract_id", "commissioner_id", "provider_id", "annual_value",
                                         "capacity", "capacity_unit"),
                       "contract_id = ?", [at.facts["contract_id"]], "rowid")
    return rows[0] if len(rows) == 1 else None


def per_unit(value: str, what: str):
    """A figure of the row ÷ the contract's capacity, to the penny."""
    def explain(at: At):
        source = _contract_row(at)
        capacity = at.facts.get("capacity")
        if source is None or not capacity or at.facts.get(value) is None:
            return None
        unit = at.facts.get("capacity_unit") or "units"
        return Explanation(f"{what} ÷ the contract's capacity ({f.number_text(capacity, 'dec1')} {unit}), rounded "
                           "half up to the penny", [figure(at, value)], per=Decimal(capacity),
                           by=f"÷ the capacity in {unit}", sources=[source], definition=FUNDING_DEFINITION)
    return explain


def _like(at: At) -> list[Row]:
    """The like contracts of the row: its group in rpt_funding_consistency, as rows of the table."""
    ids = {c for (c,) in at.con.execute(
        "SELECT b.contract_id FROM rpt_funding_consistency a JOIN rpt_funding_consistency b USING "
        "(fy, service_line, capacity_unit, provider_kind) WHERE a.contract_id = ? AND a.fy = ?",
        [at.facts["contract_id"], at.facts["fy"]]).fetchall()}
    return [r for r in _every_system(at) if r.role == "detail" and r.facts.get("contract_id") in ids
            and r.facts.get("fy") == at.facts["fy"]]


def _like_listing(at: At, like: list[Row], marks: dict[str, str], why: str) -> Listing:
    rows = [((r.facts["contract_id"], r.facts.get("provider_name"), r.facts.get("place_name"),
              Decimal(r.facts["value_per_unit"])), marks.get(r.facts["contract_id"], ""))
            for r in sorted(like, key=lambda r: (r.facts["value_per_unit"], r.facts["contract_id"]))]
    return Listing(f"The {len(like)} like contracts, lowest value per unit first",
                   (("Contract", "text"), ("Provider", "text"), ("Place", "text"), ("Value per unit", "money2")),
                   rows, why)


def like_median(at: At):
    like = _like(at)
    if not like or len(like) != len({r.facts["contract_id"] for r in like}):
        return None
    ordered = sorted(like, key=lambda r: (r.facts["value_per_unit"], r.facts["contract_id"]))
    _, mid = _median([Decimal(r.facts["value_per_unit"]) for r in like])
    middle = [ordered[i] for i in mid]
    how = "the middle value" if len(mid) == 1 else "the mean of the two middle values (an even number)"
    marks = {r.facts["contract_id"]: f"median: {how}" for r in middle}
    terms = [Term(f"{r.facts['contract_id']}: value per unit", Decimal(r.facts["value_per_unit"]),
                  explained_by=page_identity(at.section.key, "value_per_unit", "detail", row_keys(r.facts)))
             for r in middle]
    return Explanation(f"the median value per unit of the {len(like)} like contracts: {how}"
                       + ("" if len(mid) == 1 else ", rounded half up to the penny"), terms,
                       per=Decimal(len(mid)), by="÷ 2 (the mean of two)" if len(mid) == 2 else "",
                       definition=FUNDING_DEFINITION,
                       listing=_like_listing(at, like, marks, f"The median is {how} of the like contracts: half "
                                             "cost more per unit and half less."))


def against_median(at: At):
    if not at.facts.get("median"):
        return None
    return Explanation("the value per unit less the median, as a percentage of the median, rounded half up to 2 "
                       "places", [figure(at, "value_per_unit"), figure(at, "median", -1)], times=Decimal(100),
                       per=Decimal(at.facts["median"]), by="× 100 ÷ the median", per_fmt="money",
                       definition=FUNDING_DEFINITION)


# ---------------------------------------------------------------------------
# Coverage: how much of a measure's spend is coded to a unit
def coverage(at: At):
    """The year's spend on the measure's lines coded to a unit (a place, or a system) × 100 ÷ all of it, placed or
    not, every system, 1 place (coverage_pct in sql/reports/measure_template.sql)."""
    k = at.facts
    if k.get("grouping") not in ("place", "ics"):
        return None
    placed, every = at.once(("coverage", k["measure_id"], k["fy"], k["grouping"]), lambda: _coverage_lines(at, k))
    if every[1] == 0:
        return None
    unit = "a place" if k["grouping"] == "place" else "a system"
    return Explanation(
        f"the year's spend on the measure coded to {unit} as a percentage of all the spend on the measure, coded "
        f"to {unit} or not, rounded half up to 1 place", [Term(f"Spend on the measure coded to {unit}", placed[1],
                                                               lines=placed[0] if placed[1] else None)],
        times=Decimal(100), per=every[1], places="0.1", by="× 100 ÷ all the spend on the measure", per_fmt="money",
        factors=[Term(f"All the spend on the measure, coded to {unit} or not (the divisor)", every[1],
                      lines=every[0])],
        definition=(f"The measure's lines (net of payments between partners unless the measure says gross), "
                    f"financial year {k['fy']}, every system: the same for every {unit[2:]} of the measure and year. "
                    f"Spend coded to no {unit[2:]} (trust-wide services) is apportioned beside the compared spend, "
                    "not in it."))


def _coverage_lines(at: At, k: dict) -> tuple[tuple[Condition, Decimal], tuple[Condition, Decimal]]:
    """The measure's lines of the year coded to a unit, and all of them: each condition with its sum."""
    where, params = measure_filters(k)
    unit_col = "ics_id" if k["grouping"] == "ics" else "place_id"
    out = []
    for cond in (f"{where} AND {unit_col} IS NOT NULL", where):
        (total,) = at.con.execute(f"SELECT coalesce(sum(amount), 0) FROM fct_mh_ledger WHERE {cond}",
                                  params).fetchone()
        out.append((Condition.of("fct_mh_ledger", "amount", f"{cond} AND amount <> 0", params), Decimal(total)))
    return out[0], out[1]


# ---------------------------------------------------------------------------
# The alliance's trusts: each measure's median rate and a trust's distance from it
def _trusts(at: At) -> tuple[list[tuple], int] | None:
    """The trusts of the row's measure and year (unit, name, numerator, denominator) and the measure's scale."""
    if at.period is None:
        return None
    rows = at.con.execute(
        "SELECT unit_id, unit_name, numerator, denominator, scale FROM rpt_variation WHERE grouping = 'provider' "
        "AND measure_name = ? AND fy = ? AND denominator <> 0 ORDER BY unit_id",
        [at.facts.get("measure_name"), periods.fy_of(at.period)]).fetchall()
    if not rows or len({r[4] for r in rows}) != 1:
        return None
    return [r[:4] for r in rows], rows[0][4]


def _trust_rates(trusts: list[tuple], scale: int) -> dict[str, Decimal]:
    return {u: Decimal(n) * scale / Decimal(d) for u, _, n, d in trusts}


def _trust_listing(at: At, trusts: list[tuple], rates: dict[str, Decimal], marks: dict[str, str], why: str) -> Listing:
    rows = [((name, Decimal(n), Decimal(d), half_up(rates[u], _RATE_PLACES)), marks.get(u, ""))
            for u, name, n, d in sorted(trusts, key=lambda t: rates[t[0]])]
    # a count (placements, bed days, a population) shown whole, pounds to the penny
    whole = ["int" if all(Decimal(t[i]) == Decimal(t[i]).to_integral_value() for t in trusts) else "dec2"
             for i in (2, 3)]
    return Listing(f"The {len(trusts)} trusts compared, lowest rate first",
                   (("Trust", "text"), ("Numerator", whole[0]), ("Denominator", whole[1]), ("Rate (4 places)", "dec4")),
                   rows, why)


def _trust_median(at: At, trusts: list[tuple], rates: dict[str, Decimal], unit: str | None):
    median, mid = _median(list(rates.values()))
    ordered = sorted(rates, key=rates.get)
    how = (f"the middle of the {len(rates)} rates" if len(mid) == 1 else
           f"the mean of the two middle rates of {len(rates)} (an even number)")
    marks = {ordered[i]: "median: " + ("the middle rate" if len(mid) == 1 else "one of the two middle rates")
             for i in mid}
    if unit is not None:
        marks[unit] = "this trust" + (f"; {marks[unit]}" if unit in marks else "")
    return median, mid, ordered, how, marks


_TRUST_DEFINITION = ("The measure's rate for each trust of the provider alliance (its own cost return or activity, "
                     "reference/alliance_*.csv, over its denominator, in the measure's unit), financial year to date; "
                     "the median is taken over the trusts of the year, unrounded, and shown to 4 places.")


_TEN = "0.0000000001"


def _median_term(at: At, trusts: list[tuple], rates: dict[str, Decimal], unit: str | None) -> Term:
    """The median of the trusts' rates unrounded (to 8 places), as both the median's page and a trust's distance
    from it take it: one page of its own works it out from the middle rates, and both link to it."""
    median, mid, ordered, how, marks = _trust_median(at, trusts, rates, unit)
    names = {u: name for u, name, _, _ in trusts}
    value = half_up(median, _EXACT)
    label = f"Median rate of {in_sentence(str(at.facts.get('measure_name')))}, unrounded: {how}"
    working = Explanation(
        f"the median of the trusts' rates: {how}, rounded half up to 8 places",
        [Term(f"{names[ordered[i]]}: rate, to 10 places", half_up(rates[ordered[i]], _TEN), fmt="dec4") for i in mid],
        per=Decimal(len(mid)), places=_EXACT, rounded=True,
        by="÷ 2 (the mean of two)" if len(mid) == 2 else "rounded", definition=_TRUST_DEFINITION,
        listing=_trust_listing(at, trusts, rates, marks, f"The median is {how}: half the trusts are higher and half "
                               "lower, whatever the size of the highest and lowest."))
    if working.result != value:
        return Term(label, value, fmt="dec4")         # no page whose figure is the term's
    keys = {"measure_name": at.facts.get("measure_name"), "fy": periods.fy_of(at.period)}
    return Term(label, value, fmt="dec4", working=working,
                explained_by=page_identity(at.section.key, "median_unrounded", "detail", keys))


def trust_median(at: At):
    got = _trusts(at)
    if got is None:
        return None
    trusts, scale = got
    rates = _trust_rates(trusts, scale)
    median, mid, ordered, how, marks = _trust_median(at, trusts, rates, None)
    return Explanation(
        "the median of the trusts' rates (numerator" + ("" if scale == 1 else f" × {scale:,}") + " ÷ denominator), "
        "worked unrounded on a page of its own, rounded half up to 4 places", [_median_term(at, trusts, rates, None)],
        places=_RATE_PLACES, rounded=True, by="rounded", definition=_TRUST_DEFINITION,
        listing=_trust_listing(at, trusts, rates, marks, f"The median is {how}: half the trusts are higher and half "
                               "lower, whatever the size of the highest and lowest."))


def trust_from_median(at: At):
    got = _trusts(at)
    if got is None:
        return None
    trusts, scale = got
    unit = next((u for u, name, _, _ in trusts if name == at.facts.get("unit_name")), None)
    if unit is None:
        return None
    rates = _trust_rates(trusts, scale)
    median, mid, ordered, how, marks = _trust_median(at, trusts, rates, unit)
    median_term = _median_term(at, trusts, rates, unit)
    median_term.sign = -1
    return Explanation(
        "the trust's rate less the median rate of the trusts, both unrounded, the difference rounded half up to 4 "
        "places", [Term("The trust's rate, unrounded", half_up(rates[unit], _EXACT), fmt="dec4"), median_term],
        rounded=True, places=_RATE_PLACES, by="rounded", definition=_TRUST_DEFINITION,
        listing=_trust_listing(at, trusts, rates, marks, f"The median is {how}."))


# ---------------------------------------------------------------------------
# The alliance's trusts: a trust's rate and the other trusts' pooled rate, from their returns
# (reference/alliance_finance.csv, alliance_activity.csv, alliance_populations.csv)
def _trust_returns(at: At, unit: str, fy: str, measure_id: str, side: str) -> tuple[list[Source], str, str]:
    """The return rows behind one side of a trust's rate (``side``: numerator or denominator), with the column
    summed and what it is in words: the measure's own file (sql/measures/<id>.yaml) says which rows."""
    doc = at.once(("measure", measure_id), lambda: _measure((MEASURES_DIR / f"{measure_id}.yaml").read_text(
        encoding="utf-8")))
    first, last = periods.fy_start(at.period), periods.fy_end(at.period)   # fy is the period's (_trust_row)
    months = ("provider_id = ? AND period BETWEEN ? AND ?", [unit, first, last])
    if side == "numerator":
        num = doc.get("numerator") or {}
        if num.get("source") == "provider_activity":
            column = num["activity"]
            rows = at.ref_rows("ref_alliance_activity", ("period", "provider_id", column), *months, "period")
            return rows, column, column.replace("_", " ")
        where, params = months
        for key, col in (("service_lines", "service_line"), ("service_hours", "service_hours")):
            if num.get(key):
                where += f" AND list_contains(?, {col})"
                params = params + [list(num[key])]
        rows = at.ref_rows("ref_alliance_finance", ("period", "provider_id", "service_line", "service_hours",
                                                     "spend"), where, params, "period, rowid")
        return rows, "spend", _spend_on(at, num)
    name = doc.get("denominator")
    if name == "weighted_population_served":
        rows = at.ref_rows("ref_alliance_populations", ("fy", "provider_id", "weighted_population_served"),
                           "provider_id = ? AND fy = ?", [unit, fy], "rowid")
        return rows, "weighted_population_served", "weighted population served"
    if name == "occupied_bed_days":
        rows = at.ref_rows("ref_alliance_activity", ("period", "provider_id", "occupied_bed_days"), *months,
                           "period")
        return rows, "occupied_bed_days", "occupied bed days"
    rows = at.ref_rows("ref_alliance_finance", ("period", "provider_id", "service_line", "service_hours",
                                                 "spend"), *months, "period, rowid")
    return rows, "spend", "all its spend"


def _spend_on(at: At, num: dict) -> str:
    """What a finance measure's numerator counts, in words: 'spend on adult acute inpatient care', 'spend on
    seven-day services'."""
    names = [n for (n,) in at.con.execute("SELECT service_line_name FROM dim_service_line WHERE "
                                          "list_contains(?, service_line) ORDER BY service_line_name",
                                          [list(num.get("service_lines") or [])]).fetchall()]
    hours = " or ".join(h.replace("_", "-") for h in num.get("service_hours") or [])
    return "spend on " + (" and ".join(names) if names else f"{hours} services" if hours else "every service line") \
        + (f", {hours} hours" if names and hours else "")


def _trust_row(at: At) -> tuple | None:
    """The row's trust in rpt_variation: unit, measure, year, numerator, denominator and scale."""
    if at.period is None:
        return None
    return at.con.execute(
        "SELECT unit_id, measure_id, fy, numerator, denominator, scale FROM rpt_variation WHERE grouping = 'provider' "
        "AND measure_name = ? AND unit_name = ? AND fy = ?",
        [at.facts.get("measure_name"), at.facts.get("unit_name"), periods.fy_of(at.period)]).fetchone()


def _returns_sum(at: At, unit: str, name: str, fy: str, measure_id: str, side: str, sources: list[Source]) -> Term:
    """One trust's side of the rate: its return rows added up (the rows listed under the working)."""
    rows, column, what = _trust_returns(at, unit, fy, measure_id, side)
    sources.extend(rows)
    total = sum((Decimal(field_of(r, column) or 0) for r in rows), Decimal(0))
    whole = all(Decimal(field_of(r, column) or 0) == Decimal(field_of(r, column) or 0).to_integral_value()
                for r in rows)
    return Term(f"{name}: {what}, {fy} ({len(rows)} return row{'s' if len(rows) != 1 else ''} added up)", total,
                fmt="int" if whole and column != "spend" else "money2")


def trust_rate(at: At):
    """A trust's rate: its numerator × the measure's scale ÷ its denominator, each the trust's return rows added
    up, rounded half up to 4 places (rate_per_head in sql/reports/measure_template.sql)."""
    got = _trust_row(at)
    if got is None:
        return None
    unit, measure_id, fy, _, _, scale = got
    sources: list[Source] = []
    name = at.facts.get("unit_name")
    num = _returns_sum(at, unit, name, fy, measure_id, "numerator", sources)
    den = _returns_sum(at, unit, name, fy, measure_id, "denominator", sources)
    if den.value == 0:
        return None
    times = "" if scale == 1 else f"× {scale:,} "
    return Explanation(f"the trust's numerator {times}÷ its denominator, each its return rows for {fy} added up, "
                       "rounded half up to 4 places", [num], times=Decimal(scale), per=den.value,
                       places=_RATE_PLACES, by=f"{times}÷ the denominator",
                       per_fmt="money" if den.fmt == "money2" else "number",
                       factors=[Term(f"{den.label} (the divisor)", den.value, fmt=den.fmt)], sources=sources,
                       definition=_TRUST_DEFINITION)


def trust_peer_rate(at: At):
    """The other trusts' pooled rate: their numerators added up × the scale ÷ their denominators added up, to 4
    places (peer_rate in sql/reports/measure_template.sql: the trust never sets its own centre)."""
    got = _trust_row(at)
    if got is None:
        return None
    unit, measure_id, fy, _, _, scale = got
    others = at.con.execute(
        "SELECT unit_id, unit_name FROM rpt_variation WHERE grouping = 'provider' AND measure_id = ? AND fy = ? AND "
        "unit_id <> ? AND denominator <> 0 ORDER BY unit_name", [measure_id, fy, unit]).fetchall()
    if not others:
        return None
    sources: list[Source] = []
    nums = [_returns_sum(at, u, n, fy, measure_id, "numerator", sources) for u, n in others]
    dens = [_returns_sum(at, u, n, fy, measure_id, "denominator", sources) for u, n in others]
    population = sum((d.value for d in dens), Decimal(0))
    if population == 0:
        return None
    times = "" if scale == 1 else f"× {scale:,} "
    trusts, _ = _trusts(at) or ([], scale)
    rates = _trust_rates(trusts, scale)
    marks = {u: "one of the other trusts" for u, _ in others}
    marks[unit] = "this trust: not among its own peers"
    return Explanation(
        f"the other {len(others)} trusts' numerators added up {times}÷ their denominators added up, rounded half up "
        "to 4 places", nums, times=Decimal(scale), per=population, places=_RATE_PLACES,
        by=f"{times}÷ the other trusts' denominators", per_fmt="money" if dens[0].fmt == "money2" else "number",
        factors=[
            Term(f"{d.label} (part of the divisor)", d.value, fmt=d.fmt) for d in dens], sources=sources,
        definition=_TRUST_DEFINITION + " The other trusts' rate pools their returns: total over total, not the "
                                       "average of their rates.",
        listing=_trust_listing(at, trusts, rates, marks, "Each trust is compared with the others pooled.")
        if trusts else None)
