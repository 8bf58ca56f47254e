-- mhis_position: each ICB's Mental Health Investment Standard position for a financial
-- year (from rpt_mhis): MHIS spend (the ICB's own expenditure on MHIS service lines from
-- recurrent and section 75 pooled funds), the spend the standard requires (last year's
-- MHIS spend grown with the programme allocation), whether it is met, the shortfall or
-- headroom, and the run-rate forecast for a year still in progress.
-- params: fy (financial year YYYY-YY, default: latest)
-- example: openbook query mhis_position --fy 2025-26
SELECT icb_id, icb_name, fy, months_reported, mhis_spend, prior_year_spend, required_spend,
       met, shortfall, headroom, forecast_mhis_spend, forecast_met,
       allocation_growth_pct, mhis_spend_growth_pct, mhis_share_of_allocation_pct
FROM rpt_mhis
WHERE fy = coalesce($fy, (SELECT max(fy) FROM rpt_mhis))
ORDER BY icb_id;
