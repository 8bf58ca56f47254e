"""The flag register: every flag the analytics raise, with the oversight group's latest
decision and the flag's status."""
from __future__ import annotations

from reports.spec import ALL, DETAIL, Dim, Measure, Section, Sort


FLAG_REGISTER = Section(
    key="flag-register",
    title="Flag register",
    source="rpt_flag_register",
    mode=DETAIL,
    description=("Every flag the analytics raise - variation outliers, like services funded unlike, slipping "
                 "schemes, the Mental Health Investment Standard at risk, agreement-of-balances breaks, "
                 "contract over-runs, mental-health budgets over the red tolerance and the lead provider over "
                 "its delegated budget - first seen by this month, with the oversight group's latest decision "
                 "and the flag's status: new, open, overdue (an action past its due date), closed, or "
                 "recurred (raised again after it was closed). Decisions are recorded with "
                 "`openbook flags decide` and appear here after the next run. See also names the other flags, "
                 "data-quality warnings and possible repeat payments on the same ledger lines, with the money "
                 "they share."),
    basis="£ at stake on each flag (see its finding)",
    dims=(Dim("ics_id", "System", "ics", blank="Both systems"), Dim("flag_id", "Flag"),
          Dim("status_text", "Status"), Dim("kind_name", "Kind"), Dim("subject", "Subject"),
          Dim("first_seen_period", "First seen", "period"), Dim("latest_decision_text", "Latest decision"),
          Dim("summary", "What the analytics found"),
          # other flags, warnings and possible repeat payments on the same ledger lines (rpt_flag_links)
          Dim("see_also", "See also (same ledger lines)", blank="")),
    values=(Measure("amount", "Amount at stake", "amount", scope=ALL, additive=False),
            Measure("status_order", "Status order", "status_order", scope=ALL, fmt="int", additive=False,
                    show=False),
            Measure("kind_order", "Kind order", "kind_order", scope=ALL, fmt="int", additive=False,
                    show=False)),
    where=("first_seen_period <= $period",),
    hidden=("source_table",),       # the page that raises the flag, for the summary's count (flag_counts)
    order_by=(Sort("status_order"), Sort("kind_order")),
    period_col=None, fy_col=None, total=False, drop_zero_rows=False,
)
