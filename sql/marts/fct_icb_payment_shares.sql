-- fct_icb_payment_shares: what each system's ICB paid each partner, financial year to date as at each
-- month, and its share of what all the ICBs paid that partner: the weights the commissioner view
-- (rpt_system_by_payer, rpt_system_by_payer_service_line) shares a partner's spend coded to no place by.
-- The payments are the ICB-to-partner payment lines in the ICBs' own ledgers (mental health, an ICB
-- paying another partner), which the open book eliminates as money between partners: an NHS trust's
-- contract income, the lead provider's delegated budget. A partner no ICB paid has no row.
-- Grain: one row per month, partner paid and paying system.
-- Keys: period, partner_id, ics_id
-- Columns:
--   period: the month the payments run to (YYYY-MM)
--   fy: financial year, e.g. 2025-26
--   partner_id: the partner paid
--   ics_id: the integrated care system whose ICB paid it (as fct_mh_ledger files the ICB's lines)
--   icb_paid: what the system's ICB paid the partner from April to this month, pounds
--   all_icbs_paid: what all ICBs paid the partner from April to this month, pounds
--   payment_share: icb_paid / all_icbs_paid as a fraction, unrounded (null when all_icbs_paid is 0): the
--     weight the commissioner view applies before rounding each system's part to the penny
--   payer_rank: 1 for the system paying the partner the most (ties: ics_id order), which takes the
--     rounding so every pound is attributed exactly once
CREATE OR REPLACE TABLE fct_icb_payment_shares AS
WITH payments AS (
    SELECT mo.period, mo.fy, l.counterparty_partner_id AS partner_id, l.ics_id, sum(l.amount) AS icb_paid
    -- The months' years worked out per month, not per line (the view's fy columns are computed for each line read).
    FROM (SELECT period, fy_of(period) AS fy FROM (SELECT DISTINCT period FROM fct_ledger)) mo
    JOIN fct_mh_ledger l ON l.fy = mo.fy AND l.period <= mo.period
    WHERE l.line_type = 'expenditure' AND l.partner_kind = 'icb' AND l.counterparty_partner_id IS NOT NULL
      AND l.counterparty_partner_id <> l.partner_id
    GROUP BY ALL
)
SELECT period, fy, partner_id, ics_id,
       CAST(icb_paid AS DECIMAL(18, 2)) AS icb_paid,
       CAST(sum(icb_paid) OVER w AS DECIMAL(18, 2)) AS all_icbs_paid,
       icb_paid / nullif(sum(icb_paid) OVER w, 0) AS payment_share,
       row_number() OVER (PARTITION BY period, partner_id ORDER BY icb_paid DESC, ics_id) AS payer_rank
FROM payments
WINDOW w AS (PARTITION BY period, partner_id);
