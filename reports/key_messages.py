"""Page one for a board: key messages written from the pack's own figures, each with a RAG
rating against a stated tolerance and the page that shows it. Nothing here computes a figure:
every number is read from the tables the pack prints, so a message can never disagree with
its page.

Tolerances (stated on page one under the messages, TOLERANCES):
  Mental Health Investment Standard, per ICB: red when not met (or a part year forecast short);
    amber when met with headroom under 1% of the requirement; green otherwise.
  Flags: red when any flag in the register is overdue; amber when any is new or recurred;
    green when none is.
  Submissions: red when a partner's file for the month is missing or blocked; amber when one
    was loaded with rows set aside or warnings; green when every partner's file passed clean.
  Agency staff spend, per NHS provider with a limit: red over its limit to date, amber at or above
    agency_amber_pct (95%) of it, green below (rated in rpt_agency_spend, shown on its page).
  The flagged figures with the most money at stake: amber, for the group's attention, or red
    where the flag is itself a red tolerance (a budget's outturn over its red tolerance).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from reports import formatting as f
from reports.cover import Cover
from reports.spec import Section
from reports.tables import Row, Table

RED, AMBER, GREEN = "Red", "Amber", "Green"
HEADROOM_AMBER = Decimal("0.01")   # headroom under 1% of the requirement
OWN_MESSAGE = ("mhis", "flag-register", "agency-spend")   # pages with a message of their own: not repeated as a flagged figure
TOLERANCES = ("RAG tolerances - MHIS: red not met or forecast short, amber headroom under 1% of the "
              "requirement, green met. Flags: red any overdue, amber any new or recurred, green none. "
              "Submissions: red a partner's file missing or blocked, amber rows set aside or warnings, "
              "green all clean. Agency spend: red over the provider's limit to date, amber at 95% of it or more, "
              "green below. Flagged figures (largest first): amber, for the group's attention; red where the flag "
              "is a red tolerance (a budget's outturn over it).")


@dataclass(frozen=True)
class Message:
    rag: str
    topic: str
    text: str
    page: str        # the section key of the page that shows it ("" for the summary itself)


def key_messages(cover: Cover, pairs: list[tuple[Section, Table]]) -> list[Message]:
    tables = {sec.key: table for sec, table in pairs}
    out = []
    if "mhis" in tables:
        out += _mhis(tables["mhis"])
    if "flag-register" in tables:
        out.append(_flags(tables["flag-register"]))
    out.append(_submissions(cover))
    if "agency-spend" in tables:
        out += _agency(tables["agency-spend"])
    out += _largest_flags(pairs)
    return out


def _mhis(table: Table) -> list[Message]:
    out = []
    for row in (r for r in table.rows if r.role == "detail"):
        v = row.facts
        name, status = v.get("icb_name"), v.get("status") or ""
        required, headroom = v.get("required"), v.get("headroom")
        if v.get("met") is False or (status.startswith("Part year: forecast") and status.endswith("short")):
            rag = RED
        elif v.get("met") is True and required and headroom is not None and headroom < required * HEADROOM_AMBER:
            rag = AMBER
        elif v.get("met") is True or status == "Part year: forecast to meet it":
            rag = GREEN
        else:
            rag = AMBER     # not assessed: no prior year to grow from
        out.append(Message(rag, "Mental Health Investment Standard", f"{name}: {status}.", "mhis"))
    return out


def _agency(table: Table) -> list[Message]:
    """One message per provider with a limit; the rating is the rpt table's own (its page shows it)."""
    out = []
    for row in (r for r in table.rows if r.role == "detail"):
        v = row.facts
        rag = {"red": RED, "amber": AMBER, "green": GREEN}.get(v.get("rag"))
        if rag is None:          # no limit set for the year: nothing to rate
            continue
        over = v.get("variance") or Decimal(0)
        out.append(Message(rag, "Agency staff spend",
                           f"{v.get('partner_name')}: {f.money_text(v.get('agency_ytd'))} paid to staffing agencies "
                           f"to date against a limit of {f.money_text(v.get('cap_ytd'))} "
                           f"({f.money_text(abs(over))} {'over' if over > 0 else 'under'}).", "agency-spend"))
    return out


def _flags(table: Table) -> Message:
    orders = [r.values.get("status_order") for r in table.rows if r.role == "detail"]
    overdue, recurred, new, open_ = (orders.count(n) for n in (1, 2, 3, 4))
    live = overdue + recurred + new + open_
    parts = [f"{n} {word}" for n, word in ((overdue, "overdue"), (recurred, "recurred"), (new, "new"),
                                           (open_, "open")) if n]
    rag = RED if overdue else AMBER if new or recurred else GREEN
    text = (f"{live} flag{'s' if live != 1 else ''} not closed ({', '.join(parts)})." if live
            else "No flag is open.")
    return Message(rag, "Flag register", text, "flag-register")


def _submissions(cover: Cover) -> Message:
    month = cover.ctx.month
    now = cover.this_month
    blocked = [x.partner_name for x in now if x.load_status == "current" and x.dq_status == "blocked"]
    failed = [x.partner_name for x in now if x.load_status == "failed"]
    flawed = [x.partner_name for x in now if x.in_figures and ((x.rows_quarantined or 0) or (x.warnings or 0))]
    if cover.missing or blocked or failed:
        problems = []
        if cover.missing:
            problems.append(f"not received: {', '.join(cover.missing)}")
        if blocked or failed:
            problems.append(f"blocked or unreadable: {', '.join(sorted(set(blocked + failed)))}")
        return Message(RED, "Submissions", f"{month} figures are incomplete - {'; '.join(problems)}.",
                       "data-quality")
    in_figures = sum(1 for x in now if x.in_figures)
    if flawed:
        return Message(AMBER, "Submissions",
                       f"All {in_figures} partners' files for {month} are in the figures; "
                       f"{len(flawed)} with rows set aside or warnings ({', '.join(sorted(set(flawed)))}).",
                       "data-quality")
    return Message(GREEN, "Submissions", f"All {in_figures} partners' files for {month} passed their checks.",
                   "data-quality")


def _largest_flags(pairs: list[tuple[Section, Table]], limit: int = 3) -> list[Message]:
    """The flagged figures with the most money at stake, in the words of their own pages."""
    found = []
    for sec, table in pairs:
        if sec.key in OWN_MESSAGE:
            continue
        for part, t in [(sec, table)] + list(zip(sec.parts, table.parts)):
            if part.flag is None:
                continue
            for row in t.flagged_rows:
                text = row.values.get("flag_text")
                if text:
                    found.append((_at_stake(row), part.flag.rag, part.flag.label, str(text), sec.key))
    found.sort(key=lambda x: -x[0])
    return [Message(rag, label, text, key) for _, rag, label, text, key in found[:limit]]


def _at_stake(row: Row) -> Decimal:
    """The row's largest money value: how much a flag is about, for ordering only."""
    money = [abs(v) for v in row.values.values() if isinstance(v, Decimal)]
    return max(money, default=Decimal(0))
