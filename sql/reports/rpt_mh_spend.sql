-- rpt_mh_spend: mental-health expenditure by ICS, partner, service line and funding
-- stream, per month and financial year to date (gross: before eliminating payments
-- between partners). Grain: ics_id, partner_id, service_line, funding_stream, period.
CREATE OR REPLACE TABLE rpt_mh_spend AS
WITH monthly AS (
    SELECT ics_id, partner_id, partner_name, partner_kind, service_line, funding_stream,
           period, fy, fy_month, sum(amount) AS spend, count(*) AS ledger_lines
    FROM fct_ledger
    WHERE line_type = 'expenditure'
    GROUP BY ALL
)
SELECT *,
       sum(spend) OVER (PARTITION BY ics_id, partner_id, service_line, funding_stream, fy
                        ORDER BY period ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS ytd_spend
FROM monthly;
