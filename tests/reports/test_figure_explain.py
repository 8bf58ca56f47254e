"""Explain pages: every figure that is not a sum of ledger lines but is made by arithmetic from reference
data and other figures (plans, budgets, contract values and limits, their shares to date, differences,
the MHIS standard, sector shares, spend per weighted head) links to a page whose working reproduces it
to the penny.

For every such figure of every page (not a sample) the check reads the linking cell and the explain
page as a reader would, redoes the page's arithmetic with Decimal, and recomputes the figure from the
warehouse's own tables with SQL of its own here (the reference rows, the ledger lines) - never through
reports/figure_explain.py. The reference rows the page cites are looked up in the demo's reference files
at the line the page names.
"""
from __future__ import annotations

import csv
import html
import json
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Context, Decimal
from pathlib import Path

import pytest
import yaml

from reports import sections
from reports.spec import Derived
from tests.reports.test_figure_drill import _drill_sums, _money, _tables

_MEASURES = Path(__file__).resolve().parents[2] / "sql" / "measures"

_EXPLAIN_LINK = re.compile(r"^explain/[^/]+\.html$")
_ROW = re.compile(r'<tr(?: class="total")? data-role="([a-z]+)"([^>]*)>(.*?)</tr>', re.S)
_ATTR = re.compile(r'data-([a-z]+)="([^"]*)"')


@pytest.fixture(scope="module")
def site(demo_home) -> Path:
    folders = sorted(p for p in (demo_home / "reports").iterdir() if p.is_dir() and not p.name.startswith("."))
    return folders[-1] / "html"


def _explained_figures(site: Path):
    """Every number cell of a top-level page linking to an explain page: (page, href, cell, {column: cell} of
    its row)."""
    for page in sorted(site.glob("*.html")):
        for t in _tables(page):
            for r in t["rows"]:
                for c in r["cells"]:
                    if "num" in (c["attrs"].get("class") or "") and _EXPLAIN_LINK.match(c["href"] or ""):
                        yield page, c["href"], c, dict(zip(t["head"], r["cells"]))


# A figure made from two others of its row (a Derived value of its section), redone here from those two as the
# row shows them: a less b; a × 100 ÷ b to 0.1; the change a − b × 100 ÷ |b| to 0.1; a ÷ b to the penny.
_DERIVED = {f"{sec.key}:{v.key}": (v.op, [next(x.label for x in sec.values if x.key == a) for a in v.args])
            for sec in (s for top in sections.SECTIONS + sections.SUMMARY.blocks for s in (top, *top.parts))
            for v in sec.values if isinstance(v, Derived)}


def _derived(what: str, row: dict) -> Decimal:
    op, (a_label, b_label) = _DERIVED[what]
    a, b = (_money(row[label]) for label in (a_label, b_label))
    return {"diff": lambda: a - b, "share": lambda: _half_up(a * 100 / b, "0.1"),
            "pct_change": lambda: _half_up((a - b) * 100 / abs(b), "0.1"), "ratio": lambda: _half_up(a / b)}[op]()


def _working(page: Path) -> dict:
    """An explain page's own numbers: what it explains, the row's keys, its terms, scaling, floor and
    result, the figure it states, and the reference rows it cites (file, line, values)."""
    text = page.read_text(encoding="utf-8")
    head = re.search(r'<table class="reconcile explain" ([^>]*)>', text).group(1)
    attrs = {k: html.unescape(v) for k, v in _ATTR.findall(head)}
    out = {"what": attrs["explain"], "row": attrs["row"], "keys": json.loads(attrs["keys"]), "terms": [],
           "factors": []}
    for role, row_attrs, body in _ROW.findall(text):
        a = dict(_ATTR.findall(row_attrs))
        if role == "term":
            href = re.search(r'<a href="([^"]+)"', body)
            out["terms"].append((int(a["sign"]), Decimal(a["v"]), href.group(1) if href else None))
        elif role == "factor":
            href = re.search(r'<a href="([^"]+)"', body)
            out["factors"].append((1, Decimal(a["v"]), href.group(1) if href else None))
        elif role == "scale":
            out["scale"] = (Decimal(a["times"]), Decimal(a["per"]), Decimal(a["places"]))
        elif role == "root":
            out["root"] = True
        elif role in ("floor", "result", "figure", "sum"):
            out[role] = Decimal(a["v"])
    refs = re.search(r'<section class="panel" id="reference-rows">(.*?)</section>', text, re.S)
    out["refs"] = [] if not refs else [
        [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
        for r in re.findall(r"<tr[^>]*>(.*?)</tr>", refs.group(1), re.S) if "<td" in r]
    return out


def _redo(w: dict) -> Decimal:
    """The page's arithmetic, done again here."""
    value = sum((sign * v for sign, v, _ in w["terms"]), Decimal(0))
    if "scale" in w:
        times, per, places = w["scale"]
        value = value * times / per
        if w.get("root"):                    # a standard deviation: the square root of its variances
            value = value.sqrt(Context(prec=40))
        value = value.quantize(places, rounding=ROUND_HALF_UP)
    if "floor" in w:
        value = max(value, w["floor"])
    return value


def _half_up(value: Decimal, places: str = "0.01") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _fy_months(fy: str) -> list[str]:
    start = int(fy[:4])
    return [f"{start + (m > 9)}-{(m + 3) % 12 or 12:02d}" for m in range(1, 13)]


def _fy_month(period: str) -> int:
    return (int(period[5:]) - 4) % 12 + 1


class _Warehouse:
    """Each kind of figure recomputed from the warehouse's tables, with SQL written here."""

    def __init__(self, db, home: Path):
        self.db, self.home = db, home

    def one(self, sql: str, params: list) -> Decimal:
        (v,) = self.db.execute(sql, params).fetchone()
        return Decimal(v or 0)

    # --- investment plans: reference/investment_plans.csv and the ICB's lines on the scheme's cost centres
    def plan(self, k: dict, to_date: bool) -> Decimal:
        months = [m for m in _fy_months(k["fy"]) if not to_date or m <= k["period"]]
        return self.one("SELECT sum(planned_amount) FROM ref_investment_plans WHERE icb_id = ? AND scheme_id = ? "
                        "AND list_contains(?, period)", [k["icb_id"], k["scheme_id"], months])

    def plan_actual(self, k: dict) -> Decimal:
        return self.one("SELECT sum(amount) FROM fct_ledger WHERE partner_id = ? AND scheme_id = ? AND "
                        "line_type = 'expenditure' AND fy = ? AND period <= ?",
                        [k["icb_id"], k["scheme_id"], k["fy"], k["period"]])

    # --- budgets: reference/budgets.csv phased here by reference/budget_phasing.csv, as docs/model.md says
    def annual_budget(self, k: dict) -> Decimal:
        return self.one("SELECT annual_budget FROM ref_budgets WHERE partner_id = ? AND fy = ? AND service_line = ?",
                        [k["partner_id"], k["fy"], k["service_line"]])

    def budget_to_date(self, k: dict) -> Decimal:
        annual = self.annual_budget(k)
        weights = self.db.execute("SELECT partner_id, service_line, fy_month, weight FROM ref_budget_phasing "
                                  "WHERE fy = ?", [k["fy"]]).fetchall()
        for who, line in ((k["partner_id"], k["service_line"]), (k["partner_id"], "*"), ("*", k["service_line"]),
                          ("*", "*")):
            w = {m: Decimal(wt) for p, s, m, wt in weights if p == who and s == line}
            if w:
                break
        else:
            w = {m: Decimal(1) for m in range(1, 13)}
        total = sum(w.values())
        month = {m: _half_up(annual * w[m] / total) for m in w}
        largest = max(w, key=lambda m: (w[m], m))            # the remainder: largest weight, latest on a tie
        month[largest] += annual - sum(month.values())
        return sum((month[m] for m in w if m <= _fy_month(k["period"])), Decimal(0))

    def budget_actual(self, k: dict) -> Decimal:
        return self.one("SELECT sum(gross_spend) FROM fct_mh_ledger WHERE partner_id = ? AND service_line = ? "
                        "AND fy = ? AND period <= ? AND line_type = 'expenditure'",
                        [k["partner_id"], k["service_line"], k["fy"], k["period"]])

    def budget_forecast(self, k: dict) -> Decimal:
        """Actual to date, the budget still to come, and the trend to date carried over it (docs/model.md)."""
        actual, budget, annual = self.budget_actual(k), self.budget_to_date(k), self.annual_budget(k)
        trend = _half_up((actual - budget) * (annual - budget) / budget) if budget > 0 else Decimal(0)
        return actual + (annual - budget) + trend

    # --- contracts: reference/contracts.csv and the commissioner's payments naming the provider
    def contract_value(self, k: dict) -> Decimal:
        return self.one("SELECT annual_value FROM ref_contracts WHERE contract_id = ?", [k["contract_id"]])

    def contract_expected(self, k: dict) -> Decimal:
        (as_at,) = self.db.execute("SELECT max(period) FROM fct_ledger WHERE fy = ?", [k["fy"]]).fetchone()
        start, end = self.db.execute("SELECT strftime(start_date, '%Y-%m'), strftime(end_date, '%Y-%m') FROM "
                                     "ref_contracts WHERE contract_id = ?", [k["contract_id"]]).fetchone()
        months = sum(1 for m in _fy_months(k["fy"]) if start <= m <= end and m <= as_at)
        return _half_up(self.contract_value(k) * months / 12)

    def contract_paid(self, k: dict) -> Decimal:
        return self.one("SELECT sum(amount) FROM fct_ledger WHERE partner_id = ? AND counterparty_partner_id = ? "
                        "AND fy = ? AND line_type = 'expenditure' AND funding_stream = ? AND "
                        "(? IS NULL OR service_line = ?) AND (? IS NULL OR place_id = ?)",
                        [k["commissioner_id"], k["provider_id"], k["fy"], k["funding_stream"], k["service_line"],
                         k["service_line"], k["place_id"], k["place_id"]])

    # --- agency: reference/agency_caps.csv and the provider's payments to the listed agencies
    def cap(self, k: dict) -> Decimal:
        return self.one("SELECT annual_cap FROM ref_agency_caps WHERE partner_id = ? AND fy = ?",
                        [k["partner_id"], k["fy"]])

    def agency(self, k: dict) -> Decimal:
        return self.one("SELECT sum(amount) FROM fct_ledger WHERE partner_id = ? AND fy = ? AND period <= ? AND "
                        "line_type = 'expenditure' AND lower(trim(regexp_replace(counterparty, '\\s+', ' ', 'g'))) "
                        "IN (SELECT name_key FROM ref_agency_suppliers)", [k["partner_id"], k["fy"], k["period"]])

    # --- the MHIS standard: last year's spend grown by reference/allocations.csv
    def required(self, k: dict) -> Decimal:
        prior_fy = f"{int(k['fy'][:4]) - 1}-{k['fy'][2:4]}"
        alloc = dict(self.db.execute("SELECT fy, programme_allocation FROM ref_allocations WHERE icb_id = ?",
                                     [k["icb_id"]]).fetchall())
        prior = self.one("SELECT mhis_spend FROM rpt_mhis WHERE icb_id = ? AND fy = ?", [k["icb_id"], prior_fy])
        return _half_up(prior * alloc[k["fy"]] / alloc[prior_fy])

    def mhis_spend(self, k: dict) -> Decimal:
        return self.one("SELECT mhis_spend FROM rpt_mhis WHERE icb_id = ? AND fy = ?", [k["icb_id"], k["fy"]])

    # --- a sector's share of its system's net spend; spend per weighted head
    def share(self, k: dict, period: str) -> Decimal:
        net = self.one("SELECT sum(net_spend) FROM rpt_sector_share_by_recipient WHERE ics_id = ? AND sector = ? "
                       "AND period = ?", [k["ics_id"], k["sector"], period])
        system = self.one("SELECT sum(net_spend) FROM rpt_sector_share_by_recipient WHERE ics_id = ? AND period = ?",
                          [k["ics_id"], period])
        return _half_up(net * 100 / system)

    def sector_share(self, k: dict, period: str) -> Decimal:
        """A delivering sector's share of an area's net spend from its lines: the area (a system or a place, by
        name) from April to the month, or a system's month (the chart month by month)."""
        where, params = ("place_name = ? AND fy = ? AND period <= ?", [k["x"], _fy(period), period]) \
            if k["column"] == "ytd_share_pct" else ("geography_level = 'ics' AND period = ?", [k["x"]])
        spend = dict(self.db.execute(f"SELECT sector, sum(net_spend) FROM fct_sector_share_ledger WHERE ics_id = ? "
                                     f"AND {where} GROUP BY sector", [k["ics_id"]] + params).fetchall())
        return _half_up(Decimal(spend.get(k["sector"]) or 0) * 100 / Decimal(sum(spend.values())))

    def rate(self, k: dict) -> Decimal:
        num, den, scale = self.db.execute(
            "SELECT numerator, denominator, scale FROM rpt_variation WHERE measure_id = ? AND unit_id = ? AND fy = ? "
            "AND grouping = ?", [k["measure_id"], k["unit_id"], k["fy"], k["grouping"]]).fetchone()
        return _half_up(Decimal(num) * scale / Decimal(den), "0.0001")

    # --- the commissioner view: a partner's spend coded to no place shared by what each system's ICB paid it
    def _partner(self, name: str) -> str:
        (pid,) = self.db.execute("SELECT partner_id FROM dim_partner WHERE partner_name = ?", [name]).fetchone()
        return pid

    def _icb_payments(self, partner_id: str, period: str) -> list[tuple[str, Decimal]]:
        """What each system's ICB paid the partner to date (its own lines naming the partner), largest first."""
        rows = self.db.execute(
            "SELECT ics_id, sum(amount) FROM fct_mh_ledger WHERE partner_kind = 'icb' AND counterparty_partner_id = ? "
            "AND partner_id <> ? AND line_type = 'expenditure' AND fy = ? AND period <= ? GROUP BY ics_id",
            [partner_id, partner_id, _fy(period), period]).fetchall()
        return sorted(((i, Decimal(v)) for i, v in rows), key=lambda x: (-x[1], x[0]))

    def apportioned(self, k: dict, period: str) -> Decimal:
        pid = self._partner(k["partner_name"])
        unplaced = self.one("SELECT sum(net_spend) FROM fct_mh_ledger WHERE partner_id = ? AND fy = ? AND period <= ? "
                            "AND line_type = 'expenditure' AND NOT is_eliminated AND place_id IS NULL",
                            [pid, _fy(period), period])
        paid = self._icb_payments(pid, period)
        total = sum(v for _, v in paid)
        parts = {ics: _half_up(unplaced * v / total) for ics, v in paid[1:]}
        if paid:                                             # the largest payer takes the rest
            parts[paid[0][0]] = unplaced - sum(parts.values())
        return parts.get(k["ics_id"], Decimal(0))

    def apportioned_by_service_line(self, k: dict, period: str) -> Decimal:
        """Per partner: this system's rounded share of the running total to the service line less that before it
        (service lines in code order), or, paying the most, the line's spend less the other systems' parts."""
        rows = self.db.execute(
            "WITH u AS (SELECT partner_id, service_line, sum(net_spend) AS net FROM fct_mh_ledger WHERE fy = ? "
            "AND period <= ? AND line_type = 'expenditure' AND NOT is_eliminated AND place_id IS NULL GROUP BY ALL) "
            "SELECT partner_id, service_line, net, sum(net) OVER (PARTITION BY partner_id ORDER BY service_line) "
            "FROM u", [_fy(period), period]).fetchall()
        (line,) = self.db.execute("SELECT service_line FROM dim_service_line WHERE service_line_name = ?",
                                  [k["service_line_name"]]).fetchone()
        total = Decimal(0)
        for pid, sl, net, running in rows:
            if sl != line:
                continue
            paid = self._icb_payments(pid, period)
            if k["ics_id"] not in dict(paid):
                continue
            everyone = sum(v for _, v in paid)
            parts = {i: _half_up(Decimal(running) * v / everyone) - _half_up((Decimal(running) - Decimal(net)) * v
                                                                             / everyone) for i, v in paid[1:]}
            total += parts[k["ics_id"]] if k["ics_id"] in parts else Decimal(net) - sum(parts.values())
        return total

    def payment_share(self, k: dict, period: str) -> Decimal:
        paid = dict(self._icb_payments(self._partner(k["partner_name"]), period))
        return _half_up(paid[k["ics_id"]] * 100 / sum(paid.values()))

    # --- variation: peers, pooled, median, as docs/model.md states them, from each place's spend and population
    def _places(self, k: dict) -> list[tuple[str, Decimal, Decimal, int]]:
        return [(u, Decimal(n), Decimal(d), s) for u, n, d, s in self.db.execute(
            "SELECT unit_id, numerator, denominator, scale FROM rpt_variation WHERE measure_id = ? AND fy = ? "
            "AND grouping = ?", [k["measure_id"], k["fy"], k["grouping"]]).fetchall()]

    def pooled(self, k: dict, peers_only: bool) -> Decimal:
        rows = [r for r in self._places(k) if not peers_only or r[0] != k["unit_id"]]
        return _half_up(sum(r[1] for r in rows) * rows[0][3] / sum(r[2] for r in rows), "0.0001")

    def from_median(self, k: dict) -> Decimal:
        rates = {u: n * s / d for u, n, d, s in self._places(k)}
        ordered = sorted(rates.values())
        n = len(ordered)
        median = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
        return _half_up(rates[k["unit_id"]] - median, "0.0001")

    def above_pooled(self, k: dict) -> Decimal:
        rows = self._places(k)
        (mine,) = [r for r in rows if r[0] == k["unit_id"]]
        return mine[1] - _half_up(sum(r[1] for r in rows) * mine[2] / sum(r[2] for r in rows))

    def total_rate(self, k: dict) -> Decimal:
        num, app, den, scale = self.db.execute(
            "SELECT numerator, apportioned_numerator, denominator, scale FROM rpt_variation WHERE measure_id = ? "
            "AND unit_id = ? AND fy = ? AND grouping = ?", [k["measure_id"], k["unit_id"], k["fy"], k["grouping"]]).fetchone()
        return _half_up((Decimal(num) + Decimal(app)) * scale / Decimal(den), "0.0001")

    def apportioned_to_place(self, k: dict) -> Decimal:
        """The system's spend on the measure's lines (its YAML file, read here) coded to no place × the place's
        population ÷ the system's places' population, half up (away from zero) to the penny."""
        sql, params = _measure_lines(k)
        unplaced = self.one(f"SELECT sum(amount) FROM fct_mh_ledger WHERE {sql} AND place_id IS NULL AND ics_id = ?",
                            params + [k["ics_id"]])
        populations = dict(self.db.execute(
            "SELECT unit_id, denominator FROM rpt_variation WHERE measure_id = ? AND fy = ? AND grouping = 'place' "
            "AND ics_id = ?", [k["measure_id"], k["fy"], k["ics_id"]]).fetchall())
        return _half_up(unplaced * Decimal(populations[k["unit_id"]]) / sum(Decimal(v) for v in populations.values()))

    # --- the funnel: each place against its peers (docs/model.md, 'Measures of variation'), redone here in Decimal
    # from each place's spend and population, each step to the places its page states
    def funnel(self, k: dict) -> dict[str, Decimal]:
        places = {u: (n, d) for u, n, d, _ in self._places(k)}
        scale, cv = self.db.execute("SELECT scale, within_unit_cv FROM rpt_variation WHERE measure_id = ? AND "
                                    "fy = ? AND grouping = ? LIMIT 1", [k["measure_id"], k["fy"], k["grouping"]]).fetchone()
        cv = Decimal(repr(cv))
        n_i, d_i = places[k["unit_id"]]
        peers = [v for u, v in places.items() if u != k["unit_id"]]
        big_d = sum(d for _, d in peers)
        squares = sum(d * d for _, d in peers)
        c = _half_up(sum(n for n, _ in peers) * scale / big_d, "0.0000000001")
        w = (cv * c) ** 2
        q = _half_up(sum(d * (n * scale / d - c) ** 2 for n, d in peers) / w, "0.0000000000000001")
        divisor = _half_up((big_d - squares / big_d) / w, "0.0000000000000001")
        tau2 = max(_half_up((q - (len(peers) - 1)) / divisor, "0.000000000001"), Decimal(0))
        parts = [w / d_i, tau2, w / big_d, tau2 * squares / (big_d * big_d)]
        sd = _half_up(sum(_half_up(x, "0.000000000001") for x in parts).sqrt(Context(prec=40)), "0.0000000001")
        doc = yaml.safe_load((_MEASURES / f"{k['measure_id']}.yaml").read_text(encoding="utf-8")) or {}
        z95, z998 = (Decimal(str((doc.get("thresholds") or {}).get(t, dflt))) for t, dflt in
                     (("z_95", "1.96"), ("z_998", "3.09")))
        rate = _half_up(n_i * scale / d_i, "0.0000000001")
        limit = lambda sign, z: _half_up(c + sign * _half_up(z * sd, "0.0000000001"), "0.0001")  # noqa: E731
        return {"peer_rate_unrounded": c, "tau_squared": tau2, "rate_sd": sd, "z": _half_up((rate - c) / sd),
                "lower_998": max(limit(-1, z998), Decimal(0)), "lower_95": max(limit(-1, z95), Decimal(0)),
                "upper_95": limit(1, z95), "upper_998": limit(1, z998)}

    def eliminated(self, k: dict, period: str) -> Decimal:
        """A kind of partner's eliminated spend in a system, FY to date: what it paid to submitting partners."""
        return self.one("SELECT sum(amount) FROM fct_mh_ledger WHERE is_eliminated AND ics_id = ? AND partner_kind = ? "
                        "AND fy = ? AND period <= ?", [k["ics_id"], k["partner_kind"], _fy(period), period])

    # --- the contract mix: reference/contracts.csv, the contracts of a system's ICBs in force in a month reported
    def contract_type_values(self, k: dict, period: str) -> dict[str, Decimal]:
        """Each contract type's annual value over the system's provider-facing contracts (a contract to a lead
        provider is a delegated budget, left out) in force in a month of the year the ledgers report."""
        months = [m for (m,) in self.db.execute("SELECT DISTINCT period FROM fct_ledger WHERE fy = ?",
                                                [_fy(period)]).fetchall()]
        out: dict[str, Decimal] = defaultdict(Decimal)
        for ctype, value, start, end in self.db.execute(
                "SELECT c.contract_type, c.annual_value, strftime(c.start_date, '%Y-%m'), CAST(c.end_date AS VARCHAR) "
                "FROM ref_contracts c JOIN dim_partner cm ON cm.partner_id = c.commissioner_id JOIN dim_partner pr "
                "ON pr.partner_id = c.provider_id WHERE cm.ics_id = ? AND pr.partner_kind <> 'lead_provider'",
                [k["ics_id"]]).fetchall():
            if any(start <= m and f"{m}-01" <= end for m in months):
                out[ctype] += Decimal(value)
        return out

    def contract_type_share(self, k: dict, period: str) -> Decimal:
        values = self.contract_type_values(k, period)
        return _half_up(values[k["contract_type"]] * 100 / sum(values.values()))

    # --- agreement of balances: what the payee's ledger says it received from the payer in the month
    def payee_booked(self, k: dict) -> Decimal:
        return -self.one("SELECT sum(amount) FROM fct_ledger WHERE partner_id = ? AND counterparty_partner_id = ? "
                         "AND line_type = 'income' AND period = ?", [k["payee_id"], k["payer_id"], k["period"]])

    # --- a sector's share were all the system's unclassified money its
    def share_high(self, k: dict, period: str) -> Decimal:
        net = {s: Decimal(v) for s, v in self.db.execute(
            "SELECT sector, sum(net_spend) FROM rpt_sector_share_by_recipient WHERE ics_id = ? AND period = ? "
            "GROUP BY sector", [k["ics_id"], period]).fetchall()}
        extra = net.get("unclassified", Decimal(0)) if k["sector"] != "unclassified" else Decimal(0)
        return _half_up((net.get(k["sector"], Decimal(0)) + extra) * 100 / sum(net.values()))

    # --- the commissioner view whole: placed + shared by ICB payments (above) + kept by a partner no ICB paid
    def _net(self, where: str, params: list, period: str) -> Decimal:
        return self.one("SELECT sum(net_spend) FROM fct_mh_ledger WHERE line_type = 'expenditure' AND NOT is_eliminated "
                        f"AND fy = ? AND period <= ? AND {where}", [_fy(period), period] + params)

    def commissioner_view(self, k: dict, period: str) -> Decimal:
        pid = self._partner(k["partner_name"])
        placed = self._net("partner_id = ? AND ics_id = ? AND place_id IS NOT NULL", [pid, k["ics_id"]], period)
        kept = Decimal(0) if self._icb_payments(pid, period) else self._net(
            "partner_id = ? AND ics_id = ? AND place_id IS NULL", [pid, k["ics_id"]], period)
        return placed + self.apportioned(k, period) + kept

    def commissioner_view_by_service_line(self, k: dict, period: str) -> Decimal:
        where = "service_line_name = ? AND ics_id = ?"
        placed = self._net(f"{where} AND place_id IS NOT NULL", [k["service_line_name"], k["ics_id"]], period)
        kept = sum((self._net(f"{where} AND place_id IS NULL AND partner_id = ?",
                              [k["service_line_name"], k["ics_id"], pid], period)
                    for (pid,) in self.db.execute("SELECT partner_id FROM dim_partner").fetchall()
                    if not self._icb_payments(pid, period)), Decimal(0))
        return placed + self.apportioned_by_service_line(k, period) + kept

    # --- a measure's coverage: the year's spend on its lines (its YAML file) coded to a unit, of all of it
    def coverage(self, k: dict) -> Decimal:
        sql, params = _measure_lines(k)
        unit = "ics_id" if k["grouping"] == "ics" else "place_id"
        every = self.one(f"SELECT sum(amount) FROM fct_mh_ledger WHERE {sql}", params)
        placed = self.one(f"SELECT sum(amount) FROM fct_mh_ledger WHERE {sql} AND {unit} IS NOT NULL", params)
        return _half_up(placed * 100 / every, "0.1")

    # --- the alliance's trusts: the median of their rates (numerator x scale / denominator) and the distance to it
    def _trust_rates(self, k: dict, period: str) -> dict[str, Decimal]:
        return {name: Decimal(n) * s / Decimal(d) for name, n, d, s in self.db.execute(
            "SELECT unit_name, numerator, denominator, scale FROM rpt_variation WHERE grouping = 'provider' AND "
            "measure_name = ? AND fy = ?", [k["measure_name"], _fy(period)]).fetchall()}

    def trust_returns(self, k: dict, unit_name: str, period: str) -> tuple[Decimal, Decimal, int]:
        """A trust's numerator and denominator for the year from the alliance's returns (the reference tables),
        picked as its measure's file says, and the measure's scale."""
        doc = next(d for d in (yaml.safe_load(p.read_text(encoding="utf-8")) for p in _MEASURES.glob("*.yaml"))
                   if d.get("title") == k["measure_name"])
        (unit,) = self.db.execute("SELECT provider_id FROM ref_alliance_providers WHERE provider_name = ?",
                                  [unit_name]).fetchone()
        fy = _fy(period)
        months = _fy_months(fy)
        num = doc["numerator"]
        if num["source"] == "provider_activity":
            numerator = self.one(f"SELECT sum({num['activity']}) FROM ref_alliance_activity WHERE provider_id = ? "
                                 "AND list_contains(?, period)", [unit, months])
        else:
            numerator = self.one("SELECT sum(spend) FROM ref_alliance_finance WHERE provider_id = ? AND "
                                 "list_contains(?, period) AND (? IS NULL OR list_contains(?, service_line)) AND "
                                 "(? IS NULL OR list_contains(?, service_hours))",
                                 [unit, months, num.get("service_lines"), num.get("service_lines"),
                                  num.get("service_hours"), num.get("service_hours")])
        denominator = {
            "weighted_population_served": ("SELECT sum(weighted_population_served) FROM ref_alliance_populations "
                                           "WHERE provider_id = ? AND fy = ?", [unit, fy]),
            "occupied_bed_days": ("SELECT sum(occupied_bed_days) FROM ref_alliance_activity WHERE provider_id = ? AND "
                                  "list_contains(?, period)", [unit, months]),
            "provider_total_spend": ("SELECT sum(spend) FROM ref_alliance_finance WHERE provider_id = ? AND "
                                     "list_contains(?, period)", [unit, months])}[doc["denominator"]]
        return numerator, self.one(*denominator), int(doc.get("scale") or 1)

    def trust_peer_rate(self, k: dict, period: str) -> Decimal:
        """The other trusts' returns pooled: their numerators × scale ÷ their denominators, to 4 places."""
        names = [n for (n,) in self.db.execute("SELECT provider_name FROM ref_alliance_providers WHERE provider_name "
                                               "<> ?", [k["unit_name"]]).fetchall()]
        sides = [self.trust_returns(k, n, period) for n in names]
        sides = [s for s in sides if s[1]]
        return _half_up(sum(s[0] for s in sides) * sides[0][2] / sum(s[1] for s in sides), "0.0001")

    def trust_median(self, k: dict, period: str) -> Decimal:
        ordered = sorted(self._trust_rates(k, period).values())
        n = len(ordered)
        return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2

    # --- the lead provider's activity: reference/lp_activity.csv, the month or a subcontractor's year to date
    def activity(self, column: str, period: str, k: dict | None = None) -> Decimal:
        if k is None:
            return self.one(f"SELECT sum({column}) FROM ref_lp_activity WHERE period = ?", [period])
        return self.one(f"SELECT sum(a.{column}) FROM ref_lp_activity a JOIN dim_partner p ON p.partner_id = "
                        "a.provider_id WHERE p.partner_name = ? AND a.period BETWEEN ? AND ?",
                        [k["subcontractor_name"], _fy_months(_fy(period))[0], period])

    def subcontractor_spend(self, k: dict, period: str) -> Decimal:
        return self.one("SELECT sum(l.amount) FROM fct_ledger l JOIN dim_partner p ON p.partner_id = "
                        "l.counterparty_partner_id JOIN dim_service_line s ON s.service_line = l.service_line "
                        "JOIN dim_partner lp ON lp.partner_id = l.partner_id WHERE lp.partner_kind = 'lead_provider' "
                        "AND p.partner_name = ? AND s.service_line_name = ? AND l.line_type = 'expenditure' AND "
                        "l.fy = ? AND l.period <= ?", [k["subcontractor_name"], k["service_line_name"], _fy(period),
                                                         period])

    # --- funding consistency: reference/contracts.csv's value and capacity, the like contracts' median
    def per_unit(self, contract_id: str) -> Decimal:
        value, capacity = self.db.execute("SELECT annual_value, capacity FROM ref_contracts WHERE contract_id = ?",
                                          [contract_id]).fetchone()
        return _half_up(Decimal(value) / Decimal(capacity))

    def like_median(self, k: dict) -> Decimal:
        like = [c for (c,) in self.db.execute(
            "SELECT b.contract_id FROM rpt_funding_consistency a JOIN rpt_funding_consistency b USING (fy, service_line, "
            "capacity_unit, provider_kind) WHERE a.contract_id = ? AND a.fy = ?", [k["contract_id"], k["fy"]]).fetchall()]
        values = sorted(self.per_unit(c) for c in like)
        n = len(values)
        return values[n // 2] if n % 2 else _half_up((values[n // 2 - 1] + values[n // 2]) / 2)

    def provider_per_unit(self, k: dict) -> Decimal:
        (capacity,) = self.db.execute("SELECT capacity FROM ref_contracts WHERE contract_id = ?",
                                      [k["contract_id"]]).fetchone()
        spend = self.one("SELECT sum(amount) FROM fct_ledger WHERE partner_id = ? AND fy = ? AND line_type = "
                         "'expenditure' AND service_line = ? AND (? IS NULL OR place_id = ?)",
                         [k["provider_id"], k["fy"], k["service_line"], k["place_id"], k["place_id"]])
        return _half_up(spend / Decimal(capacity))

    # --- run-rate forecasts: each open-book row (system, place, partner, service line, stream) on its own
    def open_book_forecast(self, k: dict, period: str) -> Decimal:
        keys = [c for c in ("ics_id", "partner_kind", "partner_name", "service_line_name", "funding_stream") if c in k]
        rows = self.db.execute(
            "SELECT sum(net_spend) FROM fct_mh_ledger WHERE line_type = 'expenditure' AND fy = ? AND period <= ? "
            + "".join(f"AND {c} = ? " for c in keys)
            + "GROUP BY ics_id, place_id, partner_id, service_line, funding_stream",
            [_fy(period), period] + [k[c] for c in keys]).fetchall()
        return sum((_half_up(Decimal(v) * 12 / _fy_month(period)) for (v,) in rows), Decimal(0))

    def mhis_forecast(self, k: dict) -> Decimal:
        (months,) = self.db.execute("SELECT count(DISTINCT period) FROM fct_ledger WHERE fy = ?", [k["fy"]]).fetchone()
        return _half_up(self.mhis_spend(k) * 12 / months)

    # --- the lead provider: a twelfth of each contract to it a month it is in force; all its expenditure
    def delegated(self, k: dict, months: list[str]) -> Decimal:
        rows = self.db.execute(
            "SELECT c.annual_value, strftime(c.start_date, '%Y-%m'), c.end_date FROM ref_contracts c JOIN dim_partner p "
            "ON p.partner_id = c.provider_id WHERE p.partner_kind = 'lead_provider'").fetchall()
        return sum((_half_up(Decimal(v) / 12) for v, start, end in rows for m in months
                    if start <= m and f"{m}-01" <= str(end)), Decimal(0))

    def lead_provider_spend(self, period: str) -> Decimal:
        return self.one("SELECT sum(l.amount) FROM fct_ledger l JOIN dim_partner p USING (partner_id) WHERE "
                        "p.partner_kind = 'lead_provider' AND l.line_type = 'expenditure' AND l.fy = ? AND l.period <= ?",
                        [_fy(period), period])

    # --- the lead provider's months by category, as sql/settings.yaml names its bed-based and community lines
    def _lead_provider_lines(self, category: str | None, line_type: str, where: str, params: list) -> Decimal:
        settings = yaml.safe_load((_MEASURES.parent / "settings.yaml").read_text(encoding="utf-8"))
        lines = settings[f"lead_provider_{category}_service_lines"] if category else None
        return self.one("SELECT sum(l.amount) FROM fct_ledger l JOIN dim_partner p USING (partner_id) WHERE "
                        f"p.partner_kind = 'lead_provider' AND l.line_type = ? AND {where} "
                        "AND (? IS NULL OR list_contains(?, l.service_line))", [line_type, *params, lines, lines])

    def lead_provider_income(self, period: str) -> Decimal:
        return -self._lead_provider_lines(None, "income", "l.period = ?", [period])

    def lead_provider_baseline(self, category: str) -> Decimal:
        """The first year's spend on the category ÷ the months of that year the lead provider sent lines for."""
        first, months = self.db.execute(
            "SELECT fy, count(DISTINCT period) FROM fct_ledger l JOIN dim_partner p USING (partner_id) WHERE "
            "p.partner_kind = 'lead_provider' GROUP BY fy ORDER BY fy LIMIT 1").fetchone()
        return _half_up(self._lead_provider_lines(category, "expenditure", "l.fy = ?", [first]) / months)

    def lead_provider_month(self, category: str, period: str) -> Decimal:
        return self._lead_provider_lines(category, "expenditure", "l.period = ?", [period])

    def lead_provider_mh_spend(self, period: str) -> Decimal:
        """Its expenditure to date on the service lines reference/service_lines.csv marks mental health."""
        mh = [r["service_line"] for r in csv.DictReader(open(self.home / "reference" / "service_lines.csv",
                                                             encoding="utf-8", newline=""))
              if r["mental_health"].strip().lower() == "true"]
        return self._lead_provider_lines(None, "expenditure", "l.fy = ? AND l.period <= ? AND list_contains(?, "
                                         "l.service_line)", [_fy(period), period, mh])

    # --- the MHIS page's allocation figures: reference/allocations.csv read here
    def allocation(self, icb_id: str, fy: str) -> Decimal:
        rows = csv.DictReader(open(self.home / "reference" / "allocations.csv", encoding="utf-8", newline=""))
        (value,) = [Decimal(r["programme_allocation"]) for r in rows if (r["icb_id"], r["fy"]) == (icb_id, fy)]
        return value

    def icb_mh_spend(self, k: dict) -> Decimal:
        return self.one("SELECT sum(l.amount) FROM fct_ledger l JOIN dim_service_line s USING (service_line) WHERE "
                        "l.partner_id = ? AND l.fy = ? AND l.line_type = 'expenditure' AND s.mental_health",
                        [k["icb_id"], k["fy"]])

    # --- a system's position: every scheme of its ICB's plan, as at the row's month, as docs/model.md states it
    def position(self, k: dict, value: str) -> Decimal:
        period = k["as_at_period"]
        (icb,) = self.db.execute("SELECT partner_id FROM dim_partner WHERE partner_kind = 'icb' AND ics_id = ?",
                                 [k["ics_id"]]).fetchone()
        schemes = [s for (s,) in self.db.execute("SELECT DISTINCT scheme_id FROM ref_investment_plans WHERE "
                                                 "icb_id = ? ORDER BY 1", [icb]).fetchall()]
        figures = []
        for scheme in schemes:
            s = {"icb_id": icb, "scheme_id": scheme, "fy": _fy(period), "period": period}
            plan, fy_plan, actual = self.plan(s, to_date=True), self.plan(s, to_date=False), self.plan_actual(s)
            underspend = fy_plan - (actual + fy_plan - plan)
            figures.append({"fy_plan": fy_plan, "actual_ytd": actual, "forecast_profile": actual + fy_plan - plan,
                            "forecast_run_rate": _half_up(actual * 12 / _fy_month(period)),
                            "net_underspend": underspend, "rebalance": max(underspend, Decimal(0)),
                            "cover": max(-underspend, Decimal(0))}[value])
        return sum(figures, Decimal(0))


def _measure_lines(k: dict) -> tuple[str, list]:
    """A measure's lines of the year over fct_mh_ledger, as its YAML file (read here) states them."""
    num = (yaml.safe_load((_MEASURES / f"{k['measure_id']}.yaml").read_text(encoding="utf-8")) or {})["numerator"]
    sql, params = ["fy = ?", "list_contains(?, line_type)"], [k["fy"], num.get("line_types") or ["expenditure"]]
    for key, col in (("service_lines", "service_line"), ("funding_streams", "funding_stream"),
                     ("partner_kinds", "partner_kind")):
        if num.get(key):
            sql.append(f"list_contains(?, {col})")
            params.append(num[key])
    if (num.get("basis") or "net") == "net":
        sql.append("NOT is_eliminated")
    return " AND ".join(sql), params


# the Derived figures recomputed from the warehouse (above) rather than from the figures beside them
_RECOMPUTED_DERIVED = {"lead-provider-delegated-budget:over_pct", "lead-provider-subcontractors:per_bed_day",
                       "contracts:utilisation", "plan-vs-actual:slippage_pct"}


def _fy(period: str) -> str:
    start = int(period[:4]) - (int(period[5:]) < 4)
    return f"{start}-{(start + 1) % 100:02d}"


def _expected(wh: _Warehouse, what: str, k: dict, period: str) -> Decimal:
    plan = lambda: wh.plan(k, to_date=True)                                      # noqa: E731
    fy_plan = lambda: wh.plan(k, to_date=False)                                  # noqa: E731
    profile = lambda: wh.plan_actual(k) + fy_plan() - plan()                     # noqa: E731
    delegated = lambda: wh.delegated(k, [m for m in _fy_months(_fy(k["period"])) if m <= k["period"]])  # noqa: E731
    prior_allocation = lambda: wh.allocation(k["icb_id"], f"{int(k['fy'][:4]) - 1}-{k['fy'][2:4]}")  # noqa: E731
    mhis = {"required": lambda: wh.required(k),
            "shortfall": lambda: max(wh.required(k) - wh.mhis_spend(k), Decimal(0)),
            "headroom": lambda: max(wh.mhis_spend(k) - wh.required(k), Decimal(0))}
    recompute = {
        "plan-vs-actual:fy_plan": fy_plan,
        "plan-vs-actual:plan_ytd": plan,
        "plan-vs-actual:slippage": lambda: plan() - wh.plan_actual(k),
        "plan-vs-actual:forecast_run_rate": lambda: _half_up(wh.plan_actual(k) * 12 / _fy_month(k["period"])),
        "plan-vs-actual:forecast_profile": profile,
        "plan-vs-actual:underspend": lambda: fy_plan() - profile(),
        "mh-budget:annual_budget": lambda: wh.annual_budget(k),
        "mh-budget:budget_ytd": lambda: wh.budget_to_date(k),
        "mh-budget:variance_ytd": lambda: wh.budget_actual(k) - wh.budget_to_date(k),
        "mh-budget:forecast": lambda: wh.budget_forecast(k),
        "mh-budget:forecast_variance": lambda: wh.budget_forecast(k) - wh.annual_budget(k),
        "contracts:annual_value": lambda: wh.contract_value(k),
        "contracts:expected_to_date": lambda: wh.contract_expected(k),
        "contracts:variance": lambda: wh.contract_paid(k) - wh.contract_expected(k),
        "contracts:overrun": lambda: max(wh.contract_paid(k) - wh.contract_value(k), Decimal(0)),
        "agency-spend:annual_cap": lambda: wh.cap(k),
        "agency-spend:cap_ytd": lambda: _half_up(wh.cap(k) * _fy_month(k["period"]) / 12),
        "agency-spend:variance": lambda: wh.agency(k) - _half_up(wh.cap(k) * _fy_month(k["period"]) / 12),
        **{f"mhis:{key}": fn for key, fn in mhis.items()}, **{f"mhis-headline:{key}": fn for key, fn in mhis.items()},
        "sector-by-recipient:share": lambda: wh.share(k, period),
        "sector-share:ytd_share_pct": lambda: wh.sector_share(k, period),
        "sector-share:share_pct": lambda: wh.sector_share(k, period),
        "variation:rate": lambda: wh.rate(k),
        "variation:peer_rate": lambda: wh.pooled(k, peers_only=True),
        "variation:pooled_rate": lambda: wh.pooled(k, peers_only=False),
        "variation:from_median": lambda: wh.from_median(k),
        "variation:difference": lambda: wh.above_pooled(k),
        "variation:total_rate": lambda: wh.total_rate(k),
        "funding-consistency:value_per_unit": lambda: wh.per_unit(k["contract_id"]),
        "funding-consistency:median": lambda: wh.like_median(k),
        "funding-consistency:vs_median": lambda: _half_up((wh.per_unit(k["contract_id"]) - wh.like_median(k)) * 100
                                                          / wh.like_median(k)),
        "funding-consistency:provider_per_unit": lambda: wh.provider_per_unit(k),
        "system-by-payer:apportioned": lambda: wh.apportioned(k, period),
        "system-by-payer:share": lambda: wh.payment_share(k, period),
        "system-by-payer-service-line:apportioned": lambda: wh.apportioned_by_service_line(k, period),
        "open-book:forecast": lambda: wh.open_book_forecast(k, period),
        "net-by-system:forecast": lambda: wh.open_book_forecast(k, period),
        "mhis:forecast": lambda: wh.mhis_forecast(k),
        "mhis-headline:forecast": lambda: wh.mhis_forecast(k),
        "lead-provider:delegated": lambda: wh.delegated(k, [k["period"]]),
        "lead-provider-delegated-budget:delegated": lambda: wh.delegated(
            k, [m for m in _fy_months(_fy(k["period"])) if m <= k["period"]]),
        "lead-provider-delegated-budget:spend": lambda: wh.lead_provider_spend(k["period"]),
        "lead-provider-delegated-budget:over": lambda: wh.lead_provider_spend(k["period"]) - wh.delegated(
            k, [m for m in _fy_months(_fy(k["period"])) if m <= k["period"]]),
        "lead-provider-delegated-budget:over_pct": lambda: _half_up(
            (wh.lead_provider_spend(k["period"]) - delegated()) * 100 / delegated(), "0.1"),
        "lead-provider:bed_days": lambda: wh.activity("occupied_bed_days", k["period"]),
        "lead-provider:oaps": lambda: wh.activity("out_of_area_placements", k["period"]),
        "lead-provider-subcontractors:bed_days": lambda: wh.activity("occupied_bed_days", period, k),
        "lead-provider-subcontractors:oaps": lambda: wh.activity("out_of_area_placements", period, k),
        "lead-provider-subcontractors:per_bed_day": lambda: _half_up(
            wh.subcontractor_spend(k, period) / wh.activity("occupied_bed_days", period, k)),
        "variation:apportioned": lambda: wh.apportioned_to_place(k),
        "funding-consistency:annual_value": lambda: wh.contract_value(k),
        "funding-consistency:capacity": lambda: wh.one("SELECT capacity FROM ref_contracts WHERE contract_id = ?",
                                                       [k["contract_id"]]),
        "contracts:utilisation": lambda: _half_up(wh.contract_paid(k) * 100 / wh.contract_value(k), "0.1"),
        "plan-vs-actual:slippage_pct": lambda: _half_up((plan() - wh.plan_actual(k)) * 100 / plan(), "0.1"),
        "mh-budget:variance_pct": lambda: _half_up((wh.budget_actual(k) - wh.budget_to_date(k)) * 100
                                                   / wh.budget_to_date(k)),
        "mh-budget:forecast_pct": lambda: _half_up((wh.budget_forecast(k) - wh.annual_budget(k)) * 100
                                                   / wh.annual_budget(k)),
        "mhis:allocation_growth": lambda: _half_up((wh.allocation(k["icb_id"], k["fy"]) - prior_allocation())
                                                   * 100 / prior_allocation(), "0.0001"),
        "mhis:mhis_share": lambda: _half_up(wh.mhis_spend(k) * 100 / wh.allocation(k["icb_id"], k["fy"]), "0.0001"),
        "mhis:mh_share": lambda: _half_up(wh.icb_mh_spend(k) * 100 / wh.allocation(k["icb_id"], k["fy"]), "0.0001"),
        "lead-provider:income": lambda: wh.lead_provider_income(k["period"]),
        "lead-provider:saving": lambda: (wh.lead_provider_baseline("inpatient")
                                         - wh.lead_provider_month("inpatient", k["period"])),
        "lead-provider:reinvestment": lambda: (wh.lead_provider_month("community", k["period"])
                                               - wh.lead_provider_baseline("community")),
        "lead-provider:baseline_inpatient": lambda: wh.lead_provider_baseline("inpatient"),
        "lead-provider:baseline_community": lambda: wh.lead_provider_baseline("community"),
        "lead-provider-reconciliation:mh_spend": lambda: wh.lead_provider_mh_spend(period),
        "lead-provider-reconciliation:non_mh_spend": lambda: (wh.lead_provider_spend(period)
                                                              - wh.lead_provider_mh_spend(period)),
        **{f"system-position:{v}": (lambda v=v: wh.position(k, v)) for v in (
            "fy_plan", "actual_ytd", "forecast_run_rate", "forecast_profile", "net_underspend", "rebalance", "cover")},
        "contract-mix:annual_value": lambda: wh.contract_type_values(k, period)[k["contract_type"]],
        "contract-mix:share": lambda: wh.contract_type_share(k, period),
        "eliminations:payee_amount": lambda: wh.payee_booked(k),
        "sector-by-recipient:share_high": lambda: wh.share_high(k, period),
        "system-by-payer:payer": lambda: wh.commissioner_view(k, period),
        "system-by-payer-service-line:payer": lambda: wh.commissioner_view_by_service_line(k, period),
        "variation:coverage": lambda: wh.coverage(k),
        **{f"variation:{v}": (lambda v=v: wh.funnel(k)[v]) for v in (
            "peer_rate_unrounded", "tau_squared", "rate_sd", "z", "lower_998", "lower_95", "upper_95", "upper_998")},
        "open-book:v": lambda: -wh.eliminated(k, period),
        "provider-benchmarking:median": lambda: _half_up(wh.trust_median(k, period), "0.0001"),
        "provider-benchmarking:median_unrounded": lambda: _half_up(wh.trust_median(k, period), "0.00000001"),
        "provider-benchmarking:rate": lambda: (lambda n, d, scale: _half_up(n * scale / d, "0.0001"))(
            *wh.trust_returns(k, k["unit_name"], period)),
        "provider-benchmarking:peer_rate": lambda: wh.trust_peer_rate(k, period),
        "provider-benchmarking:from_median": lambda: _half_up(
            wh._trust_rates(k, period)[k["unit_name"]] - wh.trust_median(k, period), "0.0001"),
    }
    return recompute[what]()


def test_every_explained_figure_is_its_working_and_its_recomputation_to_the_penny(site, demo_home, demo_db):
    wh, period = _Warehouse(demo_db, demo_home), site.parent.name
    checked, recomputed, per_page, pages, terms_pages = 0, defaultdict(int), defaultdict(int), {}, set()
    drills = {}   # each drill page's sums, read once: many workings have a term on the same page
    for page, href, cell, row in _explained_figures(site):
        target = (page.parent / href).resolve()
        assert target.is_file(), (page.name, href)
        w = pages.setdefault(target, _working(target))
        where = f"{page.name} -> {href} ({w['what']})"
        figure = _money(cell)
        if w["what"] == "variation:z":       # held as a double: the page states it to the 2 places the table shows
            assert cell["text"] == f"{_half_up(figure):.2f}", (where, cell["text"])
            figure = _half_up(figure)
        assert w["figure"] == figure, f"{where}: the page states {w['figure']}, the link's figure is {figure}"
        assert _redo(w) == w["result"] == figure, f"{where}: the working makes {_redo(w)}, not {figure}"
        for _, v, term_href in w["terms"] + w["factors"]:   # each linked term is the figure its own page states
            if (term_href or "").startswith("../explain/"):
                assert _working((target.parent / term_href).resolve())["figure"] == v, (where, term_href)
                terms_pages.add((target.parent / term_href).resolve())
            elif (term_href or "").startswith("../drill/"):     # ... or the sum of the lines its page lists
                drill = (target.parent / term_href).resolve()
                if drill not in drills:
                    drills[drill] = _drill_sums(drill)
                assert drills[drill]["lines_total"] == v, (where, term_href)
        if w["what"] in _DERIVED and w["what"] not in _RECOMPUTED_DERIVED:   # from the figures beside it
            expected = _derived(w["what"], row)
            assert expected == figure, f"{where}: redone from its row {expected}, the figure is {figure}"
            recomputed[w["what"]] += 1
        elif w["row"] == "detail":
            expected = _expected(wh, w["what"], w["keys"], period)
            assert expected == figure, f"{where}: recomputed from the warehouse {expected}, the figure is {figure}"
            recomputed[w["what"]] += 1
        else:                                            # a subtotal: the rows it adds up, each on its own page
            assert w["terms"] and all(h for _, _, h in w["terms"]), where
        checked += 1
        per_page[page.name] += 1
    # a term's own page that no table links (the lead provider's first-year average): its working redone and
    # recomputed from the warehouse as well
    todo = sorted(terms_pages - set(pages))
    while todo:
        target = todo.pop()
        if target in pages:
            continue
        w = pages[target] = _working(target)
        for sign, v, term_href in w["terms"] + w["factors"]:   # a term page's own term pages (τ² of a deviation)
            if (term_href or "").startswith("../explain/"):
                assert _working((target.parent / term_href).resolve())["figure"] == v, (target.name, term_href)
                todo.append((target.parent / term_href).resolve())
        assert _redo(w) == w["result"] == w["figure"], f"{target.name}: the working makes {_redo(w)}"
        expected = _expected(wh, w["what"], w["keys"], period)
        assert expected == w["figure"], f"{target.name}: recomputed from the warehouse {expected}, not {w['figure']}"
        recomputed[w["what"]] += 1
    for name in ("plan-vs-actual.html", "mh-budget.html", "contracts.html", "agency-spend.html", "mhis.html",
                 "index.html", "sector-by-recipient.html", "variation.html", "system-by-payer.html",
                 "funding-consistency.html", "open-book.html", "lead-provider.html",
                 "system-by-payer-service-line.html", "system-position.html", "eliminations.html",
                 "flag-register.html"):
        assert per_page[name] > 0, f"{name}: no figure links to its working"
    assert set(recomputed) >= {"plan-vs-actual:fy_plan", "plan-vs-actual:slippage", "mh-budget:budget_ytd",
                               "contracts:annual_value", "contracts:overrun", "agency-spend:cap_ytd",
                               "mhis:required", "sector-by-recipient:share", "variation:rate",
                               "system-by-payer:apportioned", "system-by-payer:share",
                               "system-by-payer-service-line:apportioned", "variation:peer_rate",
                               "variation:pooled_rate", "variation:from_median", "variation:difference",
                               "funding-consistency:value_per_unit", "funding-consistency:median",
                               "funding-consistency:vs_median", "open-book:forecast", "net-by-system:forecast",
                               "mhis:forecast", "lead-provider:delegated", "lead-provider-delegated-budget:delegated",
                               "lead-provider-delegated-budget:over", "mh-budget:variance_pct", "mh-budget:forecast_pct",
                               "mhis:allocation_growth", "mhis:mhis_share", "mhis:mh_share", "lead-provider:income",
                               "lead-provider:saving", "lead-provider:reinvestment", "lead-provider:baseline_inpatient",
                               "lead-provider:baseline_community", "lead-provider-reconciliation:mh_spend",
                               "lead-provider-reconciliation:non_mh_spend", "system-position:fy_plan",
                               "system-position:actual_ytd", "system-position:forecast_run_rate",
                               "system-position:forecast_profile", "system-position:net_underspend",
                               "system-position:rebalance", "system-position:cover",
                               "contract-mix:annual_value", "contract-mix:share",
                               "eliminations:payee_amount", "sector-by-recipient:share_high", "system-by-payer:payer",
                               "system-by-payer-service-line:payer", "variation:coverage",
                               "provider-benchmarking:median", "provider-benchmarking:from_median",
                               "sector-share:ytd_share_pct", "sector-share:share_pct", "provider-benchmarking:rate",
                               "provider-benchmarking:peer_rate",
                               "provider-benchmarking:median_unrounded", "variation:z", "variation:rate_sd",
                               "variation:tau_squared", "variation:peer_rate_unrounded", "variation:lower_998",
                               "variation:lower_95", "variation:upper_95", "variation:upper_998",
                               "open-book:v"}, sorted(recomputed)
    assert {p.resolve() for p in (site / "explain").glob("*.html")} == set(pages), "an explain page no figure links"
    print(f"\nchecked {checked} explained figures against {len(pages)} explain pages; recomputed: {dict(recomputed)}")
    for name, n in sorted(per_page.items()):
        print(f"  {name}: {n}")


def test_the_reference_rows_an_explain_page_cites_are_at_that_line_of_that_file(site, demo_home):
    """Each reference row shown (file, line, its values) is the line of the demo's reference file."""
    cited = 0
    for page in sorted((site / "explain").glob("*.html")):
        for cells in _working(page)["refs"]:
            file, line, values = cells[0], int(cells[1].replace(",", "")), cells[2:]
            with open(demo_home / "reference" / file, encoding="utf-8", newline="") as fh:
                lines = list(csv.reader(fh))
            row = lines[line - 1]
            for v in values:
                plain = v.replace("£", "").replace(",", "")
                assert v in row or plain in row or any(_same_money(plain, x) for x in row), (page.name, file, line, v, row)
            cited += 1
    assert cited > 100


def _same_money(shown: str, raw: str) -> bool:
    try:
        return Decimal(shown) == Decimal(raw)
    except ArithmeticError:
        return False
