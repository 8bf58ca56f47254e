-- rpt_system_by_payer: each system's net mental-health spend in two views, financial year to date as at each
-- month, by the partner that spends it. Host view: as fct_mh_ledger files it (ics_id: the place's system where
-- a line is coded to a place, else the system that hosts the partner). Commissioner view (who pays): a line
-- coded to a place stays with the place's system; a partner's other spend (coded to no place) is shared
-- between the systems whose ICBs paid that partner, in proportion to what each ICB paid it from April to the
-- month (fct_icb_payment_shares: the ICB-to-partner payment lines, eliminated from the open book as money
-- between partners): an NHS trust's by each ICB's contract income, the lead provider's by each ICB's delegated
-- budget. A partner no ICB paid keeps its host view. Pennies: each system's part is rounded to the penny and
-- the system paying the most takes the rounding, so every pound is attributed exactly once: summed over
-- systems, both views agree.
-- Grain: one row per system, month and partner.
-- Keys: ics_id, period, partner_id
-- Columns:
--   ics_id: integrated care system
--   ics_name: the system's name
--   period: the month the figures run to (YYYY-MM)
--   fy: financial year, e.g. 2025-26
--   fy_month: month number in the financial year (April = 1)
--   partner_id: the partner whose ledger holds the spend
--   partner_name: the partner's name
--   partner_kind: icb, nhs_trust, lead_provider, local_authority, vcse or independent
--   host_net_spend: net spend from April to this month filed under the system in the host view, pounds
--   payer_net_spend: net spend from April to this month attributed to the system in the commissioner view,
--     pounds
--   placed_net_spend: the part of payer_net_spend coded to a place of the system (the same in both views),
--     pounds
--   apportioned_net_spend: the part of payer_net_spend shared out by ICB payments (the rest of a partner's
--     spend coded to no place, when no ICB paid it, is kept as in the host view), pounds
--   icb_paid: what the system's ICB paid the partner from April to this month (mental health), pounds
--   payment_share_pct: icb_paid as a percentage of what all ICBs paid the partner from April to this month
--     (null when no ICB paid it: the host view is kept)
CREATE OR REPLACE TABLE rpt_system_by_payer AS
WITH months AS (
    -- The months' years worked out per month, not per line (the view's fy columns are computed for each line read).
    SELECT period, fy_of(period) AS fy, fy_month_of(period) AS fy_month FROM (SELECT DISTINCT period FROM fct_ledger)
),
systems AS (
    SELECT DISTINCT ics_id, ics_name FROM fct_mh_ledger WHERE ics_id IS NOT NULL
),
-- net spend to date, as each month, by partner, the host view's system and whether the line has a place
monthly AS (
    -- each month's sums first, so the year to date below adds up a few rows a month rather than every line
    -- once for each later month of its year (exact: DECIMAL sums)
    SELECT l.period, l.fy, l.partner_id, l.ics_id, l.place_id IS NOT NULL AS placed, sum(l.net_spend) AS net_spend
    FROM fct_mh_ledger l
    WHERE l.line_type = 'expenditure' AND NOT l.is_eliminated
    GROUP BY ALL
),
spend AS (
    SELECT mo.period, mo.fy, mo.fy_month, m.partner_id, m.ics_id, m.placed, sum(m.net_spend) AS net_spend
    FROM months mo
    JOIN monthly m ON m.fy = mo.fy AND m.period <= mo.period
    GROUP BY ALL
),
unplaced AS (
    SELECT period, partner_id, sum(net_spend) AS net_spend FROM spend WHERE NOT placed GROUP BY ALL
),
-- each paying system's part of the partner's unplaced spend, to the penny; the largest payer takes the rest
shared AS (
    SELECT w.period, w.partner_id, w.ics_id, w.payer_rank, u.net_spend,
           CAST(round(u.net_spend * w.payment_share, 2) AS DECIMAL(18, 2)) AS rounded
    FROM fct_icb_payment_shares w JOIN unplaced u USING (period, partner_id)
    WHERE w.payment_share IS NOT NULL
),
apportioned AS (
    SELECT period, partner_id, ics_id,
           CASE WHEN payer_rank = 1
                THEN net_spend - sum(CASE WHEN payer_rank > 1 THEN rounded ELSE 0 END)
                                     OVER (PARTITION BY period, partner_id)
                ELSE rounded END AS net_spend
    FROM shared
),
payer_view AS (
    SELECT period, partner_id, ics_id, net_spend AS placed, 0 AS apportioned, 0 AS kept FROM spend WHERE placed
    UNION ALL
    SELECT period, partner_id, ics_id, 0, net_spend, 0 FROM apportioned
    UNION ALL          -- unplaced spend of a partner no ICB paid: the host view
    SELECT s.period, s.partner_id, s.ics_id, 0, 0, s.net_spend FROM spend s
    WHERE NOT s.placed AND NOT EXISTS (SELECT 1 FROM fct_icb_payment_shares w WHERE w.period = s.period
                                        AND w.partner_id = s.partner_id AND w.payment_share IS NOT NULL)
),
grid AS (
    SELECT DISTINCT s.ics_id, s.ics_name, mo.period, mo.fy, mo.fy_month, p.partner_id, p.partner_name,
           p.partner_kind
    FROM (SELECT DISTINCT period, partner_id, ics_id FROM spend
          UNION SELECT period, partner_id, ics_id FROM payer_view) k
    JOIN months mo USING (period)
    JOIN systems s USING (ics_id)
    JOIN dim_partner p USING (partner_id)
),
host AS (
    SELECT period, partner_id, ics_id, sum(net_spend) AS net_spend FROM spend GROUP BY ALL
),
payer AS (
    SELECT period, partner_id, ics_id, sum(placed) AS placed, sum(apportioned) AS apportioned, sum(kept) AS kept
    FROM payer_view GROUP BY ALL
)
SELECT g.ics_id, g.ics_name, g.period, g.fy, g.fy_month, g.partner_id, g.partner_name, g.partner_kind,
       CAST(coalesce(h.net_spend, 0) AS DECIMAL(18, 2)) AS host_net_spend,
       CAST(coalesce(v.placed, 0) + coalesce(v.apportioned, 0) + coalesce(v.kept, 0) AS DECIMAL(18, 2))
           AS payer_net_spend,
       CAST(coalesce(v.placed, 0) AS DECIMAL(18, 2)) AS placed_net_spend,
       CAST(coalesce(v.apportioned, 0) AS DECIMAL(18, 2)) AS apportioned_net_spend,
       CAST(coalesce(w.icb_paid, 0) AS DECIMAL(18, 2)) AS icb_paid,
       CAST(round(100 * w.payment_share, 2) AS DECIMAL(9, 2)) AS payment_share_pct
FROM grid g
LEFT JOIN host h USING (period, partner_id, ics_id)
LEFT JOIN payer v USING (period, partner_id, ics_id)
LEFT JOIN fct_icb_payment_shares w USING (period, partner_id, ics_id);
