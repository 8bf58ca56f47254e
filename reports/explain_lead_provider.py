"""The lead provider's figures made from its ledger lines by arithmetic (reports/figure_explain.py dispatches
here): the income it received each month (its income lines, booked as credits, with the sign turned), the
saving on beds and the reinvestment in the community against its first financial year's monthly average
(that average has a page of its own: the first year's lines ÷ its months), and the reconciliation of its
total spend to its mental-health spend on Spend by partner. Each ledger sum opens its lines.

rpt_lead_provider's rules, redone here from the ledger lines: the categories are the bed-based and community
service lines of sql/settings.yaml (reports/figure_drills.py reads them).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import duckdb

from reports import formatting as f
from reports.explain_working import At, Explainer, Explanation, Term, figure, page_identity
from reports.figure_drills import lead_provider_service_lines
from reports.figure_lines import Condition
from warehouse import periods

_DEFINITION = "The lead provider's own ledger: {what}."


def _lines(con: duckdb.DuckDBPyConnection, source: str, where: str, params: dict[str, Any]) -> tuple[Decimal,
                                                                                                      Condition]:
    """The lead provider's lines meeting ``where``: their sum, and the condition that opens them."""
    where = f"partner_kind = 'lead_provider' AND {where} AND amount <> 0"
    (total,) = con.execute(f"SELECT coalesce(sum(amount), 0) FROM {source} WHERE {where}", params).fetchone()
    return Decimal(total), Condition.of(source, "amount", where, params)


def income(at: At):
    """Its income lines of the month (credits) with the sign turned: rpt_lead_provider's delegated_income."""
    period = at.facts.get("period")
    if period is None:
        return None
    total, lines = _lines(at.con, "fct_ledger", "line_type = 'income' AND period = $period", {"period": period})
    return Explanation("its income lines of the month added up, with the sign turned: the ledger books income as "
                       "a credit (a negative amount)",
                       [Term(f"Income lines booked in {f.month_label(period)} (credits)", total, -1, lines=lines)],
                       definition=_DEFINITION.format(what="all the income it booked in the month (the ICBs' "
                                                          "payments of the budget they delegated to it, and any "
                                                          "other), shown as a positive amount"))


def _baseline(at: At, category: str, label: str) -> Term | None:
    """The first financial year's monthly average on a category: its lines that year ÷ the months of that year
    the lead provider reported (any line), rounded half up to the penny; a term with its own page. Its lines are
    read once for the set (every month's saving or reinvestment has it as a term); the term is made anew for
    each figure, which sets its sign."""
    read = at.once(("lead provider baseline", category), lambda: _baseline_lines(at.con, category))
    if read is None:
        return None
    first, months, total, lines = read
    measured = "the saving on beds" if category == "inpatient" else "the reinvestment in the community"
    working = Explanation(
        f"its {label.lower()} spend in the {months} months of {first} it reported, added up, ÷ {months}, rounded "
        "half up to the penny", [Term(f"{label}, {first} ({months} months)", total, lines=lines)],
        per=Decimal(months), by="The months of the year it reported", definition=_DEFINITION.format(
            what=f"its expenditure on {label.lower()} service lines (sql/settings.yaml) in its first financial "
                 f"year in the warehouse, {first}, over the months of that year it reported: the baseline "
                 f"{measured} is measured against"))
    return Term(f"{label}: monthly average of {first}, its first year", working.result,
                explained_by=page_identity("lead-provider", f"baseline_{category}", "detail", {"fy": first}),
                working=working)


def _baseline_lines(con: duckdb.DuckDBPyConnection, category: str) -> tuple[str, int, Decimal, Condition] | None:
    """The lead provider's first financial year, the months of it it reported, and its lines that year on the
    category's service lines: their sum and condition."""
    found = con.execute("SELECT fy, count(DISTINCT period) FROM fct_ledger WHERE partner_kind = 'lead_provider' "
                        "GROUP BY fy ORDER BY fy LIMIT 1").fetchone()
    if found is None:
        return None
    first, months = found
    inpatient, community = lead_provider_service_lines()
    total, lines = _lines(con, "fct_ledger", "line_type = 'expenditure' AND fy = $fy AND "
                          "list_contains($service_lines, service_line)",
                          {"fy": first, "service_lines": list(inpatient if category == "inpatient" else community)})
    return first, months, total, lines


def _against_baseline(category: str, label: str, saving: bool) -> Explainer:
    """The saving on beds (the baseline less the month's spend) or the reinvestment in the community (the month's
    spend less the baseline)."""
    def explain(at: At):
        if at.facts.get("period") is None:
            return None
        base = _baseline(at, category, label)
        if base is None:
            return None
        month = figure(at, category)
        month.label = f"{label}, {f.month_label(at.facts['period'])}"
        if saving:
            base.sign, month.sign = 1, -1
            terms, rule = [base, month], "the first year's monthly average on beds less the month's spend on beds"
        else:
            base.sign = -1
            terms, rule = [month, base], ("the month's spend in the community less the first year's monthly "
                                          "average")
        return Explanation(rule, terms, definition=_DEFINITION.format(
            what=f"its spend on {label.lower()} service lines in the month against its first financial year's "
                 "monthly average (positive: " + ("less spent on beds)" if saving else "more spent in the "
                                                                                       "community)")))
    return explain


def _mh_lines(at: At) -> tuple[Decimal, Condition] | None:
    period = at.period
    if period is None:
        return None
    return _lines(at.con, "fct_mh_ledger", "line_type = 'expenditure' AND fy = $fy AND period <= $period",
                  {"fy": periods.fy_of(period), "period": period})


_RECONCILIATION = ("all its expenditure from April to the month less that on service lines that are not mental "
                   "health (its hub and corporate costs, and any unclassified lines), which Spend by partner, the "
                   "open book and every other mental-health figure leave out")


def mental_health_spend(at: At):
    found = _mh_lines(at)
    if found is None:
        return None
    total, lines = found
    return Explanation("its expenditure lines on mental-health service lines from April to the month, added up, as "
                       "Spend by partner counts them",
                       [Term(f"Expenditure on mental-health service lines, April to {f.month_label(at.period)}",
                             total, lines=lines)], definition=_DEFINITION.format(what=_RECONCILIATION))


def not_mental_health(at: At):
    found = _mh_lines(at)
    if found is None:
        return None
    total, lines = found
    return Explanation("all its expenditure less that on mental-health service lines",
                       [figure(at, "total_spend"),
                        Term(f"Expenditure on mental-health service lines, April to {f.month_label(at.period)}",
                             total, -1, lines=lines)], definition=_DEFINITION.format(what=_RECONCILIATION))


EXPLAIN: dict[str, dict[str, Explainer]] = {
    "lead-provider": {"income": income,
                      "saving": _against_baseline("inpatient", "Beds (inpatient)", saving=True),
                      "reinvestment": _against_baseline("community", "Community", saving=False)},
    "lead-provider-reconciliation": {"mh_spend": mental_health_spend, "non_mh_spend": not_mental_health},
}
