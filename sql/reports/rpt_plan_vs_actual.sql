-- rpt_plan_vs_actual: each ICB investment scheme's plan against the ICB's ledger spend on the scheme's
-- cost centres (fct_ledger lines of the ICB whose cost centre carries the scheme_id), by month, with
-- year to date, two forecast outturns and slippage. Forecast by run rate: actual to date / months
-- elapsed x 12. Forecast by plan profile: actual to date plus the plan for the months still to come.
-- A scheme is slipping when actual to date is below plan to date by more than the slippage
-- threshold (bound parameter, default 10%), overspending when above it by more than the threshold.
-- Rows run to the latest month reported.
-- Grain: one row per scheme and month.
-- Keys: scheme_id, period
-- Columns:
--   icb_id: the ICB whose plan it is
--   icb_name: the ICB's name
--   ics_id: the ICB's integrated care system
--   ics_name: the integrated care system's name
--   scheme_id: the investment scheme
--   scheme_name: the scheme's name
--   service_line: the scheme's service line
--   service_line_name: the service line's name
--   recurrence: recurrent or non_recurrent (from the plan)
--   period: month (YYYY-MM)
--   fy: financial year, e.g. 2025-26
--   fy_month: month number in the financial year (April = 1)
--   planned: planned spend in the month, pounds
--   actual: ledger spend in the month, pounds
--   plan_ytd: planned spend from April to this month
--   actual_ytd: ledger spend from April to this month
--   fy_plan: planned spend for the whole financial year
--   forecast_outturn_run_rate: actual_ytd / fy_month x 12, rounded half up to the penny
--   forecast_outturn_plan_profile: actual_ytd + the plan for the rest of the year
--   slippage_ytd: plan_ytd - actual_ytd (positive: behind plan), pounds
--   slippage_ytd_pct: slippage_ytd as a percentage of plan_ytd (null when nothing was planned)
--   forecast_underspend_run_rate: fy_plan - forecast_outturn_run_rate (positive: money left unspent)
--   forecast_underspend_plan_profile: fy_plan - forecast_outturn_plan_profile
--   status: slipping, overspending or on_plan (slippage_ytd_pct against the slippage threshold)
--   ledger_lines: number of ledger lines behind the month's actual
CREATE OR REPLACE TEMP MACRO money_ratio(amount, numerator, denominator) AS
    -- amount x numerator / denominator rounded half up to the penny in exact integer arithmetic
    -- (DuckDB's DECIMAL division returns DOUBLE); numerator and denominator whole, denominator > 0
    CAST(CAST(sign(CAST(amount * 100 AS HUGEINT) * numerator)
              * ((2 * abs(CAST(amount * 100 AS HUGEINT) * numerator) + denominator) // (2 * denominator))
         AS DECIMAL(38, 0)) * 0.01 AS DECIMAL(18, 2));

CREATE OR REPLACE TABLE rpt_plan_vs_actual AS
WITH latest_month AS (
    SELECT max(period) AS period FROM fct_ledger
),
plan AS (
    SELECT p.icb_id, p.scheme_id, p.scheme_name, p.service_line, p.recurrence, p.period,
           fy_of(p.period) AS fy, fy_month_of(p.period) AS fy_month, p.planned_amount AS planned
    FROM ref_investment_plans p
),
actual AS (
    SELECT partner_id AS icb_id, scheme_id, period, sum(amount) AS actual, count(*) AS ledger_lines
    FROM fct_ledger
    WHERE line_type = 'expenditure' AND scheme_id IS NOT NULL
    GROUP BY ALL
),
plan_and_actual AS (
    SELECT p.*, coalesce(a.actual, 0) AS actual, coalesce(a.ledger_lines, 0) AS ledger_lines,
           sum(p.planned) OVER whole_year AS fy_plan,
           sum(p.planned) OVER to_date AS plan_ytd,
           sum(coalesce(a.actual, 0)) OVER to_date AS actual_ytd
    FROM plan p
    LEFT JOIN actual a ON a.icb_id = p.icb_id AND a.scheme_id = p.scheme_id AND a.period = p.period
    WINDOW whole_year AS (PARTITION BY p.scheme_id, p.fy),
           to_date AS (PARTITION BY p.scheme_id, p.fy ORDER BY p.period
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
forecasts AS (
    SELECT *,
           money_ratio(actual_ytd, 12, fy_month) AS forecast_outturn_run_rate,
           actual_ytd + (fy_plan - plan_ytd) AS forecast_outturn_plan_profile,
           plan_ytd - actual_ytd AS slippage_ytd,
           CAST(round(100 * (plan_ytd - actual_ytd) / nullif(plan_ytd, 0), 2) AS DECIMAL(38, 2)) AS slippage_ytd_pct
    FROM plan_and_actual
)
SELECT f.icb_id, icb.partner_name AS icb_name, icb.ics_id, ics.ics_name,
       f.scheme_id, f.scheme_name, f.service_line, s.service_line_name, f.recurrence,
       f.period, f.fy, f.fy_month,
       CAST(f.planned AS DECIMAL(18, 2)) AS planned, CAST(f.actual AS DECIMAL(18, 2)) AS actual,
       CAST(f.plan_ytd AS DECIMAL(18, 2)) AS plan_ytd, CAST(f.actual_ytd AS DECIMAL(18, 2)) AS actual_ytd,
       CAST(f.fy_plan AS DECIMAL(18, 2)) AS fy_plan,
       f.forecast_outturn_run_rate,
       CAST(f.forecast_outturn_plan_profile AS DECIMAL(18, 2)) AS forecast_outturn_plan_profile,
       CAST(f.slippage_ytd AS DECIMAL(18, 2)) AS slippage_ytd, f.slippage_ytd_pct,
       CAST(f.fy_plan - f.forecast_outturn_run_rate AS DECIMAL(18, 2)) AS forecast_underspend_run_rate,
       CAST(f.fy_plan - f.forecast_outturn_plan_profile AS DECIMAL(18, 2)) AS forecast_underspend_plan_profile,
       CASE WHEN f.slippage_ytd_pct > $slippage_threshold_pct THEN 'slipping'
            WHEN f.slippage_ytd_pct < -$slippage_threshold_pct THEN 'overspending'
            ELSE 'on_plan' END AS status,
       f.ledger_lines
FROM forecasts f
JOIN latest_month m ON f.period <= m.period
LEFT JOIN dim_partner icb ON icb.partner_id = f.icb_id
LEFT JOIN (SELECT DISTINCT ics_id, ics_name FROM ref_places) ics ON ics.ics_id = icb.ics_id
LEFT JOIN dim_service_line s ON s.service_line = f.service_line;
