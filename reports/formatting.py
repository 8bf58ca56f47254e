"""Shared number, date and text formatting for the board pack and the HTML site.

Two jobs live here so that both report builders agree exactly:

* how a value *looks* (``money_text`` gives the same "£1,235" / "(£1,235)" that the
  Excel number format ``MONEY_FORMAT`` displays, so column widths computed from it fit);
* how text that came from a partner's file is made *safe* for the medium
  (``excel_text`` against formula injection, ``html_text`` against markup injection).

Formula injection (OWASP "CSV injection"): a cell whose text starts with ``= + - @``
or a tab / carriage return can be evaluated by a spreadsheet. openpyxl turns any
string starting with ``=`` into a formula cell, and a user pressing F2+Enter on a
text cell holding ``=...`` or ``@...`` turns it into a live formula. The chosen
neutraliser is a **visible leading apostrophe** (``'``) stored in the cell's value,
with the cell forced to the string type (``data_type='s'``):

* the value Excel, LibreOffice and openpyxl read back starts with ``'`` and is text;
* if a user edits the cell and presses Enter, Excel treats the leading apostrophe as
  its own "this is text" marker, so the cell stays text;
* the reader sees exactly what the partner wrote, with one apostrophe in front, which
  is honest (a zero-width character would be invisible but would also change the
  value silently and break look-ups on it).
Characters XML 1.0 cannot hold (control characters other than tab, LF, CR) are
dropped, because openpyxl refuses them and a single bad byte in a partner's supplier
name must not stop the board pack.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from warehouse.periods import year_month

# ---------------------------------------------------------------------------
# Excel number formats (the one place they are spelled)
MONEY_FORMAT = "£#,##0;[Red](£#,##0)"
MONEY2_FORMAT = "£#,##0.00;[Red](£#,##0.00)"   # pounds and pence: rates per head, unit costs
# A real percent format: the workbook holds the fraction (0.123 shows 12.3%), so arithmetic on the
# cell is right. Python and the HTML keep percent units (12.3); ``excel_pct`` converts at the cell.
PCT_FORMAT = "0.0%;[Red](0.0%)"
PCT_AXIS_FORMAT = "0%"
INT_FORMAT = "#,##0"
DEC1_FORMAT = "#,##0.0;[Red]-#,##0.0"
DEC2_FORMAT = "#,##0.00;[Red]-#,##0.00"       # statistics (z-scores): a minus sign, not brackets
DATETIME_FORMAT = "dd mmm yyyy hh:mm"
TEXT_FORMAT = "General"

# Okabe & Ito (2008) colour-blind-safe palette; yellow last, it is weak on white.
OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#000000",  # black
    "#F0E442",  # yellow
)

# ---------------------------------------------------------------------------
# Labels and order of the model's codes
PARTNER_KINDS = {
    "icb": "ICB",
    "nhs_trust": "NHS trust",
    "lead_provider": "Lead provider",
    "local_authority": "Local authority",
    "vcse": "VCSE",
    "independent": "Independent sector",
}
FUNDING_STREAMS = {
    "recurrent": "Recurrent",
    "non_recurrent": "Non-recurrent",
    "sdf": "SDF",
    "s75_pooled": "Section 75 pooled",
    "grant": "Grant",
}
KIND_COLOURS = dict(zip(PARTNER_KINDS, OKABE_ITO))
SECTORS = {
    "nhs": "Statutory NHS",
    "local_authority": "Local authority",
    "vcse": "Voluntary sector (VCSE)",
    "independent": "Independent sector",
    "unclassified": "Unclassified",      # by who received the money: a supplier not yet placed in a sector
}

# Codes of the analytics tables in words ('code' format); anything else is humanised.
CODE_LABELS = {
    # variation flags (neutral: above or below the unit's peers, never good or bad)
    "none": "Within limits",
    "above_95": "Above peers (95%)",
    "above_998": "Above peers (99.8%)",
    "below_95": "Below peers (95%)",
    "below_998": "Below peers (99.8%)",
    # statuses
    "matched": "Matched",
    "mismatched": "Mismatched",
    "on_plan": "On plan",
    "slipping": "Slipping",
    "overspending": "Overspending",
    "overrun": "Over-run",
    "underrun": "Under-run",
    "within_value": "Within value",
    # contracts
    "block": "Block",
    "cost_and_volume": "Cost and volume",
    "grant": "Grant",
    "spot": "Spot",
    "delegated_budget": "Delegated budget",
    "subcontract": "Subcontract",
    "direct": "Direct",
    "recurrent": "Recurrent",
    "non_recurrent": "Non-recurrent",
    # RAG ratings (rpt_mh_budget, rpt_agency_spend: each page states its own tolerances)
    "red": "Red",
    "amber": "Amber",
    "green": "Green",
    "no_cap": "No limit set",
    # geography levels (rpt_sector_share)
    "ics": "Whole system",
    "place": "Place",
    "other": "Other",
}

_ACRONYMS = {"icb", "ics", "nhs", "vcse", "sdf", "la", "lp", "mhis", "camhs", "iapt", "adhd",
             "ld", "ed", "s75", "gp", "a&e", "cyp", "smi", "ips", "eip"}


# The labels below are pure functions of a few hundred distinct codes and months, asked for once per
# cell: a drill page's table and its CSV ask again for every line, so each is worked out once.
@lru_cache(maxsize=4096)
def humanise_code(code: str) -> str:
    """'adult_community_mh' -> 'Adult community MH'; 'camhs_tier4' -> 'CAMHS tier4'."""
    words = re.split(r"[_\s]+", code.strip())
    out = []
    for i, w in enumerate(words):
        if w.lower() in _ACRONYMS or (w.lower() == "mh"):
            out.append(w.upper())
        elif i == 0:
            out.append(w[:1].upper() + w[1:])
        else:
            out.append(w)
    return " ".join(out)


@lru_cache(maxsize=256)
def ics_label(ics_id: str | None) -> str:
    if ics_id is None or ics_id == "":
        return "Not assigned to a system"
    if ics_id == "both_systems":        # Haven's lines that neither system's rule places
        return "Both systems"
    return " ".join(w[:1].upper() + w[1:] for w in ics_id.split("_")) + " ICS"


def systems_label(ics_ids: list[str]) -> str:
    labels = [ics_label(i) for i in ics_ids]
    if not labels:
        return "No system has figures yet"
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + " and " + labels[-1]


# Value formats a column can have ('fmt' in a section spec)
#   text            free text from the data (partner names, file names): always neutralised
#   code            a model code shown humanised ('service_line')
#   partner_kind    icb -> ICB ... in the canonical order
#   funding_stream  recurrent -> Recurrent ...
#   ics             north_weald -> North Weald ICS
#   sector          nhs -> Statutory NHS ... in the order NHS, local authority, VCSE, independent
#   period          2025-07 -> Jul 2025
#   bool            true/false shown Yes/No (null: a dash)
#   money           Decimal pounds, £#,##0 with negatives red in brackets
#   money2          pounds and pence (rates per head, unit costs, ledger lines), negatives in brackets
#   pct             percent units (12.3 means 12.3%), one decimal place; the workbook holds
#                   the fraction (0.123) under a percent format (excel_pct)
#   int             whole number with thousands separators
#   dec1, dec2      a plain number with one / two decimal places (bed days, z-scores)
#   datetime        a timestamp
#   sample          a check's failing values (JSON from the checks) shown as 'Field: value' text,
#                   one line per failing row
TEXT_FMTS = {"text", "code", "partner_kind", "funding_stream", "ics", "period", "bool", "sector", "sample"}
NUMBER_FMTS = {"money", "money2", "pct", "int", "dec1", "dec2"}
EXCEL_FORMATS = {"money": MONEY_FORMAT, "money2": MONEY2_FORMAT, "pct": PCT_FORMAT, "int": INT_FORMAT,
                 "dec1": DEC1_FORMAT, "dec2": DEC2_FORMAT}
ALL_FMTS = TEXT_FMTS | NUMBER_FMTS | {"datetime"}


def label(value: Any, fmt: str) -> str:
    """The display text of a dimension value (before any medium-specific escaping)."""
    if value is None:
        return {"ics": "Not assigned to a system", "bool": "—"}.get(fmt, "(blank)")
    if fmt == "text":               # the commonest by far (every ledger line's names), first
        return str(value)
    if fmt == "bool":
        return "Yes" if value else "No"
    if fmt == "partner_kind":
        return PARTNER_KINDS.get(value, humanise_code(str(value)))
    if fmt == "funding_stream":
        return FUNDING_STREAMS.get(value, humanise_code(str(value)))
    if fmt == "sector":
        return SECTORS.get(value, humanise_code(str(value)))
    if fmt == "ics":
        return ics_label(value)
    if fmt == "code":
        return CODE_LABELS.get(str(value)) or humanise_code(str(value))
    if fmt == "period":
        return month_label(str(value), short=True)
    if fmt == "datetime":
        return datetime_text(value)
    if fmt == "sample":
        return sample_text(value)
    if fmt in NUMBER_FMTS:
        return number_text(value, fmt)
    return str(value)


def sort_key(value: Any, fmt: str) -> tuple:
    """Order of dimension values: the model's own order for kinds, else by label."""
    if value is None:
        return (2, "")
    if fmt == "partner_kind":
        order = list(PARTNER_KINDS)
        return (0, order.index(value)) if value in order else (1, str(value))
    if fmt in ("funding_stream", "sector"):
        order = list(FUNDING_STREAMS if fmt == "funding_stream" else SECTORS)
        return (0, order.index(value)) if value in order else (1, str(value))
    if fmt in NUMBER_FMTS:
        return (0, value)
    if fmt == "period":
        return (0, str(value))
    return (0, label(value, fmt).casefold())


# ---------------------------------------------------------------------------
# Numbers
_ONE, _TENTH, _CENT = Decimal(1), Decimal("0.1"), Decimal("0.01")


def as_decimal(value: Any) -> Decimal:
    """``Decimal(str(value))``: a float as the digits it prints, not its binary value. A Decimal (most
    figures) is returned as it is: its text reads back as the same Decimal, digits and exponent alike,
    and the site formats a million of them."""
    return value if type(value) is Decimal else Decimal(str(value))


def _whole(d: Decimal) -> Decimal:
    return d.quantize(_ONE, rounding=ROUND_HALF_UP)


def money_text(value: Decimal | int | None) -> str:
    """£1,235 / (£1,235) exactly as MONEY_FORMAT shows it (half away from zero)."""
    if value is None:
        return ""
    d = _whole(abs(Decimal(value)))
    s = f"£{d:,.0f}"
    return f"({s})" if Decimal(value) < 0 and d != 0 else s


def pct_text(value: Decimal | float | None) -> str:
    if value is None:
        return ""
    exact = as_decimal(value)
    d = abs(exact).quantize(_TENTH, rounding=ROUND_HALF_UP)
    s = f"{d:,.1f}%"
    return f"({s})" if exact < 0 and d != 0 else s


def excel_pct(value: Decimal | float | None) -> Decimal | None:
    """A value in percent units (12.3) as the fraction a percent-formatted cell holds (0.123), exactly."""
    if value is None:
        return None
    return Decimal(str(value)).scaleb(-2)


def money2_text(value: Decimal | int | None) -> str:
    """£1,234.57 / (£1,234.57), as MONEY2_FORMAT shows it."""
    if value is None:
        return ""
    exact = as_decimal(value)
    d = abs(exact).quantize(_CENT, rounding=ROUND_HALF_UP)
    s = f"£{d:,.2f}"
    return f"({s})" if exact < 0 and d != 0 else s


def int_text(value: int | None) -> str:
    if value is None:
        return ""
    if type(value) is int:          # a count (most are): already whole
        return f"{value:,}"
    return f"{int(Decimal(str(value)).quantize(_ONE, rounding=ROUND_HALF_UP)):,}"


def dec_text(value: Any, places: int) -> str:
    if value is None:
        return ""
    d = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{d:,.{places}f}" if d != 0 else f"{abs(d):,.{places}f}"


def number_text(value: Any, fmt: str) -> str:
    if fmt == "money":
        return money_text(value)
    if fmt == "money2":
        return money2_text(value)
    if fmt == "pct":
        return pct_text(value)
    if fmt == "int":
        return int_text(value)
    if fmt == "dec1":
        return dec_text(value, 1)
    if fmt == "dec2":
        return dec_text(value, 2)
    raise ValueError(f"not a number format: {fmt}")


def pct_change(new: Decimal | None, old: Decimal | None) -> Decimal | None:
    """Percentage change in percent units rounded to 0.1, or None when old is 0/None."""
    if new is None or old is None or old == 0:
        return None
    return ((Decimal(new) - Decimal(old)) * 100 / abs(Decimal(old))).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP)


def datetime_text(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%d %b %Y %H:%M")


# ---------------------------------------------------------------------------
# A check's failing values
_MONEY_FIELDS = re.compile(r"(^|_)(amount|total|difference|spend|value)$")
_PAIR = re.compile(r'"([^"\\]+)"\s*:\s*("(?:[^"\\]|\\.)*"|[^,}\]]+)')


def _field_text(key: str, value: Any) -> str:
    if value is None:
        shown = "—"
    elif isinstance(value, bool):
        shown = "Yes" if value else "No"
    elif _MONEY_FIELDS.search(key):
        try:
            shown = money2_text(Decimal(str(value)))
        except ArithmeticError:
            shown = str(value)
    elif isinstance(value, int):
        shown = f"{value:,}"
    else:
        shown = str(value)
    return f"{humanise_code(key)}: {shown}"


def sample_text(value: Any) -> str:
    """A check's sample of failing values - JSON, a list of records - as text a reader can take in:
    'Cost centre: WF2990; Amount: £639.44', one line per failing record. The checks cut the JSON
    at 400 characters, so a sample that no longer parses is read pair by pair and ends with '…'."""
    if value is None or value == "":
        return ""
    text = str(value)
    try:
        data = json.loads(text)
    except ValueError:
        records = []
        for chunk in re.split(r"\}\s*,\s*\{", text):
            pairs = [(k, json.loads(v) if v.startswith('"') and v.endswith('"') and len(v) > 1 else
                      None if v.strip() == "null" else v.strip()) for k, v in _PAIR.findall(chunk)]
            if pairs:
                records.append("; ".join(_field_text(k, v) for k, v in pairs))
        return ("\n".join(records) + " …") if records else text
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        return str(data)
    lines = []
    for rec in data:
        if isinstance(rec, dict):
            lines.append("; ".join(_field_text(str(k), v) for k, v in rec.items()))
        else:
            lines.append(str(rec))
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Periods: arithmetic in warehouse/periods.py; labels here


@lru_cache(maxsize=1024)
def month_label(period: str, short: bool = False) -> str:
    y, m = year_month(period)
    return dt.date(y, m, 1).strftime("%b %Y" if short else "%B %Y")


# ---------------------------------------------------------------------------
# Safe text
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISER = "'"
# XML 1.0 forbids these; openpyxl raises IllegalCharacterError on them.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def excel_text(value: Any) -> str:
    """Text safe to put in a worksheet cell: never evaluated as a formula.

    Write it with ``cell.value = excel_text(v); cell.data_type = 's'`` (see
    ``excel_pack._put_text``) - openpyxl would otherwise make '=...' a formula.
    """
    s = _ILLEGAL_XML.sub("", "" if value is None else str(value))
    if s.startswith(_FORMULA_TRIGGERS):
        s = NEUTRALISER + s
    return s


def header_footer_text(value: str) -> str:
    """Text for an Excel page header/footer: '&' starts a control code there."""
    return _ILLEGAL_XML.sub("", value).replace("&", "&&")


def plotly_text(value: Any) -> str:
    """Text for a plotly label: plotly reads a small HTML subset and shows &lt; &gt; &amp;
    as characters but not &quot; / &#x27;, so only <, > and & are escaped (its JSON
    output escapes quotes and '<' itself)."""
    return html.escape("" if value is None else str(value), quote=False)


def css_string(value: Any) -> str:
    """Text for inside a double-quoted CSS string in a <style> element: quotes, backslashes,
    line breaks and '<' (which could end the element) as CSS escapes."""
    text = "" if value is None else str(value)
    return "".join(f"\\{ord(c):X} " if c in '"\\<>&\n\r' else c for c in text)


# the characters html.escape replaces: most texts (names, months, figures) hold none, and a site
# escapes a million of them, so those are returned as they are without five replace passes
_HTML_SPECIAL = re.compile(r"[&<>\"']")


def html_text(value: Any) -> str:
    """Text safe inside HTML element content and quoted attribute values."""
    text = "" if value is None else str(value)
    return html.escape(text, quote=True) if _HTML_SPECIAL.search(text) else text
