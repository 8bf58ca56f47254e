-- rpt_lead_provider: the lead provider's delegated budget month by month: what the ICBs delegated
-- (contracts to the lead provider), what it spent on beds (inpatient service lines) and on community
-- services, its occupied bed days and out-of-area placements (ref_lp_activity), and the savings on
-- beds against its first financial year's monthly average with the reinvestment into community
-- services against the same baseline. Which service lines are bed-based and which community are
-- bound parameters (sql/settings.yaml). ref_lp_activity holds one lead provider's activity.
-- Grain: one row per lead provider and month.
-- Keys: lead_provider_id, period
-- Columns:
--   lead_provider_id: the lead provider (partner kind lead_provider)
--   lead_provider_name: its name
--   period: month (YYYY-MM)
--   fy: financial year, e.g. 2025-26
--   fy_month: month number in the financial year (April = 1)
--   delegated_budget: a twelfth of the annual value of the contracts delegating budget to it, pounds
--   delegated_income: the income it booked in the month, pounds (positive)
--   inpatient_spend: its expenditure on inpatient (bed-based) service lines, pounds
--   community_spend: its expenditure on community service lines, pounds
--   other_spend: its other expenditure (hub and corporate costs), pounds
--   total_spend: all its expenditure in the month, pounds
--   occupied_bed_days: occupied bed days across its providers in the month
--   out_of_area_placements: out-of-area placements across its providers in the month
--   baseline_inpatient_spend: monthly average inpatient spend in its first financial year (rounded half up)
--   inpatient_saving: baseline_inpatient_spend - inpatient_spend (positive: less spent on beds)
--   baseline_community_spend: monthly average community spend in its first financial year
--   community_reinvestment: community_spend - baseline_community_spend (positive: more spent in the community)
--   ytd_inpatient_saving: inpatient_saving from April to this month
--   ytd_community_reinvestment: community_reinvestment from April to this month
--   baseline_occupied_bed_days: monthly average occupied bed days in the first financial year
--   ics_id: the lead provider's home integrated care system (its flags belong to that system's pack)
--   ics_name: the integrated care system's name
--   ytd_delegated_budget: delegated_budget from April to this month, pounds
--   ytd_total_spend: total_spend from April to this month, pounds
--   ytd_over_delegated_budget: ytd_total_spend - ytd_delegated_budget (positive: spent more than the ICBs
--     delegated; rpt_flags raises a lead_provider_overspend flag on it), pounds
--   non_mh_spend: the part of total_spend on service lines that are not mental health (dim_service_line:
--     its hub and corporate costs, and any unclassified lines), pounds. The open book, Spend by partner and
--     every other mental-health figure (rpt_mh_spend, rpt_open_book) leave it out, so the lead provider's
--     total there is total_spend - non_mh_spend; the Lead provider sheet states it as a reconciling line
--   mh_spend: total_spend - non_mh_spend: its mental-health expenditure, as rpt_mh_spend counts it, pounds
CREATE OR REPLACE TEMP MACRO money_ratio(amount, numerator, denominator) AS
    -- amount x numerator / denominator rounded half up to the penny in exact integer arithmetic
    -- (DuckDB's DECIMAL division returns DOUBLE); numerator and denominator whole, denominator > 0
    CAST(CAST(sign(CAST(amount * 100 AS HUGEINT) * numerator)
              * ((2 * abs(CAST(amount * 100 AS HUGEINT) * numerator) + denominator) // (2 * denominator))
         AS DECIMAL(38, 0)) * 0.01 AS DECIMAL(18, 2));

CREATE OR REPLACE TABLE rpt_lead_provider AS
WITH lead_providers AS (
    SELECT p.partner_id AS lead_provider_id, p.partner_name AS lead_provider_name, p.ics_id, i.ics_name
    FROM dim_partner p
    LEFT JOIN (SELECT DISTINCT ics_id, ics_name FROM ref_places) i ON i.ics_id = p.ics_id
    WHERE p.partner_kind = 'lead_provider'
),
monthly_ledger AS (
    SELECT l.partner_id AS lead_provider_id, l.period, l.fy, l.fy_month,
           -sum(l.amount) FILTER (WHERE l.line_type = 'income') AS delegated_income,
           sum(l.amount) FILTER (WHERE l.line_type = 'expenditure'
                                 AND list_contains($lead_provider_inpatient_service_lines, l.service_line))
               AS inpatient_spend,
           sum(l.amount) FILTER (WHERE l.line_type = 'expenditure'
                                 AND list_contains($lead_provider_community_service_lines, l.service_line))
               AS community_spend,
           sum(l.amount) FILTER (WHERE l.line_type = 'expenditure') AS total_spend,
           sum(l.amount) FILTER (WHERE l.line_type = 'expenditure' AND NOT coalesce(s.mental_health, false))
               AS non_mh_spend
    FROM fct_ledger l
    JOIN lead_providers p ON p.lead_provider_id = l.partner_id
    LEFT JOIN dim_service_line s ON s.service_line = l.service_line
    GROUP BY ALL
),
delegations AS (
    SELECT m.lead_provider_id, m.period, sum(money_ratio(c.annual_value, 1, 12)) AS delegated_budget
    FROM monthly_ledger m
    JOIN ref_contracts c
      ON c.provider_id = m.lead_provider_id
     AND CAST(m.period || '-01' AS DATE) BETWEEN date_trunc('month', c.start_date) AND c.end_date
    GROUP BY ALL
),
activity AS (
    SELECT period, sum(occupied_bed_days) AS occupied_bed_days, sum(out_of_area_placements) AS out_of_area_placements
    FROM ref_lp_activity
    GROUP BY period
),
months AS (
    SELECT m.*, coalesce(d.delegated_budget, 0) AS delegated_budget,
           a.occupied_bed_days, a.out_of_area_placements
    FROM monthly_ledger m
    LEFT JOIN delegations d ON d.lead_provider_id = m.lead_provider_id AND d.period = m.period
    LEFT JOIN activity a ON a.period = m.period
),
first_year AS (
    SELECT lead_provider_id, min(fy) AS fy FROM months GROUP BY lead_provider_id
),
baseline AS (
    SELECT m.lead_provider_id,
           money_ratio(sum(coalesce(m.inpatient_spend, 0)), 1, count(*)) AS baseline_inpatient_spend,
           money_ratio(sum(coalesce(m.community_spend, 0)), 1, count(*)) AS baseline_community_spend,
           CAST(round(avg(m.occupied_bed_days), 1) AS DECIMAL(18, 1)) AS baseline_occupied_bed_days
    FROM months m
    JOIN first_year f ON f.lead_provider_id = m.lead_provider_id AND f.fy = m.fy
    GROUP BY m.lead_provider_id
),
compared AS (
    SELECT m.*, b.baseline_inpatient_spend, b.baseline_community_spend, b.baseline_occupied_bed_days,
           b.baseline_inpatient_spend - coalesce(m.inpatient_spend, 0) AS inpatient_saving,
           coalesce(m.community_spend, 0) - b.baseline_community_spend AS community_reinvestment
    FROM months m
    JOIN baseline b ON b.lead_provider_id = m.lead_provider_id
)
SELECT c.lead_provider_id, p.lead_provider_name, c.period, c.fy, c.fy_month,
       CAST(c.delegated_budget AS DECIMAL(18, 2)) AS delegated_budget,
       CAST(coalesce(c.delegated_income, 0) AS DECIMAL(18, 2)) AS delegated_income,
       CAST(coalesce(c.inpatient_spend, 0) AS DECIMAL(18, 2)) AS inpatient_spend,
       CAST(coalesce(c.community_spend, 0) AS DECIMAL(18, 2)) AS community_spend,
       CAST(coalesce(c.total_spend, 0) - coalesce(c.inpatient_spend, 0) - coalesce(c.community_spend, 0)
            AS DECIMAL(18, 2)) AS other_spend,
       CAST(coalesce(c.total_spend, 0) AS DECIMAL(18, 2)) AS total_spend,
       c.occupied_bed_days, c.out_of_area_placements,
       c.baseline_inpatient_spend,
       CAST(c.inpatient_saving AS DECIMAL(18, 2)) AS inpatient_saving,
       c.baseline_community_spend,
       CAST(c.community_reinvestment AS DECIMAL(18, 2)) AS community_reinvestment,
       CAST(sum(c.inpatient_saving) OVER running AS DECIMAL(18, 2)) AS ytd_inpatient_saving,
       CAST(sum(c.community_reinvestment) OVER running AS DECIMAL(18, 2)) AS ytd_community_reinvestment,
       c.baseline_occupied_bed_days,
       p.ics_id, p.ics_name,
       CAST(sum(c.delegated_budget) OVER running AS DECIMAL(18, 2)) AS ytd_delegated_budget,
       CAST(sum(coalesce(c.total_spend, 0)) OVER running AS DECIMAL(18, 2)) AS ytd_total_spend,
       CAST(sum(coalesce(c.total_spend, 0) - c.delegated_budget) OVER running AS DECIMAL(18, 2))
           AS ytd_over_delegated_budget,
       CAST(coalesce(c.non_mh_spend, 0) AS DECIMAL(18, 2)) AS non_mh_spend,
       CAST(coalesce(c.total_spend, 0) - coalesce(c.non_mh_spend, 0) AS DECIMAL(18, 2)) AS mh_spend
FROM compared c
JOIN lead_providers p ON p.lead_provider_id = c.lead_provider_id
WINDOW running AS (PARTITION BY c.lead_provider_id, c.fy ORDER BY c.period
                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);
