-- slipping_schemes: the ICB investment schemes behind (or ahead of) plan as at a month
-- (from rpt_plan_vs_actual): plan and actual to date, slippage in pounds and per cent, and
-- the forecast outturns and underspends for the year. Schemes on plan are left out.
-- params: period (YYYY-MM, default: latest), icb_id (default: all)
-- example: openbook query slipping_schemes --period 2025-09 --icb_id sf_icb
SELECT icb_id, scheme_id, scheme_name, service_line, period, status, fy_plan, plan_ytd, actual_ytd,
       slippage_ytd, slippage_ytd_pct, forecast_outturn_run_rate, forecast_outturn_plan_profile,
       forecast_underspend_plan_profile
FROM rpt_plan_vs_actual
WHERE status <> 'on_plan'
  AND period = coalesce($period, (SELECT max(period) FROM rpt_plan_vs_actual))
  AND ($icb_id IS NULL OR icb_id = $icb_id)
ORDER BY abs(slippage_ytd) DESC, scheme_id;
