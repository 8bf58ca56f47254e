-- rpt_sector_share_by_recipient: net mental-health spend by the sector of the organisation that received
-- the money (dim_counterparty), per system, financial year to date as at each month; the partner-kind view
-- (by delivering partner) stays in rpt_sector_share. A line paying a partner that submits its own ledger is
-- eliminated (net spend only), so a VCSE partner's spend counts once, in its own ledger, not again as the
-- commissioner's payment. Money a partner pays its own staff (payroll), individuals or ordinary private
-- suppliers (other_private: agency staff, utilities, goods) is the partner delivering the service itself: it
-- counts to the paying partner's sector (basis in_house). Money paid to a counterparty of unknown class is
-- shown as unclassified (a line naming no counterparty is in house), and the shares give the band it leaves:
-- each sector's share could be up to unclassified_share_pct higher. Every sector has a row for every month
-- of each system's year, so a pack for any month reads its year to date (zero when nothing was spent).
-- Grain: one row per system, month and sector.
-- Keys: ics_id, period, sector
-- Columns:
--   ics_id: integrated care system (both_systems for lines no system can be attributed to)
--   ics_name: the system's name
--   period: the month the figures run to (YYYY-MM)
--   fy: financial year, e.g. 2025-26
--   fy_month: month number in the financial year (April = 1)
--   sector: nhs, local_authority, vcse, independent or unclassified
--   sector_name: Statutory NHS, Local authority, Voluntary sector (VCSE), Independent sector or Unclassified
--   month_net_spend: net mental-health spend received by the sector in the month alone, pounds
--   net_spend: net mental-health spend received by the sector from April to this month, pounds
--   paid_to_others: the part of net_spend paid to an organisation of the sector outside the paying partner
--     (not in house), pounds
--   share_pct: net_spend as a percentage of the system's net spend from April to this month
--   unclassified_share_pct: the system's unclassified share from April to this month (the uncertainty band)
--   share_high_pct: share_pct + unclassified_share_pct: the share if all unclassified money went to this sector
CREATE OR REPLACE TABLE rpt_sector_share_by_recipient AS
WITH sector_names (sector, sector_name) AS (
    VALUES ('nhs', 'Statutory NHS'), ('local_authority', 'Local authority'), ('vcse', 'Voluntary sector (VCSE)'),
           ('independent', 'Independent sector'), ('unclassified', 'Unclassified')
),
-- who received each line's money: the one rule, in fct_mh_ledger_by_recipient (the drill-down lists it)
lines AS (
    SELECT ics_id, ics_name, period, fy, net_spend, recipient_sector AS sector, NOT in_house AS paid_to_other
    FROM fct_mh_ledger_by_recipient
),
-- every month of every year a system has spend in, so each month's year to date has its rows
months AS (
    SELECT DISTINCT s.ics_id, s.ics_name, m.period, m.fy, m.fy_month
    FROM (SELECT DISTINCT ics_id, ics_name, fy FROM lines) s
    -- The months' years worked out per month, not per line (the view's fy columns are computed for each line read).
    JOIN (SELECT period, fy_of(period) AS fy, fy_month_of(period) AS fy_month
          FROM (SELECT DISTINCT period FROM fct_ledger)) m ON m.fy = s.fy
),
by_month AS (
    SELECT m.ics_id, m.ics_name, m.period, m.fy, m.fy_month, n.sector, n.sector_name,
           coalesce(sum(l.net_spend), 0) AS month_net_spend,
           coalesce(sum(CASE WHEN l.paid_to_other THEN l.net_spend ELSE 0 END), 0) AS month_paid_to_others
    FROM months m
    CROSS JOIN sector_names n
    LEFT JOIN lines l ON l.ics_id = m.ics_id AND l.period = m.period AND l.sector = n.sector
    GROUP BY ALL
),
year_to_date AS (
    SELECT *,
           sum(month_net_spend) OVER ytd AS net_spend,
           sum(month_paid_to_others) OVER ytd AS paid_to_others
    FROM by_month
    WINDOW ytd AS (PARTITION BY ics_id, fy, sector ORDER BY period ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
shares AS (
    SELECT *, 100 * net_spend / nullif(sum(net_spend) OVER system_month, 0) AS share,
           100 * sum(CASE WHEN sector = 'unclassified' THEN net_spend ELSE 0 END) OVER system_month
               / nullif(sum(net_spend) OVER system_month, 0) AS unclassified_share
    FROM year_to_date
    WINDOW system_month AS (PARTITION BY ics_id, period)
)
SELECT ics_id, ics_name, period, fy, fy_month, sector, sector_name,
       CAST(month_net_spend AS DECIMAL(18, 2)) AS month_net_spend,
       CAST(net_spend AS DECIMAL(18, 2)) AS net_spend, CAST(paid_to_others AS DECIMAL(18, 2)) AS paid_to_others,
       CAST(round(share, 2) AS DECIMAL(9, 2)) AS share_pct,
       CAST(round(unclassified_share, 2) AS DECIMAL(9, 2)) AS unclassified_share_pct,
       CAST(round(CASE WHEN sector = 'unclassified' THEN share ELSE share + unclassified_share END, 2)
            AS DECIMAL(9, 2)) AS share_high_pct
FROM shares;
