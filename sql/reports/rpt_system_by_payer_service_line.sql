-- rpt_system_by_payer_service_line: each system's net mental-health spend by service line, financial year to
-- date as at each month, by the partner that spends it, in the two views of rpt_system_by_payer. Host view:
-- as fct_mh_ledger files it (the place's system where a line is coded to a place, else the system that hosts
-- the partner). Commissioner view (who pays): a line coded to a place stays with the place's system; a
-- partner's spend on a service line coded to no place is shared between the systems whose ICBs paid that
-- partner, in proportion to what each ICB paid it from April to the month (all its ICB income: the shares
-- of fct_icb_payment_shares, as rpt_system_by_payer: an NHS trust's by contract income, the lead provider's
-- by delegated budget).
-- A partner no ICB paid keeps its host view. Pennies: a paying system's parts over the partner's service
-- lines are the steps in its rounded running share (service lines in order), so they add up exactly to its
-- part in rpt_system_by_payer; the system paying the most takes the rest of each service line. So every pound
-- of every partner's service line is attributed exactly once, and summed over service lines each system's
-- figures are rpt_system_by_payer's to the penny.
-- Grain: one row per system, month, partner and service line.
-- Keys: ics_id, period, partner_id, service_line
-- Columns:
--   ics_id: integrated care system
--   ics_name: the system's name
--   period: the month the figures run to (YYYY-MM)
--   fy: financial year, e.g. 2025-26
--   fy_month: month number in the financial year (April = 1)
--   partner_id: the partner whose ledger holds the spend
--   partner_name: the partner's name
--   partner_kind: icb, nhs_trust, lead_provider, local_authority, vcse or independent
--   service_line: service line (see dim_service_line)
--   service_line_name: the service line's name
--   host_net_spend: net spend from April to this month filed under the system in the host view, pounds
--   payer_net_spend: net spend from April to this month attributed to the system in the commissioner view,
--     pounds
--   placed_net_spend: the part of payer_net_spend coded to a place of the system, pounds
--   apportioned_net_spend: the part of payer_net_spend shared out by ICB payments, pounds
CREATE OR REPLACE TABLE rpt_system_by_payer_service_line AS
WITH months AS (
    -- The months' years worked out per month, not per line (the view's fy columns are computed for each line read).
    SELECT period, fy_of(period) AS fy, fy_month_of(period) AS fy_month FROM (SELECT DISTINCT period FROM fct_ledger)
),
systems AS (
    SELECT DISTINCT ics_id, ics_name FROM fct_mh_ledger WHERE ics_id IS NOT NULL
),
monthly AS (
    -- each month's sums first, so the year to date below adds up a few rows a month rather than every line
    -- once for each later month of its year (exact: DECIMAL sums)
    SELECT l.period, l.fy, l.partner_id, l.service_line, l.ics_id, l.place_id IS NOT NULL AS placed, sum(l.net_spend) AS net_spend
    FROM fct_mh_ledger l
    WHERE l.line_type = 'expenditure' AND NOT l.is_eliminated
    GROUP BY ALL
),
spend AS (
    SELECT mo.period, mo.fy, mo.fy_month, m.partner_id, m.service_line, m.ics_id, m.placed, sum(m.net_spend) AS net_spend
    FROM months mo
    JOIN monthly m ON m.fy = mo.fy AND m.period <= mo.period
    GROUP BY ALL
),
unplaced AS (
    SELECT period, partner_id, service_line, sum(net_spend) AS net_spend FROM spend WHERE NOT placed GROUP BY ALL
),
-- each paying system's part of the partner's unplaced spend on each service line: the step in its rounded
-- running share over the service lines (in service-line order), so its parts add up to exactly its part of
-- the partner's whole unplaced spend in rpt_system_by_payer; the largest payer takes the rest of each line
shared AS (
    SELECT *, CAST(round(running * weight, 2) AS DECIMAL(18, 2))
                  - coalesce(CAST(round((running - net_spend) * weight, 2) AS DECIMAL(18, 2)), 0) AS rounded
    FROM (
        SELECT w.period, w.partner_id, u.service_line, w.ics_id, w.payer_rank, w.payment_share AS weight,
               u.net_spend,
               sum(u.net_spend) OVER (PARTITION BY w.period, w.partner_id, w.ics_id ORDER BY u.service_line
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running
        FROM fct_icb_payment_shares w JOIN unplaced u USING (period, partner_id)
        WHERE w.payment_share IS NOT NULL
    )
),
apportioned AS (
    SELECT period, partner_id, service_line, ics_id,
           CASE WHEN payer_rank = 1
                THEN net_spend - sum(CASE WHEN payer_rank > 1 THEN rounded ELSE 0 END)
                                     OVER (PARTITION BY period, partner_id, service_line)
                ELSE rounded END AS net_spend
    FROM shared
),
payer_view AS (
    SELECT period, partner_id, service_line, ics_id, net_spend AS placed, 0 AS apportioned, 0 AS kept
    FROM spend WHERE placed
    UNION ALL
    SELECT period, partner_id, service_line, ics_id, 0, net_spend, 0 FROM apportioned
    UNION ALL          -- unplaced spend of a partner no ICB paid: the host view
    SELECT s.period, s.partner_id, s.service_line, s.ics_id, 0, 0, s.net_spend FROM spend s
    WHERE NOT s.placed AND NOT EXISTS (SELECT 1 FROM fct_icb_payment_shares w WHERE w.period = s.period
                                        AND w.partner_id = s.partner_id AND w.payment_share IS NOT NULL)
),
grid AS (
    SELECT DISTINCT s.ics_id, s.ics_name, mo.period, mo.fy, mo.fy_month, p.partner_id, p.partner_name,
           p.partner_kind, k.service_line
    FROM (SELECT DISTINCT period, partner_id, service_line, ics_id FROM spend
          UNION SELECT period, partner_id, service_line, ics_id FROM payer_view) k
    JOIN months mo USING (period)
    JOIN systems s USING (ics_id)
    JOIN dim_partner p USING (partner_id)
),
host AS (
    SELECT period, partner_id, service_line, ics_id, sum(net_spend) AS net_spend FROM spend GROUP BY ALL
),
payer AS (
    SELECT period, partner_id, service_line, ics_id, sum(placed) AS placed, sum(apportioned) AS apportioned,
           sum(kept) AS kept
    FROM payer_view GROUP BY ALL
)
SELECT g.ics_id, g.ics_name, g.period, g.fy, g.fy_month, g.partner_id, g.partner_name, g.partner_kind,
       g.service_line, sl.service_line_name,
       CAST(coalesce(h.net_spend, 0) AS DECIMAL(18, 2)) AS host_net_spend,
       CAST(coalesce(v.placed, 0) + coalesce(v.apportioned, 0) + coalesce(v.kept, 0) AS DECIMAL(18, 2))
           AS payer_net_spend,
       CAST(coalesce(v.placed, 0) AS DECIMAL(18, 2)) AS placed_net_spend,
       CAST(coalesce(v.apportioned, 0) AS DECIMAL(18, 2)) AS apportioned_net_spend
FROM grid g
LEFT JOIN host h USING (period, partner_id, service_line, ics_id)
LEFT JOIN payer v USING (period, partner_id, service_line, ics_id)
LEFT JOIN dim_service_line sl ON sl.service_line = g.service_line;
