"""The coverage note under totals that add up partners' files: which partners' files list only
the larger payments (source config coverage_threshold), in the workbook and on the site."""
from __future__ import annotations

from reports import sections
from reports.cover import Submission
from reports.coverage import coverage_note


def _sub(name, threshold, load_status="current", dq_status="passed"):
    return Submission(name.lower(), name, "2025-06", f"{name}.csv", None, 1, 1, 0, load_status, dq_status, 0, 0,
                        None, threshold)


def test_the_note_names_the_partners_with_partial_files_by_threshold():
    note = coverage_note([_sub("NW ICB", 25000), _sub("SF ICB", 25000), _sub("Ashby Council", 500),
                          _sub("Trust", 0), _sub("Charity", None),
                          _sub("Blocked ICB", 25000, dq_status="blocked")])   # not in the figures: not named
    assert note == ("Coverage: every partner's file lists every payment except these, whose files list only the "
                    "larger payments, so their smaller payments are not in these totals (payments of £25,000 and "
                    "over: NW ICB, SF ICB; payments of £500 and over: Ashby Council). Files that do not say what "
                    "they list (coverage not stated): Charity.")


def test_whole_ledgers_say_so_and_no_submissions_say_nothing():
    assert coverage_note([_sub("Trust", 0)]) == ("Coverage: every partner's file lists every payment, so these "
                                                 "totals are whole ledgers.")
    assert coverage_note([]) == ""


def test_the_open_book_and_spend_by_partner_carry_the_note_and_no_other_section_does():
    assert {sec.key for sec in sections.SECTIONS if sec.coverage_note} == {"open-book", "spend-by-partner"}
