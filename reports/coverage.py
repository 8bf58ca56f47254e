"""What the partners' files list, in one sentence under a total that adds them up.

An "expenditure over £25,000" file leaves out every smaller payment, a council's "spend over
£500" file the ones under £500: a total that adds such files to whole-ledger exports is not
all the money. Each partner's source config states its coverage_threshold; the submissions
tables show it per file, and this note says it beside the combined totals (open book, spend
by partner), in the workbook and on the site alike.
"""
from __future__ import annotations

from reports.cover import Submission
from reports.tables import Table


def coverage_note(submissions: list[Submission]) -> str:
    """The sentence for the submissions in the figures (current and passed); empty when none are."""
    in_figures = [s for s in submissions if s.in_figures]
    if not in_figures:
        return ""
    partial: dict[int, set[str]] = {}
    unstated: set[str] = set()
    for sub in in_figures:
        if sub.coverage_threshold is None:
            unstated.add(sub.partner_name)
        elif sub.coverage_threshold > 0:
            partial.setdefault(sub.coverage_threshold, set()).add(sub.partner_name)
    if not partial and not unstated:
        return "Coverage: every partner's file lists every payment, so these totals are whole ledgers."
    text = "Coverage: every partner's file lists every payment"
    if partial:
        groups = "; ".join(f"payments of £{threshold:,} and over: {', '.join(sorted(names, key=str.casefold))}"
                           for threshold, names in sorted(partial.items(), reverse=True))
        text += (f" except these, whose files list only the larger payments, so their smaller payments are not "
                 f"in these totals ({groups})")
    text += "."
    if unstated:
        text += (" Files that do not say what they list (coverage not stated): "
                 f"{', '.join(sorted(unstated, key=str.casefold))}.")
    return text


def add_coverage_notes(tables: list[Table], submissions: list[Submission]) -> None:
    """Set the note of every table whose section asks for it (Section.coverage_note)."""
    note = coverage_note(submissions)
    for table in tables:
        if table.section is not None and table.section.coverage_note:
            table.note = note
