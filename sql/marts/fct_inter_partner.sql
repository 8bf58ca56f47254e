-- fct_inter_partner: money between submitting partners as each side records it, per payer, payee and
-- month: the payer's expenditure lines naming the payee (counterparty_partner_id) and the payee's income
-- lines naming the payer, sign turned so both sides are positive. Every service line counts, mental
-- health or not: this is the agreement-of-balances view of the flows the open book eliminates.
-- Payments to partners that send no ledger (oakridge) have no other side and are not here.
-- Grain: one row per payer, payee and month where either side booked something.
-- Keys: payer_id, payee_id, period
-- Columns:
--   payer_id: the partner paying
--   payer_name: the payer's name
--   payer_ics_id: the payer's home ICS (null for a partner serving both systems)
--   payee_id: the partner paid
--   payee_name: the payee's name
--   payee_ics_id: the payee's home ICS (null for a partner serving both systems)
--   period: month (YYYY-MM)
--   fy: financial year, e.g. 2025-26
--   fy_month: month number in the financial year (April = 1)
--   payer_amount: what the payer's ledger says it paid the payee in the month (0 when it booked nothing)
--   payee_amount: what the payee's ledger says it received from the payer in the month (0 when nothing)
--   difference: payer_amount - payee_amount (positive: the payee booked less than the payer paid)
--   payer_lines: number of the payer's ledger lines behind payer_amount
--   payee_lines: number of the payee's ledger lines behind payee_amount
CREATE OR REPLACE TABLE fct_inter_partner AS
WITH submitting AS (
    SELECT partner_id, partner_name, ics_id FROM dim_partner WHERE submits
),
payer_side AS (
    SELECT partner_id AS payer_id, counterparty_partner_id AS payee_id, period,
           sum(amount) AS payer_amount, count(*) AS payer_lines
    FROM fct_ledger
    WHERE line_type = 'expenditure' AND counterparty_partner_id <> partner_id
    GROUP BY ALL
),
payee_side AS (
    SELECT counterparty_partner_id AS payer_id, partner_id AS payee_id, period,
           -sum(amount) AS payee_amount, count(*) AS payee_lines
    FROM fct_ledger
    WHERE line_type = 'income' AND counterparty_partner_id <> partner_id
    GROUP BY ALL
),
both_sides AS (
    SELECT coalesce(r.payer_id, e.payer_id) AS payer_id, coalesce(r.payee_id, e.payee_id) AS payee_id,
           coalesce(r.period, e.period) AS period,
           coalesce(r.payer_amount, 0) AS payer_amount, coalesce(e.payee_amount, 0) AS payee_amount,
           coalesce(r.payer_lines, 0) AS payer_lines, coalesce(e.payee_lines, 0) AS payee_lines
    FROM payer_side r
    FULL JOIN payee_side e
           ON e.payer_id = r.payer_id AND e.payee_id = r.payee_id AND e.period = r.period
)
SELECT b.payer_id, payer.partner_name AS payer_name, payer.ics_id AS payer_ics_id,
       b.payee_id, payee.partner_name AS payee_name, payee.ics_id AS payee_ics_id,
       b.period, fy_of(b.period) AS fy, fy_month_of(b.period) AS fy_month,
       CAST(b.payer_amount AS DECIMAL(18, 2)) AS payer_amount,
       CAST(b.payee_amount AS DECIMAL(18, 2)) AS payee_amount,
       CAST(b.payer_amount - b.payee_amount AS DECIMAL(18, 2)) AS difference,
       b.payer_lines, b.payee_lines
FROM both_sides b
JOIN submitting payer ON payer.partner_id = b.payer_id
JOIN submitting payee ON payee.partner_id = b.payee_id;
