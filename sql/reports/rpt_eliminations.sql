-- rpt_eliminations: agreement of balances between submitting partners: for each payer, payee and
-- month, what each side booked, the difference and whether it is material. Following NHS
-- agreement-of-balances practice, a difference above the statement threshold (default £2,500) is a
-- mismatch to be raised with the counterparty, and at month 12 a cumulative year-to-date
-- difference above the month-12 threshold (default £300,000) must be explained. Both thresholds
-- are bound parameters (sql/settings.yaml).
-- Grain: one row per payer, payee and month where either side booked something.
-- Keys: payer_id, payee_id, period
-- Columns:
--   payer_id: the partner paying
--   payer_name: the payer's name
--   payee_id: the partner paid
--   payee_name: the payee's name
--   period: month (YYYY-MM)
--   fy: financial year, e.g. 2025-26
--   fy_month: month number in the financial year (April = 1)
--   payer_amount: what the payer booked as paid to the payee in the month, pounds
--   payee_amount: what the payee booked as received from the payer in the month, pounds
--   difference: payer_amount - payee_amount (positive: the payee booked less than the payer paid)
--   status: matched (difference within the statement threshold, either way) or mismatched
--   ytd_payer_amount: payer_amount from April to this month
--   ytd_payee_amount: payee_amount from April to this month
--   ytd_difference: ytd_payer_amount - ytd_payee_amount
--   must_explain: true at month 12 when the year's difference exceeds the month-12 threshold
--   statement_threshold: the materiality threshold applied to the month's difference, pounds
--   month12_threshold: the month-12 threshold applied to the year's difference, pounds
CREATE OR REPLACE TABLE rpt_eliminations AS
WITH thresholds AS (
    SELECT CAST($aob_statement_threshold AS DECIMAL(18, 2)) AS statement_threshold,
           CAST($aob_month12_threshold AS DECIMAL(18, 2)) AS month12_threshold
),
year_to_date AS (
    SELECT *,
           sum(payer_amount) OVER running AS ytd_payer_amount,
           sum(payee_amount) OVER running AS ytd_payee_amount
    FROM fct_inter_partner
    WINDOW running AS (PARTITION BY payer_id, payee_id, fy ORDER BY period
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT y.payer_id, y.payer_name, y.payee_id, y.payee_name, y.period, y.fy, y.fy_month,
       y.payer_amount, y.payee_amount, y.difference,
       CASE WHEN abs(y.difference) > t.statement_threshold THEN 'mismatched' ELSE 'matched' END AS status,
       CAST(y.ytd_payer_amount AS DECIMAL(18, 2)) AS ytd_payer_amount,
       CAST(y.ytd_payee_amount AS DECIMAL(18, 2)) AS ytd_payee_amount,
       CAST(y.ytd_payer_amount - y.ytd_payee_amount AS DECIMAL(18, 2)) AS ytd_difference,
       y.fy_month = 12 AND abs(y.ytd_payer_amount - y.ytd_payee_amount) > t.month12_threshold AS must_explain,
       t.statement_threshold, t.month12_threshold
FROM year_to_date y
CROSS JOIN thresholds t;
