"""The counterparty register: who received (or paid) the money, normalised and classified.

Every counterparty name as written in a ledger is normalised (`normalise`) so spellings of one
organisation meet, then classified, first match wins:
  1. partner   - it is one of the system's partners (fct_ledger.counterparty_partner_id): the partner's kind;
  2. decision  - a reviewer's decision (<home>/config/counterparty_decisions.csv, `openbook counterparties decide`);
  3. register  - the reference register (<home>/reference/counterparties.csv: any spelling, trading name or
                 alias -> canonical name, class and register id such as ODS:RXX, GB-CHC-nnnnnnn, GB-COH-nnnnnnnn);
  4. name_rule - a rule on the normalised name proposes a class ("nhs foundation trust", "borough council",
                 "mind", "cic", "ltd"...); shown as such so a reader knows it was not confirmed;
  5. none      - unknown, listed by `openbook counterparties review` by pounds paid.
Decisions beat the register so a reviewer can correct a register entry without editing reference data.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from warehouse.files import write_text_atomically
from warehouse.plain_text import plural, pounds

CLASSES = {
    "nhs_body": "NHS body",
    "local_authority": "Local authority",
    "vcse": "Voluntary sector (VCSE)",
    "independent_healthcare": "Independent sector healthcare",
    "other_private": "Other private sector",
    "individual_redacted": "Individual or redacted",
    "unknown": "Unknown",
}
# The partner kinds of ref_partners, as counterparty classes.
CLASS_OF_PARTNER_KIND = {"icb": "nhs_body", "nhs_trust": "nhs_body", "lead_provider": "nhs_body",
                         "local_authority": "local_authority", "vcse": "vcse", "independent": "independent_healthcare"}

REGISTER_COLUMNS = ("name", "canonical_name", "counterparty_class", "register_id")
DECISION_COLUMNS = ("name", "counterparty_class", "register_id", "decided_by", "decided_on", "reason")


class CounterpartyError(ValueError):
    """A bad register or decisions file, or a bad decision: the message names the file and row."""


# Legal-form words written several ways; each becomes one token so "Ltd" meets "Limited".
_LEGAL_FORMS = [(r"\blimited\b", "ltd"), (r"\bpublic limited company\b", "plc"),
                (r"\bcommunity interest company\b", "cic"), (r"\bco\b", "company"), (r"&", " and "),
                (r"\bst\b", "saint")]


def normalise(name: str) -> str:
    """The key spellings of one organisation share: accents and case folded, no-break spaces and
    punctuation gone, dotted initials joined, '&' -> 'and', Limited -> ltd, St -> saint, a leading 'The' dropped."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("\u00a0", " ").replace("'", "").replace("\u2019", "")
    text = re.sub(r"(?<=\b[a-z])\.", "", text)  # initials: C.I.C. -> cic, N.H.S -> nhs
    for pattern, replacement in _LEGAL_FORMS:
        text = re.sub(pattern, replacement, text)
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    text = re.sub(r"^the ", "", text)
    return re.sub(r"\s+", " ", text)


# (rule name, pattern on the normalised name, class). Order matters: the first match wins, so the
# specific public-sector and charity forms come before the generic company suffixes.
NAME_RULES: list[tuple[str, str, str]] = [
    ("redacted", r"^(redacted|withheld|personal data|individual|private individual)\b", "individual_redacted"),
    ("nhs_trust", r"\bnhs( foundation)? trust\b", "nhs_body"),
    ("nhs_icb", r"\b(integrated care board|icb|clinical commissioning group|ccg)\b", "nhs_body"),
    ("nhs_england", r"^nhs (england|business services authority)\b", "nhs_body"),
    ("council", r"\b(borough|county|district|city|town|parish|metropolitan) council\b|\bcouncil of\b|\bcouncil$",
     "local_authority"),
    ("cic", r"\bcic$", "vcse"),
    ("mind", r"\bmind\b", "vcse"),
    ("charity_words", r"\b(charity|charitable|hospice|society|fellowship|association)\b", "vcse"),
    ("hospital_company", r"\b(hospitals?|healthcare|health care|nursing home|care home)\b.*\b(ltd|plc|llp)$",
     "independent_healthcare"),
    ("company", r"\b(ltd|plc|llp|company)$", "other_private"),
]


def propose(normalised: str) -> tuple[str, str] | None:
    """(class, rule) the first name rule proposes, or None."""
    for rule, pattern, klass in NAME_RULES:
        if re.search(pattern, normalised):
            return klass, rule
    return None


@dataclass(frozen=True)
class Entry:
    canonical_name: str
    counterparty_class: str
    register_id: str | None
    source: str  # register or decision


def _check_class(klass: str, where: str) -> str:
    if klass not in CLASSES:
        raise CounterpartyError(f"{where}: counterparty_class {klass!r} is not one of {', '.join(CLASSES)}")
    return klass


def _read_csv(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict]]:
    if not path.is_file():
        return []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise CounterpartyError(f"{path}: missing column(s) {', '.join(missing)}")
        return [(number, row) for number, row in enumerate(reader, start=2)]


def read_register(path: Path) -> dict[str, Entry]:
    """normalised spelling -> Entry, from reference/counterparties.csv (absent file: empty register)."""
    entries: dict[str, Entry] = {}
    for number, row in _read_csv(path, REGISTER_COLUMNS):
        where = f"{path} row {number}"
        name = (row["name"] or "").strip()
        if not name:
            raise CounterpartyError(f"{where}: name is empty")
        canonical = (row["canonical_name"] or "").strip() or name
        klass = _check_class((row["counterparty_class"] or "").strip(), where)
        entries[normalise(name)] = Entry(canonical, klass, (row["register_id"] or "").strip() or None, "register")
        entries.setdefault(normalise(canonical), entries[normalise(name)])
    return entries


def read_decisions(path: Path) -> dict[str, Entry]:
    """normalised spelling -> the latest decision on it."""
    decided: dict[str, Entry] = {}
    for number, row in _read_csv(path, DECISION_COLUMNS):
        klass = _check_class((row["counterparty_class"] or "").strip(), f"{path} row {number}")
        name = row["name"].strip()
        decided[normalise(name)] = Entry(name, klass, (row["register_id"] or "").strip() or None, "decision")
    return decided


def classify(name: str, partner_kind: str | None, partner_name: str | None,
             register: dict[str, Entry], decisions: dict[str, Entry]) -> dict:
    """One counterparty's register row (see docs/model.md, dim_counterparty)."""
    key = normalise(name)
    proposal = propose(key)
    row = {"counterparty": name, "normalised_name": key, "canonical_name": name, "counterparty_class": "unknown",
           "register_id": None, "basis": "none", "rule": None,
           "proposed_class": proposal[0] if proposal else None}
    if partner_kind in CLASS_OF_PARTNER_KIND:
        row.update(canonical_name=partner_name, counterparty_class=CLASS_OF_PARTNER_KIND[partner_kind],
                   basis="partner")
        entry = register.get(key)
        row["register_id"] = entry.register_id if entry else None
    elif key in decisions or key in register:
        entry = decisions.get(key) or register[key]
        row.update(canonical_name=entry.canonical_name, counterparty_class=entry.counterparty_class,
                   register_id=entry.register_id, basis=entry.source)
    elif proposal:
        row.update(counterparty_class=proposal[0], basis="name_rule", rule=proposal[1])
    row["class_name"] = CLASSES[row["counterparty_class"]]
    return row


def decide(path: Path, name: str, klass: str, register_id: str | None, by: str, on: str, reason: str) -> None:
    """Append a decision to the decisions file, atomically (a reader sees the old file or the new one)."""
    _check_class(klass, "--class")
    if not name.strip():
        raise CounterpartyError("give the counterparty's name as written in the ledger")
    rows = [row for _, row in _read_csv(path, DECISION_COLUMNS)]
    rows.append({"name": name.strip(), "counterparty_class": klass, "register_id": register_id or "",
                 "decided_by": by, "decided_on": on, "reason": reason})
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=DECISION_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomically(path, text.getvalue())


# The counterparties of the ledger with what was paid to them (expenditure lines, any service line).
LEDGER_COUNTERPARTIES = """
SELECT l.counterparty, any_value(p.partner_kind) AS partner_kind, any_value(p.partner_name) AS partner_name,
       CAST(sum(CASE WHEN l.line_type = 'expenditure' THEN l.amount ELSE 0 END) AS DECIMAL(18, 2)) AS gross_paid,
       CAST(sum(CASE WHEN l.line_type = 'income' THEN -l.amount ELSE 0 END) AS DECIMAL(18, 2)) AS income_received,
       count(*) AS lines, count(DISTINCT l.partner_id) AS ledgers
FROM fct_ledger l
LEFT JOIN dim_partner p ON p.partner_id = l.counterparty_partner_id
WHERE l.counterparty IS NOT NULL
GROUP BY l.counterparty
"""


def register_rows(con, register: dict[str, Entry], decisions: dict[str, Entry]) -> list[dict]:
    rows = []
    for name, kind, partner_name, paid, received, lines, ledgers in con.execute(LEDGER_COUNTERPARTIES).fetchall():
        row = classify(name, kind, partner_name, register, decisions)
        row.update(gross_paid=paid, income_received=received, lines=lines, ledgers=ledgers)
        rows.append(row)
    return sorted(rows, key=lambda r: (-r["gross_paid"], r["counterparty"]))


DIM_COLUMNS = ("counterparty", "normalised_name", "canonical_name", "counterparty_class", "class_name",
               "register_id", "basis", "rule", "proposed_class", "gross_paid", "income_received", "lines", "ledgers")


def build_dim_counterparty(con, register_path: Path, decisions_path: Path) -> int:
    """(Re)build dim_counterparty on `con` from fct_ledger, dim_partner, the register and the decisions."""
    from warehouse.sql_files import insert_rows, run_sql

    rows = register_rows(con, read_register(register_path), read_decisions(decisions_path))
    run_sql(con, "marts/dim_counterparty")
    for start in range(0, len(rows), 500):
        insert_rows(con, "dim_counterparty", [tuple(r[c] for c in DIM_COLUMNS) for r in rows[start:start + 500]])
    return len(rows)


def review_lines(rows: list[dict], limit: int, include_rules: bool) -> list[str]:
    """The review listing: unknown counterparties (and, with include_rules, those only a name rule
    classified) by pounds paid, largest first, with the share of all money paid they carry."""
    wanted = [r for r in rows if r["basis"] == "none" or (include_rules and r["basis"] == "name_rule")]
    total = sum((r["gross_paid"] for r in rows if r["gross_paid"] > 0), Decimal(0))
    open_money = sum((r["gross_paid"] for r in wanted), Decimal(0))
    lines = [f"{len(wanted)} counterparties to review, {pounds(open_money)} paid "
             f"({(100 * open_money / total if total else 0):.1f}% of {pounds(total)} paid to all counterparties)"]
    for r in wanted[:limit]:
        proposal = f"  proposed: {r['proposed_class']} ({r['rule']})" if r["basis"] == "name_rule" else ""
        lines.append(f"  {pounds(r['gross_paid']):>17}  {r['counterparty']}  [{plural(r['lines'], 'line')}, "
                     f"{r['ledgers']} ledgers]{proposal}")
    return lines
