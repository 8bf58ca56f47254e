"""The parts of a drill-down page above its lines: where the figure is linked from, and the
breakdowns by partner, service line, counterparty and month (each adding up to the figure)."""
from __future__ import annotations

from typing import Callable

from reports import drilldown
from reports import formatting as f
from reports.tables import Column, Row, Table, _Label


def breakdowns_html(page: drilldown.DrillPage, table_html: Callable[..., str]) -> str:
    out = ['<section class="panel" id="breakdowns">', linked_from_html(page.linked_from)]
    if not page.breakdowns:
        out.append("</section>")
        return "\n".join(out)
    out.append("<h2>Where the figure comes from</h2>"
               '<p class="lede">The same lines summed four ways: each table adds up to the figure. '
               "The largest rows are shown; the rest are summed in one row.</p>"
               '<div class="breakdowns">')
    for b in page.breakdowns:
        cols = [Column("v", b.label, "period" if b.key == "period" else "text", False, blank="(blank)"),
                Column("n", "Lines", "int", True), Column("amount", "Amount", "money2", True)]
        rows = [Row({"v": v, "n": n, "amount": total}) for v, n, total in b.rows]
        if b.rest:
            rows.append(Row({"v": _Label(f"{b.rest:,} more"), "n": b.rest_lines, "amount": b.rest_total}))
        rows.append(Row({"v": _Label("Total"), "n": sum(r[1] for r in b.rows) + b.rest_lines,
                           "amount": b.total}, "total"))
        out.append(f'<div class="breakdown" data-by="{f.html_text(b.key)}">'
                   + table_html(Table(b.key, f"By {b.label.lower()}", cols, rows),
                                caption=f"By {b.label.lower()}", sortable=False) + "</div>")
    out.append("</div></section>")
    return "\n".join(out)


def reconciliation_html(reconciles: bool, agrees: str, differs: str) -> str:
    """The sentence under a working or a drill's totals: it reconciles, or by how much it does not."""
    return f'<p class="note">{agrees}</p>' if reconciles else f'<p class="warn">{differs}</p>'


def linked_from_html(linked_from: list[tuple[str, str]]) -> str:
    """Where a drill or explain page's figure is shown (hrefs from the site's root), or nothing."""
    if not linked_from:
        return ""
    links = "; ".join(f'<a href="../{f.html_text(href)}">{f.html_text(label)}</a>' for href, label in linked_from)
    return f'<p class="note">This figure is linked from: {links}.</p>'


def see_also_html(page: drilldown.DrillPage) -> str:
    """The other flags, data-quality warnings and possible repeat payments on the same ledger lines
    (rpt_flag_links), each with the money they share; nothing when there are none."""
    if not page.see_also:
        return ""
    items = []
    for link in page.see_also:
        what = f.html_text(link.related_id)
        if link.related_kind == "flag":
            what = f'<a href="../flag-register.html">{what}</a>'
        items.append(f'<li data-related="{f.html_text(link.related_id)}" data-shared="{f.html_text(link.shared_amount)}">'
                     f"<strong>{what}</strong> - {f.html_text(link.related_subject)}: {f.html_text(link.reason)}.</li>")
    flag_ids = sorted({link.flag_id for link in page.see_also})
    return ('<section class="panel" id="see-also"><h2>See also: the same money elsewhere</h2>'
            f'<p class="lede">Flags, data-quality warnings and possible repeat payments on the same ledger lines as '
            f'{f.html_text(", ".join(flag_ids))} (the rule is in the data model: rpt_flag_links).</p>'
            f'<ul>{"".join(items)}</ul></section>')
