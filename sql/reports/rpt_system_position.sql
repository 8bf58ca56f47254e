-- rpt_system_position: each system's investment-plan position for the financial year, as at the
-- latest month reported: plan against actual over all the ICB's schemes, both forecast outturns, and
-- the money that could be rebalanced (forecast underspends on schemes behind plan, which could fund
-- schemes ahead of plan or new ones) or handed back (the net forecast underspend). Underspends use
-- the plan-profile forecast (actual to date plus the plan still to come); the run-rate figures are
-- shown beside it.
-- Grain: one row per ICS and financial year.
-- Keys: ics_id, fy
-- Columns:
--   ics_id: integrated care system
--   ics_name: the integrated care system's name
--   icb_id: the system's ICB, whose plan it is
--   icb_name: the ICB's name
--   fy: financial year, e.g. 2025-26
--   as_at_period: the latest month reported in the year (YYYY-MM)
--   fy_month: month number of as_at_period in the financial year (April = 1)
--   schemes: number of investment schemes in the plan
--   slipping_schemes: number of schemes whose status is slipping
--   fy_plan: planned spend for the whole year over all schemes, pounds
--   plan_ytd: planned spend to date
--   actual_ytd: ledger spend to date
--   slippage_ytd: plan_ytd - actual_ytd (positive: behind plan)
--   forecast_outturn_run_rate: sum of the schemes' run-rate forecasts
--   forecast_outturn_plan_profile: sum of the schemes' plan-profile forecasts
--   net_forecast_underspend: fy_plan - forecast_outturn_plan_profile: could be handed back if not rebalanced
--   net_forecast_underspend_run_rate: fy_plan - forecast_outturn_run_rate
--   underspend_to_rebalance: sum of the forecast underspends of schemes forecast to spend less than
--     their plan (plan profile): money that could be moved to other schemes in year
--   overspend_to_cover: sum of the forecast overspends of schemes forecast to spend more than plan
CREATE OR REPLACE TABLE rpt_system_position AS
WITH latest_month_per_year AS (
    SELECT fy, max(period) AS as_at_period FROM rpt_plan_vs_actual GROUP BY fy
),
schemes_as_at AS (
    SELECT p.*
    FROM rpt_plan_vs_actual p
    JOIN latest_month_per_year l ON l.fy = p.fy AND l.as_at_period = p.period
)
SELECT ics_id, ics_name, icb_id, icb_name, fy, period AS as_at_period, fy_month,
       count(*) AS schemes,
       count(*) FILTER (WHERE status = 'slipping') AS slipping_schemes,
       CAST(sum(fy_plan) AS DECIMAL(18, 2)) AS fy_plan,
       CAST(sum(plan_ytd) AS DECIMAL(18, 2)) AS plan_ytd,
       CAST(sum(actual_ytd) AS DECIMAL(18, 2)) AS actual_ytd,
       CAST(sum(slippage_ytd) AS DECIMAL(18, 2)) AS slippage_ytd,
       CAST(sum(forecast_outturn_run_rate) AS DECIMAL(18, 2)) AS forecast_outturn_run_rate,
       CAST(sum(forecast_outturn_plan_profile) AS DECIMAL(18, 2)) AS forecast_outturn_plan_profile,
       CAST(sum(forecast_underspend_plan_profile) AS DECIMAL(18, 2)) AS net_forecast_underspend,
       CAST(sum(forecast_underspend_run_rate) AS DECIMAL(18, 2)) AS net_forecast_underspend_run_rate,
       CAST(coalesce(sum(forecast_underspend_plan_profile) FILTER (WHERE forecast_underspend_plan_profile > 0), 0)
            AS DECIMAL(18, 2)) AS underspend_to_rebalance,
       CAST(coalesce(-sum(forecast_underspend_plan_profile) FILTER (WHERE forecast_underspend_plan_profile < 0), 0)
            AS DECIMAL(18, 2)) AS overspend_to_cover
FROM schemes_as_at
GROUP BY ics_id, ics_name, icb_id, icb_name, fy, period, fy_month;
