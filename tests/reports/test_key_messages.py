"""Key messages on page one: each RAG rating against its stated tolerance, from hand-made tables."""
import datetime as dt
from decimal import Decimal as D

from reports import sections
from reports.cover import Cover, Submission
from reports.query import ReportContext
from reports.tables import Row, Table
from reports.key_messages import AMBER, GREEN, RED, key_messages

CTX = ReportContext("2026-03")


def _sub(name, *, status="current", dq="passed", quarantined=0, warnings=0, period="2026-03"):
    return Submission(name.lower(), name, period, f"{name}.csv", dt.datetime(2026, 4, 5), 10, 10 - quarantined,
                        quarantined, status, dq, 0, warnings)


def _mhis(*rows):
    return sections.MHIS, Table("mhis", "MHIS", [], [Row(dict(r)) for r in rows])


def _register(*orders):
    return sections.FLAG_REGISTER, Table("flag-register", "Flags", [], [Row({"status_order": o}) for o in orders])


def _messages(subs, missing=(), *pairs):
    return key_messages(Cover(CTX, ["north_weald"], None, list(subs), list(missing)), list(pairs))


def test_mhis_red_when_short_amber_when_headroom_under_one_percent_green_otherwise():
    short = {"icb_name": "South ICB", "met": False, "required": D("100"), "headroom": None,
             "status": "Not met: £4 short"}
    thin = {"icb_name": "Thin ICB", "met": True, "required": D("1000"), "headroom": D("9.99"),
            "status": "Met: £10 headroom"}
    ample = {"icb_name": "North ICB", "met": True, "required": D("1000"), "headroom": D("10"),
             "status": "Met: £10 headroom"}
    part_short = {"icb_name": "Part ICB", "met": None, "required": D("1000"), "headroom": None,
                  "status": "Part year: forecast £5 short"}
    got = [(m.rag, m.text) for m in _messages([_sub("A")], (), _mhis(short, thin, ample, part_short))
           if m.topic == "Mental Health Investment Standard"]
    assert got == [(RED, "South ICB: Not met: £4 short."), (AMBER, "Thin ICB: Met: £10 headroom."),
                   (GREEN, "North ICB: Met: £10 headroom."), (RED, "Part ICB: Part year: forecast £5 short.")]


def test_flags_red_when_any_overdue_amber_when_new_green_when_none_open():
    def flags(*orders):
        (m,) = [m for m in _messages([_sub("A")], (), _register(*orders)) if m.topic == "Flag register"]
        return m.rag, m.text
    assert flags(1, 3, 4, 5) == (RED, "3 flags not closed (1 overdue, 1 new, 1 open).")
    assert flags(3, 5) == (AMBER, "1 flag not closed (1 new).")
    assert flags(4, 5) == (GREEN, "1 flag not closed (1 open).")
    assert flags(5) == (GREEN, "No flag is open.")


def test_submissions_red_when_missing_or_blocked_amber_when_rows_set_aside_green_when_clean():
    def subs(items, missing=()):
        (m,) = [m for m in _messages(items, missing) if m.topic == "Submissions"]
        return m.rag, m.text
    assert subs([_sub("A")], ["Youth Space"]) == (RED, "March 2026 figures are incomplete - not received: Youth Space.")
    assert subs([_sub("A"), _sub("B", dq="blocked")])[0] == RED
    assert subs([_sub("A"), _sub("B", quarantined=2)]) == (
        AMBER, "All 2 partners' files for March 2026 are in the figures; 1 with rows set aside or warnings (B).")
    assert subs([_sub("A"), _sub("B"), _sub("C", period="2026-02", dq="blocked")]) == (
        GREEN, "All 2 partners' files for March 2026 passed their checks.")


def test_a_flag_that_is_a_red_tolerance_stays_red_on_page_one_and_others_are_amber():
    """The largest flagged figures come to page one in their pages' words: amber for attention,
    but a budget over its red tolerance is red there too (never "Red: over ..." under Amber)."""
    budget = Row({"flag_text": "Trust, Crisis: outturn £110 against a budget of £100: £10 over (10.0%). Red: over "
                               "by more than 3.0% of the annual budget.", "variance": D("10")}, flagged=True)
    plan = Row({"flag_text": "Scheme slipping: £50 of £80 spent.", "variance": D("30")}, flagged=True)
    pairs = [(sections.MH_BUDGET, Table("mh-budget", "MH budget", [], [budget])),
             (sections.PLAN_VS_ACTUAL, Table("plan-vs-actual", "Plan", [], [plan]))]
    got = [(m.rag, m.topic) for m in _messages([_sub("A")], (), *pairs) if m.topic != "Submissions"]
    assert got == [(AMBER, sections.PLAN_VS_ACTUAL.flag.label), (RED, "Budgets over the red tolerance")]
