-- rpt_flag_links: which flags, data-quality warnings and repeated payments are about the same money,
-- so a flag names the others ("see also") in the flag register and on its drill-down page.
-- The rule is one: two items are linked when they share at least one ledger line (a line is its
-- load_id and source_row). A flag's lines are the ledger lines behind its money, the lines its
-- drill-down lists:
--   contract over-run (OVER-) and like services funded unlike (FUND-): the commissioner's payments naming
--     the provider in the year flagged on the contract's funding stream (and service line and place when
--     the contract names them): rpt_contracts.paid_to_date;
--   agreement-of-balances break (ELIM-): the payer's expenditure naming the payee and the payee's income
--     naming the payer, in the month;
--   slipping scheme (SLIP-): the ICB's expenditure on the scheme, April to the month flagged;
--   MHIS at risk (MHIS-): the ICB's MHIS spend in the year (expenditure on MHIS service lines, recurrent or
--     section 75 pooled);
--   budget overspend (BUDGET-): the partner's mental-health expenditure on the service line, April to the
--     latest month of the latest year flagged;
--   lead provider over its delegated budget (LPOVER-): all its expenditure, April to that month;
--   agency spend over its limit (AGENCY-): its expenditure paid to listed staffing agencies, April to that
--     month.
-- Variation outliers (VAR-) are not linked: a measure's lines are its YAML filters over a whole place's
-- spend for a year, and its money (spend above the pooled rate) is a comparison, not a set of payments.
-- What else is on lines:
--   dq_warning DQ-DUP-<partner>-<period>: the load check likely_duplicate_payment warned on the partner's
--     submission for the month (the same supplier, amount, date and reference - the transaction number, or
--     else cost centre, expense type and description - on more than one line); its lines are those groups;
--   dq_warning DQ-UNMAPPED-<partner>-<period>: the load check lines_mapped warned; its lines are the
--     unclassified lines of that submission;
--   repeat_payment REPEAT-<partner>-<period>: in one submission, more than one expenditure line paying the
--     same named counterparty (not REDACTED) the same amount on the same day, on the same cost centre and
--     expense type, under different references (dq_repeat_payments: no load check warns on these), but a
--     repeated payment on a flag's money is what a reviewer asks about first.
-- Dates outside the month (posting_date_in_range) are not linked: a late-dated line is still the money.
-- Each link is listed from the flag's side (a link between two flags is two rows, one each way).
-- shared_amount: flag and flag - the sum of the shared lines as booked; flag and a duplicate or repeat -
-- the money paid more than once, amount x (lines of the group - 1) over the groups with a line among the
-- flag's lines; flag and unclassified lines - the sum of the shared lines.
-- Grain: one row per flag and related item.
-- Keys: flag_id, related_id
-- Columns:
--   flag_id: the flag (rpt_flags)
--   related_id: the flag, warning or repeated payment it is linked to: a flag id, DQ-DUP-<partner>-<period>,
--     DQ-UNMAPPED-<partner>-<period> or REPEAT-<partner>-<period>
--   related_kind: flag, dq_warning or repeat_payment
--   related_subject: what the related item is about, in words
--   reason: why they are linked, in words
--   shared_lines: the ledger lines behind both
--   shared_amount: the money they share, pounds (see above)
CREATE OR REPLACE TEMP MACRO link_money(amount) AS
    format('£{:,.2f}', CAST(amount AS DECIMAL(18, 2)));

CREATE OR REPLACE TABLE rpt_flag_links AS
WITH flag_year AS (
    SELECT flag_id, kind, subject, last_seen_period, fy_of(last_seen_period) AS fy FROM rpt_flags
),
ledger_scopes AS (
    -- each flag's ledger lines described as a scope (whose ledger, which line type, year and months, and what a
    -- contract, counterparty or scheme narrows them to), so the ledger is read once for all the flags, not once
    -- per kind of flag
    SELECT f.flag_id, 'contract' AS narrowed_by, c.commissioner_id AS partner_id, 'expenditure' AS line_type,
           c.fy, NULL AS period, NULL AS up_to_period, c.provider_id AS counterparty_partner_id, c.funding_stream,
           c.service_line, c.place_id, NULL AS scheme_id
    FROM flag_year f
    JOIN rpt_contracts c ON c.fy = f.fy
        AND ((f.kind = 'contract_overrun' AND f.flag_id = 'OVER-' || c.contract_id || '-' || c.fy)
             OR (f.kind = 'funding_inconsistency' AND f.flag_id = 'FUND-' || c.contract_id))
    UNION ALL BY NAME
    SELECT f.flag_id, 'counterparty' AS narrowed_by, side.partner_id, side.line_type, NULL AS fy, e.period,
           e.period AS up_to_period, side.counterparty_partner_id
    FROM flag_year f
    JOIN rpt_eliminations e ON f.kind = 'reconciliation_break'
        AND f.flag_id = 'ELIM-' || e.payer_id || '-' || e.payee_id || '-' || e.period
    CROSS JOIN LATERAL (VALUES (e.payer_id, 'expenditure', e.payee_id), (e.payee_id, 'income', e.payer_id))
        AS side(partner_id, line_type, counterparty_partner_id)
    UNION ALL BY NAME
    SELECT f.flag_id, 'scheme' AS narrowed_by, s.icb_id AS partner_id, 'expenditure' AS line_type, s.fy,
           f.last_seen_period AS up_to_period, s.scheme_id
    FROM flag_year f
    JOIN (SELECT DISTINCT icb_id, scheme_id, fy FROM rpt_plan_vs_actual) s ON f.kind = 'slippage'
        AND f.flag_id = 'SLIP-' || s.scheme_id || '-' || s.fy
    UNION ALL BY NAME
    SELECT f.flag_id, 'nothing' AS narrowed_by, p.lead_provider_id AS partner_id, 'expenditure' AS line_type, f.fy,
           f.last_seen_period AS up_to_period
    FROM flag_year f
    JOIN (SELECT DISTINCT lead_provider_id FROM rpt_lead_provider) p ON f.kind = 'lead_provider_overspend'
        AND f.flag_id = 'LPOVER-' || p.lead_provider_id
    UNION ALL BY NAME
    SELECT f.flag_id, 'agency' AS narrowed_by, a.partner_id, 'expenditure' AS line_type, f.fy,
           f.last_seen_period AS up_to_period
    FROM flag_year f
    JOIN (SELECT DISTINCT partner_id FROM rpt_agency_spend) a ON f.kind = 'agency_over_cap'
        AND f.flag_id = 'AGENCY-' || a.partner_id
),
scoped_lines AS MATERIALIZED (
    SELECT s.flag_id, s.narrowed_by, l.load_id, l.source_row, l.amount, l.counterparty
    -- a scope's year matched as the range of its months, not by the lines' fy (fy_first_period in
    -- sql/staging/create_tables.sql: that fy, built for each line of the scope's partner, cost more)
    FROM (SELECT *, fy_first_period(fy) AS first_period, fy_last_period(fy) AS last_period FROM ledger_scopes) s
    JOIN fct_ledger l ON l.partner_id = s.partner_id AND l.line_type = s.line_type
        AND (s.fy IS NULL OR l.period BETWEEN s.first_period AND s.last_period) AND (s.period IS NULL OR l.period = s.period)
        AND (s.up_to_period IS NULL OR l.period <= s.up_to_period)
        AND CASE s.narrowed_by
                WHEN 'contract' THEN l.counterparty_partner_id = s.counterparty_partner_id
                    AND l.funding_stream = s.funding_stream
                    AND (s.service_line IS NULL OR l.service_line = s.service_line)
                    AND (s.place_id IS NULL OR l.place_id = s.place_id)
                WHEN 'counterparty' THEN l.counterparty_partner_id = s.counterparty_partner_id
                WHEN 'scheme' THEN l.scheme_id = s.scheme_id
                ELSE true
            END
),
flag_lines AS (
    SELECT flag_id, load_id, source_row, amount
    FROM scoped_lines
    -- a staffing agency's name is normalised on the flagged partner's lines only, not on every line of the ledger
    WHERE narrowed_by <> 'agency'
       OR lower(trim(regexp_replace(counterparty, '\s+', ' ', 'g'))) IN (SELECT name_key FROM ref_agency_suppliers)
    UNION ALL
    SELECT f.flag_id, l.load_id, l.source_row, l.amount
    FROM flag_year f
    JOIN rpt_mhis m ON f.kind = 'mhis_risk' AND f.flag_id = 'MHIS-' || m.icb_id || '-' || m.fy
    JOIN fct_mh_ledger l ON l.partner_id = m.icb_id AND l.fy = m.fy AND l.line_type = 'expenditure'
        AND l.in_mhis AND l.funding_stream IN ('recurrent', 's75_pooled')
    UNION ALL
    SELECT f.flag_id, l.load_id, l.source_row, l.amount
    FROM flag_year f
    JOIN (SELECT DISTINCT partner_id, service_line FROM rpt_mh_budget) b ON f.kind = 'budget_overspend'
        AND f.flag_id = 'BUDGET-' || b.partner_id || '-' || b.service_line
    JOIN fct_mh_ledger l ON l.partner_id = b.partner_id AND l.service_line = b.service_line AND l.fy = f.fy
        AND l.period <= f.last_seen_period AND l.line_type = 'expenditure'
),
warned AS (
    -- the load checks that warned on a current submission
    SELECT r.load_id, r.expectation
    FROM dq_results r
    JOIN load_log g ON g.load_id = r.load_id AND g.status = 'current'
    WHERE NOT r.passed AND r.expectation IN ('likely_duplicate_payment', 'lines_mapped')
),
duplicate_groups AS (
    -- the rule of the load check likely_duplicate_payment (assets/quality/staging_policy.py), on the lines in use
    SELECT 'DQ-DUP-' || any_value(l.partner_id) || '-' || any_value(l.period) AS related_id, 'dq_warning' AS related_kind,
           any_value(l.partner_name) AS partner_name, any_value(l.period) AS period,
           l.load_id, l.counterparty, l.amount, l.posting_date, count(*) AS lines,
           list(l.source_row ORDER BY l.source_row) AS rows
    FROM fct_ledger l
    JOIN warned w ON w.load_id = l.load_id AND w.expectation = 'likely_duplicate_payment'
    WHERE l.counterparty IS NOT NULL
    GROUP BY l.load_id, l.counterparty, l.amount, l.posting_date,
             coalesce(l.transaction_id, concat_ws(' | ', l.cost_centre, l.expense_type, l.description))
    HAVING count(*) > 1
),
payment_groups AS (
    -- repeat payments are found load by load (dq_repeat_payments), so a late file finds only its own
    SELECT * FROM duplicate_groups UNION ALL BY NAME SELECT * EXCLUDE (cost_centre, expense_type) FROM dq_repeat_payments
),
group_lines AS (
    SELECT related_id, related_kind, partner_name, period, counterparty, amount, posting_date, lines, load_id,
           unnest(rows) AS source_row
    FROM payment_groups
),
group_links AS (
    SELECT fl.flag_id, g.related_id, g.related_kind, g.partner_name, g.period, g.counterparty, g.amount,
           g.posting_date, g.lines, count(*) AS shared_lines
    FROM group_lines g
    JOIN flag_lines fl ON fl.load_id = g.load_id AND fl.source_row = g.source_row
    GROUP BY ALL
),
unmapped_lines AS (
    SELECT 'DQ-UNMAPPED-' || l.partner_id || '-' || l.period AS related_id, l.partner_name, l.period,
           l.load_id, l.source_row, l.amount
    FROM fct_ledger l
    JOIN warned w ON w.load_id = l.load_id AND w.expectation = 'lines_mapped'
    WHERE l.mapped_by = 'unmapped'
),
flag_to_flag AS (
    SELECT a.flag_id, b.flag_id AS related_id, 'flag' AS related_kind, any_value(r.subject) AS related_subject,
           count(*) AS shared_lines, sum(a.amount) AS shared_amount
    FROM flag_lines a
    JOIN flag_lines b ON b.load_id = a.load_id AND b.source_row = a.source_row AND b.flag_id <> a.flag_id
    JOIN rpt_flags r ON r.flag_id = b.flag_id
    GROUP BY a.flag_id, b.flag_id
),
flag_to_payments AS (
    SELECT flag_id, related_id, any_value(related_kind) AS related_kind,
           CASE any_value(related_kind)
                WHEN 'dq_warning' THEN 'Possible duplicate payments in ' || any_value(partner_name) || '''s '
                                       || any_value(period) || ' submission (warned when it loaded)'
                ELSE 'Possible repeat payments in ' || any_value(partner_name) || '''s ' || any_value(period)
                     || ' submission (same payee, cost centre, expense type, amount and day under different '
                     || 'references; no load check warns on these)'
           END AS related_subject,
           string_agg(counterparty || ' ' || link_money(amount) || ' x ' || lines || ' on '
                      || strftime(posting_date, '%Y-%m-%d'), '; ' ORDER BY amount DESC, counterparty, posting_date, lines) AS payments,
           sum(shared_lines) AS shared_lines,
           sum(amount * (lines - 1)) AS shared_amount
    FROM group_links
    GROUP BY flag_id, related_id
),
flag_to_unmapped AS (
    SELECT fl.flag_id, u.related_id, 'dq_warning' AS related_kind,
           'Unclassified lines in ' || any_value(u.partner_name) || '''s ' || any_value(u.period)
               || ' submission (warned when it loaded)' AS related_subject,
           count(*) AS shared_lines, sum(u.amount) AS shared_amount
    FROM unmapped_lines u
    JOIN flag_lines fl ON fl.load_id = u.load_id AND fl.source_row = u.source_row
    GROUP BY fl.flag_id, u.related_id
)
SELECT * FROM (
SELECT flag_id, related_id, related_kind, related_subject,
       format('{} of the same ledger lines ({}) are behind both flags', shared_lines, link_money(shared_amount))
           AS reason,
       shared_lines, CAST(shared_amount AS DECIMAL(18, 2)) AS shared_amount
FROM flag_to_flag
UNION ALL
SELECT flag_id, related_id, related_kind, related_subject,
       format('{} paid more than once on this flag''s lines: {}', link_money(shared_amount), payments) AS reason,
       shared_lines, CAST(shared_amount AS DECIMAL(18, 2)) AS shared_amount
FROM flag_to_payments
UNION ALL
SELECT flag_id, related_id, related_kind, related_subject,
       format('{} unclassified line{} ({}) among this flag''s lines', shared_lines,
              CASE WHEN shared_lines = 1 THEN '' ELSE 's' END, link_money(shared_amount)) AS reason,
       shared_lines, CAST(shared_amount AS DECIMAL(18, 2)) AS shared_amount
FROM flag_to_unmapped
)
ORDER BY flag_id, abs(shared_amount) DESC, related_id;
