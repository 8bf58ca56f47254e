-- dq_repeat_payments: the possible repeat payments of each submission, for the flags' "see also"
-- (rpt_flag_links): in one submission, more than one expenditure line paying the same named counterparty
-- (not REDACTED) the same amount on the same day, on the same cost centre and expense type, under different
-- references (transaction numbers, or else descriptions). No load check warns on these (the references
-- differ, as on legitimate split lines, and a payroll split in equal parts matches too).
-- A group is found within one load from that load's lines only, so the table is kept up to date by load
-- (warehouse/by_load.py): after a late file only its load's groups are computed.
-- Grain: one row per load and group of lines paid alike.
-- Keys: load_id, counterparty, amount, posting_date, cost_centre, expense_type
-- Columns:
--   related_id: REPEAT-<partner>-<period>, the submission's repeat payments as rpt_flag_links names them
--   related_kind: repeat_payment
--   partner_name: the partner that sent the submission
--   period: the month the submission covers (YYYY-MM)
--   load_id: the submission's load id (see load_log)
--   counterparty: who was paid, as the ledger names them
--   amount: the amount of each line of the group, pounds
--   posting_date: the day the lines were posted
--   cost_centre: the lines' cost centre
--   expense_type: the lines' expense type
--   lines: how many lines the group has (more than one)
--   rows: the lines' source rows in the submission, in order
CREATE OR REPLACE TABLE dq_repeat_payments AS
WITH repeat_candidates AS (
    -- the same payee, amount, day, cost centre and expense type on more than one line of a load, found by a hash
    -- of the six: a cheap first pass (a collision only adds a candidate, which the exact grouping below drops), so
    -- the references are compared (a distinct count per group) on these few groups only
    SELECT hash(l.load_id, l.counterparty, l.amount, l.posting_date, l.cost_centre, l.expense_type) AS payment_key
    FROM fct_ledger l
    WHERE l.line_type = 'expenditure' AND l.counterparty IS NOT NULL AND upper(trim(l.counterparty)) <> 'REDACTED'
    GROUP BY payment_key
    HAVING count(*) > 1
)
SELECT 'REPEAT-' || any_value(l.partner_id) || '-' || any_value(l.period) AS related_id,
       'repeat_payment' AS related_kind,
       any_value(l.partner_name) AS partner_name, any_value(l.period) AS period,
       l.load_id, l.counterparty, l.amount, l.posting_date, l.cost_centre, l.expense_type, count(*) AS lines,
       list(l.source_row ORDER BY l.source_row) AS rows
FROM fct_ledger l
SEMI JOIN repeat_candidates c
    ON c.payment_key = hash(l.load_id, l.counterparty, l.amount, l.posting_date, l.cost_centre, l.expense_type)
WHERE l.line_type = 'expenditure' AND l.counterparty IS NOT NULL AND upper(trim(l.counterparty)) <> 'REDACTED'
GROUP BY l.load_id, l.counterparty, l.amount, l.posting_date, l.cost_centre, l.expense_type
HAVING count(*) > 1
   AND count(DISTINCT coalesce(l.transaction_id, concat_ws(' | ', l.cost_centre, l.expense_type, l.description)))
       > 1;
