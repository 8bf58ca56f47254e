-- rpt_mhis: the Mental Health Investment Standard per ICB and financial year, as docs/model.md
-- defines it. MHIS spend = the ICB's own ledger expenditure on service lines with in_mhis = true
-- and a funding stream in mhis_funding_streams (sql/settings.yaml, bound: recurrent and s75_pooled;
-- SDF, non-recurrent and grant monies are outside the base). rpt_mhis_categories splits it by MHIS
-- category and shows each exclusion. Required spend for year y = MHIS spend(y-1) x programme
-- allocation(y) / programme allocation(y-1), rounded half up to the penny (in exact integer arithmetic). The standard is met
-- when MHIS spend(y) >= required; it is only assessed on a complete year (a part year shows the
-- run-rate forecast instead).
-- Grain: one row per ICB and financial year.
-- Keys: icb_id, fy
-- Columns:
--   icb_id: the ICB
--   icb_name: the ICB's name
--   ics_id: the ICB's integrated care system
--   ics_name: the integrated care system's name
--   fy: financial year, e.g. 2025-26
--   months_reported: months of the year with ledger lines (12 = complete)
--   mhis_spend: MHIS spend in the year (to date when the year is incomplete), pounds
--   prior_year_spend: MHIS spend in the previous year (null when not loaded)
--   programme_allocation: the ICB's programme allocation for the year
--   prior_programme_allocation: the programme allocation for the previous year
--   allocation_growth_pct: growth of the programme allocation on the previous year, percent
--   mhis_spend_growth_pct: growth of MHIS spend on the previous year, percent
--   required_spend: prior_year_spend x programme_allocation / prior_programme_allocation, rounded half up
--   met: true when mhis_spend >= required_spend in a complete year; null when not assessable
--   shortfall: required_spend - mhis_spend when not met, 0 when met, null when not assessable
--   headroom: mhis_spend - required_spend when met, 0 when not met, null when not assessable
--   forecast_mhis_spend: run-rate forecast of the year's MHIS spend (mhis_spend / months_reported x 12)
--   forecast_met: true when forecast_mhis_spend >= required_spend
--   mhis_share_of_allocation_pct: MHIS spend as a percentage of the programme allocation
--   mh_spend: the ICB's expenditure on every mental-health service line, any funding stream, pounds
--   mh_share_of_allocation_pct: mh_spend as a percentage of the programme allocation
--   mhis_funding_streams: the funding streams mhis_spend counts (sql/settings.yaml as the model was built):
--     the drill-down lists the ICB's lines on in_mhis service lines from these streams, so it adds up to
--     mhis_spend whatever the definition
CREATE OR REPLACE TEMP MACRO money_ratio(amount, numerator, denominator) AS
    -- amount x numerator / denominator rounded half up to the penny in exact integer arithmetic
    -- (DuckDB's DECIMAL division returns DOUBLE); numerator and denominator whole, denominator > 0
    CAST(CAST(sign(CAST(amount * 100 AS HUGEINT) * numerator)
              * ((2 * abs(CAST(amount * 100 AS HUGEINT) * numerator) + denominator) // (2 * denominator))
         AS DECIMAL(38, 0)) * 0.01 AS DECIMAL(18, 2));

CREATE OR REPLACE TABLE rpt_mhis AS
WITH mhis_funding_streams AS (
    SELECT unnest($mhis_funding_streams) AS funding_stream
),
-- Grouped by month first and each month's year worked out after: the view's fy, built as text for
-- every line read, cost more than the grouping (a month's lines are all of its year, so the same rows).
icb_years AS (
    SELECT icb_id, fy_of(period) AS fy, CAST(substr(fy_of(period), 1, 4) AS INTEGER) AS fy_start
    FROM (SELECT DISTINCT partner_id AS icb_id, period FROM fct_ledger WHERE partner_kind = 'icb')
    GROUP BY ALL
),
icb_spend_by_month AS (
    SELECT l.partner_id AS icb_id, l.period,
           sum(l.amount) FILTER (WHERE s.in_mhis
                                 AND l.funding_stream IN (SELECT funding_stream FROM mhis_funding_streams))
               AS mhis_spend,
           sum(l.amount) FILTER (WHERE s.mental_health) AS mh_spend
    FROM fct_ledger l
    JOIN dim_service_line s ON s.service_line = l.service_line
    WHERE l.partner_kind = 'icb' AND l.line_type = 'expenditure'
    GROUP BY ALL
),
icb_spend AS (
    SELECT icb_id, CAST(substr(fy_of(period), 1, 4) AS INTEGER) AS fy_start,
           count(*) AS months_reported, sum(mhis_spend) AS mhis_spend, sum(mh_spend) AS mh_spend
    FROM icb_spend_by_month
    GROUP BY ALL
),
allocations AS (
    SELECT icb_id, CAST(substr(fy, 1, 4) AS INTEGER) AS fy_start, programme_allocation FROM ref_allocations
),
with_prior_year AS (
    SELECT y.icb_id, y.fy, coalesce(s.months_reported, 0) AS months_reported,
           CAST(coalesce(s.mhis_spend, 0) AS DECIMAL(18, 2)) AS mhis_spend,
           CAST(coalesce(s.mh_spend, 0) AS DECIMAL(18, 2)) AS mh_spend,
           CAST(prior.mhis_spend AS DECIMAL(18, 2)) AS prior_year_spend,
           a.programme_allocation, prior_a.programme_allocation AS prior_programme_allocation
    FROM icb_years y
    LEFT JOIN icb_spend s ON s.icb_id = y.icb_id AND s.fy_start = y.fy_start
    LEFT JOIN icb_spend prior ON prior.icb_id = y.icb_id AND prior.fy_start = y.fy_start - 1
    LEFT JOIN allocations a ON a.icb_id = y.icb_id AND a.fy_start = y.fy_start
    LEFT JOIN allocations prior_a ON prior_a.icb_id = y.icb_id AND prior_a.fy_start = y.fy_start - 1
),
required AS (
    SELECT *,
           money_ratio(prior_year_spend, CAST(programme_allocation * 100 AS HUGEINT),
                       CAST(nullif(prior_programme_allocation, 0) * 100 AS HUGEINT)) AS required_spend,
           money_ratio(mhis_spend, 12, nullif(months_reported, 0)) AS forecast_mhis_spend
    FROM with_prior_year
)
SELECT r.icb_id, p.partner_name AS icb_name, p.ics_id, ics.ics_name, r.fy, r.months_reported,
       r.mhis_spend, r.prior_year_spend, r.programme_allocation, r.prior_programme_allocation,
       CAST(round(100 * (r.programme_allocation / nullif(r.prior_programme_allocation, 0) - 1), 4) AS DECIMAL(38, 4))
           AS allocation_growth_pct,
       CAST(round(100 * (r.mhis_spend / nullif(r.prior_year_spend, 0) - 1), 4) AS DECIMAL(38, 4))
           AS mhis_spend_growth_pct,
       r.required_spend,
       CASE WHEN r.months_reported = 12 AND r.required_spend IS NOT NULL THEN r.mhis_spend >= r.required_spend END
           AS met,
       CAST(CASE WHEN r.months_reported = 12 AND r.required_spend IS NOT NULL
                 THEN greatest(r.required_spend - r.mhis_spend, 0) END AS DECIMAL(18, 2)) AS shortfall,
       CAST(CASE WHEN r.months_reported = 12 AND r.required_spend IS NOT NULL
                 THEN greatest(r.mhis_spend - r.required_spend, 0) END AS DECIMAL(18, 2)) AS headroom,
       r.forecast_mhis_spend,
       r.forecast_mhis_spend >= r.required_spend AS forecast_met,
       CAST(round(100 * r.mhis_spend / nullif(r.programme_allocation, 0), 4) AS DECIMAL(38, 4))
           AS mhis_share_of_allocation_pct,
       r.mh_spend,
       CAST(round(100 * r.mh_spend / nullif(r.programme_allocation, 0), 4) AS DECIMAL(38, 4)) AS mh_share_of_allocation_pct,
       CAST($mhis_funding_streams AS VARCHAR[]) AS mhis_funding_streams
FROM required r
LEFT JOIN dim_partner p ON p.partner_id = r.icb_id
LEFT JOIN (SELECT DISTINCT ics_id, ics_name FROM ref_places) ics ON ics.ics_id = p.ics_id;
