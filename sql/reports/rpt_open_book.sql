-- rpt_open_book: the consolidated open book of mental-health spend per ICS, place, partner kind,
-- partner, service line and funding stream, by month: gross spend, the part eliminated (payments to
-- another submitting partner, whose own spend is counted instead) and net spend, with financial year
-- to date and a forecast outturn. Summing net_spend over any set of rows counts each pound once.
-- Every combination seen in a financial year has a row for every month of that year reported so far
-- (zero when nothing was booked), so year-to-date figures add up across rows for any month.
-- Forecast outturn is the run rate: net spend to date / months elapsed x 12, rounded half up.
-- Drill down to the ledger lines of any row with fct_drilldown.
-- Grain: one row per ICS, place, partner, service line, funding stream and month.
-- Keys: ics_id, place_id, partner_id, service_line, funding_stream, period
-- Columns:
--   ics_id: integrated care system (see fct_mh_ledger.ics_attribution)
--   ics_name: the integrated care system's name
--   place_id: the place the spend is coded to; null for system-wide services
--   place_name: the place's name ('System-wide' when place_id is null)
--   partner_kind: icb, nhs_trust, lead_provider, local_authority, vcse or independent
--   partner_id: the partner whose ledger holds the spend
--   partner_name: the partner's name
--   service_line: service line (see dim_service_line)
--   service_line_name: the service line's name
--   funding_stream: recurrent, non_recurrent, sdf, s75_pooled or grant
--   period: month (YYYY-MM)
--   fy: financial year, e.g. 2025-26
--   fy_month: month number in the financial year (April = 1)
--   gross_spend: expenditure booked in the month, pounds
--   eliminated_spend: the part of gross_spend paid to another submitting partner, pounds
--   net_spend: gross_spend - eliminated_spend, pounds
--   ledger_lines: number of ledger lines behind the month's figures
--   ytd_gross_spend: gross spend from April to this month, pounds
--   ytd_eliminated_spend: eliminated spend from April to this month, pounds
--   ytd_net_spend: net spend from April to this month, pounds
--   forecast_outturn_net_spend: full-year net spend forecast by run rate (ytd_net_spend / fy_month x 12,
--     rounded half up to the penny); equals ytd_net_spend at month 12
CREATE OR REPLACE TEMP MACRO money_ratio(amount, numerator, denominator) AS
    -- amount x numerator / denominator rounded half up to the penny in exact integer arithmetic
    -- (DuckDB's DECIMAL division returns DOUBLE); numerator and denominator whole, denominator > 0
    CAST(CAST(sign(CAST(amount * 100 AS HUGEINT) * numerator)
              * ((2 * abs(CAST(amount * 100 AS HUGEINT) * numerator) + denominator) // (2 * denominator))
         AS DECIMAL(38, 0)) * 0.01 AS DECIMAL(18, 2));

CREATE OR REPLACE TABLE rpt_open_book AS
WITH months_reported AS (
    -- The months' years worked out per month, not per line (the view's fy columns are computed for each line read).
    SELECT period, fy_of(period) AS fy, fy_month_of(period) AS fy_month FROM (SELECT DISTINCT period FROM fct_ledger)
),
monthly AS (
    SELECT ics_id, place_id, partner_id, service_line, funding_stream, period,
           sum(gross_spend) AS gross_spend, sum(eliminated_spend) AS eliminated_spend,
           sum(net_spend) AS net_spend, count(*) AS ledger_lines
    FROM fct_mh_ledger
    WHERE line_type = 'expenditure'
    GROUP BY ALL
),
combinations_per_year AS (
    SELECT DISTINCT ics_id, ics_name, place_id, place_name, partner_kind, partner_id, partner_name,
           service_line, service_line_name, funding_stream, fy
    FROM fct_mh_ledger
    WHERE line_type = 'expenditure'
),
every_month AS (
    SELECT c.*, m.period, m.fy_month,
           coalesce(s.gross_spend, 0) AS gross_spend, coalesce(s.eliminated_spend, 0) AS eliminated_spend,
           coalesce(s.net_spend, 0) AS net_spend, coalesce(s.ledger_lines, 0) AS ledger_lines
    FROM combinations_per_year c
    JOIN months_reported m ON m.fy = c.fy
    LEFT JOIN monthly s
           ON s.ics_id = c.ics_id AND s.place_id IS NOT DISTINCT FROM c.place_id AND s.partner_id = c.partner_id
          AND s.service_line = c.service_line AND s.funding_stream IS NOT DISTINCT FROM c.funding_stream
          AND s.period = m.period
),
year_to_date AS (
    SELECT *,
           sum(gross_spend) OVER running AS ytd_gross_spend,
           sum(eliminated_spend) OVER running AS ytd_eliminated_spend,
           sum(net_spend) OVER running AS ytd_net_spend
    FROM every_month
    WINDOW running AS (PARTITION BY ics_id, place_id, partner_id, service_line, funding_stream, fy
                       ORDER BY period ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT ics_id, ics_name, place_id, place_name, partner_kind, partner_id, partner_name,
       service_line, service_line_name, funding_stream, period, fy, fy_month,
       CAST(gross_spend AS DECIMAL(18, 2)) AS gross_spend,
       CAST(eliminated_spend AS DECIMAL(18, 2)) AS eliminated_spend,
       CAST(net_spend AS DECIMAL(18, 2)) AS net_spend,
       ledger_lines,
       CAST(ytd_gross_spend AS DECIMAL(18, 2)) AS ytd_gross_spend,
       CAST(ytd_eliminated_spend AS DECIMAL(18, 2)) AS ytd_eliminated_spend,
       CAST(ytd_net_spend AS DECIMAL(18, 2)) AS ytd_net_spend,
       money_ratio(ytd_net_spend, 12, fy_month) AS forecast_outturn_net_spend
FROM year_to_date;
