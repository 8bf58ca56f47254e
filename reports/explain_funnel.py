"""How a place stands against its peers on the funnel plot: its z-score and its 95% and 99.8% control limits
(rpt_variation, sql/reports/measure_template.sql: Spiegelhalter's funnel with a between-place variance by
DerSimonian-Laird, each place against its peers only).

The SQL works in doubles; the workings here redo every step in Decimal from the same inputs (each place's spend
and weighted population, the measure's within-place coefficient of variation and its thresholds), each step
carried to more places than the next needs, and round the result to the places of the figure: the z-score to the
2 the table shows, a limit to the 4 it is held to. The pages chain: a z-score or a limit is made from the place's
rate, its peers' rate unrounded (explain_peers: a page of its own) and its standard deviation (a page of its own:
the square root of four variances), one of which, the variance between the peers beyond chance, has a page of
its own in turn.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from reports import formatting as f
from reports.explain_peers import _pooled, _units
from reports.explain_working import At, Explanation, Listing, Term, half_up, page_identity
from reports.sections.variation import MEASURES_DIR, _measure
from reports.tables import Row

_RATE = "0.0000000001"            # a rate and a standard deviation: 10 places
_VARIANCE = "0.000000000001"      # a variance: 12 places
_FINE = "0.0000000000000001"      # the spread Q and its divisor: 16 places
_LIMIT_PLACES = "0.0001"          # a control limit as rpt_variation holds it (the table shows 2)
# a limit: (the measure's threshold, its default, + or −, in words)
LIMITS = {"lower_998": ("z_998", "3.09", -1, "lower 99.8%"), "lower_95": ("z_95", "1.96", -1, "lower 95%"),
          "upper_95": ("z_95", "1.96", 1, "upper 95%"), "upper_998": ("z_998", "3.09", 1, "upper 99.8%")}


@dataclass
class _Funnel:
    """The place's comparison with its peers, every figure the pages show, as Decimals."""
    place: Row
    peers: list[Row]
    scale: int
    cv: Decimal                  # the measure's within-place coefficient of variation
    rate: Decimal                # the place's spend × scale ÷ its population, to 10 places
    centre: Decimal              # its peers' rate, to 10 places
    within: Decimal              # (cv × centre)²: a head's variance of spend, divided by a population it is a rate's
    q: Decimal                   # the peers' spread about their rate, in units of their own variance, to 16 places
    q_divisor: Decimal           # (Σd − Σd² ÷ Σd) ÷ (cv × centre)², to 16 places
    tau2: Decimal                # the variance between the peers beyond chance, to 12 places (0 at least)
    variances: list[tuple[str, Decimal]]    # the four variances of the standard deviation (what, to 12 places)
    sd: Decimal                  # the place's standard deviation, to 10 places


def _numbers(r: Row) -> tuple[Decimal, Decimal]:
    return Decimal(r.facts["numerator"]), Decimal(r.facts["denominator"])


def _funnel(at: At) -> _Funnel | None:
    k = at.facts
    units = _units(at)
    place = next((r for r in units if r.facts["unit_id"] == k["unit_id"]), None)
    peers = [r for r in units if r.facts["unit_id"] != k["unit_id"]]
    row = at.con.execute("SELECT scale, within_unit_cv, assessed FROM rpt_variation WHERE measure_id = ? AND "
                         "unit_id = ? AND fy = ? AND grouping = ?",
                         [k["measure_id"], k["unit_id"], k["fy"], k["grouping"]]).fetchone()
    if place is None or row is None or not row[2] or len(peers) < 2:
        return None                       # not assessed: no limits, no z-score
    scale, cv = row[0], Decimal(repr(row[1]))
    spend, population = _numbers(place)
    d = [_numbers(r)[1] for r in peers]
    total, squares = sum(d, Decimal(0)), sum((x * x for x in d), Decimal(0))
    centre = half_up(sum((_numbers(r)[0] for r in peers), Decimal(0)) * scale / total, _RATE)
    within = (cv * centre) ** 2
    q = half_up(sum((dj * (n * scale / dj - centre) ** 2 for n, dj in map(_numbers, peers)), Decimal(0)) / within,
                _FINE)
    q_divisor = half_up((total - squares / total) / within, _FINE)
    tau2 = max(half_up((q - (len(peers) - 1)) / q_divisor, _VARIANCE), Decimal(0))
    variances = [(f"Variance within the place: (cv × peers' rate)² ÷ its weighted population of "
                  f"{f.int_text(population)}", half_up(within / population, _VARIANCE)),
                 ("Variance between the peers beyond chance, τ²", tau2),
                 (f"Variance of the peers' rate, within: (cv × peers' rate)² ÷ the peers' weighted population of "
                  f"{f.int_text(total)}", half_up(within / total, _VARIANCE)),
                 ("Variance of the peers' rate, between: τ² × the peers' populations squared, added up, ÷ their sum "
                  "squared", half_up(tau2 * squares / (total * total), _VARIANCE))]
    how = Explanation("", [Term(w, v) for w, v in variances], root=True, places=_RATE)
    return _Funnel(place, peers, scale, cv, half_up(spend * scale / population, _RATE), centre, within, q,
                   q_divisor, tau2, variances, how.result)


def keys_of(at: At) -> dict:
    """The keys naming a place's figures of a measure and year (its pages' identities)."""
    return {k: at.facts[k] for k in ("measure_id", "fy", "grouping", "unit_id")}


def _definition(at: At, fn: _Funnel) -> str:
    return (f"{at.facts.get('measure_name')}, financial year {at.facts['fy']}: the place against its "
            f"{len(fn.peers)} peers (every other place of the year; it never sets its own limits), as a funnel plot "
            "with a between-place variance (Spiegelhalter 2005; DerSimonian and Laird 1986; docs/model.md, "
            "'Measures of variation'). The warehouse works it in floating point; this page redoes it exactly, step "
            f"by step, from each place's spend and weighted population and the measure's settings (cv = {fn.cv}, "
            "the coefficient of variation of one head's spend in a year).")


def _centre_term(at: At, sign: int = 1) -> Term:
    """The peers' rate to 10 places: a page of its own (their spend over their population)."""
    working = _pooled(peers_only=True, places=_RATE)(at)
    return Term(f"Peers' rate (every place but {at.facts['unit_name']}), unrounded (10 places): their spend ÷ their "
                "weighted population", working.result, sign,
                fmt="money2", working=working,
                explained_by=page_identity(at.section.key, "peer_rate_unrounded", "detail", keys_of(at)))


def _tau_term(at: At, fn: _Funnel) -> Term:
    peers = sorted(fn.peers, key=lambda r: (_numbers(r)[0] / _numbers(r)[1], r.facts["unit_id"]))
    rows = []
    for r in peers:
        n, d = _numbers(r)
        rows.append(((r.facts["unit_name"], n, d, half_up(n * fn.scale / d, "0.0001"),
                      half_up(d * (n * fn.scale / d - fn.centre) ** 2 / fn.within, "0.000001")), ""))
    m = len(fn.peers)
    working = Explanation(
        f"DerSimonian and Laird's estimate over the {m} peers: their spread about their rate, Q, less what chance "
        f"alone gives (m − 1 = {m - 1}), ÷ the weights' spread (the peers' weighted population less their populations "
        "squared, added up, ÷ it, all ÷ (cv × peers' rate)²), rounded half up to 12 places; 0 when the peers differ "
        "no more than chance", [
            Term(f"Q: each peer's weighted population × (its rate − the peers' rate)², added up, ÷ (cv × peers' rate)²"
                 f" = ({fn.cv} × £{fn.centre})² (16 places; each peer's part is listed below)", fn.q, fmt="dec4"),
            Term(f"m − 1: the {m} peers less one", Decimal(m - 1), -1, fmt="int")],
        per=fn.q_divisor, places=_VARIANCE, floor=Decimal(0), by="÷ the weights' spread (16 places)",
        definition=_definition(at, fn),
        listing=Listing(f"The {m} peers, lowest rate first", (
            ("Place", "text"), ("Spend", "money2"), ("Weighted population", "int"), ("Per head (4 places)", "rate"),
            ("Part of Q (6 places)", "dec4")), rows,
            "A peer's part of Q is its weighted population × (its rate − the peers' rate)² ÷ (cv × peers' rate)²: "
            "the further a large place is from the others, the larger Q."))
    return Term(f"Variance between {at.facts['unit_name']}'s peers beyond chance, τ² (DerSimonian-Laird)", fn.tau2,
                fmt="dec4",
                working=working, explained_by=page_identity(at.section.key, "tau_squared", "detail", keys_of(at)))


def _sd_term(at: At, fn: _Funnel) -> Term:
    terms = [Term(w, v, fmt="dec4") for w, v in fn.variances]
    terms[1] = _tau_term(at, fn)            # the one with a page of its own
    working = Explanation(
        "the square root of four variances added up: the place's own rate's (within it), the spread between places "
        "beyond chance, and the two of its peers' rate (itself estimated from them), each to 12 places; the root "
        "rounded half up to 10 places", terms, root=True, places=_RATE, definition=_definition(at, fn))
    return Term(f"{at.facts['unit_name']}'s standard deviation (10 places)", fn.sd, fmt="money2", working=working,
                explained_by=page_identity(at.section.key, "rate_sd", "detail", keys_of(at)))


def z_score(at: At):
    """(the place's rate − its peers' rate) ÷ its standard deviation, to 2 places (z_score, a double in SQL)."""
    fn = _funnel(at)
    if fn is None:
        return None
    spend, population = _numbers(fn.place)
    times = "" if fn.scale == 1 else f" × {fn.scale:,}"
    held = at.facts.get("z")
    return Explanation(
        "the place's rate less its peers' rate, ÷ the place's standard deviation (each worked to 10 places), rounded "
        "half up to 2 places: how many standard deviations the place is from its peers"
        + (f" (the warehouse holds {held!r}, worked in floating point; the table shows 2 places)"
           if isinstance(held, float) else ""),
        [Term(f"Per head, unrounded (10 places): {f.money2_text(spend)}{times} ÷ {f.int_text(population)}", fn.rate,
              fmt="money2"), _centre_term(at, -1)],
        per=fn.sd, by="÷ the place's standard deviation", factors=[_sd_term(at, fn)], definition=_definition(at, fn))


def limit(at: At, name: str):
    """The peers' rate ± z × the place's standard deviation, to 4 places, a lower limit at least 0 (lower_95 ...
    upper_998 in rpt_variation)."""
    fn = _funnel(at)
    if fn is None:
        return None
    key, default, sign, words = LIMITS[name]
    doc = at.once(("measure", at.facts["measure_id"]), lambda: _measure(
        (MEASURES_DIR / f"{at.facts['measure_id']}.yaml").read_text(encoding="utf-8")))
    z = Decimal(str((doc.get("thresholds") or {}).get(key, default)))
    sd = _sd_term(at, fn)
    sd.label = f"{sd.label}, worked on its own page"
    return Explanation(
        f"the peers' rate {'plus' if sign > 0 else 'less'} {z} standard deviations of the place (the {words} "
        "threshold of the measure), rounded half up to 4 places" + (", or 0 if that is less" if sign < 0 else ""),
        [_centre_term(at), Term(f"{z} × the place's standard deviation of £{sd.value}", half_up(z * fn.sd, _RATE),
                                sign)],
        rounded=True, places=_LIMIT_PLACES, by="rounded", floor=Decimal(0) if sign < 0 else None, factors=[sd],
        definition=_definition(at, fn))
