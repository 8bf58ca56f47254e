-- rpt_mh_spend: mental-health expenditure by ICS, partner, service line and funding stream, per
-- month and financial year to date (gross: before eliminating payments between partners; see
-- rpt_open_book for the consolidated figures). Only mental-health service lines count
-- (dim_service_line.mental_health).
-- Grain: one row per ICS, partner, service line, funding stream and month with spend.
-- Keys: ics_id, partner_id, service_line, funding_stream, period
-- Columns:
--   ics_id: integrated care system (see fct_mh_ledger.ics_attribution)
--   ics_name: the integrated care system's name
--   partner_id: the partner whose ledger holds the spend
--   partner_name: the partner's name
--   partner_kind: icb, nhs_trust, lead_provider, local_authority, vcse or independent
--   service_line: service line (see dim_service_line)
--   service_line_name: the service line's name
--   funding_stream: recurrent, non_recurrent, sdf, s75_pooled or grant
--   period: month (YYYY-MM)
--   fy: financial year, e.g. 2025-26
--   fy_month: month number in the financial year (April = 1)
--   spend: expenditure in the month, pounds
--   ledger_lines: number of ledger lines behind the month's spend
--   ytd_spend: expenditure from April to this month, pounds
CREATE OR REPLACE TABLE rpt_mh_spend AS
WITH monthly AS (
    SELECT ics_id, ics_name, partner_id, partner_name, partner_kind, service_line, service_line_name,
           funding_stream, period, fy, fy_month, sum(gross_spend) AS spend, count(*) AS ledger_lines
    FROM fct_mh_ledger
    WHERE line_type = 'expenditure'
    GROUP BY ALL
)
SELECT *,
       sum(spend) OVER (PARTITION BY ics_id, partner_id, service_line, funding_stream, fy
                        ORDER BY period ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS ytd_spend
FROM monthly;
