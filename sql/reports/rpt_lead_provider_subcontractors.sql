-- rpt_lead_provider_subcontractors: the lead provider's spend by who it paid - each subcontractor
-- that is a partner of the system (submitting or not), and everything else (out-of-area
-- placements with other providers, its own staff and suppliers) together - per service line and
-- month, with the subcontractor's occupied bed days and out-of-area placements (ref_lp_activity)
-- and the cost per occupied bed day. Sums fct_lead_provider_ledger, whose lines each figure's
-- drill-down lists.
-- Grain: one row per lead provider, month, service line and subcontractor.
-- Keys: lead_provider_id, period, service_line, subcontractor_id
-- Columns:
--   lead_provider_id: the lead provider
--   lead_provider_name: its name
--   period: month (YYYY-MM)
--   fy: financial year, e.g. 2025-26
--   fy_month: month number in the financial year (April = 1)
--   service_line: the service line of the spend
--   service_line_name: the service line's name
--   subcontractor_id: the partner paid; 'other' for suppliers outside the partnership and own staff
--   subcontractor_name: the partner's name, or 'Other providers, suppliers and own staff'
--   subcontractor_kind: the partner's kind (nhs_trust, independent, ...); null for 'other'
--   spend: expenditure in the month, pounds
--   ytd_spend: expenditure from April to this month, pounds
--   occupied_bed_days: the subcontractor's occupied bed days in the month (null when none reported)
--   out_of_area_placements: the subcontractor's out-of-area placements in the month (null when none reported)
--   cost_per_occupied_bed_day: spend / occupied_bed_days, rounded half up to the penny
--   ledger_lines: number of ledger lines behind the month's spend
CREATE OR REPLACE TEMP MACRO money_ratio(amount, numerator, denominator) AS
    -- amount x numerator / denominator rounded half up to the penny in exact integer arithmetic
    -- (DuckDB's DECIMAL division returns DOUBLE); numerator and denominator whole, denominator > 0
    CAST(CAST(sign(CAST(amount * 100 AS HUGEINT) * numerator)
              * ((2 * abs(CAST(amount * 100 AS HUGEINT) * numerator) + denominator) // (2 * denominator))
         AS DECIMAL(38, 0)) * 0.01 AS DECIMAL(18, 2));

CREATE OR REPLACE TABLE rpt_lead_provider_subcontractors AS
WITH lead_provider_spend AS (
    SELECT partner_id AS lead_provider_id, partner_name AS lead_provider_name, period, fy, fy_month,
           service_line, service_line_name, subcontractor_id, subcontractor_name, subcontractor_kind,
           sum(amount) AS spend, count(*) AS ledger_lines
    FROM fct_lead_provider_ledger
    GROUP BY ALL
)
SELECT s.lead_provider_id, s.lead_provider_name, s.period, s.fy, s.fy_month, s.service_line,
       s.service_line_name, s.subcontractor_id, s.subcontractor_name, s.subcontractor_kind,
       CAST(s.spend AS DECIMAL(18, 2)) AS spend,
       CAST(sum(s.spend) OVER (PARTITION BY s.lead_provider_id, s.service_line, s.subcontractor_id, s.fy
                               ORDER BY s.period ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
            AS DECIMAL(18, 2)) AS ytd_spend,
       a.occupied_bed_days, a.out_of_area_placements,
       money_ratio(s.spend, 1, nullif(a.occupied_bed_days, 0)) AS cost_per_occupied_bed_day,
       s.ledger_lines
FROM lead_provider_spend s
LEFT JOIN ref_lp_activity a ON a.provider_id = s.subcontractor_id AND a.period = s.period;
