"""Staging by rules: tiny hand-made ledgers through sql/staging/ref_mapping_rules.sql and
sql/staging/stg_ledger.sql. Every expected mapping below is worked out by hand from the
rule table in the test, never read back from the code under test."""
from decimal import Decimal
from pathlib import Path

from assets.ingest.reference_files import reference_file
from assets.quality.sql_runner import validate_relation
from warehouse.sql_files import run_sql

ROOT = Path(__file__).resolve().parents[2]
CC_MAP = """partner_id,cost_centre,cost_centre_name,service_line,place_id,funding_stream,line_type,scheme_id
p1,CC1,Crisis,crisis_house,ashby,recurrent,expenditure,
p1,INC,Income,income,,recurrent,income,
"""
# Deliberately out of priority order in the file; two rules at priority 20 (the higher in the
# file wins); one regex that does not compile (never used, reported by the suite).
RULES = """partner_id,priority,field,match,pattern,service_line,place_id,line_type,funding_stream,scheme_id
p1,30,counterparty,regex,(?i)^south .* trust$,inpatient_acute,,expenditure,recurrent,
p1,10,Counterparty,Prefix,  oxleas ,adult_community,ashby,expenditure,recurrent,S1
p1,20,expense_type,exact,drugs,adhd_drugs,,expenditure,non_recurrent,
p1,20,description,regex,drug,wrong_rule,,expenditure,recurrent,
p1,5,cost_centre,regex,([unclosed,never,,expenditure,recurrent,
p1,99,,default,,other_healthcare,,expenditure,recurrent,
p2,1,cost_centre,exact,X1,iapt,,expenditure,recurrent,
"""


def _reference(con, tmp_path, rules: str | None = RULES):
    (tmp_path / "cost_centre_map.csv").write_text(CC_MAP)
    run_sql(con, "staging/ref_cost_centre_map", {"path": str(tmp_path / "cost_centre_map.csv")})
    if rules is not None:
        (tmp_path / "mapping_rules.csv").write_text(rules)
    run_sql(con, "staging/ref_mapping_rules", {"path": str(reference_file(tmp_path, "mapping_rules"))})
    con.execute("CREATE TABLE ref_partner_aliases (alias VARCHAR, partner_id VARCHAR)")


def _raw(con, rows, partner="p1", load="L1"):
    for source_row, cost_centre, expense_type, counterparty, description, txn, amount in rows:
        con.execute(
            "INSERT INTO raw_ledger VALUES (?, ?, '2024-05', '/in/p1/f.csv', ?, DATE '2024-05-02', ?, ?, ?, ?, ?, ?,"
            " NULL, '{}', NULL)",
            [load, partner, source_row, cost_centre, expense_type, counterparty, description, txn, Decimal(amount)])


def _staged(con):
    return con.execute("SELECT source_row, service_line, place_id, funding_stream, scheme_id, mapped_by, mapping_rule"
                       " FROM stg_ledger ORDER BY load_id, source_row").fetchall()


def test_lines_are_mapped_by_map_then_rules_by_priority_then_default(con, tmp_path):
    _reference(con, tmp_path)
    _raw(con, [
        (2, "CC1", "Drugs", "Oxleas NHS FT", None, "T1", "100.00"),      # the map wins over every rule
        (3, None, "drugs ", "OXLEAS NHS FT", "drug", "T2", "10.00"),     # prefix (10) beats exact (20) and regex
        (4, "ZZ", " DRUGS", "Acme", "drug order", "T3", "20.00"),        # exact (20, line 4) beats regex (20, line 5)
        (5, None, None, "South West Mental Health Trust", None, None, "30.00"),  # regex, case-insensitive
        (6, "ZZ", None, "south trust", None, None, "40.00"),             # regex needs something between
        (7, "INC", None, None, None, None, "-5.00"),                     # map again
    ])
    _raw(con, [(2, "Y1", None, None, None, None, "7.00"), (3, "x1", None, None, None, None, "8.00")],
         partner="p2", load="L2")
    run_sql(con, "staging/stg_ledger", {"period": "2024-05"})
    assert _staged(con) == [
        (2, "crisis_house", "ashby", "recurrent", None, "cost_centre_map", "cost_centre_map CC1"),
        (3, "adult_community", "ashby", "recurrent", "S1", "rule",
         'mapping_rules line 3 (priority 10): counterparty prefix "  oxleas "'),
        (4, "adhd_drugs", None, "non_recurrent", None, "rule",
         'mapping_rules line 4 (priority 20): expense_type exact "drugs"'),
        (5, "inpatient_acute", None, "recurrent", None, "rule",
         'mapping_rules line 2 (priority 30): counterparty regex "(?i)^south .* trust$"'),
        (6, "other_healthcare", None, "recurrent", None, "default", "mapping_rules line 7 (priority 99): default"),
        (7, "income", None, "recurrent", None, "cost_centre_map", "cost_centre_map INC"),
        # p2 has no default: Y1 is unclassified; exact ignores case ("x1" = "X1")
        (2, "unclassified", None, "unclassified", None, "unmapped", None),
        (3, "iapt", None, "recurrent", None, "rule", 'mapping_rules line 8 (priority 1): cost_centre exact "X1"'),
    ]
    line_types = con.execute("SELECT DISTINCT line_type FROM stg_ledger WHERE mapped_by = 'unmapped'").fetchall()
    assert line_types == [("expenditure",)]
    # every line kept, every pound counted
    assert con.execute("SELECT count(*), sum(amount) FROM stg_ledger").fetchone() == (8, Decimal("210.00"))


def test_without_a_rules_file_there_are_no_rules_and_unknown_cost_centres_stay_unclassified(con, tmp_path):
    _reference(con, tmp_path, rules=None)
    assert reference_file(tmp_path, "mapping_rules").parent != tmp_path  # the empty stand-in
    assert reference_file(tmp_path, "cost_centre_map") == tmp_path / "cost_centre_map.csv"
    _raw(con, [(2, "CC1", None, "A", None, "T1", "1.00"), (3, "XX9", None, "B", None, "T2", "2.50"),
               (4, None, None, "C", None, "T3", "4.00")])
    run_sql(con, "staging/stg_ledger", {"period": "2024-05"})
    assert [(r[0], r[1], r[5]) for r in _staged(con)] == [
        (2, "crisis_house", "cost_centre_map"), (3, "unclassified", "unmapped"), (4, "unclassified", "unmapped")]
    assert con.execute("SELECT count(*) FROM quarantine").fetchone() == (0,)  # no UNKNOWN_COST_CENTRE any more


def test_repeated_transaction_ids_are_kept_unless_the_partner_declares_them_unique(con, tmp_path):
    _reference(con, tmp_path)
    rows = [(2, "CC1", None, "A", None, "T1", "100.00"), (3, "CC1", None, "A", None, "T1", "60.00"),
            (4, "CC1", None, "A", None, "T1", "40.00"), (5, "CC1", None, "B", None, None, "1.00")]
    _raw(con, rows)
    run_sql(con, "staging/stg_ledger", {"period": "2024-05"})
    assert con.execute("SELECT count(*), sum(amount) FROM stg_ledger").fetchone() == (4, Decimal("201.00"))
    assert con.execute("SELECT count(*) FROM quarantine").fetchone() == (0,)

    con.execute("INSERT INTO source_checks VALUES ('p1', true, 'warn', 0)")
    for _ in range(2):  # and re-staging changes nothing
        run_sql(con, "staging/stg_ledger", {"period": "2024-05"})
        assert con.execute("SELECT count(*), sum(amount) FROM stg_ledger").fetchone() == (2, Decimal("101.00"))
        quarantined = con.execute("SELECT source_row, reason_code, field, message FROM quarantine ORDER BY 1").fetchall()
        assert quarantined == [
            (3, "DUPLICATE_TRANSACTION", "transaction_id", 'f.csv row 3, field transaction_id: "T1" repeats row 2 (amount 60.00)'),
            (4, "DUPLICATE_TRANSACTION", "transaction_id", 'f.csv row 4, field transaction_id: "T1" repeats row 2 (amount 40.00)')]


def test_the_rules_suite_reports_a_regex_that_does_not_compile_and_missing_service_lines(con, tmp_path):
    _reference(con, tmp_path, rules=RULES + "p1,40,supplier,fuzzy,x,,,,bogus,\n")
    outcome = validate_relation(con, "ref_mapping_rules", ROOT / "expectations" / "ref_mapping_rules.json")
    failed = {(o.column, o.unexpected_count) for o in outcome.outcomes if not o.success}
    # line 6's regex; line 9: unknown field, unknown match, no service line, no line type, bad stream
    assert failed == {("pattern_valid", 1), ("field", 1), ("match", 1), ("service_line", 1), ("line_type", 1),
                      ("funding_stream", 1)}
    assert all(o.severity == "ERROR" for o in outcome.outcomes if not o.success)


def test_an_empty_rules_table_passes_its_suite(con, tmp_path):
    _reference(con, tmp_path, rules=None)
    outcome = validate_relation(con, "ref_mapping_rules", ROOT / "expectations" / "ref_mapping_rules.json")
    assert all(o.success for o in outcome.outcomes)


def test_possible_duplicates_are_listed_with_pounds_and_split_lines_are_not(con, tmp_path):
    from assets.quality.staging_policy import duplicates_outcome

    _reference(con, tmp_path)
    _raw(con, [
        (2, "CC1", "Care", "A", "Inv 1", "T1", "500.00"),
        (3, "CC1", "Care", "A", "Inv 1", "T1", "500.00"),      # row 2 again: a possible duplicate
        (4, "CC1", "Care", "A", "Inv 1", "T1", "200.00"),      # same number, other amount: a split line
        (5, "CC1", "Staff", "Payroll", "Nurses", None, "90.00"),   # no number: payroll split evenly
        (6, "CC1", "Staff", "Payroll", "Doctors", None, "90.00"),  # over staff groups: not duplicates
        (7, "CC1", "Staff", "Payroll", "Nurses", None, "90.00"),   # row 5 again
        (8, "CC1", "Care", None, None, "T9", "5.00"),          # no supplier: not compared
        (9, "CC1", "Care", None, None, "T9", "5.00"),
    ])
    run_sql(con, "staging/stg_ledger", {"period": "2024-05"})
    outcome = duplicates_outcome(con, "L1")
    assert outcome.severity == "WARN" and not outcome.success and outcome.unexpected_count == 4
    assert [(s["rows"], s["repeated_amount"]) for s in outcome.unexpected_sample] == [([2, 3], "500.00"),
                                                                                     ([5, 7], "90.00")]
    assert "2 possible duplicates, 4 lines, £590.00 in the repeats" in outcome.description
    assert con.execute("SELECT count(*), sum(amount) FROM stg_ledger").fetchone() == (8, Decimal("1480.00"))
